"""TCF v2 strings: real strings from the IAB's specification and reference decoders.

Sources of the strings (each cited again beside its constant):
  SPEC = InteractiveAdvertisingBureau/GDPR-Transparency-and-Consent-Framework,
         "TCFv2/IAB Tech Lab - Consent string and vendor list formats v2.md"
  JAVA = InteractiveAdvertisingBureau/iabtcf-java,
         iabtcf-decoder/src/test/java/com/iabtcf/decoder/TCStringV2Test.java
  ES   = InteractiveAdvertisingBureau/iabtcf-es, modules/core/test/ReportedIssues.test.ts
The specification gives no decoded table for its strings, only their scope (global or
service-specific) and segments; the field values asserted below are the ones the JAVA and
ES test suites assert for the same strings.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import iab_tcf
import pytest

from tactful.consent.tcf import (
    RestrictionType,
    TCString,
    decode_tc_string,
    map_purposes,
)
from tactful.errors import InvalidInput

# JAVA testCanConstructTCModelFromBase64String (made with https://www.iabtcf.com/#/encode).
JAVA_FULL_HEADER = "COtybn4PA_zT4KjACBENAPCIAEBAAECAAIAAAAAAAAAA"
# JAVA testConstructConsentsFromBitFields; with segments in testCanParseAllParts.
JAVA_BITFIELD = "COrEAV4OrXx94ACABBENAHCIAD-AAAAAAACAAxAAAAgAIAwgAgAAAAEAgQAAAAAEAYQAQAAAACAAAABAAA"
JAVA_ALL_PARTS = JAVA_BITFIELD + ".IBAgAAAgAIAwgAgAAAAEAAAACA.QAagAQAgAIAwgA.cAAAAAAAITg="
# JAVA testCanParseRangeEncodedVendorLegitimateInterests.
JAVA_RANGE_LI = "COv__-wOv__-wC2AAAENAPCgAAAAAAAAAAAAA_wAQA_gEBABAEAAAA"
# JAVA testRange (base64CoreString2Range, base64CoreString1Range).
JAVA_2RANGE = (
    "COwBOpCOwBOpCLqAAAENAPCAAAAAAAAAAAAAFfwAYFfAV-BVkAGBVYFWAAA.IFoEUQQgAIQwgIwQABAEAAAAOIAACAIAA"
    "AAQAIAgEAACEAAAAAgAQBAAAAAAAGBAAgAAAAAAAFAAECAAAgAAQARAEQAAAAAJAAIAAgAAAYQEAAAQmAgBC3ZAYzUw"
)
JAVA_1RANGE = "COwBOpCOwBOpCLqAAAENAPCAAAAAAAAAAAAAFfwAQFfgUbABAUaAAA"
# JAVA testPurposesConsent.
JAVA_PURPOSES_1_2 = "COwxsONOwxsONKpAAAENAdCAAMAAAAAAAAAAAAAAAAAA"

# SPEC, "TC String Format": a globally-scoped string with all four segments.
SPEC_GLOBAL_FOUR_SEGMENTS = (
    "COw4XqLOw4XqLAAAAAENAXCAAAAAAAAAAAAAAAAAAAAA.IFukWSQgAIQwgI0QEByFAAAAeIAACAIgSAAQAIAgEQACEAB"
    "AAAgAQFAEAIAAAGBAAgAAAAQAIFAAMCQAAgAAQiRAEQAAAAANAAIAAggAIYQFAAARmggBC3ZCYzU2yIA.QFukWSQgAI"
    "QwgI0QEByFAAAAeIAACAIgSAAQAIAgEQACEABAAAgAQFAEAIAAAGBAAgAAAAQAIFAAMCQAAgAAQiRAEQAAAAANAAIAA"
    "ggAIYQFAAARmggBC3ZCYzU2yIA.YAAAAAAAAAAAAAAAAAA"
)
# SPEC, "TC String Format": a service-specific string, core plus Publisher TC.
SPEC_SERVICE_SPECIFIC = (
    "CLcVDxRMWfGmWAVAHCENAXCkAKDAADnAABRgA5mdfCKZuYJez-NQm0TBMYA4oCAAGQYIAAAAAAEAIAEgAA"
    ".argAC0gAAAAAAAAAAAA"
)
# SPEC, "Signaling OOB", Example 1: [Core].[DisclosedVendors], then the core alone.
SPEC_OOB_CORE = "COvFyGBOvFyGBAbAAAENAPCAAOAAAAAAAAAAAEEUACCKAAA"
SPEC_OOB_DISCLOSED = (
    SPEC_OOB_CORE + ".IFoEUQQgAIQwgIwQABAEAAAAOIAACAIAAAAQAIAgEAACEAAAAAgAQBAAAAAAAGBAAgAAAAAAAF"
    "AAECAAAgAAQARAEQAAAAAJAAIAAgAAAYQEAAAQmAgBC3ZAYzUw"
)
# SPEC, "Signaling OOB", Example 3, first string: its third segment "PVAfDObdrA" is a
# disclosed-vendors header whose bit field needs 65 bits but holds 60.
SPEC_OOB_EXAMPLE_3 = SPEC_OOB_DISCLOSED + ".PVAfDObdrA"
# SPEC, "Signaling OOB", Example 3, second string: [Core].[DisclosedVendors].[AllowedVendors].
SPEC_OOB_ALLOWED = (
    "CGL23UdMFJzvuA9ACCENAXCEAC0AAGrAAA5YA5ht7-_d_7_vd-f-nrf4_4A4hM4JCKoK4YhmAqABgAEgAA.IFut_a83_"
    "Ma_t-_SvB3v4-IAeIAACAIgSAAQAIAgEQACEABAAAgAQFAEAIAAAGBAAgAAAAQAIFAAMCQAAgAAQiRAEQAAAAANAAIAA"
    "ggAIYQFAAARmggBC3ZCYzU2yIA.QFulWfTw4obx_Z2zUj6XkNIAeIAACAIgSAAQAIAgEQACEABAAAgAQFAEAIAAAGBAA"
    "gAAAAQAIFAAMCQAAgAAQiRAEQAAAAANAAIAAggAIYQFAAARmggBC3ZCYzU2yIA"
)

# ES, "201 unable to decode valid TCF2 String": publisher restrictions, some repeated.
ES_RESTRICTIONS = (
    "CO4VGswO4VGswAfZCBDEAzCsAP_AAH_AAAigGUNf_X9fb2vj-_599_t0eY1f9_63t-wzjheMs-8NyZ-X_J4Wv2MyvB34J"
    "qQKGRgkunLBAQdtHGncTQgBwIlViTLMY02MjzNKJrJEilsbe2dYGH9vn8XT_ZKZ70-_v__7v3___33_5Ayhr_6_r7e18f"
    "3_Pvv9ujzGr_v_W9v2GccLxln3huTPy_5PC1-xmV4O_BNSBQyMEl05YICDto407iaEAOBEqsSZZjGmxkeZpRNZIkUtjb2"
    "zrAw_t8_i6f7JTPen39___d-___--__ICgKAOAAcAA4AFAAjgB6AEYALcGACAW0AtoJAHAAOAAcACgARwA9ACMAFuFAB"
    "ALaAW0GgDgAHAAOABQAI4AegBGAC3DgAgFtALaEQBwADgAHAAoAEcAPQAjABbiQAQC2gFtCoA4ABwADgAUACOAHoARgAt"
    "xYAIBbQC2hkAcAA4ABwAKABHAD0AIwAW40AEAtoBbQ6AOAAcAA4AFAAjgB6AEYALceACAW0AtohAHAAOAAcACgARwA9AC"
    "MAFuRABALaAW0SgDgAHAAOABQAI4AegBGAC3JgAgFtALaKQBwADgAHAAoAEcAPQAjABblQAQC2gFtA"
)
# ES, "142 it should throw an error if the bitfield length does not match the maxId".
ES_BAD_BITFIELD = (
    "CLSYjTaOngnCIAOABBENAXCMAGOAABBAAA7IA5n-m7fP6_3fbqVv6E__PoA5Aqff3aJx8tv_1967rfnQEQoAIAAQCrwkA"
    "EABAcACABIMACAAuApEVABABUSABgBCAVSAtIoACACIArYQAHACgAFgAVwBJgDcAI7AWgMAAgBiKgAgBMgFfKQAQBRkQA"
    "QA4AFiBAAoA-AEVAJlAVgAtYcACAJcAr4eABAK8OgBgFzAOmAqwgABAWyA.IFukWSQh"
)
# ES, "156 it should auto detect 1 version": a TCF v1.1 string.
ES_V1 = (
    "BOhwdphOxFC7tAHABBFRC--AAAAuhr_7__7-_9_-_f__9uj3Or_v_f__32ccL59v_h_7v-_7fi_20nV4u_1vft9yfk1-5c"
    "tDztp507iakivXmqdeb9v_nz3_5pxP78k89r7337Ew_v8_v-b7BCON_YxEiA"
)

MAPPINGS = {
    "personalization": (5, 6),
    "advertising": (2, 3, 4),
    "statistics": (8, 9),
    "no_mapping": (),
}


_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def encode(bits: str) -> str:
    """Base64url of a bit string, zero-padded to whole characters (to build bad strings)."""
    bits += "0" * (-len(bits) % 6)
    return "".join(_ALPHABET[int(bits[i : i + 6], 2)] for i in range(0, len(bits), 6))


def header_bits(raw: str) -> str:
    """The 213 fixed bits of a real core segment, before its vendor sections."""
    return "".join(format(_ALPHABET.index(c), "06b") for c in raw)[:213]


EMPTY_VENDORS = "0" * 16 + "0"  # MaxVendorId 0, bit field


def vendors(ranges: tuple[tuple[int, int], ...]) -> set[int]:
    return {vendor for start, end in ranges for vendor in range(start, end + 1)}


def test_header_fields_match_the_iabtcf_java_suite() -> None:
    tc = decode_tc_string(JAVA_FULL_HEADER)

    assert tc.version == 2
    assert tc.created == datetime(2020, 1, 26, 17, 1, tzinfo=UTC)
    assert tc.last_updated == datetime(2021, 2, 2, 17, 1, tzinfo=UTC)
    assert tc.created.utcoffset() is not None
    assert tc.last_updated.tzinfo is UTC
    assert (tc.cmp_id, tc.cmp_version, tc.consent_screen) == (675, 2, 1)
    assert (tc.vendor_list_version, tc.policy_version) == (15, 2)
    assert (tc.consent_language, tc.publisher_cc) == ("EN", "AA")
    assert tc.is_service_specific is False
    assert tc.purpose_one_treatment is True
    assert tc.use_non_standard_stacks is False
    assert tc.special_features_optin == {1}
    assert tc.purposes_consent == {2, 10}
    assert tc.purposes_legitimate_interest == {2, 9}
    assert tc.raw == JAVA_FULL_HEADER


def test_bitfield_vendor_sections_match_the_iabtcf_java_suite() -> None:
    # The same core with disclosed vendors, allowed vendors and a '='-padded publisher TC.
    for raw in (JAVA_BITFIELD, JAVA_ALL_PARTS):
        tc = decode_tc_string(raw)
        assert tc.purposes_consent == {3, 4, 5, 6, 7, 8, 9}
        assert vendors(tc.vendors_consent) == {23, 37, 47, 48, 53, 65, 98}
        assert vendors(tc.vendors_legitimate_interest) == {37, 47, 48, 53, 65, 98, 129}
        assert [v for v in range(1, 200) if tc.vendor_consent(v)] == [23, 37, 47, 48, 53, 65, 98]


def test_range_encoded_vendor_sections_match_the_iabtcf_java_suite() -> None:
    assert vendors(decode_tc_string(JAVA_RANGE_LI).vendors_legitimate_interest) == {128}
    two = decode_tc_string(JAVA_2RANGE)
    assert vendors(two.vendors_consent) == {702, 703}
    assert not two.vendor_consent(701)
    assert not two.vendor_consent(704)
    assert vendors(decode_tc_string(JAVA_1RANGE).vendors_consent) == {703}
    assert {1, 2} <= decode_tc_string(JAVA_PURPOSES_1_2).purposes_consent


def test_specification_examples_have_the_scope_the_specification_gives_them() -> None:
    for raw in (SPEC_GLOBAL_FOUR_SEGMENTS, SPEC_OOB_DISCLOSED, SPEC_OOB_ALLOWED):
        tc = decode_tc_string(raw)
        assert (tc.version, tc.is_service_specific) == (2, False)
    service = decode_tc_string(SPEC_SERVICE_SPECIFIC)
    assert (service.version, service.is_service_specific) == (2, True)
    # Dropping the disclosed-vendors segment leaves the core untouched (Example 1).
    assert (
        decode_tc_string(SPEC_OOB_CORE).as_evidence()
        == decode_tc_string(SPEC_OOB_DISCLOSED).as_evidence()
    )


def test_publisher_restrictions_match_the_iabtcf_es_suite() -> None:
    tc = decode_tc_string(ES_RESTRICTIONS)

    require_consent_p1 = [
        r
        for r in tc.publisher_restrictions
        if r.purpose_id == 1 and r.restriction_type is RestrictionType.REQUIRE_CONSENT
    ]
    assert len(require_consent_p1) == 1
    assert sorted(vendors(require_consent_p1[0].vendors)) == [7, 20, 71, 122, 140, 183]


def test_evidence_is_json_ready_and_complete() -> None:
    tc = decode_tc_string(JAVA_ALL_PARTS)
    evidence = json.loads(json.dumps(tc.as_evidence()))

    assert evidence["created"] == "2019-12-04T18:53:00Z"
    assert evidence["purposes_consent"] == [3, 4, 5, 6, 7, 8, 9]
    assert evidence["vendors_consent"] == [
        [23, 23],
        [37, 37],
        [47, 48],
        [53, 53],
        [65, 65],
        [98, 98],
    ]
    assert "raw" not in evidence  # stored beside the evidence, not inside it
    scalar_fields = set(TCString.__slots__) - {"raw"}
    assert scalar_fields == set(evidence)


def test_surrounding_whitespace_is_stripped() -> None:
    assert decode_tc_string(f" \n{JAVA_FULL_HEADER}\t").raw == JAVA_FULL_HEADER


def test_realistic_mapping_grants_only_fully_consented_purposes() -> None:
    # Consent to purposes 3-9: personalization (5, 6) and statistics (8, 9) are covered,
    # advertising lacks purpose 2; the unmapped purpose is left out.
    tc = decode_tc_string(JAVA_BITFIELD)
    assert map_purposes(tc, MAPPINGS) == {
        "personalization": True,
        "advertising": False,
        "statistics": True,
    }


def test_legitimate_interest_never_grants() -> None:
    # Consent [3, 5, 6, 8], legitimate interest [2, 3, 5, 7, 9, 10]: purposes 2 and 9 are
    # covered only by legitimate interest, so advertising and statistics are denied.
    tc = decode_tc_string(SPEC_OOB_ALLOWED)
    assert tc.purposes_consent == {3, 5, 6, 8}
    assert {2, 9} <= tc.purposes_legitimate_interest
    assert map_purposes(tc, MAPPINGS) == {
        "personalization": True,
        "advertising": False,
        "statistics": False,
    }
    # Consent {2, 10}, legitimate interest {2, 9}.
    header_only = decode_tc_string(JAVA_FULL_HEADER)
    assert map_purposes(header_only, {"statistics": (9,), "ads": (2,)}) == {
        "statistics": False,
        "ads": True,
    }


def test_a_vendor_without_consent_gets_nothing() -> None:
    tc = decode_tc_string(JAVA_BITFIELD)
    assert map_purposes(tc, MAPPINGS, vendor_id=23) == {
        "personalization": True,
        "advertising": False,
        "statistics": True,
    }
    # Vendor 129 has legitimate interest established but no consent; vendor 24 has neither.
    for vendor in (129, 24):
        assert map_purposes(tc, MAPPINGS, vendor_id=vendor) == {
            "personalization": False,
            "advertising": False,
            "statistics": False,
        }


def test_a_publisher_restriction_against_consent_denies_the_vendor() -> None:
    # Consent to purposes 1-10 and to vendors 7 and 730; the publisher requires consent
    # of vendor 7 (no obstacle) and legitimate interest of vendor 730 for every purpose.
    tc = decode_tc_string(ES_RESTRICTIONS)
    assert tc.purposes_consent == set(range(1, 11))
    assert tc.vendor_consent(7)
    assert tc.vendor_consent(730)
    assert all(tc.restricts(730, p) and not tc.restricts(7, p) for p in range(1, 11))
    assert set(map_purposes(tc, MAPPINGS, vendor_id=7).values()) == {True}
    assert set(map_purposes(tc, MAPPINGS, vendor_id=730).values()) == {False}


@pytest.mark.parametrize(
    ("mappings", "vendor_id", "field"),
    [
        ({"statistics": (0,)}, None, "mappings/statistics"),
        ({"statistics": (8, 25)}, None, "mappings/statistics"),
        ({"statistics": (True,)}, None, "mappings/statistics"),
        ({"statistics": (8,)}, 0, "vendor_id"),
        ({"statistics": (8,)}, 65_536, "vendor_id"),
    ],
)
def test_bad_mappings_are_refused(
    mappings: dict[str, tuple[int, ...]], vendor_id: int | None, field: str
) -> None:
    tc = decode_tc_string(JAVA_BITFIELD)
    with pytest.raises(InvalidInput) as caught:
        map_purposes(tc, mappings, vendor_id)
    assert caught.value.errors[0].field == field


BAD_STRINGS = {
    "empty": ("", "empty"),
    "blank": (" \t\n", "empty"),
    "not text": (None, "must be text"),
    "punctuation": (JAVA_FULL_HEADER[:10] + "!" + JAVA_FULL_HEADER[10:], "outside base64url"),
    "standard base64 '+'": (JAVA_FULL_HEADER[:10] + "+" + JAVA_FULL_HEADER[11:], "base64url"),
    "inner space": (JAVA_FULL_HEADER[:10] + " " + JAVA_FULL_HEADER[10:], "base64url"),
    "tcf v1": (ES_V1, "TCF v1"),
    "version 3": ("D" + JAVA_FULL_HEADER[1:], "version 3"),
    "version 0": ("A" + JAVA_FULL_HEADER[1:], "version 0"),
    "cut in half": (JAVA_BITFIELD[: len(JAVA_BITFIELD) // 2], "core segment is truncated"),
    "last 3 characters missing": (JAVA_BITFIELD[:-3], "core segment is truncated"),
    "last character missing": (SPEC_SERVICE_SPECIFIC.split(".")[0][:-1], "truncated"),
    "truncated optional segment": (ES_BAD_BITFIELD, "disclosed vendors segment is truncated"),
    "spec OOB example 3": (SPEC_OOB_EXAMPLE_3, "disclosed vendors segment is truncated"),
    "data after the last field": (JAVA_FULL_HEADER + "B", "data after its last field"),
    "empty segment": (JAVA_FULL_HEADER + ".", "segment 2 is empty"),
    "unknown segment type": (JAVA_FULL_HEADER + ".AAAA", "segment 2 is not"),
    "too long": ("C" + "A" * 10_000, "longer than 10000"),
    "language outside A-Z": (
        JAVA_FULL_HEADER[:18] + "0N" + JAVA_FULL_HEADER[20:],  # 'E' (4) becomes '0' (52)
        "consent language is not two letters",
    ),
    "vendor range beyond MaxVendorId": (
        # MaxVendorId 5, range encoding, one entry: the range 3-9.
        encode(
            header_bits(JAVA_FULL_HEADER)
            + format(5, "016b")
            + "1"
            + format(1, "012b")
            + "1"
            + format(3, "016b")
            + format(9, "016b")
            + EMPTY_VENDORS
            + "0" * 12
        ),
        "vendor range 3-9 lies outside 1-5",
    ),
    "undefined restriction type": (
        # One publisher restriction: purpose 2, type 3 (undefined), no vendors.
        encode(
            header_bits(JAVA_FULL_HEADER)
            + EMPTY_VENDORS
            + EMPTY_VENDORS
            + format(1, "012b")
            + format(2, "06b")
            + "11"
            + format(0, "012b")
        ),
        "undefined purpose or restriction type",
    ),
    "garbage word": ("consent", "unsupported TC string version"),
    "garbage with version 2": ("CAFEBABE", "truncated"),
    "garbage json": ('{"purposes": [1, 2]}', "base64url"),
}


@pytest.mark.parametrize("case", list(BAD_STRINGS))
def test_malformed_strings_are_refused_with_a_reason(case: str) -> None:
    raw, reason = BAD_STRINGS[case]
    with pytest.raises(InvalidInput) as caught:
        decode_tc_string(raw)  # type: ignore[arg-type]
    assert [e.field for e in caught.value.errors] == ["tc_string"]
    assert reason in caught.value.errors[0].message


@pytest.mark.parametrize(
    ("raw", "needed_bits"),
    [
        # 213 fixed bits, consent 17 + 98, legitimate interest 17 + 129, 12 restriction count.
        (JAVA_BITFIELD, 486),
        # 213 fixed bits, consent 17 + 115, legitimate interest 17 + 113, 12 restriction count.
        (SPEC_SERVICE_SPECIFIC.split(".")[0], 487),
    ],
)
def test_every_cut_that_loses_a_declared_bit_is_refused(raw: str, needed_bits: int) -> None:
    """A prefix is refused exactly when it lost part of a field; a cut that removes only
    zero padding cannot be seen, and it changes nothing the string says."""
    whole = decode_tc_string(raw).as_evidence()
    for length in range(1, len(raw)):
        prefix = raw[:length]
        if 6 * length < needed_bits:
            with pytest.raises(InvalidInput):
                decode_tc_string(prefix)
        else:
            assert decode_tc_string(prefix).as_evidence() == whole


def test_the_library_alone_would_read_a_truncated_string_as_consent() -> None:
    """Why the structure is checked before `iab_tcf` reads it: the pinned library pads
    missing bits with 1s, so half a string grants vendors it never granted."""
    half = JAVA_BITFIELD[:40]
    assert not iab_tcf.decode(JAVA_BITFIELD).is_vendor_allowed(50)
    assert iab_tcf.decode(half).is_vendor_allowed(50)
    with pytest.raises(InvalidInput):
        decode_tc_string(half)

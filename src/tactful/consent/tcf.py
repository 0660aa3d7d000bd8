"""IAB TCF v2 consent strings: decode them safely and map their purposes onto Tactful's.

A TC string is consent collected by someone else's CMP. Tactful may import it, but only
as evidence of what the person agreed to, so a malformed string must be refused rather
than read generously.

The decoding of field values is done by `iab-tcf-bitarray` (`iab_tcf`). That library
reads past the end of its input without complaint: a missing integer reads as a shorter
or zero number and a missing bit reads as **1** (an empty `bitarray.all()` is true), so a
string cut in half grants consent to every vendor whose bits were cut off. It also drops
characters outside the base64 alphabet silently and fails with `binascii.Error` on some
lengths. This module therefore does the base64url decoding itself, at 6 bits a character,
and walks the structure the string declares (vendor sections, range entries, publisher
restrictions, and the optional segments after the core) before the library reads a
value. A string is accepted only if every declared field is present; the only cuts that
cannot be seen are those that remove nothing but zero padding, or whole optional segments
at a '.', because what is left is then itself a complete, valid string.

Legitimate interest never grants a Tactful purpose. Tactful's purposes rest on consent
(GDPR Art. 6(1)(a)); a TCF legitimate-interest signal only says a vendor disclosed its
interest and the person has not objected, which is not an affirmative choice. The decoded
legitimate-interest fields are kept as evidence only.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any, NoReturn

from iab_tcf import ConsentV2

from tactful.errors import FieldError, InvalidInput

MAX_TC_STRING_LENGTH = 10_000
MAX_TCF_PURPOSE = 24
MAX_VENDOR_ID = 65_535
_FIELD = "tc_string"
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_SIXBITS = {char: format(index, "06b") for index, char in enumerate(_ALPHABET)}
# Base64url, optionally with RFC 4648 '=' padding at the end of a segment.
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+={0,2}")
# Bits of the core segment before the vendor consent section: version, created,
# last updated, CMP id and version, consent screen, language, vendor list version,
# policy version, two flags, special features, purposes consent and LI, purpose one
# treatment, publisher country.
_CORE_FIXED_BITS = 6 + 36 + 36 + 12 + 12 + 6 + 12 + 12 + 6 + 1 + 1 + 12 + 24 + 24 + 1 + 12

VendorRange = tuple[int, int]


class RestrictionType(IntEnum):
    NOT_ALLOWED = 0
    REQUIRE_CONSENT = 1
    REQUIRE_LEGITIMATE_INTEREST = 2


@dataclass(frozen=True, slots=True)
class PublisherRestriction:
    """The publisher overrides how the listed vendors may use one TCF purpose."""

    purpose_id: int
    restriction_type: RestrictionType
    vendors: tuple[VendorRange, ...]


@dataclass(frozen=True, slots=True)
class TCString:
    """The decoded core segment of a TCF v2 string, kept beside the raw string as evidence.

    Vendor sets are stored as sorted, merged inclusive ranges: a range entry may cover
    tens of thousands of vendor ids in a few bits.
    """

    raw: str
    version: int
    created: datetime
    last_updated: datetime
    cmp_id: int
    cmp_version: int
    consent_screen: int
    consent_language: str
    vendor_list_version: int
    policy_version: int
    is_service_specific: bool
    purposes_consent: frozenset[int]
    purposes_legitimate_interest: frozenset[int]
    special_features_optin: frozenset[int]
    publisher_cc: str
    use_non_standard_stacks: bool = False
    purpose_one_treatment: bool = False
    vendors_consent: tuple[VendorRange, ...] = ()
    vendors_legitimate_interest: tuple[VendorRange, ...] = ()
    publisher_restrictions: tuple[PublisherRestriction, ...] = ()

    def vendor_consent(self, vendor_id: int) -> bool:
        return _in_ranges(self.vendors_consent, vendor_id)

    def restricts(self, vendor_id: int, purpose_id: int) -> bool:
        """Whether the publisher forbids this vendor to rely on consent for this purpose.

        `NOT_ALLOWED` forbids the purpose outright; `REQUIRE_LEGITIMATE_INTEREST` makes
        legitimate interest the only admissible basis, so consent cannot be used either.
        """
        return any(
            r.purpose_id == purpose_id
            and r.restriction_type != RestrictionType.REQUIRE_CONSENT
            and _in_ranges(r.vendors, vendor_id)
            for r in self.publisher_restrictions
        )

    def as_evidence(self) -> dict[str, Any]:
        """Every decoded field as JSON-ready values; the raw string is stored beside it."""
        return {
            "version": self.version,
            "created": _iso(self.created),
            "last_updated": _iso(self.last_updated),
            "cmp_id": self.cmp_id,
            "cmp_version": self.cmp_version,
            "consent_screen": self.consent_screen,
            "consent_language": self.consent_language,
            "vendor_list_version": self.vendor_list_version,
            "policy_version": self.policy_version,
            "is_service_specific": self.is_service_specific,
            "use_non_standard_stacks": self.use_non_standard_stacks,
            "purpose_one_treatment": self.purpose_one_treatment,
            "publisher_cc": self.publisher_cc,
            "special_features_optin": sorted(self.special_features_optin),
            "purposes_consent": sorted(self.purposes_consent),
            "purposes_legitimate_interest": sorted(self.purposes_legitimate_interest),
            "vendors_consent": [list(r) for r in self.vendors_consent],
            "vendors_legitimate_interest": [list(r) for r in self.vendors_legitimate_interest],
            "publisher_restrictions": [
                {
                    "purpose_id": r.purpose_id,
                    "restriction_type": r.restriction_type.name.lower(),
                    "vendors": [list(v) for v in r.vendors],
                }
                for r in self.publisher_restrictions
            ],
        }


def decode_tc_string(raw: str) -> TCString:
    """Decode a TCF v2 string (core segment first, optional segments after '.')."""
    if not isinstance(raw, str):
        _reject("a TC string must be text")
    text = raw.strip()
    if not text:
        _reject("the TC string is empty")
    if len(text) > MAX_TC_STRING_LENGTH:
        _reject(f"the TC string is longer than {MAX_TC_STRING_LENGTH} characters")
    segments = [_segment_bits(segment, n) for n, segment in enumerate(text.split("."), 1)]
    core = segments[0]
    version = int(core[:6], 2)
    if version == 1:
        _reject("this is a TCF v1 consent string; only TCF v2 strings are accepted")
    if version != 2:
        _reject(f"unsupported TC string version {version}; only version 2 is accepted")
    _check_length("core segment", core, _bits_needed(core, 0, _walk_core))
    for number, bits in enumerate(segments[1:], 2):
        _check_optional_segment(number, bits)
    padded = core + "0" * (-len(core) % 8)
    return _to_tc_string(text, ConsentV2(int(padded, 2).to_bytes(len(padded) // 8, "big")))


def map_purposes(
    tc: TCString, mappings: Mapping[str, tuple[int, ...]], vendor_id: int | None = None
) -> dict[str, bool]:
    """Which Tactful purposes a TC string grants, from Tactful code to TCF purpose numbers.

    A purpose is granted only if the string records consent for every TCF purpose it maps
    to, and, when `vendor_id` is given, consent for that vendor and no publisher
    restriction that forbids the vendor to use consent for one of those purposes.
    Anything else is a denial. Legitimate interest is never enough (see the module
    docstring). Purposes mapped to no TCF purpose are left out: the string says nothing
    about them, and silence must not be read as a denial recorded by the person either.
    """
    if vendor_id is not None and (
        isinstance(vendor_id, bool)
        or not isinstance(vendor_id, int)
        or not 1 <= vendor_id <= MAX_VENDOR_ID
    ):
        raise InvalidInput(
            "Invalid vendor id.",
            [FieldError("vendor_id", f"a TCF vendor id is an integer from 1 to {MAX_VENDOR_ID}")],
        )
    errors = [
        FieldError(f"mappings/{code}", f"TCF purposes are integers from 1 to {MAX_TCF_PURPOSE}")
        for code, numbers in mappings.items()
        if any(
            isinstance(p, bool) or not isinstance(p, int) or not 1 <= p <= MAX_TCF_PURPOSE
            for p in numbers
        )
    ]
    if errors:
        raise InvalidInput("Invalid TCF purpose mapping.", errors)
    vendor_ok = vendor_id is None or tc.vendor_consent(vendor_id)
    granted: dict[str, bool] = {}
    for code, numbers in mappings.items():
        if not numbers:
            continue
        granted[code] = (
            vendor_ok
            and all(p in tc.purposes_consent for p in numbers)
            and not (vendor_id is not None and any(tc.restricts(vendor_id, p) for p in numbers))
        )
    return granted


class _Truncated(Exception):
    """Internal: a declared field runs past the end of the segment's bits."""

    def __init__(self, needed: int) -> None:
        super().__init__(needed)
        self.needed = needed


class _Cursor:
    """Walks a bit string, failing as soon as a declared field is not all there."""

    __slots__ = ("_bits", "pos")

    def __init__(self, bits: str, pos: int = 0) -> None:
        self._bits = bits
        self.pos = pos

    def read(self, n: int) -> int:
        self.skip(n)
        return int(self._bits[self.pos - n : self.pos], 2)

    def skip(self, n: int) -> None:
        self.pos += n
        if self.pos > len(self._bits):
            raise _Truncated(self.pos)

    def vendor_section(self) -> None:
        """MaxVendorId, IsRangeEncoding, then a bit field or range entries."""
        max_vendor_id = self.read(16)
        if self.read(1):
            self.ranges()
        else:
            self.skip(max_vendor_id)

    def ranges(self) -> None:
        for _ in range(self.read(12)):
            self.skip(32 if self.read(1) else 16)


def _walk_core(cursor: _Cursor) -> None:
    cursor.skip(_CORE_FIXED_BITS)
    cursor.vendor_section()  # consent
    cursor.vendor_section()  # legitimate interest
    for _ in range(cursor.read(12)):  # publisher restrictions: purpose, type, vendors
        cursor.skip(6 + 2)
        cursor.ranges()


def _walk_publisher_tc(cursor: _Cursor) -> None:
    cursor.skip(24 + 24)  # publisher purposes consent and legitimate interest
    cursor.skip(2 * cursor.read(6))  # custom purposes consent and legitimate interest


def _walk_vendors(cursor: _Cursor) -> None:
    cursor.vendor_section()


_SEGMENTS = {
    1: ("disclosed vendors segment", _walk_vendors),
    2: ("allowed vendors segment", _walk_vendors),
    3: ("publisher TC segment", _walk_publisher_tc),
}


def _bits_needed(bits: str, start: int, walk: Callable[[_Cursor], None]) -> int:
    """How many bits the fields declared in `bits` take, possibly more than it holds."""
    cursor = _Cursor(bits, start)
    try:
        walk(cursor)
    except _Truncated as cut:
        return cut.needed
    return cursor.pos


def _check_optional_segment(number: int, bits: str) -> None:
    kind = int(bits[:3], 2)
    if kind not in _SEGMENTS:
        _reject(f"segment {number} is not a disclosed vendors, allowed vendors or publisher TC")
    name, walk = _SEGMENTS[kind]
    _check_length(name, bits, _bits_needed(bits, 3, walk))


def _check_length(name: str, bits: str, needed: int) -> None:
    if needed > len(bits):
        _reject(f"the {name} is truncated: its fields need {needed} bits but it holds {len(bits)}")
    if "1" in bits[needed:]:
        _reject(f"the {name} has data after its last field")


def _segment_bits(segment: str, number: int) -> str:
    if not segment:
        _reject(f"segment {number} is empty")
    if not _SEGMENT.fullmatch(segment):
        _reject(f"segment {number} has characters outside base64url (A-Z a-z 0-9 - _)")
    return "".join(_SIXBITS[char] for char in segment.rstrip("="))


def _to_tc_string(text: str, consent: Any) -> TCString:
    language = _letters(consent.consent_language, "consent language")
    country = _letters(consent.publisher_cc, "publisher country")
    restrictions = []
    for entry in consent.pub_restriction_entries:
        if not 1 <= entry.purpose_id <= MAX_TCF_PURPOSE or entry.restriction_type == 3:
            _reject("a publisher restriction names an undefined purpose or restriction type")
        restrictions.append(
            PublisherRestriction(
                int(entry.purpose_id),
                RestrictionType(entry.restriction_type),
                _ranges(entry.restrictions_range, MAX_VENDOR_ID),
            )
        )
    return TCString(
        raw=text,
        version=int(consent.version),
        created=consent.created.replace(tzinfo=UTC),
        last_updated=consent.last_updated.replace(tzinfo=UTC),
        cmp_id=int(consent.cmp_id),
        cmp_version=int(consent.cmp_version),
        consent_screen=int(consent.consent_screen),
        consent_language=language,
        vendor_list_version=int(consent.vendor_list_version),
        policy_version=int(consent.tcf_policy_version),
        is_service_specific=bool(consent.is_service_specific),
        purposes_consent=_set_bits(consent.purposes_consent),
        purposes_legitimate_interest=_set_bits(consent.purposes_legitimate_interests),
        special_features_optin=_set_bits(consent.special_features_optin),
        publisher_cc=country,
        use_non_standard_stacks=bool(consent.use_non_standard_stacks),
        purpose_one_treatment=bool(consent.purpose_one_treatment),
        vendors_consent=_vendor_ranges(
            bool(consent.is_consent_range_encoding),
            consent.consented_vendors_range
            if consent.is_consent_range_encoding
            else consent.consented_vendors,
            int(consent.max_consent_vendor_id),
        ),
        vendors_legitimate_interest=_vendor_ranges(
            bool(consent.is_interests_range_encoding),
            consent.interests_vendors_range
            if consent.is_interests_range_encoding
            else consent.interests_vendors,
            int(consent.max_interests_vendor_id),
        ),
        publisher_restrictions=tuple(restrictions),
    )


def _vendor_ranges(is_range: bool, entries: Any, max_id: int) -> tuple[VendorRange, ...]:
    if is_range:
        return _ranges(entries, max_id)
    return _ranges(((vendor, vendor) for vendor, on in entries.items() if on), max_id)


def _ranges(entries: Iterable[tuple[int, int]], max_id: int) -> tuple[VendorRange, ...]:
    """Sorted, merged inclusive ranges; a range outside 1..max_id is malformed."""
    merged: list[VendorRange] = []
    for start, end in sorted((int(s), int(e)) for s, e in entries):
        if not 1 <= start <= end <= max_id:
            _reject(f"vendor range {start}-{end} lies outside 1-{max_id}")
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def _in_ranges(ranges: tuple[VendorRange, ...], vendor_id: int) -> bool:
    index = bisect_right(ranges, (vendor_id, MAX_VENDOR_ID + 1)) - 1
    return index >= 0 and ranges[index][1] >= vendor_id


def _set_bits(bitfield: Mapping[int, bool]) -> frozenset[int]:
    return frozenset(int(number) for number, on in bitfield.items() if on)


def _letters(value: bytes, name: str) -> str:
    if len(value) != 2 or not (value.isalpha() and value.isupper()):
        _reject(f"the {name} is not two letters A-Z")
    return value.decode("ascii")


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _reject(reason: str) -> NoReturn:
    raise InvalidInput(f"Invalid TC string: {reason}.", [FieldError(_FIELD, reason)])

"""The consent rules through the Python API: bad input, GPC, objections, TCF, levels, tokens.

What the HTTP tests show end to end, here rule by rule on `Tactful` itself, with the
ledger and the receipts compared before and after every refusal, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tactful.consent.ledger import ConsentMethod, ConsentRecord, ConsentStatus
from tactful.errors import Conflict, InvalidInput, NotFound, Unauthorized
from tactful.service import Tactful
from tactful.settings import Settings
from tests import shop
from tests.clock import Clock
from tests.consent.test_tcf import ES_RESTRICTIONS, JAVA_BITFIELD

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
EXPLICIT = "personalization.explicit"
BEHAVIORAL = "personalization.behavioral"
AGGREGATE = "personalization.aggregate"
ANALYTICS = "analytics.aggregate"
ADS = "advertising.cross_context"
MARKETING = "marketing.email"


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def service(settings: Settings, clock: Clock) -> Iterator[Tactful]:
    svc = Tactful(settings, clock=clock)
    svc.ingest_items(shop.items())
    svc.ingest_subjects(shop.subjects())
    svc.record_consents("alice", {"choices": shop.FULL})
    yield svc
    svc.close()


def _choices(*pairs: tuple[str, str], **extra: Any) -> dict[str, Any]:
    return {"choices": [{"purpose": p, "status": s} for p, s in pairs], **extra}


def _ledger(service: Tactful, subject_id: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The subject's ledger history and receipt ids: what no refusal may change."""
    history: list[dict[str, Any]] = service.consents(subject_id)["history"]
    return history, [r["receipt_id"] for r in service.receipts(subject_id)]


def _status(view: dict[str, Any], code: str) -> str:
    status: str = next(p["status"] for p in view["purposes"] if p["purpose"] == code)
    return status


def _new_records(service: Tactful, subject_id: str, since: int) -> list[tuple[str, str, str]]:
    history = service.consents(subject_id)["history"][since:]
    return [(r["purpose"], r["status"], r["method"]) for r in history]


BAD_CHANGES: list[tuple[str, Any, str]] = [
    ("unknown purpose", _choices(("telepathy", "granted")), "choices.0.purpose"),
    (
        "unknown purpose after a good one",
        _choices((EXPLICIT, "withdrawn"), ("telepathy", "granted")),
        "choices.1.purpose",
    ),
    ("duplicated purpose", _choices((ADS, "granted"), (ADS, "denied")), "choices.1.purpose"),
    ("method gpc", _choices((ADS, "withdrawn"), method="gpc"), "method"),
    ("method tcf", _choices((EXPLICIT, "granted"), method="tcf"), "method"),
    ("unknown method", _choices((EXPLICIT, "granted"), method="telepathy"), "method"),
    ("no choices", {"choices": []}, "choices"),
    ("choices not a list", {"choices": EXPLICIT}, "choices"),
    ("no status", {"choices": [{"purpose": EXPLICIT}]}, "choices.0.status"),
    ("unknown status", _choices((EXPLICIT, "maybe")), "choices.0.status"),
    ("unknown field", _choices((EXPLICIT, "granted"), reason="because"), "reason"),
    ("empty notice version", _choices((EXPLICIT, "granted"), notice_version=""), "notice_version"),
    (
        "unknown notice version",
        _choices((EXPLICIT, "granted"), notice_version="v0"),
        "notice_version",
    ),
]


def test_a_bad_change_is_refused_whole(service: Tactful) -> None:
    before = _ledger(service, "alice")
    for case, change, field in BAD_CHANGES:
        with pytest.raises(InvalidInput) as caught:
            service.record_consents("alice", change)
        assert field in {e.field for e in caught.value.errors}, (case, caught.value.errors)
    assert _ledger(service, "alice") == before


def test_unknown_and_malformed_subjects(service: Tactful) -> None:
    change = _choices((EXPLICIT, "granted"))
    with pytest.raises(NotFound):
        service.record_consents("nobody", change)
    for bad in ("has space", "", "x" * 129, "a\u202eb"):
        with pytest.raises(InvalidInput) as caught:
            service.record_consents(bad, change)
        assert [e.field for e in caught.value.errors] == ["subject_id"]
    for call in (
        lambda: service.set_level("nobody", "off", ConsentMethod.API),
        lambda: service.apply_gpc("nobody"),
        lambda: service.apply_tcf("nobody", JAVA_BITFIELD),
        lambda: service.object_to_marketing("nobody", ConsentMethod.API),
        lambda: service.issue_token("nobody"),
        lambda: service.consents("nobody"),
        lambda: service.receipts("nobody"),
    ):
        with pytest.raises(NotFound):
            call()


def test_levels_are_choices_about_the_two_personalization_purposes(service: Tactful) -> None:
    with pytest.raises(InvalidInput) as caught:
        service.set_level("bob", "maximum", ConsentMethod.WEB_FORM)
    assert [e.field for e in caught.value.errors] == ["level"]
    assert _ledger(service, "bob") == ([], [])

    steps = [
        # A first "no" is a denial; a "no" after a "yes" is a withdrawal.
        ("off", "off", {EXPLICIT: "denied", BEHAVIORAL: "denied", AGGREGATE: "denied"}),
        (
            "aggregate",
            "aggregate",
            {AGGREGATE: "granted", EXPLICIT: "denied", BEHAVIORAL: "denied"},
        ),
        # basic and full leave the aggregate choice as it was.
        ("basic", "basic", {EXPLICIT: "granted", BEHAVIORAL: "denied"}),
        ("full", "full", {EXPLICIT: "granted", BEHAVIORAL: "granted"}),
        ("off", "off", {EXPLICIT: "withdrawn", BEHAVIORAL: "withdrawn", AGGREGATE: "withdrawn"}),
    ]
    for level, expected, statuses in steps:
        view = service.set_level("bob", level, ConsentMethod.WEB_FORM)
        assert view["level"] == expected
        assert {code: _status(view, code) for code in statuses} == statuses
        claims = view["receipt"]["claims"]["tactful"]
        assert {c["purpose"]: c["status"] for c in claims["choices"]} == statuses
        assert claims["method"] == "web_form"


def test_gpc_opts_out_of_selling_and_sharing_once(service: Tactful) -> None:
    # No choice yet: GPC records a denial, once.
    first = service.apply_gpc("bob")
    assert first is not None
    assert _new_records(service, "bob", 0) == [(ADS, "denied", "gpc")]
    assert service.apply_gpc("bob") is None
    assert len(service.consents("bob")["history"]) == 1

    service.record_consents("alice", _choices((ADS, "granted")))
    size = len(service.consents("alice")["history"])
    withdrawn = service.apply_gpc("alice")
    assert withdrawn is not None
    assert withdrawn["receipt"]["claims"]["tactful"]["method"] == "gpc"
    assert _new_records(service, "alice", size) == [(ADS, "withdrawn", "gpc")]
    assert service.apply_gpc("alice") is None

    # In a GPC request, no grant of a selling or sharing purpose, even beside others.
    before = _ledger(service, "alice")
    with pytest.raises(Conflict):
        service.record_consents(
            "alice", _choices((ANALYTICS, "granted"), (ADS, "granted")), gpc=True
        )
    assert _ledger(service, "alice") == before
    # Everything else stays possible, and so does saying no.
    allowed = service.record_consents(
        "alice", _choices((ANALYTICS, "granted"), (ADS, "denied")), gpc=True
    )
    assert (_status(allowed, ANALYTICS), _status(allowed, ADS)) == ("granted", "denied")


def test_concurrent_gpc_signals_record_one_change(service: Tactful) -> None:
    service.record_consents("alice", _choices((ADS, "granted")))
    size = len(service.consents("alice")["history"])
    start = threading.Barrier(4)

    def signal() -> dict[str, Any] | None:
        start.wait(timeout=10)
        return service.apply_gpc("alice")

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = [f.result(timeout=30) for f in [pool.submit(signal) for _ in range(4)]]
    assert sum(o is not None for o in outcomes) == 1
    assert _new_records(service, "alice", size) == [(ADS, "withdrawn", "gpc")]


def test_an_objection_blocks_direct_marketing_from_every_source(
    service: Tactful, clock: Clock
) -> None:
    service.record_consents("erin", _choices((ADS, "granted"), (MARKETING, "granted")))
    objected = service.object_to_marketing("erin", ConsentMethod.WEB_FORM)
    assert {_status(objected, ADS), _status(objected, MARKETING)} == {"withdrawn"}
    assert service.object_to_marketing("erin", ConsentMethod.API)["receipt"] is None
    before = _ledger(service, "erin")

    for code in (ADS, MARKETING):
        with pytest.raises(Conflict):
            service.record_consents("erin", _choices((code, "granted")))
    with pytest.raises(Conflict):
        service.record_consents("erin", _choices((EXPLICIT, "granted"), (MARKETING, "granted")))
    assert _ledger(service, "erin") == before

    tcf = service.apply_tcf("erin", ES_RESTRICTIONS)
    assert tcf["blocked"] == [{"purpose": ADS, "reason": "objection to direct marketing"}]
    assert _status(tcf, ADS) == "withdrawn"
    assert _status(tcf, ANALYTICS) == "granted"

    def grant(subject_id: str, code: str) -> ConsentRecord:
        version = service.notice_version
        return ConsentRecord(
            subject_id, code, ConsentStatus.GRANTED, version, ConsentMethod.IMPORT, clock()
        )

    size = len(service.consents("erin")["history"])
    stored = service.import_consents(
        [
            grant("erin", ADS),
            grant("erin", MARKETING),
            grant("bob", ADS),
            grant("erin", "sensitive.health"),
        ]
    )
    assert stored == 2
    assert _new_records(service, "erin", size) == [("sensitive.health", "granted", "import")]
    assert _status(service.consents("bob"), ADS) == "granted"

    lifted = service.lift_objection("erin")
    assert lifted["objection_to_direct_marketing"] is None
    assert lifted["receipt"] is None
    with pytest.raises(NotFound):
        service.lift_objection("erin")
    assert (
        _status(service.record_consents("erin", _choices((MARKETING, "granted"))), MARKETING)
        == "granted"
    )
    assert service.import_consents([grant("erin", ADS)]) == 1


def test_tcf_strings_and_the_operators_vendor_id(settings: Settings, service: Tactful) -> None:
    before = _ledger(service, "bob")
    for bad in ("", "CAFEBABE", JAVA_BITFIELD[:-3], JAVA_BITFIELD + "B", "not a string at all"):
        with pytest.raises(InvalidInput) as caught:
            service.apply_tcf("bob", bad)
        assert [e.field for e in caught.value.errors] == ["tc_string"]
    assert _ledger(service, "bob") == before

    # JAVA_BITFIELD gives consent to purposes 3-9 and to vendors 23, 37, 47, 48, 53, 65, 98.
    granted = service.apply_tcf("bob", JAVA_BITFIELD)
    assert granted["tcf"]["purposes"] == {
        EXPLICIT: True,
        BEHAVIORAL: True,
        ANALYTICS: True,
        ADS: False,
    }
    # With a vendor id, only a string that gives that vendor consent grants anything.
    for subject_id, vendor_id, expected in (("carol", 23, "granted"), ("erin", 24, "denied")):
        own = settings.model_copy(update={"tcf_vendor_id": vendor_id})
        vendor = Tactful(own, service.store)
        view = vendor.apply_tcf(subject_id, JAVA_BITFIELD)
        for code in (EXPLICIT, BEHAVIORAL, ANALYTICS):
            assert _status(view, code) == expected, (vendor_id, code)
        assert _status(view, ADS) == "denied"


def test_receipts_and_decisions_of_another_subject_are_not_found(service: Tactful) -> None:
    bob = service.record_consents("bob", _choices((EXPLICIT, "denied")))["receipt"]["receipt_id"]
    with pytest.raises(NotFound):
        service.receipt("alice", bob)
    assert service.receipt("bob", bob)["receipt_id"] == bob
    with pytest.raises(InvalidInput):
        service.receipt("alice", "not-a-uuid")
    for limit in (0, 101):
        with pytest.raises(InvalidInput):
            service.decisions_of("alice", limit)
    with pytest.raises(InvalidInput):
        service.decisions_of("alice", 10, "2026-11-02T10:00:00")
    with pytest.raises(InvalidInput):
        service.why("alice", "not-a-uuid")
    with pytest.raises(NotFound):
        service.why("alice", "6f1c1d1e-0000-4000-8000-000000000000")


def test_token_lifetimes_and_binding(settings: Settings, service: Tactful, clock: Clock) -> None:
    most = settings.subject_token_max_seconds
    for ttl in (59, 0, -1, most + 1):
        with pytest.raises(InvalidInput) as caught:
            service.issue_token("alice", ttl)
        assert [e.field for e in caught.value.errors] == ["ttl_seconds"]
    with pytest.raises(NotFound):
        service.issue_token("nobody")
    short = service.issue_token("alice", 60)
    longest = service.issue_token("bob", most)
    assert service.subject_of_token(short["token"]) == "alice"
    assert service.subject_of_token(longest["token"]) == "bob"
    assert short["expires_at"] == (T0 + timedelta(seconds=60)).isoformat()
    clock.advance(59)
    assert service.subject_of_token(short["token"]) == "alice"
    clock.advance(1)
    with pytest.raises(Unauthorized, match="expired"):
        service.subject_of_token(short["token"])
    assert service.subject_of_token(longest["token"]) == "bob"
    clock.advance(most)
    with pytest.raises(Unauthorized):
        service.subject_of_token(longest["token"])


def test_an_import_naming_an_unpublished_notice_version_is_refused_whole(
    settings: Settings,
) -> None:
    service = Tactful(settings)
    try:
        service.ingest_subjects([{"subject_id": "alice"}])
        now = datetime.now(UTC)
        good = ConsentRecord(
            "alice", "personalization.explicit", ConsentStatus.GRANTED,
            service.notice_version, ConsentMethod.IMPORT, now,
        )  # fmt: skip
        bad = ConsentRecord(
            "alice", "analytics.aggregate", ConsentStatus.GRANTED,
            "1999-01-01", ConsentMethod.IMPORT, now,
        )  # fmt: skip
        with pytest.raises(InvalidInput) as refused:
            service.import_consents([good, bad])
        assert refused.value.errors[0].row == 1
        assert service.consents("alice")["history"] == []
        assert service.import_consents([good]) == 1
    finally:
        service.close()

"""Account rows and events: firmographics in closed vocabularies, and no person's field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from babel import Locale

from tactful.candidates.base import Interactions
from tactful.candidates.segments import SegmentBasis, SegmentPopularity, SegmentPopularityConfig
from tactful.domain.accounts import COUNTRIES, AccountEventType, SizeBand
from tactful.errors import BatchRejected
from tactful.ingestion.accounts import (
    AccountEventIn,
    AccountIn,
    is_person_field,
    parse_account_rows,
)

GOOD = {"account_id": "acme-1", "industry": "retail", "size_band": "10-49", "country": "fr"}
EVENT = {
    "account_id": "acme-1",
    "item_id": "running-1",
    "event_type": "quote_request",
    "timestamp": "2026-10-01T09:00:00Z",
    "quantity": 40,
}


def _accounts(rows: list[Any]) -> list[AccountIn]:
    return parse_account_rows(rows, AccountIn, kind="accounts", max_rows=100, id_field="account_id")


def _events(rows: list[Any]) -> list[AccountEventIn]:
    return parse_account_rows(
        rows, AccountEventIn, kind="account events", max_rows=100, id_field=None
    )


def test_a_good_account_row_becomes_firmographics_only() -> None:
    (row,) = _accounts([GOOD])
    account = row.to_domain()
    assert (account.industry, account.size_band, account.country) == (
        "retail",
        SizeBand.SMALL,
        "FR",
    )
    # Every firmographic may be unknown.
    (bare,) = _accounts([{"account_id": "x"}])
    assert bare.to_domain().industry is None


def test_the_country_list_is_iso_3166_alpha_2() -> None:
    # Babel's territories, less its regions and user-assigned codes.
    not_iso = {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB"}
    babel = {k for k in Locale("en").territories if len(k) == 2 and k.isalpha()}
    assert babel - not_iso - {"XK", "ZZ"} == COUNTRIES
    assert len(COUNTRIES) == 249


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("size_band", "11-50"),
        ("size_band", "large"),
        ("country", "XX"),
        ("country", "EU"),
        ("country", "FRA"),
        ("industry", "Retail"),
        ("industry", "r" * 33),
        ("industry", "retail trade"),
        ("account_id", "no spaces"),
    ],
)
def test_values_outside_the_vocabularies_are_refused(field: str, value: str) -> None:
    with pytest.raises(BatchRejected) as caught:
        _accounts([GOOD, GOOD | {"account_id": "acme-2", field: value}])
    assert [(e.row, e.field) for e in caught.value.errors] == [(1, field)]


@pytest.mark.parametrize(
    "field",
    [
        "subject_id",
        "email",
        "userId",
        "user_id",
        "name",
        "first_name",
        "contact_name",
        "contact",
        "phone",
        "buyer_email",
        "employee_id",
        "PersonId",
        "ip_address",
    ],
)
def test_a_persons_field_is_refused_and_named(field: str) -> None:
    with pytest.raises(BatchRejected) as caught:
        _accounts([GOOD, GOOD | {"account_id": "acme-2", field: "jane"}])
    assert "person's data" in caught.value.detail
    assert field in caught.value.detail
    # Named once, as a person's field (not also as an unexpected one).
    assert [(e.row, e.field) for e in caught.value.errors] == [(1, field)]
    assert "no person's data" in caught.value.errors[0].message
    with pytest.raises(BatchRejected) as in_events:
        _events([EVENT | {field: "jane"}])
    assert [(e.row, e.field) for e in in_events.value.errors] == [(0, field)]


def test_firmographic_and_other_fields_are_not_taken_for_a_persons() -> None:
    for field in ("account_id", "industry", "size_band", "country", "item_id", "quantity"):
        assert not is_person_field(field), field
    for field in ("company", "turnover", "usage", "domain"):
        assert not is_person_field(field), field
    # Not a person's, but not accepted either: refused as an unexpected field.
    with pytest.raises(BatchRejected) as caught:
        _accounts([GOOD | {"company": "Acme"}])
    assert caught.value.errors[0].field == "company"
    assert "person" not in caught.value.detail


def test_a_persons_field_and_other_problems_are_all_reported() -> None:
    rows = [GOOD | {"email": "a@b.c"}, GOOD | {"account_id": "b", "size_band": "huge"}]
    with pytest.raises(BatchRejected) as caught:
        _accounts(rows)
    assert sorted((e.row, e.field) for e in caught.value.errors) == [(0, "email"), (1, "size_band")]


def test_account_events() -> None:
    (row,) = _events([EVENT])
    event = row.to_domain()
    assert event.event_type is AccountEventType.QUOTE_REQUEST
    assert event.quantity == 40
    cases = [
        ({"quantity": 3, "event_type": "view"}, "quantity"),
        ({"quantity": 0}, "quantity"),
        ({"event_type": "rating"}, "event_type"),
        ({"event_type": "search"}, "event_type"),
        ({"timestamp": "2026-10-01T09:00:00"}, "timestamp"),
        ({"timestamp": "1980-01-01T00:00:00Z"}, "timestamp"),
        ({"timestamp": "2999-01-01T00:00:00Z"}, "timestamp"),
    ]
    for change, field in cases:
        with pytest.raises(BatchRejected) as caught:
            _events([EVENT, EVENT | change])
        assert [(e.row, e.field) for e in caught.value.errors] == [(1, field)], change
    (no_item,) = [EVENT.copy()]
    del no_item["item_id"]
    with pytest.raises(BatchRejected):
        _events([no_item])


def _matrix() -> Interactions:
    """Nine organisations: three retail 10-49 take a, three retail 1000+ take b, three
    hotels take c; the retail ones all take d too."""
    triples = [(f"r{n}", "a", 5.0) for n in range(3)]
    triples += [(f"big{n}", "b", 5.0) for n in range(3)]
    triples += [(f"h{n}", "c", 1.0) for n in range(3)]
    triples += [(a, "d", 1.0) for a in ["r0", "r1", "r2", "big0", "big1", "big2"]]
    return Interactions.from_triples(triples, ["a", "b", "c", "d", "e"])


FIRMS = {
    **{f"r{n}": ("retail", "10-49") for n in range(3)},
    **{f"big{n}": ("retail", "1000+") for n in range(3)},
    **{f"h{n}": ("hospitality", "10-49") for n in range(2)},
    "h2": ("hospitality", None),
}


def test_segment_popularity_falls_back_from_segment_to_industry_to_all() -> None:
    model = SegmentPopularity(SegmentPopularityConfig(min_accounts=3)).fit_segments(
        _matrix(), FIRMS
    )
    tiers = model.tiers("retail", "10-49")
    assert [b for b, _ in tiers] == [SegmentBasis.SEGMENT, SegmentBasis.INDUSTRY, SegmentBasis.ALL]
    assert tiers[0][1].tolist() == [3, 0, 0, 3, 0]
    assert tiers[1][1].tolist() == [3, 3, 0, 6, 0]
    assert tiers[2][1].tolist() == [3, 3, 3, 6, 0]
    # A size band with too few organisations: the industry.
    assert next(b for b, _ in model.tiers("retail", "50-249")) is SegmentBasis.INDUSTRY
    # Two hotels of 10-49 are too few for their segment, three hotels enough for the industry.
    assert next(b for b, _ in model.tiers("hospitality", "10-49")) is SegmentBasis.INDUSTRY
    assert [b for b, _ in model.tiers("mining", "10-49")] == [SegmentBasis.ALL]
    assert [b for b, _ in model.tiers(None, None)] == [SegmentBasis.ALL]
    # Small groups' counts are not even kept: 4 groups large enough.
    assert model.segments == 4
    with pytest.raises(ValueError, match="read-only"):
        tiers[0][1][0] = 99


def test_segment_popularity_round_trips_through_its_files(tmp_path: Path) -> None:
    model = SegmentPopularity(SegmentPopularityConfig(min_accounts=2)).fit_segments(
        _matrix(), FIRMS
    )
    model.save(tmp_path / "m")
    loaded = SegmentPopularity.load(tmp_path / "m")
    assert loaded.config == model.config
    for firm in [("retail", "10-49"), ("hospitality", "10-49"), ("x", None)]:
        got = loaded.tiers(*firm)
        want = model.tiers(*firm)
        assert [b for b, _ in got] == [b for b, _ in want]
        for (_, g), (_, w) in zip(got, want, strict=True):
            np.testing.assert_array_equal(g, w)
    # Without firmographics: overall popularity only.
    plain = SegmentPopularity().fit(_matrix())
    assert [b for b, _ in plain.tiers("retail", "10-49")] == [SegmentBasis.ALL]

"""decide_for_account, pure: history first, then organisations like it; guardrails; codes."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from tactful.domain.accounts import Account, AccountEvent, AccountEventType, SizeBand
from tactful.pipeline.accounts import AccountRequest, decide_for_account
from tactful.pipeline.surfaces import surface_rankers
from tests.accounts.pure import (
    CATALOG,
    MODEL,
    SEGMENTS,
    T0,
    context,
    empty_segments,
    training_accounts,
)

RETAIL = Account("newco", "retail", SizeBand.MICRO, "DE")


def request(k: int = 10, pinned: tuple[str, ...] = (), account_id: str = "newco") -> AccountRequest:
    return AccountRequest(account_id, k, "b2b-home", T0 + timedelta(days=30), pinned)


def ordered(
    account_id: str, *items: str, kind: AccountEventType = AccountEventType.PURCHASE
) -> list[AccountEvent]:
    return [
        AccountEvent(account_id, item, kind, T0 + timedelta(days=1, minutes=n), quantity=5)
        for n, item in enumerate(items)
    ]


def codes(record_items: object) -> list[str]:
    return [i.explanation.reason_code for i in record_items]  # type: ignore[attr-defined]


def test_without_history_an_organisation_gets_its_segments_picks() -> None:
    record = decide_for_account(request(), context(RETAIL, []))
    assert record.basis == "segment"
    assert not record.personalized
    assert record.model_name == "account-segments"
    assert record.signals_used == {}
    assert codes(record.items)[0] == "account_segment"
    first = record.items[0].explanation
    assert first.reason == "Popular with organisations like yours (industry retail, 1-9 people)."
    assert dict(first.reason_args) == {"industry": "retail", "size_band": "1-9"}
    assert first.purposes == ()
    assert first.personal is False
    # Ranked by how many organisations of the segment took each item, the count recorded.
    scores = [i.score for i in record.items if i.explanation.reason_code == "account_segment"]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] > 0


def test_the_fallback_goes_to_the_industry_then_to_everyone() -> None:
    by_industry = decide_for_account(
        request(), context(replace(RETAIL, size_band=SizeBand.VERY_LARGE), [])
    )
    assert by_industry.basis == "industry"
    assert by_industry.items[0].explanation.reason == (
        "Popular with organisations in your industry (retail)."
    )
    for account in (Account("x", "fishing", SizeBand.MICRO), Account("y")):
        record = decide_for_account(request(), context(account, []))
        assert record.basis == "all"
        assert record.segment["population"] == "all"
        assert set(codes(record.items)) == {"account_popular"}
        assert record.items[0].explanation.reason == "Popular with organisations overall."


def test_items_nobody_took_are_said_to_come_from_the_catalog() -> None:
    record = decide_for_account(request(k=20), context(RETAIL, [], segments=empty_segments()))
    assert set(codes(record.items)) == {"account_catalog"}
    assert all(i.score == 0 for i in record.items)
    # Every item its segment took is explained by the segment, never by a wider population.
    full = decide_for_account(request(k=40), context(RETAIL, []))
    tiers = SEGMENTS.recommender.tiers("retail", "1-9")  # type: ignore[attr-defined]
    segment_counts = dict(zip(SEGMENTS.item_ids, tiers[0][1].tolist(), strict=True))
    for item in full.items:
        said_segment = item.explanation.reason_code == "account_segment"
        assert said_segment == (segment_counts[item.item_id] > 0), item.item_id


def test_history_comes_first_and_names_the_item_behind_it() -> None:
    account = training_accounts()["a0"]
    history = ordered("a0", "i3", "i9") + ordered("a0", "i12", kind=AccountEventType.VIEW)
    record = decide_for_account(request(k=12), context(account, history))
    assert record.basis == "history"
    assert record.personalized
    assert record.model_name == "account-itemknn"
    assert record.signals_used == {"purchase": 2, "view": 1}
    head = [i for i in record.items if i.explanation.reason_code.startswith("account_history")]
    assert head, codes(record.items)
    for item in head:
        because = item.explanation.because_item_id
        assert because in {"i3", "i9", "i12"}
        verb = "viewed" if because == "i12" else "ordered"
        assert item.explanation.reason == (
            f"Because your organisation {verb} \u201c{CATALOG[because].title}\u201d."
        )
        assert item.explanation.signals == (("view",) if because == "i12" else ("purchase",))
    # What the history speaks for comes before what organisations like it took.
    kinds = ["history" if c.startswith("account_history") else c for c in codes(record.items)]
    assert kinds == sorted(kinds, key=lambda c: c != "history")
    # Ordered items are held back; viewed ones may come back.
    shown = {i.item_id for i in record.items}
    assert not shown & {"i3", "i9"}
    assert record.held_back["already_ordered"] == 2


def test_sensitive_items_never_appear_not_even_pinned_nor_from_history() -> None:
    account = training_accounts()["a1"]
    history = ordered("a1", "wine0", "wine1", "bet0", "i4")
    record = decide_for_account(
        request(k=60, pinned=("pill0", "bet1", "i7", "gone")), context(account, history)
    )
    assert all(not CATALOG[i.item_id].sensitive for i in record.items)
    assert record.items[0].item_id == "i7"
    assert record.items[0].pinned
    assert record.items[0].explanation.reason_code == "account_pinned"
    assert record.held_back["sensitive_category"] > 0
    assert any("3 of the items the shop placed" in n for n in record.notes)
    # Events on sensitive items are not read as history either.
    assert record.signals_used == {"purchase": 1}
    assert all(i.explanation.because_item_id in (None, "i4") for i in record.items), codes(
        record.items
    )


def test_another_accounts_events_are_ignored() -> None:
    mine = ordered("newco", "i5")
    theirs = ordered("other", "i6", "i8", "i10")
    record = decide_for_account(request(k=20), context(RETAIL, mine + theirs))
    assert record.signals_used == {"purchase": 1}
    assert {i.explanation.because_item_id for i in record.items} <= {None, "i5"}
    # Items only the other account ordered are not held back as "already ordered".
    assert record.held_back["already_ordered"] == 1


def test_without_an_account_model_the_segment_is_followed_and_said_so() -> None:
    record = decide_for_account(request(), context(RETAIL, ordered("newco", "i5"), model=None))
    assert record.basis == "segment"
    assert any("No account model is trained yet" in n for n in record.notes)
    assert "i5" not in {i.item_id for i in record.items}


def test_a_surface_re_ranker_applies_to_account_lists() -> None:
    account = training_accounts()["a0"]
    history = ordered("a0", "i3", "i9", "i1")
    ranker = surface_rankers({"b2b-home": {"kind": "mmr", "lambda_": 0.3}})["b2b-home"]
    plain = decide_for_account(request(k=8), context(account, history))
    ctx = replace(context(account, history), ranker=ranker)
    ranked = decide_for_account(request(k=8), ctx)
    assert any("Re-ranked for this surface" in n for n in ranked.notes)
    assert len(ranked.items) == 8
    assert all(not CATALOG[i.item_id].sensitive for i in ranked.items)
    assert {i.item_id for i in ranked.items} & {"i3", "i9", "i1"} == set()
    # Variety: at least as many categories as the plain list.
    assert len({i.category for i in ranked.items}) >= len({i.category for i in plain.items})


@pytest.mark.parametrize("k", [1, 3, 60])
def test_the_list_is_k_long_when_the_catalog_allows(k: int) -> None:
    record = decide_for_account(request(k=k), context(RETAIL, ordered("newco", "i2")))
    allowed = sum(1 for i in CATALOG.values() if not i.sensitive) - 1
    assert len(record.items) == min(k, allowed)
    assert [i.rank for i in record.items] == list(range(1, len(record.items) + 1))
    assert len({i.item_id for i in record.items}) == len(record.items)


def test_the_record_states_its_level_and_legal_basis() -> None:
    body = decide_for_account(request(), context(RETAIL, [])).as_dict()
    assert body["level"] == "account"
    assert body["purposes"] == []
    assert "contract" in body["legal_basis"]
    assert "no consent purpose" in body["legal_basis"]
    assert body["account_id"] == "newco"
    assert "subject_id" not in body
    assert body["disclosure"]["automated"] is True
    assert body["main_parameters"] == "/v1/transparency/recommender"
    assert all(i["explanation"]["purposes"] == [] for i in body["items"])
    assert MODEL.name == "account-itemknn"

"""The account level's invariant, for any organisation, any events and any pins (Hypothesis):

no person's data is read (the decision's context has no place for a subject, a consent or
a person's event, and the pipeline imports nothing that reads one); only the account's own
events are used; no sensitive item is ever shown; nothing relies on a consent purpose.
"""

from __future__ import annotations

import ast
import inspect
import typing
from collections import Counter
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tactful.pipeline.accounts as pipeline
from tactful.domain.accounts import Account, AccountEvent, AccountEventType, SizeBand
from tactful.pipeline.accounts import AccountContext, AccountRequest, decide_for_account
from tests.accounts.pure import CATALOG, ITEM_IDS, MODEL, SEGMENTS, T0, context, empty_segments

ME = "me"
CODES = {
    "account_segment",
    "account_industry",
    "account_popular",
    "account_catalog",
    "account_overall",
    "account_exploration",
    "account_pinned",
    *(f"account_history.{t.value}" for t in AccountEventType),
}
# What reads a person's data: their consents, their events, their profile, the store.
PERSON_MODULES = (
    "tactful.consent",
    "tactful.domain.subjects",
    "tactful.domain.events",
    "tactful.signals",
    "tactful.storage",
    "tactful.service",
    "tactful.pipeline.decide",
)

accounts = st.builds(
    Account,
    st.just(ME),
    st.sampled_from(["retail", "hospitality", "mining", "fishing", None]),
    st.sampled_from([*SizeBand, None]),
    st.sampled_from(["FR", "US", None]),
)
events = st.lists(
    st.tuples(
        st.sampled_from([ME, ME, "other-1", "other-2"]),
        st.sampled_from(list(AccountEventType)),
        st.sampled_from([*ITEM_IDS, "gone-1"]),
    ),
    max_size=30,
)
pins = st.lists(st.sampled_from([*ITEM_IDS, "gone-2"]), max_size=5)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    account=accounts,
    history=events,
    pinned=pins,
    k=st.integers(1, 60),
    trained=st.sampled_from(["both", "segments only", "no activity"]),
)
def test_no_persons_data_no_sensitive_item_only_its_own_events(
    account: Account,
    history: list[tuple[str, AccountEventType, str]],
    pinned: list[str],
    k: int,
    trained: str,
) -> None:
    stored = [
        AccountEvent(owner, item, kind, T0 + timedelta(minutes=n))
        for n, (owner, kind, item) in enumerate(history)
    ]
    calls: list[int] = []
    ctx = context(
        account,
        stored,  # every account's events handed back: the pipeline must keep its own
        model=MODEL if trained == "both" else None,
        segments=empty_segments() if trained == "no activity" else SEGMENTS,
        calls=calls,
    )
    record = decide_for_account(
        AccountRequest(ME, k, "b2b-home", T0 + timedelta(days=60), tuple(pinned)), ctx
    )

    assert calls == [1]
    own = [
        e
        for e in stored
        if e.account_id == ME and e.item_id in CATALOG and not CATALOG[e.item_id].sensitive
    ]
    own_items = {e.item_id for e in own}
    ordered = {e.item_id for e in own if e.event_type is AccountEventType.PURCHASE}
    for shown in record.items:
        item = CATALOG[shown.item_id]
        assert not item.sensitive, shown.item_id
        explanation = shown.explanation
        assert explanation.purposes == ()
        assert explanation.personal is False
        assert explanation.reason_code in CODES
        if explanation.because_item_id is not None:
            assert explanation.because_item_id in own_items
        if not shown.pinned:
            assert shown.item_id not in ordered
    if record.personalized:
        assert record.signals_used == dict(Counter(e.event_type.value for e in own))
    else:
        assert record.signals_used == {}
    body = record.as_dict()
    assert body["purposes"] == []
    assert body["level"] == "account"
    assert "subject_id" not in body
    ids = [i.item_id for i in record.items]
    assert len(ids) == len(set(ids)) <= k


def test_the_context_has_no_place_for_a_persons_data() -> None:
    hints = typing.get_type_hints(AccountContext)
    for name, hint in hints.items():
        text = repr(hint)
        for module in PERSON_MODULES:
            assert module not in text, (name, text)
        assert "Subject" not in text
        assert "Consent" not in text
    assert not {"subject", "consents", "load_signals", "purposes"} & set(hints)


def test_the_pipeline_imports_nothing_that_reads_a_persons_data() -> None:
    tree = ast.parse(inspect.getsource(pipeline))
    imported = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module is not None
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert imported
    for module in imported:
        assert not module.startswith(PERSON_MODULES), module

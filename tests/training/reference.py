"""The training-data builder as it was before it was vectorised: one Python call per event.

Kept as the reference the vectorised builder must agree with, matrix for matrix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tactful.candidates.base import Interactions
from tactful.consent.ledger import ConsentRecord, ConsentState, derive_state
from tactful.consent.levels import PersonalizationLevel, derive_level
from tactful.domain.catalog import Item
from tactful.domain.events import Event
from tactful.domain.purposes import PurposeCatalog
from tactful.domain.subjects import SubjectAttributes
from tactful.ingestion.minimisation import covering_purposes
from tactful.signals.selection import SignalPolicy, signal_policy
from tactful.signals.weights import signal_weight


def reference_training_data(
    events: Iterable[Event],
    consents: Mapping[str, list[ConsentRecord]],
    attributes: Mapping[str, SubjectAttributes],
    catalog: Mapping[str, Item],
    purposes: PurposeCatalog,
) -> tuple[Interactions, Interactions, int]:
    """(personal, aggregate, events read), exactly as the per-event builder made them."""
    states: dict[str, ConsentState] = {}
    policies: dict[str, SignalPolicy] = {}

    def policy_of(subject_id: str) -> tuple[ConsentState, SignalPolicy]:
        if subject_id not in policies:
            state = derive_state(subject_id, consents.get(subject_id, []))
            level = derive_level(state, attributes.get(subject_id, SubjectAttributes())).level
            states[subject_id] = state
            policies[subject_id] = signal_policy(level, state, purposes)
        return states[subject_id], policies[subject_id]

    personal: list[tuple[str, str, float]] = []
    aggregate: list[tuple[str, str, float]] = []
    read = 0
    for event in events:
        read += 1
        if event.item_id is None:
            continue
        item = catalog.get(event.item_id)
        if item is None:
            continue
        state, policy = policy_of(event.subject_id)
        weight = signal_weight(event)
        if policy.level is not PersonalizationLevel.OFF and policy.allows(event, item):
            personal.append((event.subject_id, event.item_id, weight))
        covering, reason = covering_purposes(event, state, item, purposes)
        if reason is None and covering:
            aggregate.append((event.subject_id, event.item_id, weight))
    item_ids = sorted(catalog)
    return (
        Interactions.from_triples(personal, item_ids),
        Interactions.from_triples(aggregate, item_ids),
        read,
    )

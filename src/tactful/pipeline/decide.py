"""decide(): consent -> signals -> candidates -> guardrails -> top k -> explanations -> record.

Pure: it reads only what its context hands it and returns the record; the caller stores it.
Personal data is read through `load_signals`, asked only for the event types the consent
and level allow, so nothing else is even fetched.

At the aggregate level no signal is read at all: the list comes from the released trends
of the person's cohort (`tactful.privacy`), or the population's when the cohort was too
small or is unknown, and every guardrail, pin, re-ranker and exclusion applies to it as to
the popular list. The record is not personalized (no history was used), relies on
`personalization.aggregate`, and its notes name the cohort model and the cohort.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from tactful.candidates.base import FloatArray, History, IndexArray, top_k
from tactful.consent.ledger import ConsentRecord, derive_state
from tactful.consent.levels import PersonalizationLevel, derive_level
from tactful.domain.catalog import Item
from tactful.domain.events import Event, EventType
from tactful.domain.purposes import PERSONALIZATION_AGGREGATE, PurposeCatalog
from tactful.domain.subjects import Subject
from tactful.explanations.reasons import (
    Explanation,
    explain_cohort,
    explain_exploration,
    explain_personal,
    explain_pinned,
    explain_popular,
)
from tactful.guardrails.filters import CatalogMasks, apply_filters, held_back_reason
from tactful.pipeline.models import ModelHandle
from tactful.pipeline.surfaces import (
    WHAT_IT_DOES,
    ColumnFacts,
    SurfaceRanker,
    category_codes,
    category_columns,
    column_facts,
)
from tactful.privacy.model import Basis, CohortTrends
from tactful.records.decision import DecisionRecord, RecommendedItem, new_decision_id
from tactful.signals.selection import select_signals, sensitive_purposes, signal_policy
from tactful.signals.weights import strongest_by_item


@dataclass(frozen=True, slots=True)
class DecisionRequest:
    subject_id: str
    k: int
    surface: str
    now: datetime
    # Items the operator places first (promotions), in order; the guardrails still apply.
    pinned: tuple[str, ...] = ()


@dataclass(frozen=True)
class DecisionContext:
    subject: Subject
    consents: Sequence[ConsentRecord]
    load_signals: Callable[[frozenset[EventType]], Sequence[Event]]
    catalog: Mapping[str, Item]
    purposes: PurposeCatalog
    popular: ModelHandle
    personal: ModelHandle | None
    # Precomputed guardrail masks per model version; built on the fly when absent.
    masks: Mapping[str, CatalogMasks] = field(default_factory=dict)
    # Items the subject reported in a complaint: never shown to them again.
    suppressed: frozenset[str] = frozenset()
    # The surface's re-ranker (None: the plain top k), and per model version the category
    # of each column, built once per catalog (built on the fly when absent).
    ranker: SurfaceRanker | None = None
    categories: Mapping[str, IndexArray] = field(default_factory=dict)
    # The person's own controls: items they are not interested in (never shown again),
    # categories they want less of (shown only when nothing else is left).
    not_interested: frozenset[str] = frozenset()
    less_like_this: frozenset[str] = frozenset()
    # The person's protections: categories they excluded themselves from, and whether they
    # flagged they are vulnerable (then the policy's harm-prone categories are never shown).
    self_excluded: frozenset[str] = frozenset()
    vulnerable: bool = False
    harm_prone: frozenset[str] = frozenset()
    # Per model version, each column's provider and popularity, for the re-rankers that
    # need them (fair exposure, popularity de-biasing, group calibration); built on the fly
    # when absent.
    columns: Mapping[str, ColumnFacts] = field(default_factory=dict)
    # The released cohort trends (`tactful.privacy.model.CohortTrends`), served at the
    # aggregate level; None until they are first computed (the popular list stands in).
    cohorts: ModelHandle | None = None


@dataclass(frozen=True, slots=True)
class _Cohort:
    """What the aggregate level ranked by: whose trends, and what they cost in privacy."""

    model: ModelHandle
    scores: FloatArray
    basis: Basis
    label: str | None
    min_cohort: int
    epsilon: float


def decide(request: DecisionRequest, ctx: DecisionContext) -> DecisionRecord:
    # 1. consent and level
    state = derive_state(ctx.subject.subject_id, ctx.consents, ctx.purposes)
    level_decision = derive_level(state, ctx.subject.attributes)
    level = level_decision.level

    # 2. signals the level and the granted purposes allow
    policy = signal_policy(level, state, ctx.purposes)
    # A minor's recorded opt-ins carry no weight (their level is already off).
    opted_in = frozenset() if ctx.subject.attributes.is_minor else policy.opted_in_sensitive
    signals: list[Event] = []
    if policy.event_types:
        signals = select_signals(ctx.load_signals(policy.event_types), policy, ctx.catalog)

    # 3. candidates
    notes: list[str] = []
    model = ctx.popular
    history = History.empty()
    strongest: dict[str, tuple[float, Event]] = {}
    if signals and ctx.personal is not None:
        strongest = {
            item: v for item, v in strongest_by_item(signals).items() if item in ctx.personal.index
        }
        if strongest:
            model = ctx.personal
            cols = np.fromiter((model.index[i] for i in strongest), dtype=np.int64)
            weights = np.fromiter((w for w, _ in strongest.values()), dtype=np.float32)
            history = History(cols, weights)
    elif signals and ctx.personal is None:
        notes.append("No personal model is trained yet; popular items are shown.")
    cohort: _Cohort | None = None
    if level is PersonalizationLevel.AGGREGATE:
        cohort = _aggregate(ctx, notes)
    if cohort is not None:
        model, fixed, scores = cohort.model, None, cohort.scores
    else:
        fixed = model.fixed_ranking
        scores = fixed.scores if fixed is not None else model.recommender.score(history)

    # 4. guardrails
    masks = ctx.masks.get(model.version) or CatalogMasks.build(model.item_ids, ctx.catalog)
    harm_prone = ctx.harm_prone if ctx.vulnerable else frozenset()
    filtered = apply_filters(
        masks,
        model.index,
        opted_in,
        signals,
        ctx.suppressed,
        ctx.not_interested,
        ctx.self_excluded,
        harm_prone,
    )
    exclude = filtered.exclude
    pinned: list[Item] = []
    if request.pinned:
        pinned = _pinned(request, ctx, opted_in, harm_prone, notes)
        pinned_cols = [c for i in pinned if (c := model.index.get(i.item_id)) is not None]
        if pinned_cols:
            exclude = exclude.copy()
            exclude[pinned_cols] = True
    k = request.k - len(pinned)
    demoted = None
    if ctx.less_like_this:
        columns = _category_columns(ctx, model)
        codes = category_codes(columns, model.item_ids, ctx.catalog, ctx.less_like_this)
        demoted = np.isin(columns, codes) & ~exclude
        if demoted.any():
            notes.append(
                "You asked to see less of: "
                + ", ".join(sorted(ctx.less_like_this))
                + "; such items come only after everything else."
            )
            exclude = exclude | demoted

    # 5. top k, or the surface's re-ranker (the guardrails' exclusions bind it too)
    explored: frozenset[int] = frozenset()
    if k == 0:
        chosen = np.zeros(0, dtype=np.int64)
    elif ctx.ranker is not None:
        columns = _category_columns(ctx, model)
        facts = None
        if ctx.ranker.needs_columns:
            facts = ctx.columns.get(model.version) or column_facts(
                model, ctx.popular, ctx.catalog, columns
            )
        chosen, explored = ctx.ranker.rank(
            scores,
            columns,
            k,
            exclude,
            history.items,
            ctx.subject.subject_id,
            request.now,
            facts,
        )
        notes.append(f"Re-ranked for this surface: it {WHAT_IT_DOES[ctx.ranker.kind]}.")
    elif fixed is not None:
        chosen = fixed.top_k(k, exclude)
    else:
        chosen = top_k(scores, k, exclude)
    if demoted is not None and len(chosen) < k and demoted.any():
        # Only when nothing else is left do the demoted categories fill the list.
        fill = top_k(scores, k - len(chosen), ~demoted)
        chosen = np.concatenate([chosen, fill]).astype(np.int64)

    # 6. explanations (an explanation is immutable: items with the same one share it)
    personalized = model is not ctx.popular and cohort is None
    used_types = frozenset(e.event_type for e in signals) if personalized else frozenset()
    base_purposes = policy.purposes_for(used_types) if personalized else frozenset()
    if cohort is not None:
        base_purposes = frozenset({PERSONALIZATION_AGGREGATE})
    items: list[RecommendedItem] = []
    all_purposes: set[str] = set(base_purposes)
    item_ids, catalog = model.item_ids, ctx.catalog
    chosen_cols: list[int] = chosen.tolist()
    chosen_scores: list[float] = scores[chosen].tolist()
    because_cols = model.recommender.because_many(history, chosen) if personalized else []
    shared: dict[tuple[bool, frozenset[str]], Explanation] = {}
    for rank, item in enumerate(pinned, start=1):
        purposes = sensitive_purposes(item)
        all_purposes |= purposes
        col = model.index.get(item.item_id)
        items.append(
            RecommendedItem(
                item.item_id,
                item.title,
                item.category,
                rank,
                float(scores[col]) if col is not None else 0.0,
                explain_pinned(purposes, model.version),
                pinned=True,
            )
        )
    for rank, col in enumerate(chosen_cols, start=len(pinned) + 1):
        item = catalog[item_ids[col]]
        explanation: Explanation | None
        if col in explored:
            purposes = base_purposes | sensitive_purposes(item) if item.sensitive else base_purposes
            explanation = explain_exploration(purposes, model.version, personalized)
        elif cohort is not None:
            purposes = base_purposes | sensitive_purposes(item) if item.sensitive else base_purposes
            explanation = shared.get((False, purposes))
            if explanation is None:
                explanation = explain_cohort(
                    cohort.basis,
                    cohort.label,
                    cohort.min_cohort,
                    cohort.epsilon,
                    purposes,
                    model.version,
                )
                shared[False, purposes] = explanation
        elif personalized:
            purposes = base_purposes | sensitive_purposes(item) if item.sensitive else base_purposes
            because_col = because_cols[rank - 1 - len(pinned)]
            if because_col is not None:
                because_id = item_ids[because_col]
                because = (catalog[because_id], strongest[because_id][1])
                explanation = explain_personal(because, used_types, purposes, model.version)
            else:
                explanation = shared.get((True, purposes))
                if explanation is None:
                    explanation = explain_personal(None, used_types, purposes, model.version)
                    shared[True, purposes] = explanation
        else:
            purposes = sensitive_purposes(item) if item.sensitive else frozenset()
            explanation = shared.get((item.editorial, purposes))
            if explanation is None:
                explanation = explain_popular(
                    level, item, model.version, had_no_signals=not signals
                )
                if purposes:
                    explanation = explanation.with_purposes(tuple(sorted(purposes)))
                shared[item.editorial, purposes] = explanation
        all_purposes |= purposes
        items.append(
            RecommendedItem(
                item.item_id,
                item.title,
                item.category,
                rank,
                chosen_scores[rank - 1 - len(pinned)],
                explanation,
            )
        )

    # 7. the record
    return DecisionRecord(
        decision_id=new_decision_id(),
        subject_id=ctx.subject.subject_id,
        surface=request.surface,
        level=level,
        level_reason=level_decision.reason,
        personalized=personalized,
        model_name=model.name,
        model_version=model.version,
        purposes=frozenset(all_purposes),
        # Counted by member, keyed by value: the same counts in the same (first seen) order.
        signals_used={t.value: n for t, n in Counter(e.event_type for e in signals).items()}
        if personalized
        else {},
        items=items,
        held_back=filtered.held_back,
        created_at=request.now,
        notes=tuple(notes),
    )


def _aggregate(ctx: DecisionContext, notes: list[str]) -> _Cohort | None:
    """The cohort the aggregate level ranks by, with its note; None (and a note) while no
    cohort trends are computed."""
    handle = ctx.cohorts
    trends = handle.recommender if handle is not None else None
    if handle is None or not isinstance(trends, CohortTrends):
        notes.append(
            "Aggregate level: the trends of people like you are not computed yet; popular "
            "items are shown."
        )
        return None
    config = trends.config
    key = config.spec.key_of(ctx.subject.attributes)
    scores, basis = trends.scores_for(key)
    label = config.spec.describe(key) if key is not None else None
    where = f"version {handle.version}, \u03b5 = {config.epsilon:g} per release"
    if basis == "cohort":
        notes.append(
            f"Aggregate level: ranked by the released trends of the cohort {label} ({where})."
        )
    elif basis == "too_small":
        notes.append(
            f"Aggregate level: the cohort {label} was too small to be released (fewer than "
            f"{config.min_cohort} people, noisy count); ranked by everyone's trends ({where})."
        )
    else:
        notes.append(
            f"Aggregate level: no cohort is known for this person; ranked by everyone's trends "
            f"({where})."
        )
    return _Cohort(handle, scores, basis, label, config.min_cohort, config.epsilon)


def _pinned(
    request: DecisionRequest,
    ctx: DecisionContext,
    opted_in: frozenset[str],
    harm_prone: frozenset[str],
    notes: list[str],
) -> list[Item]:
    """The operator's pinned items that every guardrail lets through, at most k."""
    out: list[Item] = []
    held = 0
    for item_id in dict.fromkeys(request.pinned):
        item = ctx.catalog.get(item_id)
        if item is None or held_back_reason(
            item, opted_in, ctx.self_excluded, harm_prone, ctx.suppressed, ctx.not_interested
        ):
            held += 1
            continue
        if len(out) < request.k:
            out.append(item)
    if held:
        notes.append(
            f"{held} of the items the shop placed on this page were held back by the "
            "guardrails (not in the catalog, or not for you)."
        )
    return out


def _category_columns(ctx: DecisionContext, model: ModelHandle) -> IndexArray:
    """The category of each of the model's columns: precomputed, or built now."""
    columns = ctx.categories.get(model.version)
    if columns is None:
        columns = category_columns(
            model.item_ids, {i: item.category for i, item in ctx.catalog.items()}
        )
    return columns

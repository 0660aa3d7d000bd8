"""decide_for_account(): the decision pipeline for an organisation, with no person in it.

account events -> candidates -> guardrails -> top k (or the surface's re-ranker) ->
explanations -> record. Pure, like `decide`: it reads only its context, which holds the
account, a reader of that account's own events, the catalog and the account models. No
subject, consent record or person's event is in the context, so none can be read; consent
is not involved because no person's data is used.

Every guardrail that applies without a person applies: items gone from the catalog are
never shown, and neither is any item in a sensitive category (nobody can opt in for an
organisation), pinned ones included. Events on sensitive items are not read either. Items
the organisation already ordered are held back, as a person's purchases are. The list
comes first from the account's history (the account model); when the history speaks for
fewer than k items, or the organisation has none, the rest comes from the popularity of
organisations like it (same industry and size band, else industry, else all).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from tactful.candidates.base import FloatArray, History, IndexArray, top_k
from tactful.candidates.segments import SegmentBasis, SegmentPopularity
from tactful.domain.accounts import Account, AccountEvent, AccountEventType, strongest_by_item
from tactful.domain.catalog import Item
from tactful.explanations.accounts import (
    explain_account_catalog,
    explain_account_exploration,
    explain_account_history,
    explain_account_industry,
    explain_account_overall,
    explain_account_pinned,
    explain_account_popular,
    explain_account_segment,
)
from tactful.explanations.reasons import Explanation
from tactful.guardrails.filters import BoolArray, CatalogMasks, apply_filters, held_back_reason
from tactful.pipeline.models import ModelHandle
from tactful.pipeline.surfaces import (
    WHAT_IT_DOES,
    ColumnFacts,
    SurfaceRanker,
    category_columns,
    column_facts,
)
from tactful.records.accounts import AccountDecisionRecord, Basis
from tactful.records.decision import RecommendedItem, new_decision_id

# Nobody can opt in to a sensitive category on an organisation's behalf.
NOBODY_OPTED_IN: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class AccountRequest:
    account_id: str
    k: int
    surface: str
    now: datetime
    # Items the operator places first, in order; the guardrails still apply.
    pinned: tuple[str, ...] = ()


@dataclass(frozen=True)
class AccountContext:
    """All an account decision may read. It has no field for a person's data."""

    account: Account
    # The account's own recent events, newest first (events of any other account handed
    # back by mistake are ignored).
    load_events: Callable[[], Sequence[AccountEvent]]
    catalog: Mapping[str, Item]
    # Segment popularity (always needed: it is the fallback) and the account model.
    segments: ModelHandle
    model: ModelHandle | None = None
    # Per model version: guardrail masks, category per column, column facts for the
    # re-rankers; built on the fly when absent.
    masks: Mapping[str, CatalogMasks] = field(default_factory=dict)
    ranker: SurfaceRanker | None = None
    categories: Mapping[str, IndexArray] = field(default_factory=dict)
    columns: Mapping[str, ColumnFacts] = field(default_factory=dict)
    # Organisations like this one, ranked (`Popularity.of(segments, account)`), which
    # depends only on the segment model and the firmographics; built on the fly when absent.
    popularity: Popularity | None = None


def decide_for_account(request: AccountRequest, ctx: AccountContext) -> AccountDecisionRecord:
    account = ctx.account
    catalog = ctx.catalog
    notes: list[str] = []

    # 1. the account's own events, on items it may be shown anything about
    usable = [
        e
        for e in ctx.load_events()
        if e.account_id == account.account_id
        and (item := catalog.get(e.item_id)) is not None
        and not item.sensitive
    ]
    ordered = {e.item_id for e in usable if e.event_type is AccountEventType.PURCHASE}

    # 2. candidates: the account model on its history, else organisations like it
    segments = ctx.segments
    popularity = ctx.popularity or Popularity.of(segments, account)
    model: ModelHandle | None = None
    history = History.empty()
    strongest: dict[str, tuple[float, AccountEvent]] = {}
    if usable and ctx.model is not None and ctx.model.recommender.personal:
        index = ctx.model.index
        strongest = {i: v for i, v in strongest_by_item(usable).items() if i in index}
        if strongest:
            model = ctx.model
            cols = np.fromiter((index[i] for i in strongest), dtype=np.int64)
            weights = np.fromiter((w for w, _ in strongest.values()), dtype=np.float32)
            history = History(cols, weights)
    elif usable and ctx.model is None:
        notes.append("No account model is trained yet; organisations like yours are followed.")
    primary = model or segments
    scores = model.recommender.score(history) if model is not None else popularity.ranking

    # 3. guardrails
    filtered = apply_filters(_masks(ctx, primary), primary.index, NOBODY_OPTED_IN, ())
    exclude = filtered.exclude
    held = {k: v for k, v in filtered.held_back.items() if k != "already_purchased"}
    held["already_ordered"] = _hold(exclude, primary.index, ordered)
    pinned = _pinned(request, ctx, notes)
    _hold(exclude, primary.index, {i.item_id for i in pinned})
    if model is not None:
        # From the history, only items it speaks for; organisations like it fill the rest.
        exclude = exclude | ~(np.asarray(scores, dtype=np.float64) > 0)
    k = request.k - len(pinned)

    # 4. top k, or the surface's re-ranker (bound by the same exclusions)
    explored: frozenset[int] = frozenset()
    if k <= 0:
        chosen = np.zeros(0, dtype=np.int64)
    elif ctx.ranker is not None:
        columns = ctx.categories.get(primary.version)
        if columns is None:
            columns = category_columns(
                primary.item_ids, {i: item.category for i, item in catalog.items()}
            )
        facts = None
        if ctx.ranker.needs_columns:
            facts = ctx.columns.get(primary.version) or column_facts(
                primary, segments, catalog, columns
            )
        chosen, explored = ctx.ranker.rank(
            scores, columns, k, exclude, history.items, account.account_id, request.now, facts
        )
        notes.append(f"Re-ranked for this surface: it {WHAT_IT_DOES[ctx.ranker.kind]}.")
    else:
        chosen = top_k(scores, k, exclude)

    # 5. organisations like it fill what the history left
    fill = np.zeros(0, dtype=np.int64)
    if model is not None and len(chosen) < k:
        taken = {primary.item_ids[c] for c in chosen.tolist()} | ordered
        taken |= {i.item_id for i in pinned}
        seg_filtered = apply_filters(_masks(ctx, segments), segments.index, NOBODY_OPTED_IN, ())
        _hold(seg_filtered.exclude, segments.index, taken)
        fill = top_k(popularity.ranking, k - len(chosen), seg_filtered.exclude)
        if len(fill):
            notes.append(
                f"{len(fill)} of the items come from organisations like yours: your "
                "organisation's history speaks for too few."
            )

    # 6. explanations (the decision is personalized only when the history chose something)
    used = primary if model is not None and len(chosen) else segments
    items: list[RecommendedItem] = []
    for item in pinned:
        col = primary.index.get(item.item_id)
        score = 0.0 if col is None else _score(model, scores, popularity, col)
        explanation = explain_account_pinned(used.version)
        items.append(_item(catalog[item.item_id], len(items) + 1, score, explanation, pinned=True))
    if model is not None:
        because = model.recommender.because_many(history, chosen)
        overall: Explanation | None = None
        for col, because_col in zip(chosen.tolist(), because, strict=True):
            if col in explored:
                explanation = explain_account_exploration(model.version)
            elif because_col is not None:
                event = strongest[model.item_ids[because_col]][1]
                explanation = explain_account_history(
                    catalog[event.item_id], event.event_type, model.version
                )
            else:
                if overall is None:
                    kinds = frozenset(e.event_type for e in usable)
                    overall = explain_account_overall(kinds, model.version)
                explanation = overall
            item = catalog[model.item_ids[col]]
            items.append(_item(item, len(items) + 1, float(scores[col]), explanation))
    else:
        for col in chosen.tolist():
            if col in explored:
                explanation = explain_account_exploration(segments.version)
            else:
                explanation = popularity.explain(col)
            item = catalog[segments.item_ids[col]]
            items.append(_item(item, len(items) + 1, popularity.count(col), explanation))
    for col in fill.tolist():
        item = catalog[segments.item_ids[col]]
        items.append(_item(item, len(items) + 1, popularity.count(col), popularity.explain(col)))

    # 7. the record
    basis: Basis = "history" if used is model else popularity.basis.value
    return AccountDecisionRecord(
        decision_id=new_decision_id(),
        account_id=account.account_id,
        surface=request.surface,
        basis=basis,
        segment={
            "industry": account.industry,
            "size_band": popularity.size_band,
            "population": popularity.basis.value,
        },
        personalized=used is model,
        model_name=used.name,
        model_version=used.version,
        signals_used=dict(Counter(e.event_type.value for e in usable)) if used is model else {},
        items=items,
        held_back=held,
        created_at=request.now,
        notes=tuple(notes),
    )


@dataclass(frozen=True)
class Popularity:
    """Organisations like this one, merged into one ranking: an item taken by more of its
    segment comes first, ties (and items its segment never took) go by its industry, then
    by all organisations, then by catalog order. Each item is explained by the narrowest
    population that took it, so "popular with organisations like yours" is never said of
    an item none of them took."""

    tiers: Sequence[tuple[SegmentBasis, FloatArray]]
    ranking: FloatArray  # higher is earlier; one value per column, all distinct
    explanations: Mapping[SegmentBasis | None, Explanation]
    size_band: str | None

    @property
    def basis(self) -> SegmentBasis:
        """The narrowest population large enough to be used for this organisation."""
        return self.tiers[0][0]

    @classmethod
    def of(cls, segments: ModelHandle, account: Account) -> Popularity:
        model = segments.recommender
        if not isinstance(model, SegmentPopularity):
            raise TypeError("AccountContext.segments must hold a SegmentPopularity model")
        size_band = account.size_band.value if account.size_band is not None else None
        tiers = model.tiers(account.industry, size_band)
        n = len(segments.item_ids)
        # lexsort: the last key is the primary one.
        keys = [np.arange(n), *(-t.astype(np.float64) for _, t in reversed(tiers))]
        order = np.lexsort(keys)
        ranking = np.empty(n, dtype=np.float32)
        ranking[order] = np.arange(n, 0, -1, dtype=np.float32)
        version = segments.version
        explanations: dict[SegmentBasis | None, Explanation] = {
            SegmentBasis.ALL: explain_account_popular(version),
            None: explain_account_catalog(version),
        }
        if account.industry is not None:
            explanations[SegmentBasis.INDUSTRY] = explain_account_industry(
                account.industry, version
            )
            if size_band is not None:
                explanations[SegmentBasis.SEGMENT] = explain_account_segment(
                    account.industry, size_band, version
                )
        return cls(tiers, ranking, explanations, size_band)

    def _tier(self, col: int) -> tuple[SegmentBasis | None, float]:
        for basis, counts in self.tiers:
            if counts[col] > 0:
                return basis, float(counts[col])
        return None, 0.0

    def explain(self, col: int) -> Explanation:
        return self.explanations[self._tier(col)[0]]

    def count(self, col: int) -> float:
        """How many organisations of the population that explains the item took it."""
        return self._tier(col)[1]


def _score(
    model: ModelHandle | None, scores: FloatArray, popularity: Popularity, col: int
) -> float:
    return float(scores[col]) if model is not None else popularity.count(col)


def _masks(ctx: AccountContext, model: ModelHandle) -> CatalogMasks:
    return ctx.masks.get(model.version) or CatalogMasks.build(model.item_ids, ctx.catalog)


def _hold(exclude: BoolArray, index: Mapping[str, int], item_ids: set[str]) -> int:
    """Exclude these items (those in the model and not yet excluded); how many it held."""
    cols = [c for i in item_ids if (c := index.get(i)) is not None and not exclude[c]]
    exclude[cols] = True
    return len(cols)


def _item(
    item: Item, rank: int, score: float, explanation: Explanation, *, pinned: bool = False
) -> RecommendedItem:
    return RecommendedItem(
        item.item_id, item.title, item.category, rank, score, explanation, pinned=pinned
    )


def _pinned(request: AccountRequest, ctx: AccountContext, notes: list[str]) -> list[Item]:
    """The operator's pinned items every guardrail lets through, at most k."""
    out: list[Item] = []
    held = 0
    for item_id in dict.fromkeys(request.pinned):
        item = ctx.catalog.get(item_id)
        if item is None or held_back_reason(item, NOBODY_OPTED_IN):
            held += 1
            continue
        if len(out) < request.k:
            out.append(item)
    if held:
        notes.append(
            f"{held} of the items the shop placed on this page were held back by the "
            "guardrails (not in the catalog, or in a sensitive category)."
        )
    return out

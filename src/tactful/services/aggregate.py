"""The aggregate level's model: trained, published, served and accounted.

`Tactful.aggregate` is this service. `train` reads who granted `personalization.aggregate`
and what they did (`privacy.contributions`), releases the cohort trends with differential
privacy (`privacy.model.CohortTrends`), publishes them through `Tactful.publish_model`
(so every worker serves the newest version from `model_versions`, as for the other models)
and records the release in `privacy_releases` and the audit log, in one transaction with
the model version. `parameters` and `releases` are what the transparency document shows.

A release counts only a public candidate set (`tactful.privacy.public`): the first
`aggregate_candidates` items of the popularity model published just before it, the list
the `off` level shows everyone. The version it was taken from is recorded with the
release.

The releases are capped: those of the last `aggregate_budget_days` may spend at most
`aggregate_budget` together (`tactful.privacy.budget`); a training that would go over it
releases nothing, is written to the audit log, and the trends already published keep
serving.

An erasure does not retrain the trends: they hold noisy counts from which no one can be
singled out, and every release spends privacy budget. A withdrawal takes the person out of
the next release, and out of the aggregate level at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from tactful.audit.chain import AuditAction
from tactful.domain.purposes import PERSONALIZATION_AGGREGATE
from tactful.pipeline.models import ModelHandle
from tactful.privacy import counting
from tactful.privacy.budget import BudgetState, Release, budget_state
from tactful.privacy.contributions import aggregate_contributions
from tactful.privacy.dp import MEASURE, MECHANISM, LaplacePlan, composed_epsilon, plan
from tactful.privacy.model import CohortConfig, CohortTrends
from tactful.storage import privacy as stored
from tactful.storage.bulk import iter_event_columns, iter_subject_consents
from tactful.storage.repository import ModelVersion

if TYPE_CHECKING:
    from tactful.service import Tactful

log = logging.getLogger("tactful.aggregate")

COHORTS = "cohorts"
POPULARITY = "popularity"  # the model serving `off` (`tactful.service.POPULARITY`)
# How long a process trusts its pointer to the newest cohort model before re-checking.
CACHE_SECONDS = 1.0


class AggregateService:
    def __init__(self, service: Tactful) -> None:
        self.service = service
        self._lock = threading.Lock()
        self._models: dict[str, ModelHandle] = {}
        self._latest: tuple[float, str | None] = (0.0, None)

    @property
    def config(self) -> CohortConfig:
        s = self.service.settings
        return CohortConfig(
            epsilon=s.aggregate_epsilon,
            min_cohort=s.aggregate_min_cohort,
            max_items=s.aggregate_max_items,
            cohort_by=tuple(s.aggregate_cohort_by),
            regions=tuple(s.aggregate_regions),
            candidates=s.aggregate_candidates,
        )

    def offered(self) -> bool:
        """Whether the notice in force has the aggregate purpose (else nothing is trained)."""
        return PERSONALIZATION_AGGREGATE in self.service.purposes

    # -- training ---------------------------------------------------------------------
    def train(self, say: Callable[[str], None] | None = None) -> list[ModelVersion]:
        """One release of the cohort trends, published; nothing when the notice has no
        aggregate purpose or the catalog is empty."""
        say = say or (lambda _msg: None)
        if not self.offered():
            return []
        config = self.config
        service = self.service
        budget = self.budget()
        if not budget.allows_next:
            self._refuse(budget, say)
            return []
        say("reading the signals shared for cohort trends")
        with service.store.reading() as conn:
            catalog = service.catalog(conn, force=True)
            attributes = stored.cohort_attributes(conn)
            found = aggregate_contributions(
                iter_subject_consents(conn),
                attributes,
                iter_event_columns(conn),
                catalog,
                service.notices.catalog(conn),
                config.spec,
            )
        if found.interactions.n_items == 0:
            return []
        say("releasing cohort trends with differential privacy")
        with service.store.reading() as conn:
            # The public candidate set's source: the popular list everyone at `off` sees.
            popular = service._model_or_none(conn, POPULARITY)
        public_order = None
        source = None
        if popular is not None and popular.fixed_ranking is not None:
            public_order = [popular.item_ids[c] for c in popular.fixed_ranking.order.tolist()]
            source = popular.version
        model = CohortTrends(config, found.cohorts, public_order).fit(found.interactions)
        release = model.facts()
        trained_on = {
            # Noisy, from the release itself: the exact counts are never recorded.
            "subjects": release.contributors,
            "items": model.n_items,
            "interactions": release.counted,
            "events_read": found.events_read,
            "signals": "the strongest signals of people who share them for cohort trends, "
            f"at most {config.max_items} items each, counted with differential privacy "
            "(subjects and interactions are noisy counts)",
            "privacy": _release_facts(model, source),
        }
        version = service.publish_model(COHORTS, model, trained_on)
        with service.store.transaction() as conn:
            row = _release_row(model, version, source)
            release_id = stored.add_release(conn, row)
            service.audit.append(
                conn,
                AuditAction.PRIVACY_RELEASE,
                detail={"release_id": str(release_id), **_release_facts(model, source)}
                | {"model_version": version.version},
            )
        self._latest = (0.0, None)
        return [version]

    def _refuse(self, budget: BudgetState, say: Callable[[str], None]) -> None:
        fits_at = budget.fits_at
        when = (
            fits_at.isoformat(timespec="seconds")
            if fits_at
            else "never, with this budget per release"
        )
        message = (
            f"cohort trends not released: the releases of the last {budget.period_days} days "
            f"spent \u03b5 = {budget.spent:.4g} of the cap {budget.cap:g}, and another would "
            f"spend {budget.next_epsilon:.4g}; the next fits {when}. The trends already "
            "published keep serving."
        )
        say(message)
        log.warning("%s", message)
        with self.service.store.transaction() as conn:
            self.service.audit.append(
                conn,
                AuditAction.PRIVACY_RELEASE_REFUSED,
                detail={
                    "cap": budget.cap,
                    "period_days": budget.period_days,
                    "spent": budget.spent,
                    "next_epsilon": budget.next_epsilon,
                    "room_at": fits_at.isoformat() if fits_at else None,
                },
            )

    def budget(self, rows: list[dict[str, Any]] | None = None) -> BudgetState:
        """What the releases of the current period spent of the cap, and when the next fits
        (from the stored release `rows` when the caller has them)."""
        settings = self.service.settings
        config = self.config
        weight = counting.size_weight(config.max_items)
        d_in = counting.sensitivity(config.max_items, weight, len(config.spec.candidates()))
        if rows is None:
            with self.service.store.reading() as conn:
                rows = stored.releases(conn)
        releases = [
            Release(
                r["created_at"],
                LaplacePlan(
                    float(r["detail"]["noise_scale"]), int(r["detail"]["sensitivity"]), r["epsilon"]
                ),
            )
            for r in rows
        ]
        return budget_state(
            releases,
            plan(d_in, config.epsilon),
            settings.aggregate_budget,
            settings.aggregate_budget_days,
            self.service.clock(),
        )

    # -- serving ----------------------------------------------------------------------
    def model(self, conn: Connection) -> ModelHandle | None:
        """The newest cohort trends, shared by every worker through `model_versions`."""
        now = time.monotonic()
        checked, version = self._latest
        if now - checked > CACHE_SECONDS or version is None:
            latest = self.service.store.latest_model(conn, COHORTS)
            version = latest.version if latest else None
            self._latest = (now, version)
            if latest is not None and latest.version not in self._models:
                loaded = CohortTrends.load(self.service.settings.models_dir / latest.path)
                with self._lock:
                    self._models = {latest.version: ModelHandle.of(COHORTS, latest.version, loaded)}
        return self._models.get(version) if version is not None else None

    # -- accounting -------------------------------------------------------------------
    def releases(self) -> list[dict[str, Any]]:
        """Every release so far, oldest first, as the transparency page lists them."""
        with self.service.store.reading() as conn:
            rows = stored.releases(conn)
        return [_release_view(r) for r in rows]

    def parameters(self) -> dict[str, Any]:
        """The aggregate level's main parameters and its privacy accounting."""
        config = self.config
        with self.service.store.reading() as conn:
            rows = stored.releases(conn)
        releases = [_release_view(r) for r in rows]
        plans = [LaplacePlan(r["noise_scale"], r["sensitivity"], r["epsilon"]) for r in releases]
        weight = counting.size_weight(config.max_items)
        spec = config.spec
        total = composed_epsilon(plans) if plans else 0.0
        return {
            "offered": self.offered(),
            "recommender": COHORTS,
            "mechanism": MECHANISM,
            "guarantee": MEASURE,
            "epsilon_per_release": config.epsilon,
            "delta": 0.0,
            "min_cohort": config.min_cohort,
            "max_items_per_person": config.max_items,
            "candidates": config.candidates,
            "cohort_by": list(config.cohort_by),
            "regions": list(config.regions),
            "cohorts_possible": len(spec.candidates()),
            "size_share_of_budget": round(weight / (config.max_items + weight), 4),
            "text": _text(config),
            "releases": releases,
            "total_epsilon": total,
            "budget": _budget_view(self.budget(rows)),
            "total_text": (
                f"{len(releases)} release(s) so far, over largely the same people: together "
                f"they spend \u03b5 = {total:.4g} (sequential composition, computed by "
                "OpenDP)."
                if plans
                else "No release yet: the trends are computed at the next training."
            ),
        }


def _budget_view(budget: BudgetState) -> dict[str, Any]:
    never = budget.never_fits
    room_at = budget.fits_at.isoformat() if budget.fits_at else None
    if not budget.capped:
        text = "No cap is set on the budget the releases spend together."
    else:
        text = (
            f"The releases of any {budget.period_days} days may spend \u03b5 = {budget.cap:g} "
            f"together. Those of the last {budget.period_days} days spent "
            f"{budget.spent:.4g}. "
            + (
                "The next release fits within the cap."
                if budget.allows_next
                else "The next release would go over the cap, so the trends already published "
                "keep serving until "
                + ("the budget per release is lowered." if never else f"{room_at}.")
            )
        )
    return {
        "cap": budget.cap if budget.capped else None,
        "period_days": budget.period_days,
        "spent_in_period": budget.spent,
        "releases_in_period": budget.releases_in_period,
        "remaining": budget.remaining,
        "next_release_allowed": budget.allows_next,
        "next_release_at": room_at,
        "text": text,
    }


def _release_facts(model: CohortTrends, source: str | None) -> dict[str, Any]:
    r = model.facts()
    return {
        "mechanism": r.noise.mechanism,
        "epsilon": r.noise.epsilon,
        "delta": r.noise.delta,
        "noise_scale": r.noise.scale,
        "sensitivity": r.noise.d_in,
        "size_weight": r.size_weight,
        "min_cohort": model.config.min_cohort,
        "max_items": model.config.max_items,
        "cohort_by": list(model.config.cohort_by),
        "cohorts_released": r.released,
        "cohorts_suppressed": r.suppressed,
        "contributors_noisy": r.contributors,
        "candidate_items": r.items,
        "candidates_from": source,  # the popularity model version (None: the whole catalog)
    }


def _release_row(model: CohortTrends, version: ModelVersion, source: str | None) -> dict[str, Any]:
    facts = _release_facts(model, source)
    return {
        "model_version": version.version,
        "mechanism": facts["mechanism"],
        "epsilon": facts["epsilon"],
        "delta": facts["delta"],
        "min_cohort": facts["min_cohort"],
        "max_items": facts["max_items"],
        "dimensions": facts["cohort_by"],
        "cohorts_released": facts["cohorts_released"],
        "cohorts_suppressed": facts["cohorts_suppressed"],
        "contributors_noisy": facts["contributors_noisy"],
        "detail": {
            "noise_scale": facts["noise_scale"],
            "sensitivity": facts["sensitivity"],
            "size_weight": facts["size_weight"],
            "regions": list(model.config.regions),
            "candidate_items": facts["candidate_items"],
            "candidates_from": facts["candidates_from"],
        },
        "created_at": version.created_at,
    }


def _release_view(row: dict[str, Any]) -> dict[str, Any]:
    detail = row["detail"]
    return {
        "release_id": str(row["release_id"]),
        "model_version": row["model_version"],
        "created_at": row["created_at"].isoformat(),
        "mechanism": row["mechanism"],
        "epsilon": row["epsilon"],
        "delta": row["delta"],
        "min_cohort": row["min_cohort"],
        "max_items": row["max_items"],
        "cohort_by": list(row["dimensions"]),
        "cohorts_released": row["cohorts_released"],
        "cohorts_suppressed": row["cohorts_suppressed"],
        "contributors_noisy": row["contributors_noisy"],
        "noise_scale": float(detail["noise_scale"]),
        "sensitivity": int(detail["sensitivity"]),
        # Releases made before the candidate set counted the whole catalog (None here).
        "candidate_items": detail.get("candidate_items"),
        "candidates_from": detail.get("candidates_from"),
    }


def _text(config: CohortConfig) -> str:
    spec = config.spec
    if config.candidates:
        counted = (
            f"Only the first {config.candidates} items of the popular list (the one list "
            "everyone sees when personalization is off, already public) are counted, so "
            "choosing them reveals nothing about anyone beyond that list; the others come "
            "after them, in the popular list's order. "
        )
    else:
        counted = "Every item of the catalog is counted. "
    return (
        f"Items are ranked by what is popular among people of your {spec.words()}, counted "
        f"with differential privacy: each person counts at most {config.max_items} items "
        "(their strongest signals) and once in their group's size, then noise is added to "
        f"every count (\u03b5 = {config.epsilon:g} per release, \u03b4 = 0). "
        + counted
        + f"A group's own trends are shown only when its noisy size is at least "
        f"{config.min_cohort}; otherwise, and for anyone whose group is not known, the trends "
        "of everyone who shares theirs. Nothing of your own history is read."
    )

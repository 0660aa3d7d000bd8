"""Account-level (business-to-business) personalization: ingestion, models, decisions, erasure.

`Tactful.accounts` is this service. It adapts `pipeline.accounts` to the store as
`Tactful.recommend` adapts `decide`: it reads what an account decision needs (the account,
its own recent events, the catalog, the account models), decides, and stores the record in
the same transaction. It never reads a subject, a consent or a person's event.

The models are trained by `Tactful.train()` when account events exist and published with
`Tactful.publish_model`, so every worker serves the newest version as it does the others:
`account-<TACTFUL_ACCOUNT_MODEL>` (the account-by-item matrix) and `account-segments`
(popularity per industry and size band, the fallback for accounts with little history).
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from tactful.candidates.registry import build
from tactful.candidates.segments import SegmentPopularity, SegmentPopularityConfig
from tactful.domain.accounts import Account, AccountEvent
from tactful.errors import FieldError, InvalidInput, ModelNotTrained, NotFound
from tactful.ingestion.accounts import AccountEventIn, AccountIn, parse_account_rows
from tactful.ingestion.batches import reject_unknown
from tactful.ingestion.schemas import ID_PATTERN
from tactful.pipeline.accounts import (
    AccountContext,
    AccountRequest,
    Popularity,
    decide_for_account,
)
from tactful.pipeline.models import ModelHandle
from tactful.records.accounts import LEGAL_BASIS
from tactful.storage import accounts as stored
from tactful.storage.repository import ModelVersion
from tactful.training.accounts import account_training_data, fit_account_models

if TYPE_CHECKING:
    from tactful.service import Tactful

SEGMENTS = "account-segments"
_SURFACE = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")
# How long a process trusts its pointer to the newest segment model before re-checking.
CACHE_SECONDS = 1.0


class AccountService:
    def __init__(self, service: Tactful) -> None:
        self.service = service
        self._lock = threading.Lock()
        self._segments: dict[str, ModelHandle] = {}
        self._latest: tuple[float, str | None] = (0.0, None)
        self._rankings: dict[tuple[str, str | None, str | None], Popularity] = {}

    @property
    def model_name(self) -> str:
        """The name the account model is published under."""
        return f"account-{self.service.settings.account_model}"

    @property
    def surfaces(self) -> list[str]:
        return list(self.service.settings.account_surfaces)

    # -- ingestion --------------------------------------------------------------------
    def ingest_accounts(self, rows: Sequence[Any]) -> dict[str, Any]:
        parsed = parse_account_rows(
            rows,
            AccountIn,
            kind="accounts",
            max_rows=self.service.settings.max_batch_rows,
            id_field="account_id",
        )
        return self.add_accounts([r.to_domain() for r in parsed])

    def add_accounts(self, batch: Sequence[Account]) -> dict[str, Any]:
        with self.service.store.transaction() as conn:
            created, updated = stored.upsert_accounts(conn, batch, self.service.clock())
        return {"kind": "accounts", "received": len(batch), "created": created, "updated": updated}

    def ingest_events(self, rows: Sequence[Any]) -> dict[str, Any]:
        parsed = parse_account_rows(
            rows,
            AccountEventIn,
            kind="account events",
            max_rows=self.service.settings.max_batch_rows,
            id_field=None,
        )
        return self.add_events([r.to_domain() for r in parsed])

    def add_events(self, events: Sequence[AccountEvent]) -> dict[str, Any]:
        """Store every event; reject all if any names an unknown account or item."""
        with self.service.store.transaction() as conn:
            known = stored.existing_ids(conn, (e.account_id for e in events))
            refs = [(n, e.account_id) for n, e in enumerate(events)]
            reject_unknown("account events", "account_id", refs, known)
            items = self.service.store.existing_item_ids(conn, (e.item_id for e in events))
            refs = [(n, e.item_id) for n, e in enumerate(events)]
            reject_unknown("account events", "item_id", refs, items)
            stored_count = stored.add_events(conn, events, self.service.clock())
        return {"kind": "account_events", "received": len(events), "stored": stored_count}

    # -- decisions --------------------------------------------------------------------
    def recommend(
        self, account_id: str, k: int = 10, surface: str | None = None, pinned: Sequence[str] = ()
    ) -> dict[str, Any]:
        """Decide what to show the organisation on an account surface; the stored record."""
        settings = self.service.settings
        surface = surface if surface is not None else self.surfaces[0] if self.surfaces else ""
        errors = []
        if len(pinned) > settings.max_k:
            errors.append(FieldError("pin", f"at most {settings.max_k} pinned items"))
        errors += [
            FieldError(f"pin.{n}", "not a valid item id")
            for n, item_id in enumerate(pinned)
            if not re.match(ID_PATTERN, item_id)
        ]
        if not 1 <= k <= settings.max_k:
            errors.append(FieldError("k", f"must be between 1 and {settings.max_k}"))
        if not _SURFACE.match(surface):
            errors.append(FieldError("surface", "lower-case letters, digits, _ and -, ≤64"))
        elif surface not in self.surfaces:
            errors.append(FieldError("surface", self.not_an_account_surface(surface)))
        if not re.match(ID_PATTERN, account_id):
            errors.append(FieldError("account_id", "not a valid account id"))
        if errors:
            raise InvalidInput("The account recommendation request is invalid.", errors)
        service = self.service
        with service.store.transaction() as conn:
            account = stored.get_account(conn, account_id)
            if account is None:
                raise NotFound(f"No account {account_id!r}.")
            catalog = service.catalog(conn)
            segments = self._segments_model(conn)
            if segments is None:
                raise ModelNotTrained(
                    "No account model has been trained; import account events and run "
                    "`tactful train` first."
                )
            model = service._model_or_none(conn, self.model_name)
            models = [m for m in (segments, model) if m is not None]
            ranker = service.rankers.get(surface)
            limit = settings.history_limit

            def load() -> Sequence[AccountEvent]:
                return stored.recent_events(conn, account_id, limit)

            ctx = AccountContext(
                account,
                load,
                catalog,
                segments,
                model,
                {m.version: service._masks_for(m, catalog) for m in models},
                ranker,
                {m.version: service._categories_for(m, catalog) for m in models}
                if ranker is not None
                else {},
                {
                    m.version: service._columns.facts(
                        m, segments, catalog, service._categories_for(m, catalog)
                    )
                    for m in models
                }
                if ranker is not None and ranker.needs_columns
                else {},
                self._popularity(segments, account),
            )
            now = service.clock()
            record = decide_for_account(
                AccountRequest(account_id, k, surface, now, tuple(pinned)), ctx
            )
            body = record.as_dict()
            stored.add_decision(conn, body)
        return body

    def decision(self, decision_id: str) -> dict[str, Any]:
        try:
            key = uuid.UUID(decision_id)
        except ValueError:
            raise InvalidInput(
                "Not a decision id.", [FieldError("decision_id", "must be a UUID")]
            ) from None
        with self.service.store.reading() as conn:
            found = stored.get_decision(conn, key)
        if found is None:
            raise NotFound(f"No account decision {decision_id}.")
        return found

    def not_an_account_surface(self, surface: str) -> str:
        listed = ", ".join(self.surfaces) or "none are configured"
        return (
            f"{surface!r} is not an account surface; account recommendations are made only on "
            f"the account surfaces (TACTFUL_ACCOUNT_SURFACES: {listed})"
        )

    def person_refused(self, surface: str) -> FieldError | None:
        """Why a person's recommendation may not be made on `surface` (None: it may)."""
        if surface not in self.service.settings.account_surfaces:
            return None
        return FieldError(
            "surface",
            f"{surface!r} is an account surface: lists on it are made for a business account "
            "(GET /v1/accounts/{account_id}/recommendations), never for a person",
        )

    # -- erasure ----------------------------------------------------------------------
    def erase(self, account_id: str, *, retrain: bool = True) -> dict[str, Any]:
        """Delete the account, its events and its decision records (at contract end, say),
        then train the account models again so that the served ones no longer hold it."""
        if not re.match(ID_PATTERN, account_id):
            raise InvalidInput(
                "Not a valid account id.",
                [FieldError("account_id", "letters, digits and . _ : @ - only, at most 128")],
            )
        with self.service.store.transaction() as conn:
            counts = stored.delete_account(conn, account_id)
            if counts is None:
                raise NotFound(f"No account {account_id!r}.")
            self.service.audit.append(
                conn, "account.erased", detail={"account_id": account_id, "rows_deleted": counts}
            )
        versions = self.train(force=True) if retrain and self._trained_before() else []
        return {
            "account_id": account_id,
            "rows_deleted": counts,
            "models_retrained": [{"name": v.name, "version": v.version} for v in versions],
        }

    # -- models -----------------------------------------------------------------------
    def train(
        self, progress: Callable[[str], None] | None = None, *, force: bool = False
    ) -> list[ModelVersion]:
        """Train and publish the account models; nothing when no account event is held
        (unless `force`: after an erasure, models that held it must be replaced)."""
        service = self.service
        say = progress or (lambda _msg: None)
        with service.store.reading() as conn:
            if not force and not stored.has_events(conn):
                return []
            catalog = service.catalog(conn, force=True)
            if not catalog:
                return []
            accounts = stored.all_accounts(conn)
            say("reading account events")
            data = account_training_data(stored.iter_events(conn), catalog)
        say(f"training {self.model_name} and {SEGMENTS}")
        settings = service.settings
        recommender, segments = fit_account_models(
            data, accounts, settings.account_model, None, settings.account_segment_min_accounts
        )
        trained_on = data.trained_on()
        versions = [
            service.publish_model(self.model_name, recommender, trained_on),
            service.publish_model(
                SEGMENTS, segments, trained_on | {"segments_used": segments.segments}
            ),
        ]
        self._latest = (0.0, None)  # this process serves the new version at once
        return versions

    def _trained_before(self) -> bool:
        with self.service.store.reading() as conn:
            return any(
                self.service.store.latest_model(conn, n) is not None
                for n in (self.model_name, SEGMENTS)
            )

    def _popularity(self, segments: ModelHandle, account: Account) -> Popularity:
        """The ranking for organisations of this industry and size band, made once per
        segment model version (a few hundred distinct segments at most)."""
        size_band = account.size_band.value if account.size_band is not None else None
        key = (segments.version, account.industry, size_band)
        found = self._rankings.get(key)
        if found is None:
            found = Popularity.of(segments, account)
            with self._lock:
                if len(self._rankings) >= 1024:
                    self._rankings.clear()
                self._rankings[key] = found
        return found

    def _segments_model(self, conn: Connection) -> ModelHandle | None:
        """The newest segment popularity (re-checked every CACHE_SECONDS, so a version
        another worker published is picked up)."""
        now = time.monotonic()
        checked, version = self._latest
        if now - checked > CACHE_SECONDS or version is None:
            latest = self.service.store.latest_model(conn, SEGMENTS)
            version = latest.version if latest else None
            if latest is not None and latest.version not in self._segments:
                model = SegmentPopularity.load(self.service.settings.models_dir / latest.path)
                with self._lock:
                    self._segments[latest.version] = ModelHandle.of(SEGMENTS, latest.version, model)
            self._latest = (now, version)
        return self._segments.get(version) if version is not None else None

    # -- transparency -----------------------------------------------------------------
    def parameters(self) -> dict[str, Any]:
        """The account level's main parameters, in plain words, from the live configuration."""
        service = self.service
        settings = service.settings
        with service.store.reading() as conn:
            latest = {n: service.store.latest_model(conn, n) for n in (self.model_name, SEGMENTS)}
        current = latest[self.model_name]
        model = build(settings.account_model, current.config if current else None)
        segments = SegmentPopularity(
            SegmentPopularityConfig(min_accounts=settings.account_segment_min_accounts)
        )
        return {
            "level": "account",
            "what_it_is": "On the account surfaces, lists are chosen for a business account "
            "(an organisation), never for a person.",
            "surfaces": self.surfaces,
            "legal_basis": LEGAL_BASIS,
            "uses": [
                "the organisation's industry and size band",
                f"the organisation's own account events (views, cart additions, quote "
                f"requests, orders; the {settings.history_limit} most recent)",
            ],
            "never_uses": "any person's data: no subject, consent, profile or person's event",
            "history_model": {
                "name": self.model_name,
                "summary": model.summary,
                "parameters": [{"label": a, "value": b} for a, b in model.parameters()],
                "current": _model_info(latest[self.model_name]),
            },
            "fallback": {
                "name": SEGMENTS,
                "summary": segments.summary,
                "parameters": [{"label": a, "value": b} for a, b in segments.parameters()],
                "order": [
                    "organisations of the same industry and size band",
                    "organisations of the same industry",
                    "all organisations",
                ],
                "current": _model_info(latest[SEGMENTS]),
            },
            "guardrails": "Items in a sensitive category are never shown at account level "
            "(nobody can opt in for an organisation) and its events on them are not read; "
            "items gone from the catalog and items the organisation already ordered are held "
            "back; items the shop pins pass the same checks.",
            "re_rankers": {
                s: service.rankers[s].describe() for s in self.surfaces if s in service.rankers
            },
        }


def _model_info(mv: ModelVersion | None) -> dict[str, Any] | None:
    if mv is None:
        return None
    return {
        "version": mv.version,
        "trained_at": mv.created_at.isoformat(),
        "accounts": mv.trained_on.get("accounts"),
        "items": mv.trained_on.get("items"),
        "interactions": mv.trained_on.get("interactions"),
    }

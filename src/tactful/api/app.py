"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from tactful import __version__
from tactful.api import problems
from tactful.api.actor import ActorScope
from tactful.api.limits import BodySizeLimit
from tactful.api.openapi import document
from tactful.api.ratelimit import RateLimit
from tactful.api.routes import (
    accounts,
    audit,
    complaints,
    consents,
    decisions,
    erasure,
    fairness,
    feedback,
    health,
    ingest,
    keys,
    me,
    messages,
    models,
    protections,
    reports,
    rights,
    transparency,
)
from tactful.api.security import SecurityHeaders, StrictCORS
from tactful.service import Tactful
from tactful.services.erasure import ErasureWorker
from tactful.services.retention import RetentionSchedule
from tactful.settings import Settings, load_settings
from tactful.web import mount as web_pages


def create_app(settings: Settings | None = None, service: Tactful | None = None) -> FastAPI:
    settings = settings or (service.settings if service else load_settings())
    owned = service is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.tactful is None:
            app.state.tactful = Tactful(settings)
        schedule = None
        if owned and settings.retention_interval_seconds > 0:
            schedule = RetentionSchedule(
                app.state.tactful.run_retention,
                settings.retention_interval_seconds,
                app.state.tactful.claim_job_run,
            )
            schedule.start()
        # Fairness audits of the recent decisions, every audit_policy.schedule.interval_hours.
        audits = app.state.tactful.fairness.schedule() if owned else None
        if audits is not None:
            audits.start()
        # Erasures are retrained in the background; one left by a stopped process is
        # picked up at once.
        worker = ErasureWorker(app.state.tactful.process_erasures)
        app.state.erasure_worker = worker
        worker.start()
        yield
        worker.stop()
        if audits is not None:
            audits.stop()
        if schedule is not None:
            schedule.stop()
        if owned:
            app.state.tactful.close()

    app = FastAPI(
        title="Tactful",
        version=__version__,
        summary="Consent-gated personalization: every decision explained and recorded.",
        lifespan=lifespan,
        # FastAPI's explorer pages load scripts and fonts from third-party CDNs; the
        # document itself stays at /openapi.json for any local tool.
        docs_url=None,
        redoc_url=None,
    )
    app.state.tactful = service
    app.state.api_key = settings.operator_api_key()
    problems.install(app)
    for module in (
        health,
        ingest,
        consents,
        decisions,
        models,
        me,
        transparency,
        rights,
        erasure,
        complaints,
        audit,
        keys,
        feedback,
        messages,
        protections,
        fairness,
        reports,
        accounts,
    ):
        app.include_router(module.router)
    web_pages.install(app, settings)
    # Inside the body limit: the lane answers only what the route would answer alike.
    app.add_middleware(decisions.RecommendationsLane)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(ActorScope)
    app.add_middleware(
        RateLimit,
        per_minute=settings.rate_limit_per_minute,
        subject_per_minute=settings.subject_rate_limit_per_minute,
    )
    app.add_middleware(StrictCORS, origins=settings.cors_origins)
    app.add_middleware(SecurityHeaders)
    document(app)
    return app

"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from tactful import __version__
from tactful.api import problems
from tactful.api.limits import BodySizeLimit
from tactful.api.routes import consents, decisions, health, ingest, models
from tactful.service import Tactful
from tactful.settings import Settings, load_settings


def create_app(settings: Settings | None = None, service: Tactful | None = None) -> FastAPI:
    settings = settings or (service.settings if service else load_settings())
    owned = service is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.tactful is None:
            app.state.tactful = Tactful(settings)
        yield
        if owned:
            app.state.tactful.close()

    app = FastAPI(
        title="Tactful",
        version=__version__,
        summary="Consent-gated personalization: every decision explained and recorded.",
        lifespan=lifespan,
    )
    app.state.tactful = service
    app.state.api_key = settings.operator_api_key()
    problems.install(app)
    for module in (health, ingest, consents, decisions, models):
        app.include_router(module.router)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return app

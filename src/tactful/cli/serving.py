"""Running the HTTP server: one process, or N uvicorn worker processes on one port.

Before any worker starts, the parent builds the service once and closes it: a bad
configuration, an unreachable store or (in production) a schema behind the code stops the
start with one readable message instead of N tracebacks, and in development the schema is
migrated and the key files made once, not raced by N workers.

Workers are separate processes that import the app by name: they get the parent's whole
`Settings` (every field, secrets included, command-line overrides applied) as JSON in one
environment variable, so a worker serves exactly what the parent was told to serve.
"""

from __future__ import annotations

import json
import os
from typing import Any

import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr

from tactful.api.app import create_app
from tactful.settings import Settings

# Not TACTFUL_-prefixed: it is no setting, only the parent's settings handed to its workers.
WORKER_SETTINGS = "_TACTFUL_WORKER_SETTINGS"


def settings_payload(settings: Settings) -> str:
    """Every field of `settings` as JSON, secrets in clear: the worker's whole configuration."""
    values: dict[str, Any] = settings.model_dump(mode="json")
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            values[name] = value.get_secret_value()
    return json.dumps(values)


def settings_from_payload(payload: str) -> Settings:
    """The settings a parent handed over (validated again: production rules hold here too)."""
    return Settings.model_validate(json.loads(payload))


def worker_app() -> FastAPI:
    """The app of one worker process (uvicorn's factory): the parent's settings, else the
    environment's."""
    payload = os.environ.get(WORKER_SETTINGS)
    return create_app(settings_from_payload(payload) if payload else None)


def prepare(settings: Settings) -> None:
    """Open the service once and close it: TactfulError when it could not serve."""
    from tactful.service import Tactful

    Tactful(settings).close()


def run_server(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    # A relative data directory means the same thing to every worker only once resolved.
    settings = settings.model_copy(update={"data_dir": settings.data_dir.resolve()})
    prepare(settings)
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info", access_log=False)
        return
    os.environ[WORKER_SETTINGS] = settings_payload(settings)
    uvicorn.run(
        "tactful.cli.serving:worker_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=False,
    )

"""Running the HTTP server."""

from __future__ import annotations

import os

import uvicorn

from tactful.api.app import create_app
from tactful.settings import Settings


def run_server(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info", access_log=False)
        return
    # Worker processes build their own app from the environment; hand the settings over there.
    os.environ["TACTFUL_DATA_DIR"] = str(settings.data_dir.resolve())
    if settings.database_url:
        os.environ["TACTFUL_DATABASE_URL"] = settings.database_url
    os.environ["TACTFUL_API_KEY"] = settings.operator_api_key()
    uvicorn.run(
        "tactful.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=False,
    )

"""Running the HTTP server."""

from __future__ import annotations

import uvicorn

from tactful.api.app import create_app
from tactful.settings import Settings


def run_server(settings: Settings, host: str, port: int) -> None:
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", access_log=False)

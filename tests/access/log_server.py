"""Serve the hardened app on loopback with every logger at DEBUG into one file.

Run by the log scan (`test_log_scan.py`) as its own process, so that the file holds only
what the server logged and its stderr only what the server printed:
`python -m tests.access.log_server LOG_FILE PORT [sql]`, settings from TACTFUL_* variables;
with `sql`, SQLAlchemy's statement log is at DEBUG too.
"""

from __future__ import annotations

import logging
import sys

import uvicorn

from tactful.api.app import create_app
from tactful.settings import load_settings
from tests.access.helpers import harden


def main(log_file: str, port: int, sql: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG,
        filename=log_file,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    if sql:
        # SQLAlchemy keeps its own loggers at WARNING unless told: this is its echo mode.
        logging.getLogger("sqlalchemy").setLevel(logging.DEBUG)
    settings = load_settings()
    app = harden(create_app(settings), settings)
    # log_config=None keeps the root logger above; the access log is on, as an operator
    # running Tactful behind their own server might have it.
    uvicorn.run(
        app, host="127.0.0.1", port=port, log_level="debug", access_log=True, log_config=None
    )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sql=sys.argv[3:] == ["sql"])

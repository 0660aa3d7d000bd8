"""Configuration shipped with Tactful: the notice an empty store starts with."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any


@cache
def notice_document() -> dict[str, Any]:
    """The packaged `notice.toml`, parsed once (callers must not change it)."""
    return tomllib.loads(resources.files(__name__).joinpath("notice.toml").read_text("utf-8"))

"""Configuration shipped with Tactful: the notice an empty store starts with, and the
guardrail policy used when no other is configured."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any


@cache
def notice_document() -> dict[str, Any]:
    """The packaged `notice.toml`, parsed once (callers must not change it)."""
    return tomllib.loads(resources.files(__name__).joinpath("notice.toml").read_text("utf-8"))


@cache
def guardrails_document() -> dict[str, Any]:
    """The packaged `guardrails.toml`, parsed once (callers must not change it)."""
    return tomllib.loads(resources.files(__name__).joinpath("guardrails.toml").read_text("utf-8"))

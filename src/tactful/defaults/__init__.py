"""Configuration shipped with Tactful: the notice an empty store starts with, and the
guardrail policy and the fairness audit policy used when no other is configured."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from tactful.errors import FieldError, InvalidInput


@cache
def notice_document() -> dict[str, Any]:
    """The packaged `notice.toml`, parsed once (callers must not change it)."""
    return tomllib.loads(resources.files(__name__).joinpath("notice.toml").read_text("utf-8"))


@cache
def guardrails_document() -> dict[str, Any]:
    """The packaged `guardrails.toml`, parsed once (callers must not change it)."""
    return tomllib.loads(resources.files(__name__).joinpath("guardrails.toml").read_text("utf-8"))


@cache
def audit_document() -> dict[str, Any]:
    """The packaged `audit.toml`, parsed once (callers must not change it)."""
    return tomllib.loads(resources.files(__name__).joinpath("audit.toml").read_text("utf-8"))


def read_config_file(path: Path, setting: str, what: str) -> dict[str, Any]:
    """An operator's TOML file, parsed; a readable error naming the file and the setting
    that points at it when it cannot be read or is not TOML."""
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise InvalidInput(
            f"Cannot read the {what} {path}: {exc.strerror or exc}.",
            [FieldError(setting, "must be a readable TOML file")],
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"The {what} {path} is not valid TOML: {exc}.", [FieldError(setting, str(exc))]
        ) from None

"""The privacy notice as versioned configuration, and what each new version changes.

The operator edits one TOML file (see `tactful/defaults/notice.toml`): the notice text,
the controller, the purposes and the operator roles. Publishing it records a new notice
version; a version's content never changes once published. Comparing a version with the
one before tells which purposes were added or widened: consents to those, recorded
against an earlier notice, are stale until the person chooses again (GDPR Art. 7: a
consent covers what the person was told, not what was added later).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tactful.defaults import read_config_file
from tactful.domain.events import DataCategory
from tactful.domain.purposes import Purpose, PurposeCatalog, purposes_from_config
from tactful.errors import FieldError, InvalidInput

# Data a role may read besides event categories: the profile, the consent ledger, decisions.
OTHER_DATA = ("profile", "consent", "decisions")
VERSION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Controller(_Strict):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    contact: Annotated[str, Field(min_length=1, max_length=200)]
    address: Annotated[str, Field(min_length=1, max_length=400)]
    email: Annotated[str, Field(min_length=3, max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")]
    phone: Annotated[str, Field(max_length=64)] = ""
    url: Annotated[str, Field(min_length=1, max_length=400)]


class Role(_Strict):
    code: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
    title: Annotated[str, Field(min_length=1, max_length=200)]
    reads: tuple[str, ...] = ()


class _NoticeText(_Strict):
    title: Annotated[str, Field(min_length=1, max_length=200)]
    text: Annotated[str, Field(min_length=1, max_length=20_000)]


class _NoticeFile(_Strict):
    version: Annotated[str, Field(pattern=VERSION_PATTERN)]
    language: Annotated[str, Field(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")]
    jurisdiction: Annotated[str, Field(min_length=2, max_length=64)]
    policy_url: Annotated[str, Field(min_length=1, max_length=400)]
    service: Annotated[str, Field(min_length=1, max_length=200)]
    controller: Controller
    notice: _NoticeText
    purposes: list[dict[str, Any]]
    roles: tuple[Role, ...] = ()


@dataclass(frozen=True)
class Notice:
    """One version of the notice: what people are told and the purposes it declares."""

    version: str
    language: str
    jurisdiction: str
    policy_url: str
    service: str
    controller: Controller
    title: str
    text: str
    purposes: Mapping[str, Purpose]
    roles: tuple[Role, ...]
    # The document as loaded; its digest identifies the content of a version.
    document: Mapping[str, Any]

    @property
    def digest(self) -> str:
        canonical = json.dumps(self.document, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def roles_reading(self, kind: str) -> list[Role]:
        return [r for r in self.roles if kind in r.reads]


def parse_notice(document: Mapping[str, Any], where: str = "notice file") -> Notice:
    """A notice from its document (the parsed TOML, or a stored version's JSON)."""
    try:
        parsed = _NoticeFile.model_validate(document)
    except ValidationError as exc:
        raise InvalidInput(
            f"The {where} is invalid.",
            [
                FieldError(".".join(map(str, e["loc"])), e["msg"])
                for e in exc.errors(include_url=False)
            ],
        ) from None
    purposes = purposes_from_config(parsed.purposes)
    known = {str(c) for p in purposes.values() for c in p.data_categories}
    known |= {c.value for c in DataCategory} | set(OTHER_DATA)
    errors = [
        FieldError(f"roles.{n}.reads", f"unknown data {kind!r}")
        for n, role in enumerate(parsed.roles)
        for kind in role.reads
        if kind not in known
    ]
    if errors:
        raise InvalidInput(f"The {where} is invalid.", errors)
    return Notice(
        version=parsed.version,
        language=parsed.language,
        jurisdiction=parsed.jurisdiction,
        policy_url=parsed.policy_url,
        service=parsed.service,
        controller=parsed.controller,
        title=parsed.notice.title,
        text=parsed.notice.text.strip(),
        purposes=MappingProxyType(purposes),
        roles=parsed.roles,
        document=json.loads(json.dumps(dict(document))),
    )


def load_notice(path: Path) -> Notice:
    document = read_config_file(path, "notice_file", "notice file")
    return parse_notice(document, f"notice file {path}")


def material_changes(previous: Notice | None, current: Notice) -> dict[str, list[str]]:
    """Per purpose, how `current` adds to or widens what `previous` declared.

    Narrowing (fewer categories, a shorter retention) asks nothing new of anyone and is not
    listed; a changed title or description alone is not either, since the text shown is
    part of the version anyway.
    """
    if previous is None:
        return {}
    out: dict[str, list[str]] = {}
    for code, new in current.purposes.items():
        old = previous.purposes.get(code)
        if old is None:
            out[code] = ["purpose added"]
            continue
        reasons = []
        if added := sorted(str(c) for c in new.data_categories - old.data_categories):
            reasons.append(f"uses more data: {', '.join(added)}")
        if new.retention_days > old.retention_days:
            reasons.append(f"keeps data longer: {old.retention_days} → {new.retention_days} days")
        if new.profiling and not old.profiling:
            reasons.append("now builds a profile")
        if added_tcf := sorted(set(new.tcf_purposes) - set(old.tcf_purposes)):
            reasons.append(f"more TCF purposes: {', '.join(map(str, added_tcf))}")
        if uses := sorted(set(new.fides_data_uses) - set(old.fides_data_uses)):
            reasons.append(f"more data uses: {', '.join(uses)}")
        if parties := sorted(set(new.third_parties) - set(old.third_parties)):
            reasons.append(f"shared with more third parties: {', '.join(parties)}")
        if new.sale_or_sharing and not old.sale_or_sharing:
            reasons.append("now sells or shares data")
        if new.legal_basis != old.legal_basis:
            reasons.append(f"legal basis changed to {new.legal_basis}")
        if reasons:
            out[code] = reasons
    return out


@dataclass(frozen=True)
class PublishedNotice:
    """A notice version as stored: its place in the sequence and what it changed."""

    sequence: int
    notice: Notice
    published_at: datetime
    changes: Mapping[str, Sequence[str]]


def catalog_in_force(history: Sequence[PublishedNotice]) -> PurposeCatalog:
    """The current version's purposes, with the versions' order and each renewal."""
    if not history:
        raise InvalidInput("No notice has been published; run `tactful notice publish`.")
    ordered = sorted(history, key=lambda p: p.sequence)
    renewed: dict[str, int] = {}
    for published in ordered:
        for code in published.changes:
            renewed[code] = published.sequence
    current = ordered[-1].notice
    return PurposeCatalog(
        MappingProxyType(dict(current.purposes)),
        notice_order=MappingProxyType({p.notice.version: p.sequence for p in ordered}),
        renewed_at=MappingProxyType(
            {code: n for code, n in renewed.items() if code in current.purposes}
        ),
    )

"""Operator API keys: created with scopes, shown once, stored as a hash, revocable, expiring.

A key reads `tk_<key_id>_<secret>`: a 12-character random id of letters and digits, then
32 random bytes in base64url. Only SHA-256(secret) is stored. The operator key from
settings (TACTFUL_API_KEY or the development key file) stays valid as the bootstrap key,
with every scope, so that a fresh install can create its first keys.

Keys are checked against the store on every request by default
(`TACTFUL_API_KEY_CACHE_SECONDS` = 0), so a key revoked through any Tactful process on the
same store is refused at once by every other; with a cache of n seconds, within n seconds
elsewhere (a revocation through this instance takes effect here at once either way).
`last_used_at` is written at most once a minute per key per process, so the hot path does
no write.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from tactful.domain.access import PERSONAL_DATA_SCOPES, Principal, Scope
from tactful.errors import Conflict, FieldError, InvalidInput, NotFound, Unauthorized
from tactful.services.audit import AuditLog
from tactful.storage import api_keys as stored
from tactful.storage.api_keys import StoredKey
from tactful.storage.repository import Store

PREFIX = "tk_"
KEY_ID_LENGTH = 12
# Letters and digits only (url-safe, and never read as a command-line option): 71 bits.
KEY_ID_ALPHABET = string.ascii_letters + string.digits
SECRET_LENGTH = 43  # 32 bytes, base64url without padding
_KEY_ID_FORM = re.compile(rf"[A-Za-z0-9]{{{KEY_ID_LENGTH}}}")
_KEY_FORM = re.compile(rf"tk_([A-Za-z0-9]{{{KEY_ID_LENGTH}}})_([A-Za-z0-9_-]{{{SECRET_LENGTH}}})")
BOOTSTRAP = "bootstrap"
# How long a verified key is trusted without reading the store again.
CACHE_SECONDS = 5.0
# How often one process writes a key's `last_used_at`.
TOUCH_SECONDS = 60.0
# Most keys (known or not) remembered between store reads.
CACHE_ENTRIES = 4096

MISSING = "An operator API key is required (X-API-Key, or Authorization: Bearer)."
# One message for unknown, malformed, revoked and expired keys: which one it was is no
# business of whoever holds it.
INVALID = "The API key is not valid (it may be unknown, revoked or expired)."

ALL_SCOPES = frozenset(Scope)


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).digest()


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def split_key(presented: str) -> tuple[str, str] | None:
    """(key id, secret) of a well-formed key; None for anything else."""
    found = _KEY_FORM.fullmatch(presented)
    return (found[1], found[2]) if found else None


def key_view(key: StoredKey, now: datetime) -> dict[str, Any]:
    """The public shape of a key: never its secret nor its hash."""
    if key.revoked_at is not None:
        status = "revoked"
    elif key.expires_at is not None and now >= key.expires_at:
        status = "expired"
    else:
        status = "active"
    return {
        "key_id": key.key_id,
        "name": key.name,
        "scopes": sorted(s.value for s in key.scopes),
        "status": status,
        "created_at": key.created_at.isoformat(),
        "expires_at": _iso(key.expires_at),
        "revoked_at": _iso(key.revoked_at),
        "last_used_at": _iso(key.last_used_at),
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def parse_scopes(values: Iterable[str]) -> frozenset[Scope]:
    """Scopes from their names; InvalidInput naming each unknown one."""
    wanted = list(values)
    known = {s.value for s in Scope}
    errors = [
        FieldError(f"scopes.{n}", f"unknown scope {v!r}; one of {', '.join(sorted(known))}")
        for n, v in enumerate(wanted)
        if v not in known
    ]
    if not wanted:
        errors.append(FieldError("scopes", "at least one scope is needed"))
    if errors:
        raise InvalidInput("The key's scopes are invalid.", errors)
    return frozenset(Scope(v) for v in wanted)


class ApiKeys:
    def __init__(
        self,
        store: Store,
        audit: AuditLog,
        clock: Callable[[], datetime],
        bootstrap_key: str,
        *,
        cache_seconds: float = CACHE_SECONDS,
        ticker: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.audit = audit
        self.clock = clock
        # Only its digest is kept: compared in constant time and of constant length.
        self._bootstrap = _digest(bootstrap_key) if bootstrap_key else None
        self.cache_seconds = cache_seconds
        self._ticker = ticker
        self._cache: dict[str, tuple[float, StoredKey | None]] = {}
        self._touched: dict[str, float] = {}
        self._lock = threading.Lock()

    # -- management -------------------------------------------------------------------
    def create(
        self, name: str, scopes: Iterable[str | Scope], expires_at: datetime | None = None
    ) -> tuple[str, dict[str, Any]]:
        """A new key: its text, shown this once and never again, and its public record."""
        granted = parse_scopes(str(s) for s in scopes)
        now = self.clock()
        errors = _name_errors(name)
        if expires_at is not None and (expires_at.tzinfo is None or expires_at <= now):
            errors.append(FieldError("expires_at", "must be a future date-time with a zone"))
        if errors:
            raise InvalidInput("The key cannot be created.", errors)
        key_id = "".join(secrets.choice(KEY_ID_ALPHABET) for _ in range(KEY_ID_LENGTH))
        secret = secrets.token_urlsafe(32)
        key = StoredKey(key_id, name.strip(), _hash(secret), granted, now, expires_at, None, None)
        with self.store.transaction() as conn:
            stored.add_key(conn, key)
            self.audit.append(
                conn,
                "key.created",
                detail={
                    "key_id": key_id,
                    "name": key.name,
                    "scopes": sorted(s.value for s in granted),
                    "expires_at": _iso(expires_at),
                },
            )
        return f"{PREFIX}{key_id}_{secret}", key_view(key, now)

    def list(self) -> list[dict[str, Any]]:
        """Every key, the bootstrap key first, oldest first after it."""
        now = self.clock()
        with self.store.reading() as conn:
            keys = stored.list_keys(conn)
        return [bootstrap_view()] + [key_view(k, now) for k in keys]

    def usable(self) -> Sequence[StoredKey]:
        """The keys that authenticate now (not revoked, not expired), oldest first."""
        with self.store.reading() as conn:
            return stored.usable_keys(conn, self.clock())

    def revoke(self, key_id: str) -> dict[str, Any]:
        """Revoke a key (again is a no-op); refused at once here, and elsewhere within the
        key cache's bound (none by default)."""
        if key_id == BOOTSTRAP:
            raise Conflict(
                "The bootstrap key comes from settings (TACTFUL_API_KEY or the development key "
                "file); replace it there."
            )
        if not _KEY_ID_FORM.fullmatch(key_id):
            raise NotFound(f"No API key {key_id[:40]!r}.")
        now = self.clock()
        with self.store.transaction() as conn:
            found = stored.get_key(conn, key_id)
            if found is None:
                raise NotFound(f"No API key {key_id!r}.")
            if stored.revoke_key(conn, key_id, now):
                self.audit.append(
                    conn, "key.revoked", detail={"key_id": key_id, "name": found.name}
                )
            found = stored.get_key(conn, key_id) or found
        with self._lock:
            self._cache.pop(key_id, None)
        return key_view(found, now)

    # -- authentication ---------------------------------------------------------------
    def authenticate(self, presented: str | None) -> Principal:
        """The operator a presented key stands for; Unauthorized for anything else."""
        if not presented:
            raise Unauthorized(MISSING)
        if self._bootstrap is not None and hmac.compare_digest(_digest(presented), self._bootstrap):
            return BOOTSTRAP_PRINCIPAL
        parts = split_key(presented)
        if parts is None:
            raise Unauthorized(INVALID)
        key_id, secret = parts
        key = self._lookup(key_id)
        expected = key.secret_hash if key is not None else "0" * 64
        matches = hmac.compare_digest(_hash(secret), expected)
        if key is None or not matches or not key.usable_at(self.clock()):
            raise Unauthorized(INVALID)
        self._touch(key_id)
        return Principal(key.key_id, key.name, key.scopes)

    def fingerprint(self, principal: Principal) -> str:
        """A short digest of the key's secret as stored now: a console session names it, so
        a key that is replaced (the bootstrap key re-set) ends its sessions."""
        if principal.key_id == BOOTSTRAP:
            digest = self._bootstrap or b""
        else:
            key = self._lookup(principal.key_id)
            digest = key.secret_hash.encode() if key is not None else b""
        return hashlib.sha256(b"session|" + digest).hexdigest()[:32]

    def resume(self, key_id: str, fingerprint: str) -> Principal:
        """The operator of a signed console session, if its key is still usable and
        unchanged; Unauthorized otherwise (revoked, expired, replaced)."""
        if key_id == BOOTSTRAP and self._bootstrap is not None:
            principal = BOOTSTRAP_PRINCIPAL
        else:
            key = self._lookup(key_id) if _KEY_ID_FORM.fullmatch(key_id) else None
            if key is None or not key.usable_at(self.clock()):
                raise Unauthorized(INVALID)
            self._touch(key_id)
            principal = Principal(key.key_id, key.name, key.scopes)
        if not hmac.compare_digest(self.fingerprint(principal), fingerprint):
            raise Unauthorized(INVALID)
        return principal

    def _lookup(self, key_id: str) -> StoredKey | None:
        now = self._ticker()
        cached = self._cache.get(key_id)
        if cached is not None and now - cached[0] < self.cache_seconds:
            return cached[1]
        with self.store.reading() as conn:
            key = stored.get_key(conn, key_id)
        with self._lock:
            if len(self._cache) >= CACHE_ENTRIES:
                self._evict(now)
            self._cache[key_id] = (now, key)
        return key

    def _evict(self, now: float) -> None:
        stale = [k for k, (at, _) in self._cache.items() if now - at >= self.cache_seconds]
        for k in stale:
            del self._cache[k]
        if len(self._cache) >= CACHE_ENTRIES:
            self._cache.clear()

    def _touch(self, key_id: str) -> None:
        now = self._ticker()
        last = self._touched.get(key_id)
        if last is not None and now - last < TOUCH_SECONDS:
            return
        with self._lock:
            if len(self._touched) >= CACHE_ENTRIES:
                self._touched.clear()
            self._touched[key_id] = now
        with self.store.transaction() as conn:
            stored.touch_keys(conn, [key_id], self.clock())


BOOTSTRAP_PRINCIPAL = Principal(BOOTSTRAP, BOOTSTRAP, ALL_SCOPES)


def bootstrap_view() -> dict[str, Any]:
    return {
        "key_id": BOOTSTRAP,
        "name": BOOTSTRAP,
        "scopes": sorted(s.value for s in ALL_SCOPES),
        "status": "active",
        "created_at": None,
        "expires_at": None,
        "revoked_at": None,
        "last_used_at": None,
        "note": "The operator key from settings (TACTFUL_API_KEY or the development key "
        "file); it cannot be revoked here.",
    }


def _name_errors(name: str) -> list[FieldError]:
    text = name.strip()
    if not 1 <= len(text) <= 128:
        return [FieldError("name", "must be 1 to 128 characters")]
    if any(unicodedata.category(c).startswith("C") for c in text):
        return [FieldError("name", "must not contain control characters")]
    return []


# -- who can read what ----------------------------------------------------------------------
SCOPE_TITLES: Mapping[Scope, str] = {
    Scope.INGEST: "The shop's systems that send your activity and relay your choices",
    Scope.RECOMMEND: "The shop's systems that ask which items to show you",
    Scope.ANALYST: "Analysts, who see only counts across many people, never you alone",
    Scope.PRIVACY_OFFICER: "The privacy officer, answering requests about your data",
    Scope.ADMIN: "The administrators of the recommendation service",
}

# What each scope sees of one person's data beyond the privacy officer's and admin's full
# reads (`PERSONAL_DATA_SCOPES`): ingest sees the choices that result from a change it
# relays; recommend sees each decision, with its reasons, as it is made.
_ALSO_SEEN_BY: Mapping[str, tuple[Scope, str]] = {
    "consent": (Scope.INGEST, "The choices that result when they relay a change"),
    "decisions": (Scope.RECOMMEND, "Each decision, with its reasons, as it is made"),
}
_ORDER = list(Scope)
_FULL_READ = "Everything in this category, each read written to the audit log"


def readers(kind: str, keys: Iterable[StoredKey]) -> list[dict[str, Any]]:
    """Who can read data of `kind` about one person: each scope and the usable keys that hold
    it (by name; the bootstrap key holds every scope)."""
    holders: dict[Scope, list[str]] = {s: [] for s in Scope}
    holders[Scope.ADMIN].append(BOOTSTRAP)
    for key in keys:
        for scope in key.scopes:
            holders[scope].append(key.name)
    entries: list[tuple[Scope, str]] = []
    if kind in _ALSO_SEEN_BY:
        entries.append(_ALSO_SEEN_BY[kind])
    entries += [(s, _FULL_READ) for s in sorted(PERSONAL_DATA_SCOPES, key=_ORDER.index)]
    return [
        {
            "scope": scope.value,
            "title": SCOPE_TITLES[scope],
            "sees": sees,
            "keys": sorted(set(holders[scope])),
        }
        for scope, sees in entries
    ]

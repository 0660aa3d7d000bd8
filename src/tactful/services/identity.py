"""Sealing a subject's identifying fields under their own data key, and shredding it.

`SubjectCipher` is the one place that turns a subject id into a data key: it reads the
wrapped key from the keyring, unwraps it with the master key, and seals or opens values
bound to the subject and field. `destroy` deletes the key; from then on nothing sealed for
that subject opens, in the store or in any backup of it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from tactful.crypto.envelope import (
    LocalMasterKey,
    MasterKey,
    SealBroken,
    new_data_key,
    open_sealed,
    seal,
)
from tactful.errors import InvalidInput
from tactful.settings import Settings
from tactful.storage.keyring import Keyring


class SubjectCipher:
    def __init__(self, master: MasterKey, keyring: Keyring, clock: Callable[[], datetime]) -> None:
        self.master = master
        self.keyring = keyring
        self.clock = clock
        self._fingerprint_key = master.derive("subject fingerprint")

    def fingerprint(self, subject_id: str) -> str:
        """A keyed hash of the id: names a subject in tombstones and the audit log without
        holding the id; only someone with the master key can test a guess against it."""
        return hmac.new(self._fingerprint_key, subject_id.encode(), hashlib.sha256).hexdigest()

    def seal(self, subject_id: str, field: str, plaintext: bytes) -> bytes:
        return seal(self._key_for_sealing(subject_id), plaintext, _context(subject_id, field))

    def open(self, subject_id: str, field: str, sealed: bytes) -> bytes | None:
        """The plaintext; None once the subject's key is destroyed."""
        key = self._existing_key(subject_id)
        if key is None:
            return None
        return open_sealed(key, sealed, _context(subject_id, field))

    def open_or_none(self, subject_id: str, field: str, sealed: bytes) -> bytes | None:
        """Like `open`, but a value that does not open (altered, moved) is None too."""
        try:
            return self.open(subject_id, field, sealed)
        except SealBroken:
            return None

    def has_key(self, subject_id: str) -> bool:
        return self.keyring.get(subject_id) is not None

    def destroy(self, subject_id: str) -> bool:
        """Crypto-shred: delete the subject's data key. True when there was one."""
        return self.keyring.destroy(subject_id)

    def _existing_key(self, subject_id: str) -> bytes | None:
        found = self.keyring.get(subject_id)
        return None if found is None else self.master.unwrap(found[1], subject_id.encode())

    def _key_for_sealing(self, subject_id: str) -> bytes:
        existing = self._existing_key(subject_id)
        if existing is not None:
            return existing
        key = new_data_key()
        wrapped = self.master.wrap(key, subject_id.encode())
        if self.keyring.add(subject_id, self.master.key_id, wrapped, self.clock()):
            return key
        # Another writer made one first: seal under theirs.
        return self._key_for_sealing(subject_id)


def _context(subject_id: str, field: str) -> bytes:
    return f"{subject_id}|{field}".encode()


def load_master_key(settings: Settings) -> LocalMasterKey:
    """The master key from the environment, else its file; in development, made once."""
    if settings.master_key is not None:
        return LocalMasterKey.from_text(settings.master_key.get_secret_value())
    path = settings.resolved_master_key_file
    if path.exists():
        return LocalMasterKey.from_text(path.read_text())
    if settings.environment != "development":
        raise InvalidInput(f"The master key file {path} does not exist.")
    return LocalMasterKey.from_text(_create_key_file(path))


def _create_key_file(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = LocalMasterKey.generate_text()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_text()
    with os.fdopen(fd, "w") as out:
        out.write(text + "\n")
    return text

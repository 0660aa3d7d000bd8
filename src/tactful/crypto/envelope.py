"""AES-GCM envelope encryption, with the master key behind a small interface.

Each subject's fields are sealed under that subject's own 256-bit data key; the data key is
stored only wrapped (encrypted) by the master key. A key management service can stand in
for `LocalMasterKey` by implementing `MasterKey`: it never has to reveal the master key,
only wrap, unwrap and derive.

A sealed value is `version (1 byte) | nonce (12 bytes) | ciphertext and tag`, and is bound
to its subject and field by the associated data, so a value copied onto another subject's
row does not open.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tactful.errors import InvalidInput

KEY_BYTES = 32
NONCE_BYTES = 12
_VERSION = b"\x01"


class SealBroken(Exception):
    """A sealed value did not open: wrong key, wrong subject or field, or altered bytes."""


class MasterKey(Protocol):
    """What Tactful needs of a master key (a local file, or a KMS)."""

    @property
    def key_id(self) -> str:
        """Names the key, so a wrapped data key says which master key wrapped it."""
        ...

    def wrap(self, data_key: bytes, context: bytes) -> bytes: ...

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes: ...

    def derive(self, label: str) -> bytes:
        """A 32-byte secret for one use (such as tombstone fingerprints), from the master."""
        ...


class LocalMasterKey:
    """A master key held in this process, read from a file or the environment."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise InvalidInput(f"The master key must be {KEY_BYTES} bytes, not {len(key)}.")
        self._key = key
        self._aead = AESGCM(key)
        self._id = "local:" + hashlib.sha256(b"tactful key id" + key).hexdigest()[:16]

    @classmethod
    def from_text(cls, text: str) -> LocalMasterKey:
        """Base64url (padded or not) or 64 hex digits."""
        text = text.strip()
        try:
            if len(text) == 2 * KEY_BYTES and all(c in "0123456789abcdefABCDEF" for c in text):
                return cls(bytes.fromhex(text))
            return cls(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        except (binascii.Error, ValueError):
            raise InvalidInput("The master key must be 32 bytes in base64url or hex.") from None

    @staticmethod
    def generate_text() -> str:
        return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode().rstrip("=")

    @property
    def key_id(self) -> str:
        return self._id

    def wrap(self, data_key: bytes, context: bytes) -> bytes:
        return _seal(self._aead, data_key, b"wrap|" + context)

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        return _open(self._aead, wrapped, b"wrap|" + context)

    def derive(self, label: str) -> bytes:
        return hmac.new(self._key, b"tactful derive|" + label.encode(), hashlib.sha256).digest()


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=8 * KEY_BYTES)


def seal(data_key: bytes, plaintext: bytes, context: bytes) -> bytes:
    return _seal(AESGCM(data_key), plaintext, context)


def open_sealed(data_key: bytes, sealed: bytes, context: bytes) -> bytes:
    return _open(AESGCM(data_key), sealed, context)


def _seal(aead: AESGCM, plaintext: bytes, context: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return _VERSION + nonce + aead.encrypt(nonce, plaintext, context)


def _open(aead: AESGCM, sealed: bytes, context: bytes) -> bytes:
    if len(sealed) < 1 + NONCE_BYTES + 16 or sealed[:1] != _VERSION:
        raise SealBroken("not a sealed value of a known version")
    nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
    try:
        return aead.decrypt(nonce, body, context)
    except InvalidTag:
        raise SealBroken("the sealed value does not open with this key and context") from None

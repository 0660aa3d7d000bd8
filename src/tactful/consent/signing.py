"""Signed consent receipts: an Ed25519 key, its JWKS, and JWS signing and offline verification.

A receipt is worth something to the person holding it only if anyone can check, later and
without asking Tactful, that the operator issued exactly these claims. So a receipt is a
compact JWS signed with EdDSA over Ed25519 (RFC 8037), and `verify_receipt` needs nothing
but the operator's published JWKS: no database, no signer, no network.

Verification trusts the token for nothing it does not have to. It accepts only `alg`
"EdDSA" (never "none", never an HMAC "signed" with the public key as its secret), takes the
key named by `kid` from the JWKS alone, requires canonical base64url in every part (so no
two different strings verify as the same receipt), and refuses header parameters it does
not understand (such as `crit` or RFC 7797's `b64`).

RFC 9864 deprecates the polymorphic "EdDSA" in favour of "Ed25519"; the receipts use
"EdDSA" because that is what deployed JOSE libraries verify today. joserfc warns on every
use of it, so this module uses a registry that knows only EdDSA and does not warn.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError, UnsupportedAlgorithmError
from joserfc.jwa import JWSAlgModel
from joserfc.jwk import OKPKey

from tactful.errors import FieldError, InvalidInput

ALG = "EdDSA"
TYP = "JWT"
# Where the operator names the key file; the CLI and service read it from settings.
KEY_SETTING = "TACTFUL_RECEIPT_KEY_FILE"
# Largest receipt (UTF-8 JSON) Tactful signs, so every receipt it issues also verifies.
MAX_PAYLOAD_BYTES = 512 * 1024
# A receipt file is read whole; anything much larger than a receipt is not one.
MAX_FILE_BYTES = 2 * MAX_PAYLOAD_BYTES

_HEADER_PARAMETERS = frozenset({"alg", "kid", "typ"})
_B64URL = re.compile(r"[A-Za-z0-9_-]+")
_COMPACT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class _EdDSARegistry(jws.JWSRegistry):
    """A JWS registry that knows only EdDSA, with room for a full-sized receipt."""

    max_payload_length = -(-MAX_PAYLOAD_BYTES // 3) * 4

    def get_alg(self, name: str) -> JWSAlgModel:
        if name != ALG:
            raise UnsupportedAlgorithmError(f"Algorithm of '{name}' is not allowed")
        return self.algorithms[ALG]


_REGISTRY = _EdDSARegistry()


class ReceiptSigner:
    """The operator's receipt-signing key. Only its public half ever leaves this object."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = OKPKey.import_key(private_key)
        self._kid = self._key.thumbprint()

    @classmethod
    def load_or_create(cls, path: Path, *, create: bool) -> ReceiptSigner:
        """Read the Ed25519 private key (PEM, PKCS8) at `path`.

        When the file is missing: with `create`, generate a key and write it with mode 0600
        (the parent directory is created); without, refuse, naming the setting to fix.
        """
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            if not create:
                raise InvalidInput(
                    f"No receipt signing key at {path}. Set {KEY_SETTING} to an Ed25519 "
                    "private key in PEM (PKCS8), or let Tactful create one.",
                    [FieldError(KEY_SETTING, f"{path} does not exist")],
                ) from None
            return cls._create(path)
        except OSError as exc:
            raise _key_error(path, f"cannot be read ({exc.strerror or exc})") from None
        return cls(_parse_private_key(path, data))

    @classmethod
    def _create(cls, path: Path) -> ReceiptSigner:
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Written whole under a temporary name, then linked into place: another process
            # never reads half a key, and two processes starting at once never replace each
            # other's key (the loser of the race reads the winner's).
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".receipt-key-")
            try:
                os.fchmod(fd, 0o600)
                with os.fdopen(fd, "wb") as out:
                    out.write(pem)
                    out.flush()
                    os.fsync(out.fileno())
                try:
                    os.link(tmp, path)
                except FileExistsError:
                    return cls(_parse_private_key(path, path.read_bytes()))
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
        except OSError as exc:
            raise _key_error(path, f"cannot be written ({exc.strerror or exc})") from None
        return cls(key)

    @property
    def kid(self) -> str:
        """The key's RFC 7638 JWK thumbprint (SHA-256, base64url)."""
        return self._kid

    def jwks(self) -> dict[str, Any]:
        """The JWKS document a verifier needs: the public key only."""
        public = self._key.as_dict(private=False)
        jwk = {"kty": public["kty"], "crv": public["crv"], "x": public["x"]}
        return {"keys": [{**jwk, "kid": self._kid, "use": "sig", "alg": ALG}]}

    def sign(self, claims: Mapping[str, Any]) -> str:
        """A compact JWS over the claims as UTF-8 JSON with sorted keys and no spaces.

        Ed25519 is deterministic, so the same claims always give the same token.
        """
        try:
            payload = json.dumps(
                claims, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
            ).encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise InvalidInput(
                "The receipt claims are not plain JSON.", [FieldError("claims", str(exc))]
            ) from None
        if len(payload) > MAX_PAYLOAD_BYTES:
            raise InvalidInput(
                "The receipt is too large to sign.",
                [FieldError("claims", f"{len(payload)} bytes; at most {MAX_PAYLOAD_BYTES}")],
            )
        header = {"alg": ALG, "kid": self._kid, "typ": TYP}
        return jws.serialize_compact(header, payload, self._key, registry=_REGISTRY)


def verify_receipt(token: str, jwks: Mapping[str, Any]) -> dict[str, Any]:
    """Check a receipt against the operator's JWKS alone and return its claims.

    Every failure is an InvalidInput with one FieldError("receipt", reason); a JWKS that is
    not a JWKS is reported on "jwks".
    """
    if not isinstance(token, str):
        raise _rejection("a receipt is compact JWS text")
    if len(token) > MAX_FILE_BYTES:
        raise _rejection("longer than any receipt Tactful issues")
    parts = token.split(".")
    if len(parts) != 3:
        raise _rejection("not a compact JWS: expected three base64url parts separated by dots")
    header = _json_object(_b64decode(parts[0], "header"), "header")
    alg = header.get("alg")
    if alg != ALG:
        raise _rejection(f"alg {alg!r} is not accepted: receipts are signed with {ALG} only")
    unknown = sorted(set(header) - _HEADER_PARAMETERS)
    if unknown:
        raise _rejection(f"header has parameters Tactful does not accept: {', '.join(unknown)}")
    if "typ" in header and header["typ"] != TYP:
        raise _rejection(f"typ {header['typ']!r} is not {TYP!r}")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise _rejection("header names no key (kid)")
    payload = _b64decode(parts[1], "payload")
    _b64decode(parts[2], "signature")
    key = _public_key(jwks, kid)
    try:
        jws.deserialize_compact(token, key, registry=_REGISTRY)
    except BadSignatureError:
        raise _rejection("signature does not verify") from None
    except JoseError as exc:
        raise _rejection(f"not a valid JWS ({exc.description or exc.error})") from None
    return _json_object(payload, "payload")


def read_receipt_file(path: Path) -> str:
    """The compact JWS held in a file: bare JWS text, or a JSON object with a "jws" string."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise _rejection(f"{path} is larger than any receipt")
        text = path.read_bytes().decode("utf-8").strip()
    except UnicodeDecodeError:
        raise _rejection(f"{path} is not UTF-8 text") from None
    except OSError as exc:
        raise _rejection(f"{path} cannot be read ({exc.strerror or exc})") from None
    if _COMPACT.fullmatch(text):
        return text
    if text.startswith("{"):
        try:
            document = json.loads(text)
        except ValueError:
            raise _rejection(f"{path} starts like JSON but is not valid JSON") from None
        found = document.get("jws") if isinstance(document, dict) else None
        if isinstance(found, str) and found.strip():
            return found.strip()
        raise _rejection(f'{path} is a JSON object without a "jws" string field')
    raise _rejection(f'{path} holds neither a compact JWS nor a JSON object with a "jws" field')


def _public_key(jwks: Mapping[str, Any], kid: str) -> OKPKey:
    keys = jwks.get("keys") if isinstance(jwks, Mapping) else None
    if not isinstance(keys, list):
        raise InvalidInput(
            "The JWKS is not a JWKS document.", [FieldError("jwks", 'needs a "keys" list')]
        )
    found = [k for k in keys if isinstance(k, Mapping) and k.get("kid") == kid]
    if not found:
        raise _rejection(f"unknown kid {kid!r}: no key in the JWKS has it")
    if len(found) > 1:
        raise _rejection(f"kid {kid!r} names {len(found)} keys in the JWKS")
    jwk = found[0]
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise _rejection(f"the key {kid!r} is not an Ed25519 key")
    if jwk.get("alg", ALG) != ALG or jwk.get("use", "sig") != "sig":
        raise _rejection(f"the key {kid!r} is not published for {ALG} signatures")
    x = jwk.get("x")
    # Only the public member is imported: a private "d" in a JWKS is never used.
    try:
        if not isinstance(x, str):
            raise ValueError("x is missing")
        return OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": x})
    except (JoseError, ValueError, TypeError):
        raise _rejection(f"the key {kid!r} is not a valid Ed25519 public key") from None


def _b64decode(part: str, name: str) -> bytes:
    if not _B64URL.fullmatch(part):
        raise _rejection(f"the {name} is not base64url")
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise _rejection(f"the {name} is not base64url") from None
    # Unused low bits in the last character must be zero: otherwise several strings decode
    # to the same bytes, and a changed receipt string would still verify.
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != part:
        raise _rejection(f"the {name} is not canonical base64url")
    return raw


def _json_object(raw: bytes, name: str) -> dict[str, Any]:
    try:
        value = json.loads(
            raw.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_no_constant
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise _rejection(f"the {name} is not JSON ({exc})") from None
    if not isinstance(value, dict):
        raise _rejection(f"the {name} is not a JSON object")
    return value


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two parsers that keep different copies of a repeated key would read different claims.
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"key {key!r} appears twice")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _rejection(reason: str) -> InvalidInput:
    return InvalidInput(
        f"The consent receipt is not valid: {reason}.", [FieldError("receipt", reason)]
    )


def _key_error(path: Path, reason: str) -> InvalidInput:
    return InvalidInput(
        f"The receipt signing key file {path} {reason}. {KEY_SETTING} must name an Ed25519 "
        "private key in PEM (PKCS8).",
        [FieldError(KEY_SETTING, f"{path} {reason}")],
    )


def _parse_private_key(path: Path, data: bytes) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise _key_error(path, "is encrypted; Tactful needs it unencrypted") from None
    except (ValueError, UnsupportedAlgorithm):
        raise _key_error(path, "is not a PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise _key_error(path, f"holds a {type(key).__name__}, not an Ed25519 key")
    return key


__all__ = [
    "ALG",
    "KEY_SETTING",
    "MAX_PAYLOAD_BYTES",
    "ReceiptSigner",
    "read_receipt_file",
    "verify_receipt",
]

"""Signed receipts: the key file, the JWKS, and verification that refuses every forgery tried."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed448, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jws
from joserfc.jwk import OctKey

from tactful.consent.receipts import (
    ReceiptContext,
    ReceiptController,
    ReceiptPurpose,
    build_receipt,
)
from tactful.consent.signing import (
    KEY_SETTING,
    ReceiptSigner,
    read_receipt_file,
    verify_receipt,
)
from tactful.errors import InvalidInput

B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

# RFC 8037, Appendix A.1 (the Ed25519 private key) and A.3 (its RFC 7638 thumbprint).
RFC8037_D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
RFC8037_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def forge(header: dict[str, Any], payload: bytes, sign: Callable[[bytes], bytes]) -> str:
    """A compact JWS built by hand, as an attacker (or a careless issuer) would."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(payload)}"
    return f"{signing_input}.{b64(sign(signing_input.encode('ascii')))}"


def reason(error: InvalidInput) -> str:
    [field_error] = error.errors
    assert field_error.field == "receipt"
    return field_error.message


def refused(token: str, jwks: dict[str, Any]) -> str:
    with pytest.raises(InvalidInput) as caught:
        verify_receipt(token, jwks)
    return reason(caught.value)


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    return tmp_path / "keys" / "receipt-signing-key.pem"


@pytest.fixture
def signer(key_path: Path) -> ReceiptSigner:
    return ReceiptSigner.load_or_create(key_path, create=True)


@pytest.fixture
def private_key(signer: ReceiptSigner, key_path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return key


@pytest.fixture
def claims() -> dict[str, Any]:
    controller = ReceiptController(
        name="Example Shop Ltd",
        contact="Privacy Office",
        address="1 Example Street, 1000 Example City",
        email="privacy@shop.example.com",
        phone="+00 000 000 000",
        url="https://shop.example.com",
    )
    context = ReceiptContext(
        jurisdiction="EU",
        language="en",
        policy_url="https://shop.example.com/privacy",
        service_name="Personalized recommendations at Example Shop",
        controllers=(controller,),
        notice_version="2026-11-01",
    )
    purposes = [
        ReceiptPurpose(
            code="personalization.explicit",
            title="Recommandations selon vos achats et vos notes",  # non-ASCII on purpose
            status="granted",
            data_categories=("purchase_history", "explicit_feedback"),
            legal_basis="consent (GDPR Art. 6(1)(a))",
            retention_days=730,
        ),
        ReceiptPurpose(
            code="sensitive.health",
            title="Recommendations in health",
            status="withdrawn",
            data_categories=(),
            legal_basis="explicit consent (GDPR Art. 9(2)(a))",
            retention_days=180,
            sensitive_category="health",
        ),
    ]
    return build_receipt(
        receipt_id="5f0c3c1e-5d1a-4b8e-9d3c-7a2f1b6e4d90",
        subject_id="subject-42",
        issued_at=datetime(2026, 11, 2, 9, 30, 15, tzinfo=UTC),
        collection_method="Choices made on the shop's privacy settings page",
        method_code="web_form",
        purposes=purposes,
        context=context,
        ledger_sequences=[7, 8],
        evidence={"user_agent": "Mozilla/5.0"},
    )


@pytest.fixture
def token(signer: ReceiptSigner, claims: dict[str, Any]) -> str:
    return signer.sign(claims)


# --- signing and the JWKS ---------------------------------------------------------------------


def test_a_signed_receipt_verifies_and_gives_back_the_claims(
    signer: ReceiptSigner, token: str, claims: dict[str, Any]
) -> None:
    assert verify_receipt(token, signer.jwks()) == claims


def test_the_header_and_payload_are_exactly_what_was_promised(
    signer: ReceiptSigner, token: str, claims: dict[str, Any]
) -> None:
    header, payload, signature = token.split(".")
    assert json.loads(unb64(header)) == {"alg": "EdDSA", "kid": signer.kid, "typ": "JWT"}
    expected = json.dumps(claims, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert unb64(payload) == expected.encode("utf-8")
    assert len(unb64(signature)) == 64  # an Ed25519 signature


def test_the_same_claims_give_the_same_token(signer: ReceiptSigner, claims: dict[str, Any]) -> None:
    reordered = dict(reversed(list(claims.items())))
    assert list(reordered) != list(claims)
    assert signer.sign(reordered) == signer.sign(claims)
    assert signer.sign({**claims, "consentReceiptID": "other"}) != signer.sign(claims)


def test_the_jwks_holds_the_public_key_only(signer: ReceiptSigner) -> None:
    [jwk] = signer.jwks()["keys"]
    assert "d" not in jwk
    assert set(jwk) == {"kty", "crv", "x", "kid", "use", "alg"}
    assert (jwk["kty"], jwk["crv"], jwk["use"], jwk["alg"]) == ("OKP", "Ed25519", "sig", "EdDSA")
    assert jwk["kid"] == signer.kid
    assert len(unb64(jwk["x"])) == 32


def test_kid_is_the_rfc7638_thumbprint(signer: ReceiptSigner) -> None:
    [jwk] = signer.jwks()["keys"]
    members = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": jwk["x"]}, separators=(",", ":"))
    assert signer.kid == b64(hashlib.sha256(members.encode("ascii")).digest())


def test_an_operator_key_gives_the_rfc8037_thumbprint(tmp_path: Path) -> None:
    """Known answer: RFC 8037's example key, supplied as a PEM file, has kid A.3."""
    key = Ed25519PrivateKey.from_private_bytes(unb64(RFC8037_D))
    path = tmp_path / "operator.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    signer = ReceiptSigner.load_or_create(path, create=False)
    assert signer.kid == RFC8037_THUMBPRINT
    assert signer.jwks()["keys"][0]["x"] == RFC8037_X


def test_claims_that_are_not_json_are_refused(signer: ReceiptSigner) -> None:
    with pytest.raises(InvalidInput):
        signer.sign({"when": datetime(2026, 1, 1, tzinfo=UTC)})
    with pytest.raises(InvalidInput):
        signer.sign({"ratio": float("inf")})


# --- verification needs only the JWKS -----------------------------------------------------------


def test_verification_needs_only_the_jwks_document(
    signer: ReceiptSigner, token: str, claims: dict[str, Any], key_path: Path
) -> None:
    """A fresh interpreter with the published JWKS and no key file verifies the receipt."""
    published = json.dumps(signer.jwks())
    key_path.unlink()
    script = (
        "import json, sys\n"
        "from tactful.consent.signing import verify_receipt\n"
        "token, jwks = sys.stdin.read().split('\\n', 1)\n"
        "print(json.dumps(verify_receipt(token, json.loads(jwks))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        input=f"{token}\n{published}",
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert json.loads(done.stdout) == claims


# --- one changed byte anywhere fails ----------------------------------------------------------


def _next_b64url(char: str) -> str:
    return B64URL[(B64URL.index(char) + 1) % 64]


def test_every_single_character_change_fails(signer: ReceiptSigner, token: str) -> None:
    """At every position of the token: the next base64url character (still valid
    base64url), and the byte with its lowest bit flipped."""
    jwks = signer.jwks()
    tried = 0
    for n, char in enumerate(token):
        changes = {chr(ord(char) ^ 1)}
        if char != ".":
            changes.add(_next_b64url(char))
        for new in changes:
            with pytest.raises(InvalidInput) as caught:
                verify_receipt(token[:n] + new + token[n + 1 :], jwks)
            assert caught.value.errors[0].field == "receipt"
            tried += 1
    assert tried >= len(token)


@pytest.mark.parametrize("part", [0, 1, 2])
@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_a_changed_character_in_each_part_fails_with_a_reason(
    signer: ReceiptSigner, token: str, part: int, where: str
) -> None:
    parts = token.split(".")
    text = parts[part]
    n = {"first": 0, "middle": len(text) // 2, "last": len(text) - 1}[where]
    parts[part] = text[:n] + _next_b64url(text[n]) + text[n + 1 :]
    message = refused(".".join(parts), signer.jwks())
    if part == 2 and where == "last":  # 86 characters: the last one has 4 unused bits
        assert message == "the signature is not canonical base64url"
    elif part == 1 and where == "last":  # unused bits or not, depending on the length
        assert message in {"signature does not verify", "the payload is not canonical base64url"}
    elif part in (1, 2):
        assert message == "signature does not verify"
    else:
        assert "header" in message or "kid" in message or "alg" in message


def test_a_non_canonical_signature_that_a_lax_decoder_accepts_is_refused(
    signer: ReceiptSigner, token: str
) -> None:
    """64 bytes take 86 base64url characters; the last one carries 2 bits and 4 unused.
    Changing only unused bits gives a different string with the same signature bytes."""
    head, body, signature = token.split(".")
    last = B64URL.index(signature[-1])
    changed = signature[:-1] + B64URL[last ^ 1]
    assert changed != signature
    assert unb64(changed) == unb64(signature)  # what a lax verifier would check
    assert refused(f"{head}.{body}.{changed}", signer.jwks()) == (
        "the signature is not canonical base64url"
    )


def test_changed_claims_re_encoded_cleanly_fail(
    signer: ReceiptSigner, token: str, claims: dict[str, Any]
) -> None:
    head, _, signature = token.split(".")
    for key, value in [("piiPrincipalId", "someone-else"), ("sensitive", False)]:
        body = b64(json.dumps({**claims, key: value}).encode())
        assert refused(f"{head}.{body}.{signature}", signer.jwks()) == "signature does not verify"


@pytest.mark.parametrize(
    ("mangle", "expected"),
    [
        (lambda t: t.rsplit(".", 1)[0], "three base64url parts"),
        (lambda t: t + ".", "three base64url parts"),
        (lambda t: t.replace(".", ".."), "three base64url parts"),
        (lambda t: " " + t, "header is not base64url"),
        (lambda t: t + "\n", "signature is not base64url"),
        (lambda t: t.rsplit(".", 1)[0] + ".", "signature is not base64url"),
        (lambda t: "", "three base64url parts"),
    ],
)
def test_malformed_tokens_are_refused_with_a_reason(
    signer: ReceiptSigner, token: str, mangle: Callable[[str], str], expected: str
) -> None:
    assert expected in refused(mangle(token), signer.jwks())


# --- keys and algorithms --------------------------------------------------------------------


def test_an_unknown_kid_fails(
    signer: ReceiptSigner, private_key: Ed25519PrivateKey, claims: dict[str, Any]
) -> None:
    header = {"alg": "EdDSA", "kid": "not-a-published-key", "typ": "JWT"}
    forged = forge(header, json.dumps(claims).encode(), private_key.sign)
    assert refused(forged, signer.jwks()) == (
        "unknown kid 'not-a-published-key': no key in the JWKS has it"
    )
    no_kid = forge({"alg": "EdDSA", "typ": "JWT"}, b"{}", private_key.sign)
    assert refused(no_kid, signer.jwks()) == "header names no key (kid)"


def test_another_signers_jwks_does_not_verify(
    token: str, signer: ReceiptSigner, tmp_path: Path
) -> None:
    other = ReceiptSigner.load_or_create(tmp_path / "other.pem", create=True)
    assert other.kid != signer.kid
    assert "unknown kid" in refused(token, other.jwks())
    # Even relabelled with our kid, the other key does not verify our signature.
    [jwk] = other.jwks()["keys"]
    relabelled = {"keys": [{**jwk, "kid": signer.kid}]}
    assert refused(token, relabelled) == "signature does not verify"


def test_a_token_signed_by_another_key_under_our_kid_fails(
    signer: ReceiptSigner, claims: dict[str, Any]
) -> None:
    impostor = Ed25519PrivateKey.generate()
    header = {"alg": "EdDSA", "kid": signer.kid, "typ": "JWT"}
    forged = forge(header, json.dumps(claims).encode(), impostor.sign)
    assert refused(forged, signer.jwks()) == "signature does not verify"


def test_alg_confusion_hmac_with_the_public_key_as_secret_fails(
    signer: ReceiptSigner, claims: dict[str, Any]
) -> None:
    """The classic attack: re-sign with HS256, using the published key as the HMAC secret."""
    [jwk] = signer.jwks()["keys"]
    payload = json.dumps({**claims, "piiPrincipalId": "victim"}).encode()
    for secret in (unb64(jwk["x"]), jwk["x"].encode(), json.dumps(jwk).encode()):
        header = {"alg": "HS256", "kid": signer.kid, "typ": "JWT"}
        forged = forge(header, payload, lambda m, s=secret: hmac.new(s, m, "sha256").digest())
        # The forgery is a well-formed HS256 JWS: a verifier that lets the token pick its
        # algorithm, given the key material, would accept it.
        jws.deserialize_compact(forged, OctKey.import_key(secret), algorithms=["HS256"])
        assert refused(forged, signer.jwks()) == (
            "alg 'HS256' is not accepted: receipts are signed with EdDSA only"
        )


@pytest.mark.parametrize("alg", ["none", "None", "HS256", "RS256", "ES256", "Ed25519", "eddsa", ""])
def test_only_eddsa_is_accepted(
    signer: ReceiptSigner, private_key: Ed25519PrivateKey, alg: str
) -> None:
    header = {"alg": alg, "kid": signer.kid, "typ": "JWT"}
    forged = forge(header, b'{"sensitive":false}', private_key.sign)
    assert f"alg {alg!r} is not accepted" in refused(forged, signer.jwks())
    unsigned = forged.rsplit(".", 1)[0] + "."
    assert f"alg {alg!r} is not accepted" in refused(unsigned, signer.jwks())


def test_a_header_without_alg_is_refused(
    signer: ReceiptSigner, private_key: Ed25519PrivateKey
) -> None:
    forged = forge({"kid": signer.kid}, b"{}", private_key.sign)
    assert refused(forged, signer.jwks()) == (
        "alg None is not accepted: receipts are signed with EdDSA only"
    )


@pytest.mark.parametrize(
    "extra",
    [{"crit": ["b64"], "b64": False}, {"b64": False}, {"jku": "https://evil.example/jwks"}],
)
def test_header_parameters_outside_alg_kid_typ_are_refused(
    signer: ReceiptSigner, private_key: Ed25519PrivateKey, extra: dict[str, Any]
) -> None:
    header = {"alg": "EdDSA", "kid": signer.kid, "typ": "JWT", **extra}
    forged = forge(header, b"{}", private_key.sign)
    assert "header has parameters Tactful does not accept" in refused(forged, signer.jwks())


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (b64(b"{not json"), "the header is not JSON"),
        (b64(b'["alg","EdDSA"]'), "the header is not a JSON object"),
        (b64(b'{"alg":"EdDSA","alg":"none"}'), "the header is not JSON"),
        (b64(b"\xff\xfe"), "the header is not JSON"),
    ],
)
def test_a_header_that_is_not_a_json_object_is_refused(
    token: str, signer: ReceiptSigner, header: str, expected: str
) -> None:
    _, body, signature = token.split(".")
    assert expected in refused(f"{header}.{body}.{signature}", signer.jwks())


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"[1, 2]", "the payload is not a JSON object"),
        (b'"a receipt"', "the payload is not a JSON object"),
        (b"not json", "the payload is not JSON"),
        (b'{"piiPrincipalId":"a","piiPrincipalId":"b"}', "the payload is not JSON"),
        (b'{"ratio": NaN}', "the payload is not JSON"),
    ],
)
def test_a_validly_signed_payload_that_is_not_a_json_object_is_refused(
    signer: ReceiptSigner, private_key: Ed25519PrivateKey, payload: bytes, expected: str
) -> None:
    header = {"alg": "EdDSA", "kid": signer.kid, "typ": "JWT"}
    assert expected in refused(forge(header, payload, private_key.sign), signer.jwks())


def test_a_jwks_key_that_is_not_for_eddsa_signatures_is_refused(
    signer: ReceiptSigner, token: str
) -> None:
    [jwk] = signer.jwks()["keys"]
    for changed in ({**jwk, "use": "enc"}, {**jwk, "alg": "Ed25519"}):
        assert "not published for EdDSA" in refused(token, {"keys": [changed]})
    assert "not an Ed25519 key" in refused(token, {"keys": [{**jwk, "crv": "X25519"}]})
    assert "not a valid Ed25519 public key" in refused(token, {"keys": [{**jwk, "x": "AAAA"}]})
    assert "names 2 keys" in refused(token, {"keys": [jwk, jwk]})


def test_a_document_that_is_not_a_jwks_is_reported_on_jwks(token: str) -> None:
    for document in ({}, {"keys": "none"}, {"keys": {"a": 1}}):
        with pytest.raises(InvalidInput) as caught:
            verify_receipt(token, document)
        assert [e.field for e in caught.value.errors] == ["jwks"]


# --- the key file --------------------------------------------------------------------------


def test_the_key_file_is_created_private_and_reused(key_path: Path) -> None:
    assert not key_path.parent.exists()
    first = ReceiptSigner.load_or_create(key_path, create=True)
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    written = key_path.read_bytes()
    assert written.startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS8
    again = ReceiptSigner.load_or_create(key_path, create=True)
    loaded = ReceiptSigner.load_or_create(key_path, create=False)
    assert first.kid == again.kid == loaded.kid
    assert key_path.read_bytes() == written
    assert sorted(p.name for p in key_path.parent.iterdir()) == [key_path.name]  # no temp left


def test_a_receipt_signed_before_a_restart_verifies_after(
    key_path: Path, claims: dict[str, Any]
) -> None:
    token = ReceiptSigner.load_or_create(key_path, create=True).sign(claims)
    reloaded = ReceiptSigner.load_or_create(key_path, create=False)
    assert verify_receipt(token, reloaded.jwks()) == claims


def test_processes_starting_together_share_one_key(key_path: Path) -> None:
    kids: list[str] = []
    start = threading.Barrier(6)

    def load() -> None:
        start.wait()
        kids.append(ReceiptSigner.load_or_create(key_path, create=True).kid)

    threads = [threading.Thread(target=load) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(kids) == 6
    assert set(kids) == {ReceiptSigner.load_or_create(key_path, create=False).kid}


def test_a_key_created_by_another_process_meanwhile_is_kept_not_replaced(
    key_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loser of a creation race reads the winner's key instead of overwriting it."""
    winner = ReceiptSigner.load_or_create(key_path, create=True)
    written = key_path.read_bytes()
    real_read_bytes = Path.read_bytes
    calls: list[Path] = []

    def missing_at_first_look(self: Path) -> bytes:
        calls.append(self)
        if len(calls) == 1:  # the other process had not written it yet when we looked
            raise FileNotFoundError(self)
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", missing_at_first_look)
    loser = ReceiptSigner.load_or_create(key_path, create=True)
    assert len(calls) == 2
    assert loser.kid == winner.kid
    assert real_read_bytes(key_path) == written
    assert sorted(p.name for p in key_path.parent.iterdir()) == [key_path.name]


def test_a_missing_key_without_create_names_the_setting(key_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        ReceiptSigner.load_or_create(key_path, create=False)
    assert KEY_SETTING == "TACTFUL_RECEIPT_KEY_FILE"
    assert KEY_SETTING in caught.value.detail
    assert str(key_path) in caught.value.detail
    assert not key_path.exists()


def _pem(key: Any, encryption: Any = None) -> bytes:
    return bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            encryption or serialization.NoEncryption(),
        )
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (lambda: b"", "is not a PEM private key"),
        (lambda: b"this is not a key\n", "is not a PEM private key"),
        (lambda: os.urandom(64), "is not a PEM private key"),
        (
            lambda: _pem(Ed25519PrivateKey.generate())[:-40],
            "is not a PEM private key",
        ),
        (
            lambda: (
                Ed25519PrivateKey.generate()
                .public_key()
                .public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                )
            ),
            "is not a PEM private key",
        ),
        (
            lambda: _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048)),
            "not an Ed25519 key",
        ),
        (lambda: _pem(ed448.Ed448PrivateKey.generate()), "not an Ed25519 key"),
        (
            lambda: _pem(
                Ed25519PrivateKey.generate(), serialization.BestAvailableEncryption(b"pw")
            ),
            "is encrypted",
        ),
    ],
)
def test_a_file_that_is_not_an_ed25519_key_is_refused_and_left_alone(
    key_path: Path, content: Callable[[], bytes], expected: str
) -> None:
    key_path.parent.mkdir(parents=True)
    data = content()
    key_path.write_bytes(data)
    for create in (False, True):  # never replaced by a fresh key, even with create
        with pytest.raises(InvalidInput) as caught:
            ReceiptSigner.load_or_create(key_path, create=create)
        assert expected in caught.value.detail
        assert KEY_SETTING in caught.value.detail
        assert [e.field for e in caught.value.errors] == [KEY_SETTING]
    assert key_path.read_bytes() == data


def test_a_key_path_that_is_a_directory_is_refused(key_path: Path) -> None:
    key_path.mkdir(parents=True)
    with pytest.raises(InvalidInput, match="cannot be read"):
        ReceiptSigner.load_or_create(key_path, create=True)


# --- receipt files ----------------------------------------------------------------------------


def test_a_receipt_file_may_hold_the_bare_token(
    tmp_path: Path, token: str, signer: ReceiptSigner, claims: dict[str, Any]
) -> None:
    path = tmp_path / "receipt.jws"
    path.write_text(f"\n  {token}  \n")
    assert read_receipt_file(path) == token
    assert verify_receipt(read_receipt_file(path), signer.jwks()) == claims


def test_a_receipt_file_may_hold_a_json_object_with_the_token(
    tmp_path: Path, token: str, claims: dict[str, Any]
) -> None:
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps({"receipt_id": "x", "jws": token, "claims": claims}, indent=2))
    assert read_receipt_file(path) == token


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "neither a compact JWS nor a JSON object"),
        (b"hello world", "neither a compact JWS nor a JSON object"),
        (b"a.b", "neither a compact JWS nor a JSON object"),
        (b'["a.b.c"]', "neither a compact JWS nor a JSON object"),
        (b'{"jws": 42}', 'without a "jws" string field'),
        (b'{"token": "a.b.c"}', 'without a "jws" string field'),
        (b'{"jws": "a.b.c"', "not valid JSON"),
        (b"\xff\xfe\x00", "not UTF-8"),
    ],
)
def test_anything_else_in_a_receipt_file_is_refused(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "receipt"
    path.write_bytes(content)
    with pytest.raises(InvalidInput) as caught:
        read_receipt_file(path)
    assert expected in reason(caught.value)


def test_a_missing_receipt_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        read_receipt_file(tmp_path / "nowhere.jws")
    assert "cannot be read" in reason(caught.value)

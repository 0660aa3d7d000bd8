"""Consent, transparency and control over HTTP, on SQLite and PostgreSQL.

The tests drive the app as a person's browser would (a subject token on `/v1/me`) and as
the operator's back end would (the API key on `/v1/subjects`), and check what the very
next request sees: withdrawals, Global Privacy Control, signed receipts, TCF strings,
objections, the binding of a token to one person, and "Why am I seeing this?".
"""

from __future__ import annotations

import base64
import json
from contextlib import AbstractContextManager
from typing import Any

import httpx
import iab_tcf
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tactful.api.app import create_app
from tactful.consent.ledger import ConsentMethod, ConsentRecord, ConsentStatus
from tactful.consent.signing import ReceiptSigner, verify_receipt
from tactful.errors import InvalidInput
from tactful.service import Tactful
from tactful.services.tokens import SubjectTokens
from tactful.settings import Settings
from tests import shop, trained_shop
from tests.clock import Clock
from tests.consent.test_tcf import ES_RESTRICTIONS, JAVA_BITFIELD, SPEC_OOB_ALLOWED
from tests.http_helpers import KEY, OPERATOR, ok, problem
from tests.live_server import serve
from tests.trained_shop import T0

GPC = {"Sec-GPC": "1"}
EXPLICIT = "personalization.explicit"
BEHAVIORAL = "personalization.behavioral"
ADS = "advertising.cross_context"
MARKETING = "marketing.email"
PARAMETERS = "/v1/transparency/recommender"

Client = TestClient | httpx.Client

# The trained shop on each backend, its clock, and an HTTP client on it.
clock = trained_shop.clock
service = trained_shop.service
client = trained_shop.client


# -- helpers -------------------------------------------------------------------------------
def _token(client: Client, subject_id: str, ttl_seconds: int | None = None) -> str:
    body = {"ttl_seconds": ttl_seconds} if ttl_seconds is not None else None
    issued = ok(client.post(f"/v1/subjects/{subject_id}/tokens", json=body, headers=OPERATOR), 201)
    assert issued["subject_id"] == subject_id
    token: str = issued["token"]
    return token


def _me(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def _history(client: Client, subject_id: str) -> list[dict[str, Any]]:
    history: list[dict[str, Any]] = ok(
        client.get(f"/v1/subjects/{subject_id}/consents", headers=OPERATOR)
    )["history"]
    return history


def _receipt_ids(client: Client, subject_id: str) -> list[str]:
    listed = ok(client.get(f"/v1/subjects/{subject_id}/receipts", headers=OPERATOR))
    return [r["receipt_id"] for r in listed["receipts"]]


def _purpose(view: dict[str, Any], code: str) -> dict[str, Any]:
    found: dict[str, Any] = next(p for p in view["purposes"] if p["purpose"] == code)
    return found


def _recommend(client: Client, subject_id: str) -> dict[str, Any]:
    return ok(client.get(f"/v1/subjects/{subject_id}/recommendations", headers=OPERATOR))


def _choices(*pairs: tuple[str, str]) -> dict[str, Any]:
    return {"choices": [{"purpose": p, "status": s} for p, s in pairs]}


def _one_char_changed(text: str, at: int) -> str:
    replacement = "A" if text[at] != "A" else "B"
    return text[:at] + replacement + text[at + 1 :]


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _unb64(part: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def _serve(app: FastAPI) -> AbstractContextManager[str]:
    """The app behind a real uvicorn server on loopback; yields its base URL."""
    return serve(app, lifespan="off")


# -- 1. a withdrawal is effective on the next request --------------------------------------
WITHDRAWALS: dict[str, tuple[str, dict[str, Any]]] = {
    "consents": ("/v1/me/consents", _choices((EXPLICIT, "withdrawn"))),
    "level": ("/v1/me/level", {"level": "off"}),
}


@pytest.mark.parametrize("route", list(WITHDRAWALS))
def test_a_withdrawal_is_effective_on_the_next_request(client: TestClient, route: str) -> None:
    ok(
        client.post(
            "/v1/subjects", json=[{"subject_id": "gina", "age_band": "25-34"}], headers=OPERATOR
        )
    )
    token = _token(client, "gina")
    granted = ok(
        client.put("/v1/me/consents", json=_choices((EXPLICIT, "granted")), headers=_me(token))
    )
    assert granted["level"] == "basic"
    stored = ok(
        client.post("/v1/events", json=shop.person_events("gina", "books"), headers=OPERATOR)
    )
    assert stored["stored"] == 3
    before = _recommend(client, "gina")
    assert (before["personalized"], before["level"]) == (True, "basic")
    assert before["signals_used"] == {"purchase": 3}
    assert any(i["explanation"]["personal"] for i in before["items"])

    path, body = WITHDRAWALS[route]
    changed = ok(client.put(path, json=body, headers=_me(token)))
    assert changed["level"] == "off"

    after = _recommend(client, "gina")
    assert (after["personalized"], after["level"]) == (False, "off")
    assert after["signals_used"] == {}
    assert after["purposes"] == []
    assert not any(i["explanation"]["personal"] for i in after["items"])
    explicit = _purpose(ok(client.get("/v1/me/consents", headers=_me(token))), EXPLICIT)
    assert (explicit["status"], explicit["method"]) == ("withdrawn", "web_form")


# -- 3. Sec-GPC: 1 overrides a stored opt-in -----------------------------------------------
def test_gpc_overrides_a_stored_opt_in(client: TestClient) -> None:
    token = _token(client, "alice")
    grant = ok(client.put("/v1/me/consents", json=_choices((ADS, "granted")), headers=_me(token)))
    assert _purpose(grant, ADS)["granted"] is True
    before = _history(client, "alice")

    seen = client.get("/v1/me", headers=_me(token, **GPC))
    assert seen.status_code == 200, seen.text
    assert seen.headers["Tactful-GPC"] == "honoured"
    receipt_id = seen.headers["Tactful-GPC-Receipt"]
    after = _history(client, "alice")
    assert after[: len(before)] == before
    assert [(r["purpose"], r["status"], r["method"]) for r in after[len(before) :]] == [
        (ADS, "withdrawn", "gpc")
    ]
    view = ok(client.get("/v1/me/consents", headers=_me(token)))
    ads = _purpose(view, ADS)
    assert (ads["status"], ads["method"], ads["granted"]) == ("withdrawn", "gpc", False)
    # Only selling or sharing is opted out of: personalization stays as chosen.
    assert _purpose(view, EXPLICIT)["granted"] is True
    assert view["level"] == "full"
    receipts = ok(client.get("/v1/me/receipts", headers=_me(token)))["receipts"]
    gpc = [r for r in receipts if r["receipt_id"] == receipt_id]
    assert len(gpc) == 1
    assert gpc[0]["method"] == "gpc"
    assert gpc[0]["choices"] == [{"purpose": ADS, "status": "withdrawn"}]
    claims = verify_receipt(gpc[0]["jws"], ok(client.get("/.well-known/jwks.json")))
    assert "Global Privacy Control" in claims["collectionMethod"]
    assert claims["tactful"]["method"] == "gpc"

    # A second GPC request finds nothing to change and adds nothing.
    again = client.get("/v1/me/consents", headers=_me(token, **GPC))
    assert again.status_code == 200
    assert again.headers["Tactful-GPC"] == "honoured"
    assert "Tactful-GPC-Receipt" not in again.headers
    assert _history(client, "alice") == after

    # A grant of a purpose that sells or shares, in a request carrying GPC, is refused whole.
    mixed = _choices((ADS, "granted"), ("sensitive.health", "granted"))
    problem(client.put("/v1/me/consents", json=mixed, headers=_me(token, **GPC)), 409)
    relayed = client.put("/v1/subjects/alice/consents", json=mixed, headers={**OPERATOR, **GPC})
    problem(relayed, 409)
    assert _history(client, "alice") == after
    # A TC string consenting to everything, in a GPC request, grants the rest but not that.
    tcf = client.put(
        "/v1/me/consents/tcf", json={"tc_string": ES_RESTRICTIONS}, headers=_me(token, **GPC)
    )
    assert {"purpose": ADS, "reason": "Global Privacy Control"} in ok(tcf)["blocked"]
    assert _purpose(ok(tcf), ADS)["granted"] is False
    assert _purpose(ok(tcf), "analytics.aggregate")["granted"] is True
    assert ADS not in {r["purpose"] for r in _history(client, "alice")[len(after) :]}


ME_ROUTES = [
    ("GET", "/v1/me"),
    ("GET", "/v1/me/notice"),
    ("GET", "/v1/me/consents"),
    ("GET", "/v1/me/receipts"),
    ("GET", "/v1/me/decisions"),
    ("GET", "/v1/me/recommendations"),
    ("PUT", "/v1/me/level"),
]


def test_gpc_is_honoured_on_every_consumer_route(client: TestClient) -> None:
    token = _token(client, "carol")
    for method, path in ME_ROUTES:
        ok(client.put("/v1/me/consents", json=_choices((ADS, "granted")), headers=_me(token)))
        records = len(_history(client, "carol"))
        body = {"level": "basic"} if path == "/v1/me/level" else None
        response = client.request(method, path, json=body, headers=_me(token, **GPC))
        assert response.status_code == 200, (path, response.text)
        assert response.headers.get("Tactful-GPC") == "honoured", path
        receipt_id = response.headers.get("Tactful-GPC-Receipt")
        assert receipt_id in _receipt_ids(client, "carol"), path
        withdrawn = _history(client, "carol")[records]
        assert (withdrawn["purpose"], withdrawn["status"], withdrawn["method"]) == (
            ADS,
            "withdrawn",
            "gpc",
        ), path


def test_gpc_headers_on_a_receipt_download(client: TestClient) -> None:
    token = _token(client, "carol")
    grant = ok(client.put("/v1/me/consents", json=_choices((ADS, "granted")), headers=_me(token)))
    path = f"/v1/me/receipts/{grant['receipt']['receipt_id']}?download=true"
    response = client.get(path, headers=_me(token, **GPC))
    assert response.status_code == 200
    assert not _purpose(ok(client.get("/v1/me/consents", headers=_me(token))), ADS)["granted"]
    assert response.headers.get("Tactful-GPC") == "honoured"
    assert response.headers.get("Tactful-GPC-Receipt") in _receipt_ids(client, "carol")


def test_gpc_relayed_by_the_operator_and_published(client: TestClient) -> None:
    relayed = ok(client.post("/v1/subjects/bob/gpc", headers=OPERATOR))
    assert (relayed["gpc"], relayed["changed"]) == ("honoured", True)
    assert _purpose(relayed, ADS)["status"] == "denied"
    assert [(r["purpose"], r["method"]) for r in _history(client, "bob")] == [(ADS, "gpc")]
    again = ok(client.post("/v1/subjects/bob/gpc", headers=OPERATOR))
    assert again["changed"] is False
    assert len(_history(client, "bob")) == 1

    published = client.get("/.well-known/gpc.json")  # public: no credential
    assert published.status_code == 200
    assert published.json() == {"gpc": True, "lastUpdate": T0.date().isoformat()}


def test_gpc_headers_on_a_refused_change(client: TestClient) -> None:
    token = _token(client, "carol")
    ok(client.put("/v1/me/consents", json=_choices((ADS, "granted")), headers=_me(token)))
    refused = client.put(
        "/v1/me/consents", json=_choices((ADS, "granted")), headers=_me(token, **GPC)
    )
    problem(refused, 409)
    ads = _purpose(ok(client.get("/v1/me/consents", headers=_me(token))), ADS)
    assert (ads["status"], ads["method"]) == ("withdrawn", "gpc")
    assert refused.headers.get("Tactful-GPC") == "honoured"
    assert refused.headers.get("Tactful-GPC-Receipt") in _receipt_ids(client, "carol")


# -- 4. a receipt verifies offline and fails when one byte changes -------------------------
KANTARA_FIELDS = {
    "version",
    "jurisdiction",
    "consentTimestamp",
    "collectionMethod",
    "consentReceiptID",
    "piiPrincipalId",
    "piiControllers",
    "policyUrl",
    "services",
    "sensitive",
    "spiCat",
}
KANTARA_PURPOSE_FIELDS = {
    "purpose",
    "consentType",
    "purposeCategory",
    "piiCategory",
    "termination",
    "thirdPartyDisclosure",
}


def test_a_receipt_verifies_offline_and_fails_when_one_byte_changes(
    client: TestClient, clock: Clock
) -> None:
    token = _token(client, "carol")
    clock.advance(60)  # after carol's earlier receipts, so newest first puts this one first
    change = ok(
        client.put(
            "/v1/me/consents",
            json=_choices(("sensitive.health", "granted"), (ADS, "denied")),
            headers=_me(token),
        )
    )
    receipt = change["receipt"]
    jws: str = receipt["jws"]
    jwks = ok(client.get("/.well-known/jwks.json"))  # public: no credential
    assert [k["kid"] for k in jwks["keys"]] == [receipt["kid"]]
    assert all("d" not in k for k in jwks["keys"])

    claims = verify_receipt(jws, jwks)
    assert claims == receipt["claims"]
    assert set(claims) >= KANTARA_FIELDS
    assert claims["version"] == "KI-CR-v1.1.0"
    assert claims["jurisdiction"] == "EU"
    assert claims["consentTimestamp"] == int(clock().timestamp())
    assert claims["consentReceiptID"] == receipt["receipt_id"]
    assert claims["piiPrincipalId"] == "carol"
    assert claims["policyUrl"] == "https://shop.example.com/privacy"
    assert claims["piiControllers"][0]["piiController"] == "Example Shop Ltd"
    assert "own choice" in claims["collectionMethod"]
    [service] = claims["services"]
    by_code = {p["purposeCategory"][0]: p for p in service["purposes"]}
    assert set(by_code) == {"sensitive.health", ADS}
    for purpose in by_code.values():
        assert set(purpose) >= KANTARA_PURPOSE_FIELDS
        assert purpose["consentType"] == "EXPLICIT"
    assert by_code[ADS]["piiCategory"] == ["browsing_history", "purchase_history"]
    assert by_code[ADS]["thirdPartyDisclosure"] is True
    assert by_code["sensitive.health"]["thirdPartyDisclosure"] is False
    assert "180" in by_code["sensitive.health"]["termination"]
    assert (claims["sensitive"], claims["spiCat"]) == (True, ["health"])
    assert [(c["purpose"], c["status"]) for c in claims["tactful"]["choices"]] == [
        ("sensitive.health", "granted"),
        (ADS, "denied"),
    ]
    assert claims["tactful"]["notice_version"] == "2026-11-15"
    verified = ok(client.post("/v1/receipts/verify", json={"jws": jws}))
    assert verified == {"valid": True, "claims": claims}

    header, payload, signature = jws.split(".")
    for at in (
        len(header) // 2,
        len(header) + 1 + len(payload) // 2,
        len(jws) - len(signature) // 2,
    ):
        tampered = _one_char_changed(jws, at)
        with pytest.raises(InvalidInput):
            verify_receipt(tampered, jwks)
        refused = problem(client.post("/v1/receipts/verify", json={"jws": tampered}), 422)
        assert refused["errors"][0]["field"] == "receipt"

    # The same claims signed with any other key do not verify against the published one.
    other = ReceiptSigner(Ed25519PrivateKey.generate()).sign(claims)
    with pytest.raises(InvalidInput):
        verify_receipt(other, jwks)
    problem(client.post("/v1/receipts/verify", json={"jws": other}), 422)

    mine = ok(client.get("/v1/me/receipts", headers=_me(token)))["receipts"]
    assert (mine[0]["receipt_id"], mine[0]["jws"]) == (receipt["receipt_id"], jws)
    assert _receipt_ids(client, "carol")[0] == receipt["receipt_id"]
    one = ok(client.get(f"/v1/me/receipts/{receipt['receipt_id']}", headers=_me(token)))
    assert (one["jws"], one["method"]) == (jws, "web_form")
    download = client.get(
        f"/v1/me/receipts/{receipt['receipt_id']}", params={"download": "true"}, headers=_me(token)
    )
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("application/jose")
    assert "attachment" in download.headers["content-disposition"]
    assert download.text == jws
    assert verify_receipt(download.text, jwks) == claims


# -- 5. TCF strings from the specification -------------------------------------------------
@pytest.mark.parametrize(
    "tc_string", [JAVA_BITFIELD, SPEC_OOB_ALLOWED], ids=["iabtcf-java bitfield", "spec OOB"]
)
def test_a_tcf_string_grants_what_its_purpose_consents_imply(
    client: TestClient, tc_string: str
) -> None:
    # The expectation comes from the IAB's own decoder and the notice's published mapping.
    consented = {n for n, yes in iab_tcf.decode(tc_string).purposes_consent.items() if yes}
    notice = ok(client.get("/v1/notice"))
    expected = {
        p["purpose"]: "granted" if set(p["tcf_purposes"]) <= consented else "denied"
        for p in notice["purposes"]
        if p["tcf_purposes"]
    }
    assert set(expected.values()) == {"granted", "denied"}  # the string says yes and no

    body = ok(
        client.put("/v1/subjects/bob/consents/tcf", json={"tc_string": tc_string}, headers=OPERATOR)
    )
    statuses = {p["purpose"]: p["status"] for p in body["purposes"]}
    assert {code: statuses[code] for code in expected} == expected
    assert {s for code, s in statuses.items() if code not in expected} == {"not_chosen"}
    assert body["tcf"]["purposes"] == {code: s == "granted" for code, s in expected.items()}
    assert body["level"] == ("full" if expected[BEHAVIORAL] == "granted" else "basic")
    assert {(r["purpose"], r["status"], r["method"]) for r in _history(client, "bob")} == {
        (code, status, "tcf") for code, status in expected.items()
    }

    claims = verify_receipt(body["receipt"]["jws"], ok(client.get("/.well-known/jwks.json")))
    evidence = claims["tactful"]["evidence"]
    assert evidence["kind"] == "tcf"
    assert evidence["tc_string"] == tc_string
    assert claims["tactful"]["method"] == "tcf"
    [listed] = ok(client.get("/v1/subjects/bob/receipts", headers=OPERATOR))["receipts"]
    assert (listed["method"], listed["evidence_id"]) == ("tcf", evidence["evidence_id"])

    # The same string again changes nothing and issues no receipt.
    again = ok(
        client.put("/v1/subjects/bob/consents/tcf", json={"tc_string": tc_string}, headers=OPERATOR)
    )
    assert again["receipt"] is None
    assert len(_history(client, "bob")) == len(expected)


def test_a_malformed_tcf_string_changes_nothing(client: TestClient) -> None:
    token = _token(client, "alice")
    history, receipts = _history(client, "alice"), _receipt_ids(client, "alice")
    bad = [
        JAVA_BITFIELD[:-3],
        JAVA_BITFIELD[: len(JAVA_BITFIELD) // 2],
        "CAFEBABE",
        JAVA_BITFIELD.replace("A", "!", 1),
        "",
        "C" * 10_001,
    ]
    for raw in bad:
        for path, headers in (
            ("/v1/subjects/alice/consents/tcf", OPERATOR),
            ("/v1/me/consents/tcf", _me(token)),
        ):
            refused = problem(client.put(path, json={"tc_string": raw}, headers=headers), 422)
            assert [e["field"] for e in refused["errors"]] == ["tc_string"], (raw, refused)
    assert _history(client, "alice") == history
    assert _receipt_ids(client, "alice") == receipts


def test_an_objection_blocks_direct_marketing_until_the_subject_lifts_it(
    client: TestClient, service: Tactful, clock: Clock
) -> None:
    token = _token(client, "erin")
    ok(
        client.put(
            "/v1/subjects/erin/consents",
            json=_choices((ADS, "granted"), (MARKETING, "granted")),
            headers=OPERATOR,
        )
    )
    objected = ok(client.post("/v1/subjects/erin/objection", headers=OPERATOR))
    assert objected["objection_to_direct_marketing"] is not None
    assert {
        c["purpose"]: c["status"] for c in objected["receipt"]["claims"]["tactful"]["choices"]
    } == {
        ADS: "withdrawn",
        MARKETING: "withdrawn",
        # The objection covers every direct-marketing channel, chosen before or not.
        "marketing.sms": "denied",
        "marketing.push": "denied",
    }
    assert not _purpose(objected, ADS)["granted"]
    assert not _purpose(objected, MARKETING)["granted"]

    # A TC string consenting to TCF purposes 1-10 grants the rest, not the marketing purpose.
    tcf = ok(
        client.put(
            "/v1/subjects/erin/consents/tcf", json={"tc_string": ES_RESTRICTIONS}, headers=OPERATOR
        )
    )
    assert tcf["tcf"]["purposes"][ADS] is True
    assert tcf["blocked"] == [{"purpose": ADS, "reason": "objection to direct marketing"}]
    assert _purpose(tcf, ADS)["status"] == "withdrawn"
    assert _purpose(tcf, "analytics.aggregate")["granted"] is True
    history = _history(client, "erin")

    for code in (ADS, MARKETING):
        for path, headers in (
            ("/v1/subjects/erin/consents", OPERATOR),
            ("/v1/me/consents", _me(token)),
        ):
            problem(client.put(path, json=_choices((code, "granted")), headers=headers), 409)
    assert _history(client, "erin") == history

    # A bulk import skips the blocked grant silently and keeps the rest.
    stored = service.import_consents(
        [
            ConsentRecord(
                "erin", ADS, ConsentStatus.GRANTED, "2026-11-15", ConsentMethod.IMPORT, clock()
            ),
            ConsentRecord(
                "erin",
                "sensitive.alcohol",
                ConsentStatus.GRANTED,
                "2026-11-15",
                ConsentMethod.IMPORT,
                clock(),
            ),
        ]
    )
    assert stored == 1
    after_import = _history(client, "erin")
    assert [(r["purpose"], r["status"]) for r in after_import[len(history) :]] == [
        ("sensitive.alcohol", "granted")
    ]

    # The operator has no way to lift it.
    problem(client.delete("/v1/subjects/erin/objection", headers=OPERATOR), 405)
    assert ok(client.post("/v1/subjects/erin/objection", headers=OPERATOR))["receipt"] is None
    view = ok(client.get("/v1/subjects/erin/consents", headers=OPERATOR))
    assert view["objection_to_direct_marketing"] is not None
    spec = ok(client.get("/openapi.json"))
    lifting = [
        (path, method)
        for path, operations in spec["paths"].items()
        for method in operations
        if "objection" in path and method == "delete"
    ]
    assert lifting == [("/v1/me/objection", "delete")]

    # The subject can, and then a grant is possible again.
    lifted = ok(client.delete("/v1/me/objection", headers=_me(token)))
    assert lifted["objection_to_direct_marketing"] is None
    regranted = ok(
        client.put("/v1/me/consents", json=_choices((ADS, "granted")), headers=_me(token))
    )
    assert _purpose(regranted, ADS)["granted"] is True
    problem(client.delete("/v1/me/objection", headers=_me(token)), 404)


# -- 6. one subject's token cannot read or change another's data ---------------------------
def test_one_subjects_token_cannot_reach_anothers_data(client: TestClient) -> None:
    bob_decision = _recommend(client, "bob")
    bob_item = bob_decision["items"][0]["item_id"]
    bob_receipt = ok(
        client.put(
            "/v1/subjects/bob/consents", json=_choices((EXPLICIT, "denied")), headers=OPERATOR
        )
    )["receipt"]["receipt_id"]
    alice = _token(client, "alice")
    history = _history(client, "bob")

    for path in (
        f"/v1/me/decisions/{bob_decision['decision_id']}",
        f"/v1/me/decisions/{bob_decision['decision_id']}/items/{bob_item}",
        f"/v1/me/receipts/{bob_receipt}",
        f"/v1/me/receipts/{bob_receipt}?download=true",
    ):
        problem(client.get(path, headers=_me(alice)), 404)
    listed = ok(client.get("/v1/me/decisions", headers=_me(alice)))["decisions"]
    assert bob_decision["decision_id"] not in {d["decision_id"] for d in listed}
    assert bob_receipt not in {
        r["receipt_id"] for r in ok(client.get("/v1/me/receipts", headers=_me(alice)))["receipts"]
    }
    # Her own are there, and what she changes is hers alone.
    own = ok(client.get("/v1/me/recommendations", headers=_me(alice)))
    assert own["subject_id"] == "alice"
    ok(client.get(f"/v1/me/decisions/{own['decision_id']}", headers=_me(alice)))
    ok(client.put("/v1/me/level", json={"level": "off"}, headers=_me(alice)))
    assert _history(client, "bob") == history


def test_bad_subject_tokens_are_refused(client: TestClient, clock: Clock) -> None:
    good = _token(client, "alice", ttl_seconds=60)
    head, body, signature = good.split(".")
    as_bob = _b64(_unb64(body) | {"sub": "bob"})
    unsigned = _b64({"alg": "none", "typ": "JWT"}) + "." + body + "."
    other_secret = SubjectTokens("another-secret-0123456789abcdefghij", clock, 3600)
    bad = {
        "signature changed": f"{head}.{body}.{_one_char_changed(signature, len(signature) // 2)}",
        "claims changed": f"{head}.{as_bob}.{signature}",
        "alg none": unsigned,
        "other secret": other_secret.issue("alice", 600).token,
        "garbage": "garbage",
        "garbage with dots": "a.b.c",
        "operator key": KEY,
    }
    history = _history(client, "alice")
    for case, token in bad.items():
        for method, path in (("GET", "/v1/me"), ("PUT", "/v1/me/level")):
            response = client.request(method, path, json={"level": "off"}, headers=_me(token))
            problem(response, 401)
            assert response.headers["WWW-Authenticate"] == "Bearer", case
    for headers in ({}, OPERATOR, {"Authorization": "Bearer "}, {"Authorization": f"Basic {good}"}):
        problem(client.get("/v1/me/consents", headers=headers), 401)
    assert ok(client.get("/v1/me", headers=_me(good)))["subject_id"] == "alice"

    clock.advance(61)
    expired = problem(client.get("/v1/me", headers=_me(good)), 401)
    assert "expired" in expired["detail"]
    problem(client.put("/v1/me/level", json={"level": "off"}, headers=_me(good)), 401)
    assert _history(client, "alice") == history


def test_a_subject_token_is_not_an_operator_key(client: TestClient) -> None:
    token = _token(client, "alice")
    history = _history(client, "alice")
    for headers in ({"Authorization": f"Bearer {token}"}, {"X-API-Key": token}):
        problem(client.get("/v1/subjects/alice/consents", headers=headers), 401)
        problem(client.get("/v1/subjects/alice/recommendations", headers=headers), 401)
        problem(client.get("/v1/subjects/bob/receipts", headers=headers), 401)
        problem(client.post("/v1/subjects/bob/tokens", headers=headers), 401)
        change = _choices((EXPLICIT, "withdrawn"))
        problem(client.put("/v1/subjects/alice/consents", json=change, headers=headers), 401)
    assert _history(client, "alice") == history


# -- 7. "Why am I seeing this?" ------------------------------------------------------------
def _follow(client: TestClient, token: str, control: dict[str, Any]) -> dict[str, Any]:
    request = control["request"]
    return ok(
        client.request(request["method"], request["path"], json=request["body"], headers=_me(token))
    )


def test_why_am_i_seeing_this_and_its_controls(client: TestClient) -> None:
    token = _token(client, "alice")
    shown = ok(client.get("/v1/me/recommendations", params={"k": 5}, headers=_me(token)))
    assert (shown["personalized"], shown["level"]) == (True, "full")
    [listed] = ok(client.get("/v1/me/decisions", headers=_me(token)))["decisions"]
    assert listed["decision_id"] == shown["decision_id"]
    assert [i["item_id"] for i in listed["items"]] == [i["item_id"] for i in shown["items"]]

    why = ok(client.get(f"/v1/me/decisions/{shown['decision_id']}", headers=_me(token)))
    assert (why["level"], why["level_now"], why["personalized"]) == ("full", "full", True)
    assert why["main_parameters"] == PARAMETERS
    assert why["signals_used"] == shown["signals_used"]
    titles = {p["purpose"]: p["title"] for p in ok(client.get("/v1/notice"))["purposes"]}
    personal = [i for i in why["items"] if i["personal"]]
    assert personal
    item = personal[0]
    original = next(i for i in shown["items"] if i["item_id"] == item["item_id"])
    assert item["reason"] == original["explanation"]["reason"]
    assert {s["signal"] for s in item["signals_used"]} == set(original["explanation"]["signals"])
    assert all(s["in_words"] for s in item["signals_used"])
    assert item["purposes_relied_on"]
    for relied in item["purposes_relied_on"]:
        assert relied["title"] == titles[relied["purpose"]]
        assert relied["still_granted"] is True
    assert (
        ok(
            client.get(
                f"/v1/me/decisions/{shown['decision_id']}/items/{item['item_id']}",
                headers=_me(token),
            )
        )
        == item
    )

    # Follow the control that withdraws the purpose the item relied on.
    withdraw = next(
        c
        for c in item["controls"]
        if c["action"] == "withdraw_consent" and c["purpose"] == EXPLICIT
    )
    assert withdraw["request"]["body"] == _choices((EXPLICIT, "withdrawn"))
    _follow(client, token, withdraw)
    off = ok(client.get("/v1/me/recommendations", params={"k": 5}, headers=_me(token)))
    assert (off["personalized"], off["level"]) == (False, "off")
    again = ok(
        client.get(
            f"/v1/me/decisions/{shown['decision_id']}/items/{item['item_id']}", headers=_me(token)
        )
    )
    relied = {r["purpose"]: r["still_granted"] for r in again["purposes_relied_on"]}
    assert relied[EXPLICIT] is False
    assert EXPLICIT not in {c.get("purpose") for c in again["controls"]}

    # The unpersonalized decision offers a level; following it personalizes again.
    why_off = ok(client.get(f"/v1/me/decisions/{off['decision_id']}", headers=_me(token)))
    basic = next(c for c in why_off["items"][0]["controls"] if c.get("level") == "basic")
    assert _follow(client, token, basic)["level"] == "basic"
    back = ok(client.get("/v1/me/recommendations", params={"k": 5}, headers=_me(token)))
    assert (back["personalized"], back["level"], set(back["signals_used"])) == (
        True,
        "basic",
        {"purchase"},
    )
    decisions = ok(client.get("/v1/me/decisions", headers=_me(token)))["decisions"]
    assert {d["decision_id"] for d in decisions} == {
        shown["decision_id"],
        off["decision_id"],
        back["decision_id"],
    }


def test_paging_through_my_decisions_lists_each_once(client: TestClient) -> None:
    token = _token(client, "alice")
    made = [
        ok(client.get("/v1/me/recommendations", headers=_me(token)))["decision_id"]
        for _ in range(3)
    ]
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    for _page in range(5):
        page = ok(client.get("/v1/me/decisions", params=params, headers=_me(token)))
        seen += [d["decision_id"] for d in page["decisions"]]
        if page["next_before"] is None:
            break
        params["before"] = page["next_before"]
    assert sorted(seen) == sorted(made)


def test_the_main_parameters_are_public_and_name_the_model_in_use(client: TestClient) -> None:
    decision = _recommend(client, "alice")
    record = ok(client.get(f"/v1/decisions/{decision['decision_id']}", headers=OPERATOR))
    assert record["main_parameters"] == PARAMETERS
    public = client.get(record["main_parameters"])  # no credential at all
    assert public.status_code == 200, public.text
    recommenders = {r["name"]: r for r in public.json()["recommenders"]}
    personal = recommenders[decision["model"]["name"]]
    assert "personal" in personal["roles"]
    assert personal["trained"] is True
    assert personal["version"] == decision["model"]["version"]
    assert decision["model"]["version"] in personal["status"]


# -- 8. bad input: a problem, and the ledger as it was -------------------------------------
BAD_INPUT: list[tuple[str, str, str, Any, str]] = [
    # (case, method, path, body, field named in the problem)
    ("unknown purpose", "PUT", "op", _choices(("telepathy", "granted")), "choices.0.purpose"),
    (
        "duplicated purpose",
        "PUT",
        "op",
        _choices((EXPLICIT, "granted"), (EXPLICIT, "withdrawn")),
        "choices.1.purpose",
    ),
    ("method gpc", "PUT", "op", _choices((ADS, "withdrawn")) | {"method": "gpc"}, "method"),
    ("method tcf", "PUT", "op", _choices((EXPLICIT, "granted")) | {"method": "tcf"}, "method"),
    ("no choices", "PUT", "op", {"choices": []}, "choices"),
    ("unknown status", "PUT", "op", _choices((EXPLICIT, "maybe")), "choices.0.status"),
    ("unknown purpose (me)", "PUT", "me", _choices(("telepathy", "granted")), "choices.0.purpose"),
    (
        "duplicated purpose (me)",
        "PUT",
        "me",
        _choices((ADS, "denied"), (EXPLICIT, "granted"), (ADS, "granted")),
        "choices.2.purpose",
    ),
    (
        "method on /v1/me",
        "PUT",
        "me",
        _choices((EXPLICIT, "granted")) | {"method": "gpc"},
        "method",
    ),
    ("invalid level", "PUT", "level", {"level": "maximum"}, "level"),
    ("level as a number", "PUT", "level", {"level": 2}, "level"),
    ("no level", "PUT", "level", {}, "level"),
    ("ttl below the minimum", "POST", "token", {"ttl_seconds": 59}, "ttl_seconds"),
    ("ttl zero", "POST", "token", {"ttl_seconds": 0}, "ttl_seconds"),
    ("ttl negative", "POST", "token", {"ttl_seconds": -3600}, "ttl_seconds"),
    ("ttl above the maximum", "POST", "token", {"ttl_seconds": 24 * 3600 + 1}, "ttl_seconds"),
    ("ttl not a number", "POST", "token", {"ttl_seconds": "an hour"}, "ttl_seconds"),
]
PATHS = {
    "op": "/v1/subjects/alice/consents",
    "me": "/v1/me/consents",
    "level": "/v1/me/level",
    "token": "/v1/subjects/alice/tokens",
}


def test_bad_input_is_a_problem_and_changes_nothing(client: TestClient) -> None:
    token = _token(client, "alice")
    history, receipts = _history(client, "alice"), _receipt_ids(client, "alice")
    for case, method, where, body, field in BAD_INPUT:
        headers = _me(token) if where in ("me", "level") else OPERATOR
        response = client.request(method, PATHS[where], json=body, headers=headers)
        refused = problem(response, 422)
        assert field in {e["field"] for e in refused["errors"]}, (case, refused)
    assert _history(client, "alice") == history
    assert _receipt_ids(client, "alice") == receipts
    # The same choices, well formed, are accepted: the cases above failed for their fault.
    assert ok(client.put(PATHS["op"], json=_choices((EXPLICIT, "granted")), headers=OPERATOR))
    _token(client, "alice", ttl_seconds=60)
    _token(client, "alice", ttl_seconds=24 * 3600)


# -- the consumer journey through a real server --------------------------------------------
@pytest.mark.slow
def test_the_consumer_journey_over_loopback(settings: Settings, service: Tactful) -> None:
    with (
        _serve(create_app(settings, service)) as base,
        httpx.Client(base_url=base, timeout=30) as http,
    ):
        token = _token(http, "alice")
        shown = ok(http.get("/v1/me/recommendations", headers=_me(token)))
        assert (shown["personalized"], shown["level"]) == (True, "full")
        ok(http.put("/v1/me/consents", json=_choices((ADS, "granted")), headers=_me(token)))

        off = ok(http.put("/v1/me/level", json={"level": "off"}, headers=_me(token, **GPC)))
        assert off["level"] == "off"
        after = _recommend(http, "alice")
        assert (after["personalized"], after["level"], after["signals_used"]) == (False, "off", {})

        receipts = ok(http.get("/v1/me/receipts", headers=_me(token)))["receipts"]
        assert {r["method"] for r in receipts} >= {"gpc", "web_form"}
        gpc = next(r for r in receipts if r["method"] == "gpc")
        download = http.get(
            f"/v1/me/receipts/{gpc['receipt_id']}", params={"download": "true"}, headers=_me(token)
        )
        jwks = ok(http.get("/.well-known/jwks.json"))
        claims = verify_receipt(download.text, jwks)
        assert claims["tactful"]["choices"] == [
            {"purpose": ADS, "status": "withdrawn", "legal_basis": "consent (GDPR Art. 6(1)(a))"}
        ]
        tampered = _one_char_changed(download.text, len(download.text) // 2)
        problem(http.post("/v1/receipts/verify", json={"jws": tampered}), 422)
        problem(http.get("/v1/me", headers=_me(_one_char_changed(token, len(token) - 10))), 401)
        problem(http.get("/v1/subjects/alice/consents", headers=_me(token)), 401)

"""What HTTP tests share: the operator key, and checks of an answer or a problem."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi.testclient import TestClient

KEY = "test-operator-key-0123456789abcdef"
OPERATOR = {"X-API-Key": KEY}


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """An RFC 9457 problem with this status."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= set(body)
    return body


def subject_headers(client: TestClient | httpx.Client, subject_id: str) -> dict[str, str]:
    """Authorization for the consumer API, with a token the operator issued."""
    issued = ok(client.post(f"/v1/subjects/{subject_id}/tokens", headers=OPERATOR), 201)
    return {"Authorization": f"Bearer {issued['token']}"}

"""The body size limit: bodies over it refused, requests without a body passed straight on."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

import orjson

from tactful.api.limits import BodySizeLimit

Message = MutableMapping[str, Any]


def _run(
    headers: list[tuple[bytes, bytes]], chunks: list[bytes], http_version: str = "1.1"
) -> tuple[list[Any], list[Message]]:
    """(what the app behind saw: its receive and send, or the body it read; messages sent)."""
    seen: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.extend([receive, send])
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        seen.append(body)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    pending = [
        {"type": "http.request", "body": c, "more_body": n < len(chunks) - 1}
        for n, c in enumerate(chunks or [b""])
    ]

    async def receive() -> Message:
        return pending.pop(0)

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "http_version": http_version,
        "method": "POST",
        "path": "/v1/items",
        "headers": headers,
    }
    limit = BodySizeLimit(app, max_bytes=10)
    asyncio.run(limit(scope, receive, send))
    seen.insert(0, (receive, send))
    return seen, sent


def test_a_request_without_a_body_goes_straight_on() -> None:
    seen, sent = _run([(b"host", b"x")], [])
    (receive, send), app_receive, app_send, body = seen
    assert app_receive is receive
    assert app_send is send
    assert body == b""
    assert sent[0]["status"] == 200


def test_a_declared_length_over_the_limit_is_refused_unread() -> None:
    seen, sent = _run([(b"content-length", b"11")], [b"x" * 11])
    assert len(seen) == 1  # the app never ran
    assert sent[0]["status"] == 413
    assert orjson.loads(sent[1]["body"])["status"] == 413


def test_a_chunked_body_over_the_limit_is_refused_while_read() -> None:
    seen, sent = _run([(b"transfer-encoding", b"chunked")], [b"x" * 6, b"y" * 6])
    assert seen[1] is not seen[0][0]  # the app read through the counting receive
    assert sent[0]["status"] == 413


def test_bodies_within_the_limit_arrive_whole() -> None:
    seen, sent = _run([(b"transfer-encoding", b"chunked")], [b"x" * 4, b"y" * 6])
    assert seen[-1] == b"xxxxyyyyyy"
    assert sent[0]["status"] == 200
    seen, sent = _run([(b"content-length", b"10")], [b"z" * 10])
    assert seen[-1] == b"z" * 10
    assert sent[0]["status"] == 200


def test_without_http_1_framing_the_body_is_still_counted() -> None:
    seen, sent = _run([], [b"x" * 6, b"y" * 6], http_version="2")
    assert seen[1] is not seen[0][0]
    assert sent[0]["status"] == 413

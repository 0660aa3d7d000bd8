"""Security headers on every response, and strict CORS.

`SecurityHeaders` adds what a browser needs to keep a response to itself: no sniffing, no
referrer, no framing, a Content-Security-Policy that allows nothing by default (HTML pages
may load their own styles and images; the API explorer at /docs and /redoc may load its
scripts from the CDN FastAPI uses, and run exactly its inline scripts, by hash), opener
and feature isolation, and `Cache-Control: no-store` on `/v1/me` and on any request that
carries a credential (every response holding a person's data needs one).

`StrictCORS` lets pages on the exact origins of `settings.cors_origins` call the API, never
with cookies and never `*`: any other origin gets no CORS header at all, and its preflight
is refused.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tactful.api.problems import problem

log = logging.getLogger("tactful.api")

NO_STORE = "no-store"
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)
# FastAPI's API explorer pages: their CDN, their inline scripts by hash (added per response).
DOC_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
_DOC_POLICY = (
    "default-src 'none'; script-src https://cdn.jsdelivr.net {hashes}; "
    "style-src https://cdn.jsdelivr.net https://fonts.googleapis.com 'unsafe-inline'; "
    "font-src https://fonts.gstatic.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "connect-src 'self'; worker-src blob:; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'"
)
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)

FIXED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": (
        "accelerometer=(), browsing-topics=(), camera=(), geolocation=(), gyroscope=(), "
        "microphone=(), payment=(), usb=()"
    ),
}
_CREDENTIALS = (b"authorization", b"x-api-key")
_PRIVATE_PREFIX = "/v1/me"


def _private(scope: Scope) -> bool:
    """Whether the answer may hold a person's data: the consumer API, or any credential."""
    path: str = scope["path"]
    if path == _PRIVATE_PREFIX or path.startswith(_PRIVATE_PREFIX + "/"):
        return True
    return any(name in _CREDENTIALS for name, _ in scope["headers"])


def doc_policy(body: bytes) -> str:
    """The API explorer's policy: its CDN, and exactly the inline scripts of `body`."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(body)
    )
    return _DOC_POLICY.format(hashes=hashes).replace(" ;", ";")


class SecurityHeaders:
    """Pure ASGI middleware: `app.add_middleware(SecurityHeaders)`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = _private(scope)
        if scope["path"] in DOC_PATHS:
            await self._documentation(scope, receive, send, private)
            return

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                _decorate(message, private, None)
            await send(message)

        await self.app(scope, receive, secured)

    async def _documentation(
        self, scope: Scope, receive: Receive, send: Send, private: bool
    ) -> None:
        """Hold the page until its body is known, to hash its inline scripts."""
        start: Message | None = None
        body: list[bytes] = []

        async def held(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] == "http.response.body" and start is not None:
                body.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                _decorate(start, private, doc_policy(b"".join(body)))
                await send(start)
                await send({"type": "http.response.body", "body": b"".join(body)})
                return
            await send(message)

        await self.app(scope, receive, held)


def _decorate(message: Message, private: bool, policy: str | None) -> None:
    headers = MutableHeaders(scope=message)
    for name, value in FIXED.items():
        headers[name] = value
    if policy is None:
        html = headers.get("content-type", "").startswith("text/html")
        policy = PAGE_POLICY if html else API_POLICY
        # A page may carry a policy of its own (for example with the hash of an inline
        # style); it is the page's to make strict.
        if "content-security-policy" in headers:
            policy = headers["content-security-policy"]
    headers["Content-Security-Policy"] = policy
    if private:
        headers["Cache-Control"] = NO_STORE


# -- CORS -----------------------------------------------------------------------------------
ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE"
ALLOWED_HEADERS = "Authorization, Content-Type"
EXPOSED_HEADERS = "Retry-After, Tactful-GPC, Tactful-GPC-Receipt, Content-Disposition, Location"
PREFLIGHT_MAX_AGE = "600"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def exact_origin(text: str) -> str | None:
    """`scheme://host[:port]` as a browser sends it in Origin; None for anything else
    (a wildcard, `null`, a path, a query, credentials)."""
    try:
        parts = urlsplit(text.strip().rstrip("/"))
        port = parts.port
    except ValueError:
        return None
    if (
        parts.scheme not in _DEFAULT_PORTS
        or not parts.hostname
        or "*" in parts.netloc
        or parts.username is not None
        or parts.path
        or parts.query
        or parts.fragment
    ):
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS[parts.scheme]:
        host = f"{host}:{port}"
    return f"{parts.scheme}://{host}"


class StrictCORS:
    """Pure ASGI middleware: `app.add_middleware(StrictCORS, origins=settings.cors_origins)`."""

    def __init__(self, app: ASGIApp, origins: Iterable[str]) -> None:
        self.app = app
        allowed = set()
        for text in origins:
            origin = exact_origin(text)
            if origin is None:
                log.warning("ignored CORS origin %r: not scheme://host[:port]", text)
            else:
                allowed.add(origin)
        self.allowed = frozenset(allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        allowed = origin in self.allowed
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await self._preflight(scope, receive, send, origin if allowed else None)
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                out.add_vary_header("Origin")
                if allowed:
                    out["Access-Control-Allow-Origin"] = origin
                    out["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
            await send(message)

        await self.app(scope, receive, with_cors)

    async def _preflight(
        self, scope: Scope, receive: Receive, send: Send, origin: str | None
    ) -> None:
        response: Response
        if origin is None:
            response = problem(
                403,
                "cors-origin",
                "Forbidden",
                "Cross-origin requests from this origin are not allowed.",
                scope["path"],
            )
            response.headers["Vary"] = "Origin"
        else:
            response = Response(
                status_code=204,
                headers={
                    "Access-Control-Allow-Origin": origin,
                    "Access-Control-Allow-Methods": ALLOWED_METHODS,
                    "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                    "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
                    "Vary": "Origin",
                },
            )
        await response(scope, receive, send)

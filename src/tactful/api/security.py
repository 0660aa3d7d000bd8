"""Security headers on every response, and strict CORS.

`SecurityHeaders` adds what a browser needs to keep a response to itself: no sniffing, no
referrer, no framing, a Content-Security-Policy that allows nothing by default (HTML pages
may load their own styles and images and use exactly their own inline `<style>` blocks, by
hash; no script but the service's own status script where a page loads it, and nothing from
elsewhere), opener and feature isolation, and
`Cache-Control: no-store` on `/v1/me` and on any request that carries a credential (every
response holding a person's data needs one).

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

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tactful.api.problems import problem
from tactful.settings import exact_origin

log = logging.getLogger("tactful.api")

NO_STORE = "no-store"
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
PAGE_POLICY = (
    "default-src 'none'; style-src 'self'{styles}; img-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'{scripts}"
)
_INLINE_STYLE = re.compile(rb"<style>(.*?)</style>", re.DOTALL)
# A page that loads the service's own status script (and only such a page) may run it and
# let it fetch the page again; no inline script, no other origin.
_OWN_SCRIPT = b'<script src="/static/'
SCRIPT_POLICY = "; script-src 'self'; connect-src 'self'"

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


class SecurityHeaders:
    """Pure ASGI middleware: `app.add_middleware(SecurityHeaders)`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = _private(scope)
        # An HTML page is held until its body is known, to allow exactly its inline styles
        # by hash; pages are few and small.
        start: Message | None = None
        body: list[bytes] = []

        async def secured(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if _is_html(message):
                    start = message
                    return
                _decorate(message, private, None)
            elif message["type"] == "http.response.body" and start is not None:
                body.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                content = b"".join(body)
                _decorate(start, private, page_policy(content))
                await send(start)
                message = {"type": "http.response.body", "body": content}
            await send(message)

        await self.app(scope, receive, secured)


def _is_html(message: Message) -> bool:
    return MutableHeaders(scope=message).get("content-type", "").startswith("text/html")


def _hashes(blocks: list[bytes]) -> str:
    return "".join(
        " 'sha256-" + base64.b64encode(hashlib.sha256(block).digest()).decode() + "'"
        for block in blocks
    )


def page_policy(body: bytes) -> str:
    """A page's policy: nothing but its own styles and images, and its inline styles."""
    scripts = SCRIPT_POLICY if _OWN_SCRIPT in body else ""
    return PAGE_POLICY.format(styles=_hashes(_INLINE_STYLE.findall(body)), scripts=scripts)


def _decorate(message: Message, private: bool, policy: str | None) -> None:
    headers = MutableHeaders(scope=message)
    for name, value in FIXED.items():
        headers[name] = value
    if policy is not None:
        # A page's own forms must carry their Origin (the CSRF check compares it), which a
        # browser replaces with `null` under no-referrer; other sites still get nothing.
        headers["Referrer-Policy"] = "same-origin"
    # A response may carry a policy of its own; it is the route's to make strict.
    if "content-security-policy" not in headers:
        headers["Content-Security-Policy"] = policy or API_POLICY
    if private:
        headers["Cache-Control"] = NO_STORE


# -- CORS -----------------------------------------------------------------------------------
ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE"
ALLOWED_HEADERS = "Authorization, Content-Type"
EXPOSED_HEADERS = "Retry-After, Tactful-GPC, Tactful-GPC-Receipt, Content-Disposition, Location"
PREFLIGHT_MAX_AGE = "600"


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

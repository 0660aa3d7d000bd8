"""Who is reading a page: the person of a Privacy Center session, or the operator of a
Console session, and the CSRF token their forms carry.

A Privacy Center is opened from a link holding a subject token (`?token=`); the token is
moved into an HttpOnly cookie at once and the address is cleaned, so it is not left in the
history or in a referrer. The token keeps its own expiry and signature; the cookie adds
nothing to trust.

A Console session is signed here: the key's id, an expiry and a fingerprint of the key as
stored. It holds no secret, so a stolen cookie is worth no more than its remaining hours,
and each request re-reads the key: revoking or replacing it ends every session at once.

Cookies are SameSite=Lax (a link from the shop's own site still opens the center), so every
form that changes something also carries a CSRF token bound to the session, and a request
whose Origin is another site is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from tactful.errors import Forbidden, Unauthorized

CENTER_COOKIE = "tactful_center"
CONSOLE_COOKIE = "tactful_console"
LANGUAGE_COOKIE = "tactful_lang"
CENTER_PATH = "/privacy-center"
CONSOLE_PATH = "/console"
CONSOLE_HOURS = 8
CSRF_FIELD = "csrf"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    key_id: str
    fingerprint: str
    expires: int


class Signer:
    """HMAC-SHA256 under a key derived from the service's token secret, one per use."""

    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode(), b"tactful-web-pages", hashlib.sha256).digest()

    def _mac(self, purpose: str, value: str) -> str:
        return _b64(hmac.new(self._key, f"{purpose}|{value}".encode(), hashlib.sha256).digest())

    def csrf(self, session: str) -> str:
        """The token a form of this session must carry."""
        return self._mac("csrf", session)

    def check_csrf(self, session: str, presented: str | None) -> None:
        if not presented or not hmac.compare_digest(self.csrf(session), presented):
            raise Forbidden("This form has expired or did not come from this page; reload it.")

    def console_cookie(self, key_id: str, fingerprint: str, now: float | None = None) -> str:
        expires = int((now if now is not None else time.time()) + CONSOLE_HOURS * 3600)
        value = f"{key_id}.{fingerprint}.{expires}"
        return f"{value}.{self._mac('console', value)}"

    def console_session(self, cookie: str | None, now: float | None = None) -> ConsoleSession:
        """The session a console cookie names; SessionExpired if it is missing, forged or past
        its hours."""
        if not cookie or cookie.count(".") != 3:
            raise _expired()
        value, _, mac = cookie.rpartition(".")
        if not hmac.compare_digest(self._mac("console", value), mac):
            raise _expired()
        key_id, fingerprint, expires_text = value.split(".")
        if not expires_text.isdigit() or int(expires_text) < (now or time.time()):
            raise _expired()
        return ConsoleSession(key_id, fingerprint, int(expires_text))


class SessionExpired(Unauthorized):
    """No usable session: the console asks to sign in, the center to reopen the link."""


def _expired() -> SessionExpired:
    return SessionExpired("There is no open session for this page, or it has expired.")


def same_origin(origin: str | None, host_url: str) -> bool:
    """Whether a form post came from our own pages (a browser sends Origin on every POST;
    a missing one is let through to the CSRF token)."""
    if origin is None:
        return True
    return origin.rstrip("/") == host_url.rstrip("/")


def keep_session(
    request: Request, response: Response, name: str, value: str, path: str, max_age: int
) -> None:
    """A session cookie: script never reads it, only its own pages get it, other sites'
    posts do not carry it, and over https it never travels in clear."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def end_session(request: Request, response: Response, name: str, path: str) -> None:
    """Clear a session cookie set by `keep_session` (same path and attributes)."""
    response.delete_cookie(
        name, path=path, httponly=True, samesite="lax", secure=request.url.scheme == "https"
    )

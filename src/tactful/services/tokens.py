"""Subject tokens: what binds a consumer API request to one person.

The operator's back end, which knows who is signed in, asks Tactful for a token for that
subject and hands it to the person's browser or app. The token is a JWT signed with HMAC
(HS256) under a secret only Tactful holds, carries the subject id and expires; every
`/v1/me` request is answered for that subject and no other.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from tactful.errors import FieldError, InvalidInput, Unauthorized

ISSUER = "tactful"
AUDIENCE = "tactful:me"
ALGORITHM = "HS256"
MAX_TOKEN_CHARS = 4096


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    subject_id: str
    expires_at: datetime
    token_id: str


class SubjectTokens:
    def __init__(self, secret: str, clock: Callable[[], datetime], max_seconds: int) -> None:
        if len(secret) < 16:
            raise InvalidInput(
                "The subject token secret is too short.",
                [FieldError("subject_token_secret", "at least 32 characters")],
            )
        self._key = OctKey.import_key(secret.encode())
        self.clock = clock
        self.max_seconds = max_seconds

    def issue(self, subject_id: str, ttl_seconds: int) -> IssuedToken:
        if not 60 <= ttl_seconds <= self.max_seconds:
            raise InvalidInput(
                "The token lifetime is out of range.",
                [FieldError("ttl_seconds", f"must be between 60 and {self.max_seconds}")],
            )
        now = self.clock()
        expires = now + timedelta(seconds=ttl_seconds)
        token_id = secrets.token_urlsafe(12)
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": subject_id,
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
            "jti": token_id,
        }
        token = jwt.encode({"alg": ALGORITHM, "typ": "JWT"}, claims, self._key, [ALGORITHM])
        return IssuedToken(token, subject_id, expires.replace(microsecond=0), token_id)

    def subject_of(self, token: str) -> str:
        """The subject a valid token names; any fault is `Unauthorized`, saying which."""
        if not token or len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
            raise Unauthorized("The subject token is malformed.")
        try:
            decoded = jwt.decode(token, self._key, algorithms=[ALGORITHM])
        except (JoseError, ValueError, TypeError, KeyError):
            raise Unauthorized(
                "The subject token is not valid: its signature does not verify."
            ) from None
        claims = decoded.claims
        subject = claims.get("sub")
        exp = claims.get("exp")
        if (
            claims.get("iss") != ISSUER
            or claims.get("aud") != AUDIENCE
            or not isinstance(subject, str)
            or not subject
            or not isinstance(exp, int)
        ):
            raise Unauthorized("The subject token is not a Tactful subject token.")
        if exp <= self.clock().timestamp():
            raise Unauthorized("The subject token has expired; ask for a new one.")
        return subject

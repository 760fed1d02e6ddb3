"""The session cookie: a small signed dict, HttpOnly, SameSite=Lax, Secure over HTTPS.

It holds the CSRF secret, flash messages and, once signed in, the key of a server-side
`UserSession` row. Nothing is written unless the dict changed, so pages without forms set no
cookie.
"""

from __future__ import annotations

import json
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE_NAME = "bpvd_session"
# Paths served without looking at the session (assets, health checks polled by probes, the
# open-data API: the same answer for everyone, no cookie read or set).
BYPASS_PREFIXES = ("/static/", "/sante", "/metriques", "/favicon.ico", "/api/v1/")


def _snapshot(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, default=str)


class SessionMiddleware:
    def __init__(
        self, app: ASGIApp, secret_key: str, max_age_seconds: int, always_secure: bool = False
    ) -> None:
        self.app = app
        # True when the site's address is https: a TLS proxy that does not forward the scheme
        # must not make the cookie travel in clear.
        self.always_secure = always_secure
        self.serializer = URLSafeTimedSerializer(secret_key, salt="bourse-pvd.session")
        self.max_age = max_age_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(BYPASS_PREFIXES):
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        data: dict[str, Any] = {}
        raw = connection.cookies.get(COOKIE_NAME)
        if raw:
            try:
                loaded = self.serializer.loads(raw, max_age=self.max_age)
                data = loaded if isinstance(loaded, dict) else {}
            except BadSignature:  # forged, truncated or older than max_age: start afresh
                data = {}
        scope["session"] = data
        initial = _snapshot(data) if raw else None
        secure = self.always_secure or connection.url.scheme == "https"

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                session = scope["session"]
                if session and _snapshot(session) != initial:
                    value = self.serializer.dumps(session)
                    self._set_cookie(message, value, secure=secure)
                elif not session and raw:
                    self._set_cookie(message, "", secure=secure, max_age=0)
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    @staticmethod
    def _set_cookie(
        message: Message, value: str, *, secure: bool, max_age: int | None = None
    ) -> None:
        parts = [f"{COOKIE_NAME}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
        if max_age is not None:
            parts.append(f"Max-Age={max_age}")
        if secure:
            parts.append("Secure")
        MutableHeaders(scope=message).append("Set-Cookie", "; ".join(parts))


def flash(connection: HTTPConnection, message: str, level: str = "success") -> None:
    """A message shown once on the next page (DSFR alert levels: success, info, warning, error)."""
    connection.session.setdefault("flash", []).append([level, message])


def pop_flashes(connection: HTTPConnection) -> list[tuple[str, str]]:
    session = connection.scope.get("session")
    if not session or "flash" not in session:
        return []
    return [(level, text) for level, text in session.pop("flash")]

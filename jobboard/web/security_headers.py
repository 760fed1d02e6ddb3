"""Strict security headers on every response (CSP without inline script or style), and no
shared or browser cache for anything private."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jobboard.web.auth import PUBLIC, access_of

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    )
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
# Sent only when the site's address is https (a year; subdomains are not ours to commit).
HSTS = (b"strict-transport-security", b"max-age=31536000")
PRIVATE = (b"cache-control", b"private, no-store")


def is_private(scope: Scope, headers: list[tuple[bytes, bytes]]) -> bool:
    """A signed-in user's response, any non-public route (its login redirect included), or a
    response that sets the session cookie: none of them may be stored by any cache."""
    if scope.get("user") is not None:
        return True
    endpoint = scope.get("endpoint")
    if endpoint is not None and access_of(endpoint) not in (None, PUBLIC):
        return True
    return any(name.lower() == b"set-cookie" for name, _ in headers)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.headers = [*HEADERS, HSTS] if hsts else HEADERS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                if is_private(scope, headers):
                    headers[:] = [h for h in headers if h[0].lower() != PRIVATE[0]]
                    headers.append(PRIVATE)
                present = {k.lower() for k, _ in headers}
                headers.extend(h for h in self.headers if h[0] not in present)
            await send(message)

        await self.app(scope, receive, send_with_headers)

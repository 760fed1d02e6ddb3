"""A client that goes away mid-request is not a server error.

htmx aborts the live check of the offer form whenever the recruiter types again; the route (or the
CSRF check) then reads a body that will never come and Starlette raises `ClientDisconnect`. Nobody
is left to answer, so the request simply ends, logged at debug level only.
"""

from __future__ import annotations

import logging

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)


class ClientDisconnectMiddleware:
    """Outermost of the app's middleware: catches the disconnect wherever the body was read."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        except ClientDisconnect:
            log.debug("client went away during %s %s", scope["method"], scope["path"])

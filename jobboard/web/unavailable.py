"""The French 503 page while the database cannot be reached, instead of a 500 per request."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jobboard.db import is_unavailable
from jobboard.web.errors import render_error

log = logging.getLogger(__name__)

MESSAGE = (
    "Le service est momentanément indisponible. Réessayez dans quelques minutes ; "
    "vos informations déjà enregistrées ne sont pas perdues."
)
RETRY_AFTER_SECONDS = 30


class DatabaseUnavailableMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        except Exception as exc:
            if started or not is_unavailable(exc):
                raise
            # One line, not a traceback per request while the database is away.
            log.warning("database unavailable on %s %s: %r", scope["method"], scope["path"], exc)
            response = render_error(Request(scope), 503, MESSAGE)
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            response.headers["Cache-Control"] = "no-store"
            await response(scope, receive, send)

"""Who is asking: server-side login sessions, and the access rule every route declares.

Each endpoint is wrapped by `public` or `signed_in(...)`; `tests/test_access.py` fails if a
route forgets. Ownership (a recruiter's collectivité, a candidate's applications) is enforced in
the queries of each route, which then answer 404 rather than reveal what exists.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from jobboard.clock import now
from jobboard.domain.account import Role
from jobboard.models import User, UserSession
from jobboard.services import moderation_queue
from jobboard.services.staff_territory import territory_of
from jobboard.web import htmx
from jobboard.web.csrf import rotate_csrf
from jobboard.web.session import flash

Endpoint = Callable[[Request], Awaitable[Response]]
PUBLIC = "public"
# The longest `suivant` (return address after login) kept; longer ones are dropped.
MAX_NEXT_LENGTH = 2000
# last_seen_at is written at most this often, not on every request.
_TOUCH_EVERY = timedelta(seconds=60)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class AuthMiddleware:
    """Puts the signed-in `User` (or None) in `scope["user"]`; ends idle or too-old sessions."""

    def __init__(self, app: ASGIApp, idle: timedelta, max_age: timedelta) -> None:
        self.app = app
        self.idle = idle
        self.max_age = max_age

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "session" in scope:
            user = scope["user"] = await self._user(scope["session"])
            if user is not None and user.role == Role.STAFF and _renders_header(scope):
                # What waits in the staff member's own territory, whichever view they browse.
                scope["staff_counts"] = await moderation_queue.waiting_counts(territory_of(user))
        await self.app(scope, receive, send)

    async def _user(self, session: dict[str, Any]) -> User | None:
        key = session.get("sid")
        if not key:
            return None
        row = await UserSession.get_or_none(key_hash=_digest(key)).select_related("user")
        moment = now()
        if (
            row is None
            or not row.user.is_active
            or moment - row.last_seen_at > self.idle
            or moment - row.created_at > self.max_age
        ):
            session.pop("sid", None)
            if row is not None:
                await row.delete()
                session.setdefault("flash", []).append(
                    ["info", "Votre session a expiré. Reconnectez-vous pour continuer."]
                )
            return None
        if moment - row.last_seen_at > _TOUCH_EVERY:
            await UserSession.filter(key_hash=row.key_hash).update(last_seen_at=moment)
        return row.user


def _renders_header(scope: Scope) -> bool:
    """Only full pages show the staff header's counters: not htmx fragments, POSTs or files."""
    fragment = htmx.wants_fragment(HTTPConnection(scope))
    return scope["method"] == "GET" and not fragment and not scope["path"].endswith(".csv")


def staff_counts(connection: HTTPConnection) -> dict[str, int] | None:
    """Pending offers and accounts, for staff pages' header; None when nothing waits."""
    counts = connection.scope.get("staff_counts")
    return counts if isinstance(counts, dict) and any(counts.values()) else None


def session_hash(connection: HTTPConnection) -> str:
    """The stored form of this browser's session key ("" when signed out): what a link bound
    to one session compares with."""
    key = connection.session.get("sid")
    return _digest(key) if isinstance(key, str) and key else ""


def current_user(connection: HTTPConnection) -> User | None:
    user = connection.scope.get("user")
    return user if isinstance(user, User) else None


async def start_session(connection: HTTPConnection, user: User) -> None:
    """Sign `user` in with a brand-new session key and CSRF secret (no fixation)."""
    session = connection.session
    old = session.get("sid")
    if old:
        await UserSession.filter(key_hash=_digest(old)).delete()
    flashes = session.get("flash", [])
    session.clear()
    if flashes:
        session["flash"] = flashes
    key = secrets.token_urlsafe(32)
    moment = now()
    await UserSession.create(
        key_hash=_digest(key), user=user, created_at=moment, last_seen_at=moment
    )
    session["sid"] = key
    rotate_csrf(connection)
    connection.scope["user"] = user
    await User.filter(id=user.id).update(last_login_at=moment)


async def end_session(connection: HTTPConnection) -> None:
    key = connection.session.pop("sid", None)
    if key:
        await UserSession.filter(key_hash=_digest(key)).delete()
    rotate_csrf(connection)
    connection.scope["user"] = None


async def end_other_sessions(user: User, keep: HTTPConnection | None = None) -> None:
    """Sign `user` out everywhere (after a password change), except the current browser."""
    query = UserSession.filter(user_id=user.id)
    key = keep.session.get("sid") if keep is not None else None
    if key:
        query = query.exclude(key_hash=_digest(key))
    await query.delete()


def _mark(endpoint: Endpoint, rule: str | frozenset[str]) -> Endpoint:
    endpoint.access = rule  # type: ignore[attr-defined]
    return endpoint


def access_of(endpoint: object) -> str | frozenset[str] | None:
    rule = getattr(endpoint, "access", None)
    return rule if isinstance(rule, str | frozenset) else None


def public(endpoint: Endpoint) -> Endpoint:
    """Anyone, signed in or not."""
    return _mark(endpoint, PUBLIC)


def login_url(request: Request) -> str:
    """The login page, coming back here afterwards unless the address is absurdly long."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    quoted = quote(target, safe="")
    return "/connexion" if len(quoted) > MAX_NEXT_LENGTH else "/connexion?suivant=" + quoted


def signed_in(*roles: Role) -> Callable[[Endpoint], Endpoint]:
    """Signed-in users with one of `roles` (any role when none is given).

    Anonymous visitors are sent to the login page (htmx requests through HX-Redirect); a
    signed-in user with another role gets the French 403 page.
    """

    def decorate(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            user = current_user(request)
            if user is None:
                if not request.session.get("flash"):  # "session expired" may already say it
                    flash(request, "Connectez-vous pour accéder à cette page.", "info")
                if htmx.is_htmx(request) or request.method in ("GET", "HEAD"):
                    return htmx.redirect(request, login_url(request))
                raise HTTPException(403, "Votre session a expiré. Reconnectez-vous.")
            if roles and user.role not in roles:
                raise HTTPException(403)
            return await endpoint(request)

        return _mark(guarded, frozenset(roles or Role))

    return decorate


def user_of(request: Request) -> User:
    """The signed-in user inside a `signed_in` route."""
    user = current_user(request)
    if user is None:  # only reachable if a route skipped `signed_in`
        raise HTTPException(403)
    return user

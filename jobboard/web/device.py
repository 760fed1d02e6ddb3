"""Device cookies (OWASP): a browser that signed in to an account keeps signing in to it.

After a successful login the browser gets `bpvd_appareil`, a signed token naming the account
(by its rate-limit digest, not the address) and a random device id. A login that presents a
valid token for the account it targets is a trusted client: the account's lockout (five failures
from untrusted clients in 15 minutes) and the per-IP limit do not apply to it; its own failures
are counted per account and device instead. Guessing from elsewhere therefore never locks the
owner out of their usual browser, and a stolen token still gets only five tries per 15 minutes.
The cookie travels only to /connexion. A browser shared by several people trusts the account
that signed in last.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

COOKIE_NAME = "bpvd_appareil"
MAX_AGE = timedelta(days=180)
PATH = "/connexion"


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="bourse-pvd.device")


def trusted_device(request: Request, account: str, secret_key: str) -> str | None:
    """The device id when this browser signed in to `account` before, else None."""
    raw = request.cookies.get(COOKIE_NAME)
    if not raw:
        return None
    try:
        token = _serializer(secret_key).loads(raw, max_age=int(MAX_AGE.total_seconds()))
    except BadSignature:  # forged, truncated or too old
        return None
    if isinstance(token, list) and len(token) == 2 and token[0] == account:
        device = token[1]
        return device if isinstance(device, str) and device else None
    return None


def remember_device(
    response: Response, account: str, secret_key: str, *, secure: bool, device: str | None = None
) -> None:
    """Trust this browser for `account` (keeping its device id when it had one)."""
    token = _serializer(secret_key).dumps([account, device or secrets.token_urlsafe(16)])
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=int(MAX_AGE.total_seconds()),
        path=PATH,
        secure=secure,
        httponly=True,
        samesite="lax",
    )

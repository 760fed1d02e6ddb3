"""CSRF protection for every unsafe request: a form field or the X-CSRF-Token header.

The secret lives in the signed session; pages carry a masked copy (a fresh random mask each
render, as Django does) so a compressed page never repeats the same bytes (BREACH).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import secrets
from collections.abc import Callable

from python_multipart.exceptions import FormParserError, MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jobboard.domain.parsing import parse_int

# Renders the French error page for a status code and a message ("" for the default one).
ErrorRenderer = Callable[[Request, int, str], Response]

FIELD_NAME = "csrf_token"
HEADER_NAME = "x-csrf-token"
# The routes that take an unsafe request without a token: the one-click unsubscribes of
# RFC 8058, an alert's and the pool's (the path carries a signed token, and it can only stop
# that alert, or take that candidate out of the pool).
ONE_CLICK_UNSUBSCRIBE = re.compile(r"/(?:alertes/desabonnement|vivier/quitter)/[A-Za-z0-9_.-]+")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_SECRET_BYTES = 32
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def csrf_token(connection: HTTPConnection) -> str:
    """The token to put in a form or header; creates the session's secret on first use."""
    session = connection.scope.get("session")
    if session is None:  # a path outside the session middleware (never has forms)
        return ""
    secret = session.get("csrf")
    if not secret:
        secret = session["csrf"] = secrets.token_urlsafe(_SECRET_BYTES)
    raw = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
    mask = secrets.token_bytes(len(raw))
    masked = bytes(a ^ b for a, b in zip(raw, mask, strict=True))
    return base64.urlsafe_b64encode(mask + masked).decode().rstrip("=")


def existing_csrf_token(connection: HTTPConnection) -> str:
    """A token only if the session already holds a secret (the layout's `<meta>` for htmx):
    a visitor's page without a form creates no secret, so it sets no cookie."""
    session = connection.scope.get("session")
    if not session or not session.get("csrf"):
        return ""
    return csrf_token(connection)


def rotate_csrf(connection: HTTPConnection) -> None:
    """A new secret (at login): a token seen before signing in is worthless afterwards."""
    connection.session["csrf"] = secrets.token_urlsafe(_SECRET_BYTES)


def token_matches(token: str, secret: str | None) -> bool:
    if not token or not secret:
        return False
    try:
        blob = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        expected = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
    except (binascii.Error, ValueError):
        return False
    half = len(blob) // 2
    if len(blob) != 2 * len(expected):
        return False
    unmasked = bytes(a ^ b for a, b in zip(blob[:half], blob[half:], strict=True))
    return hmac.compare_digest(unmasked, expected)


class CSRFMiddleware:
    """Refuses unsafe requests without a valid token before any route runs.

    Form bodies are read once here (bounded by `max_body_bytes`) and replayed to the route.
    Refusals are drawn by `render_error` (the app's error pages: this module knows no template).
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int, render_error: ErrorRenderer) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.render_error = render_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS or "session" not in scope:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "POST" and ONE_CLICK_UNSUBSCRIBE.fullmatch(scope["path"]):
            # RFC 8058: the mail client posts without cookies; the signed token is the proof.
            await self.app(scope, limited_receive(receive, self.max_body_bytes), send)
            return
        request = Request(scope, receive)
        secret = scope["session"].get("csrf")
        declared = request.headers.get("content-length", "")
        length = parse_int(declared, maximum=None)
        if length is not None and length > self.max_body_bytes:
            await self._too_large(scope, receive, send)
            return
        header = request.headers.get(HEADER_NAME, "")
        if header:
            if not token_matches(header, secret):
                await self._refuse(scope, receive, send)
                return
            await self.app(scope, limited_receive(receive, self.max_body_bytes), send)
            return
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            await self._multipart(scope, receive, send, secret)
            return
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > self.max_body_bytes:
                await self._too_large(scope, receive, send)
                return
        replay = _replayer(bytes(body), receive)
        token = ""
        if request.headers.get("content-type", "").startswith(FORM_TYPES):
            try:
                async with Request(scope, _replayer(bytes(body), receive)).form() as form:
                    value = form.get(FIELD_NAME)
                    token = value if isinstance(value, str) else ""
            except (HTTPException, MultiPartException):  # a malformed body: no token in it
                await self._bad_form(scope, replay, send)
                return
        if not token_matches(token, secret):
            await self._refuse(scope, replay, send)
            return
        await self.app(scope, replay, send)

    async def _multipart(self, scope: Scope, receive: Receive, send: Send, secret: str) -> None:
        """Uploads are not buffered: python-multipart's streaming parser reads the body as it
        arrives until the `csrf_token` field is complete (forms put it first; it must end
        within the first MULTIPART_PEEK_BYTES), then what was read is replayed and the rest
        streams on to the route."""
        _, params = parse_options_header(Request(scope).headers.get("content-type", ""))
        boundary = params.get(b"boundary", b"")
        try:
            if not boundary:
                raise FormParserError("no boundary")
            reader = _TokenReader(boundary)
        except FormParserError:  # no boundary, or an absurd one
            await self._bad_form(scope, receive, send)
            return
        head = bytearray()
        more = True
        while more and reader.token is None and len(head) < MULTIPART_PEEK_BYTES:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            more = bool(message.get("more_body", False))
            unread = MULTIPART_PEEK_BYTES - len(head)
            head.extend(chunk)
            try:
                reader.feed(chunk[:unread])
            except MultipartParseError:
                await self._bad_form(scope, _replayer(bytes(head), receive), send)
                return
        if reader.token is None and not more and not reader.finished:
            await self._bad_form(scope, _replayer(bytes(head), receive), send)  # a truncated body
            return
        if not token_matches(reader.token or "", secret):
            await self._refuse(scope, _replayer(bytes(head), receive), send)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": bytes(head), "more_body": more}
            return await receive()

        await self.app(scope, limited_receive(replay, self.max_body_bytes), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._error(scope, receive, send, 403, REFUSAL)

    async def _bad_form(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._error(scope, receive, send, 400)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._error(scope, receive, send, 413)

    async def _error(
        self, scope: Scope, receive: Receive, send: Send, code: int, message: str = ""
    ) -> None:
        await self.render_error(Request(scope, receive), code, message)(scope, receive, send)


MULTIPART_PEEK_BYTES = 64 * 1024
REFUSAL = (
    "Votre session a expiré ou le formulaire n’est plus valide. Rechargez la page et "
    "recommencez. Si le problème persiste, vérifiez que votre navigateur accepte les cookies."
)
_MAX_TOKEN_BYTES = 512


class _TokenReader:
    """Feeds a multipart body to python-multipart's parser and keeps the `csrf_token` field's
    value once its part has ended; every other part's data is skipped, never stored."""

    def __init__(self, boundary: bytes) -> None:
        self.token: str | None = None
        self.finished = False
        self._field = bytearray()
        self._value = bytearray()
        self._name: bytes | None = None
        self._in_token = False
        self._data = bytearray()
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
                "on_end": self._end,
            },
        )

    def feed(self, chunk: bytes) -> None:
        if chunk:
            self._parser.write(chunk)

    def _part_begin(self) -> None:
        self._name = None
        self._in_token = False
        self._data.clear()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field.extend(data[start:end])

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value.extend(data[start:end])

    def _header_end(self) -> None:
        if bytes(self._field).strip().lower() == b"content-disposition":
            _, options = parse_options_header(bytes(self._value))
            self._name = options.get(b"name")
        self._field.clear()
        self._value.clear()

    def _headers_finished(self) -> None:
        self._in_token = self._name == FIELD_NAME.encode() and self.token is None

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_token and len(self._data) <= _MAX_TOKEN_BYTES:
            self._data.extend(data[start:end])

    def _part_end(self) -> None:
        if self._in_token:
            self.token = self._data.decode("ascii", "replace")
            self._in_token = False

    def _end(self) -> None:
        self.finished = True


def limited_receive(receive: Receive, limit: int) -> Receive:
    """Stops a body without Content-Length at `limit` bytes (the route then sees a disconnect)."""
    seen = 0

    async def limited() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise HTTPException(413)
        return message

    return limited


def _replayer(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay

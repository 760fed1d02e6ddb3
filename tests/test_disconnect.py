"""A client that goes away mid-request (htmx aborting a live check) is no error."""

from __future__ import annotations

import logging

import httpx
import pytest
from starlette.applications import Starlette
from starlette.types import Message

from tests.conftest import csrf_token, log_in, make_user

CHECK = "/espace/recruteur/offres/verifier"


@pytest.mark.parametrize("token_in", ["header", "form"])
async def test_a_cancelled_live_check_logs_no_error(
    app: Starlette, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, token_in: str
) -> None:
    await make_user("recruiter", "rh@espinasses.fr", commune="05050")
    await log_in(client, "rh@espinasses.fr")
    token = await csrf_token(client, "/espace/recruteur/offres/nouvelle")
    # htmx sends the token in a header (the route reads the body); a plain form carries it in
    # the body (the CSRF check reads it): the client is gone in both cases.
    headers = [
        (b"host", b"testserver"),
        (b"cookie", "; ".join(f"{k}={v}" for k, v in client.cookies.items()).encode()),
        (b"content-type", b"application/x-www-form-urlencoded"),
        (b"content-length", b"120"),
        (b"hx-request", b"true"),
    ]
    if token_in == "header":
        headers.append((b"x-csrf-token", token.encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": CHECK,
        "raw_path": CHECK.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    caplog.set_level(logging.DEBUG)
    await app(scope, receive, send)  # raises if the disconnect escapes to the server
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert not any(m.get("status") == 500 for m in sent)
    assert any("client went away during POST " + CHECK in r.getMessage() for r in caplog.records)

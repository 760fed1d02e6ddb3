"""The one reader of htmx's request headers: fragment or full page, redirects, Vary."""

from __future__ import annotations

import pytest
from starlette.requests import Request
from starlette.responses import Response

from jobboard.web import htmx


def _request(**headers: str) -> Request:
    raw = [(k.replace("_", "-").lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": raw})


@pytest.mark.parametrize(
    ("headers", "fragment"),
    [
        ({}, False),
        ({"HX_Request": "true"}, True),
        ({"HX_Request": "false"}, False),
        ({"HX_Request": "true", "HX_Boosted": "true"}, False),
        ({"HX_Request": "true", "HX_History_Restore_Request": "true"}, False),
        ({"HX_Request": "true", "HX_Request_Type": "full"}, False),
        ({"HX_Request": "true", "HX_Request_Type": "partial"}, True),
    ],
)
def test_only_a_partial_htmx_request_wants_a_fragment(
    headers: dict[str, str], fragment: bool
) -> None:
    request = _request(**headers)
    assert htmx.wants_fragment(request) is fragment
    assert htmx.is_htmx(request) is (headers.get("HX_Request") == "true")
    # Read once per request: each reader of the same scope gets the first answer.
    request.scope["headers"] = [(b"hx-request", b"true")] if not fragment else []
    assert htmx.wants_fragment(Request(request.scope)) is fragment


def test_redirect_is_hx_redirect_for_htmx_and_303_otherwise() -> None:
    inline = htmx.redirect(_request(HX_Request="true"), "/moderation")
    assert inline.status_code == 204 and inline.headers["hx-redirect"] == "/moderation"
    plain = htmx.redirect(_request(), "/moderation")
    assert plain.status_code == 303 and plain.headers["location"] == "/moderation"
    assert "hx-redirect" not in plain.headers
    assert inline.headers["vary"] == plain.headers["vary"] == "HX-Request"


def test_vary_adds_to_what_is_there() -> None:
    response = Response(headers={"Vary": "Accept-Encoding"})
    htmx.vary(response)
    assert response.headers["vary"] == "Accept-Encoding, HX-Request"


def test_push_url_replaces_the_entry_when_the_address_is_the_same() -> None:
    response = Response()
    htmx.push_url(_request(HX_Current_URL="http://testserver/offres?q=a"), response, "/offres?q=a")
    assert (
        response.headers["hx-replace-url"] == "/offres?q=a"
        and "hx-push-url" not in response.headers
    )
    other = Response()
    htmx.push_url(_request(HX_Current_URL="http://testserver/offres"), other, "/offres?q=a")
    assert other.headers["hx-push-url"] == "/offres?q=a" and "hx-replace-url" not in other.headers

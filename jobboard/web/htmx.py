"""What an htmx request asks for: the one place that reads the HX-* request headers."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import HTTPConnection
from starlette.responses import RedirectResponse, Response

VARY = "HX-Request"
_FRAGMENT = "jobboard.wants_fragment"  # the answer, kept in the request's scope


def is_htmx(connection: HTTPConnection) -> bool:
    """Sent by htmx (any kind: partial, boosted, history restore)."""
    return connection.headers.get("hx-request") == "true"


def wants_fragment(connection: HTTPConnection) -> bool:
    """A partial htmx request wants a fragment only; a boosted request or a history restore
    replaces the whole page, and so does an htmx 4 request of type "full". Read once per
    request (the middlewares, the page cache and the page each ask)."""
    scope = connection.scope
    found: bool | None = scope.get(_FRAGMENT)
    if found is None:
        headers = connection.headers
        found = scope[_FRAGMENT] = (
            is_htmx(connection)
            and headers.get("hx-boosted") != "true"
            and headers.get("hx-history-restore-request") != "true"
            and headers.get("hx-request-type", "partial") == "partial"
        )
    return found


def push_url(connection: HTTPConnection, response: Response, url: str) -> None:
    """Put `url` in the browser's history; the same address sent again (Enter, leaving the
    box) replaces the entry instead of adding one the Back button would have to step through."""
    current = urlsplit(connection.headers.get("hx-current-url", ""))
    same = f"{current.path}?{current.query}" if current.query else current.path
    response.headers["HX-Replace-Url" if same == url else "HX-Push-Url"] = url


def vary(response: Response) -> Response:
    """Marks a response that depends on HX-Request, so caches keep both versions apart."""
    response.headers.add_vary_header(VARY)
    return response


def redirect(connection: HTTPConnection, url: str) -> Response:
    """Go to `url` after an action: htmx follows HX-Redirect (a 303 would be swapped in)."""
    if is_htmx(connection):
        return vary(Response(status_code=204, headers={"HX-Redirect": url}))
    return vary(RedirectResponse(url, status_code=303))

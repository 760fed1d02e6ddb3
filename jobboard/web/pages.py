"""Static legal pages every French public site must have."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from jobboard.web.auth import public
from jobboard.web.state import templates


@public
async def accessibility(request: Request) -> Response:
    return templates().page(request, "pages/accessibilite.html", {})


@public
async def legal(request: Request) -> Response:
    return templates().page(request, "pages/mentions_legales.html", {})


@public
async def privacy(request: Request) -> Response:
    return templates().page(request, "pages/donnees_personnelles.html", {})

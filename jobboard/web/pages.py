"""Static legal pages every French public site must have."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from jobboard.web.state import templates


async def accessibility(request: Request) -> Response:
    return templates().page(request, "pages/accessibilite.html", {})


async def legal(request: Request) -> Response:
    return templates().page(request, "pages/mentions_legales.html", {})


async def privacy(request: Request) -> Response:
    return templates().page(request, "pages/donnees_personnelles.html", {})

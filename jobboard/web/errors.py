"""French error pages; no stack trace or SQL ever reaches a user."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from jobboard.domain.errors import NotFound, Refused
from jobboard.web.problem import problem
from jobboard.web.security_headers import HEADERS as SECURITY_HEADERS
from jobboard.web.security_headers import HSTS
from jobboard.web.state import templates

log = logging.getLogger(__name__)

TITLES = {
    400: "Requête incorrecte",
    403: "Accès refusé",
    404: "Page non trouvée",
    405: "Méthode non autorisée",
    413: "Contenu trop volumineux",
    429: "Trop de tentatives",
    500: "Erreur du serveur",
    503: "Service momentanément indisponible",
}
DEFAULT_MESSAGES = {
    400: "La requête contient une valeur que nous ne savons pas traiter.",
    403: "Vous n’avez pas accès à cette page.",
    404: "La page que vous cherchez est introuvable. Excusez-nous pour la gêne occasionnée.",
    405: "Cette adresse ne peut pas être utilisée de cette façon.",
    413: "Le contenu envoyé dépasse la taille autorisée.",
    429: "Vous avez fait trop de tentatives. Réessayez dans quelques minutes.",
}


# The API speaks of resources and methods, not pages.
API_MESSAGES = {
    404: "Cette adresse ne correspond à aucune ressource de l’API (voir /api/v1/openapi.json).",
    405: "L’API est en lecture seule : seules les méthodes GET et HEAD sont acceptées.",
}


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


# Starlette's own details are English; they are replaced by the French messages above.
_STARLETTE_DEFAULTS = {"Not Found", "Method Not Allowed", "Bad Request", "Forbidden"}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/sante"


def render_error(request: Request, code: int, message: str = "") -> Response:
    """The French error page (a problem+json body for the API, JSON for /sante) for `code`."""
    if not message and is_api(request):
        message = API_MESSAGES.get(code, "")
    message = message or DEFAULT_MESSAGES.get(code, "Une erreur est survenue.")
    if is_api(request):
        return problem(request, code, message)
    if _wants_json(request):
        return JSONResponse({"error": message}, status_code=code)
    return templates().html(
        "errors/error.html",
        {"request": request, "code": code, "title": TITLES.get(code, "Erreur"), "message": message},
        status_code=code,
    )


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = exc.detail if exc.detail and exc.detail not in _STARLETTE_DEFAULTS else ""
    response = render_error(request, exc.status_code, message)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def refused_error(request: Request, exc: Exception) -> Response:
    """A refusal no route turned into a form message: the error page with its French text."""
    assert isinstance(exc, Refused)
    return render_error(request, 400, exc.message)


async def not_found_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotFound)
    return render_error(request, 404, exc.message)


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if is_api(request):
        return problem(request, 500, "Erreur interne du serveur.")
    if _wants_json(request):
        return JSONResponse({"error": "Erreur interne du serveur."}, status_code=500)
    response = templates().html("errors/500.html", {"request": request}, status_code=500)
    # This response leaves through ServerErrorMiddleware, outside the headers middleware.
    https = request.app.state.settings.base_url.startswith("https://")
    headers = [*SECURITY_HEADERS, HSTS] if https else SECURITY_HEADERS
    response.headers.update({k.decode(): v.decode() for k, v in headers})
    response.headers["Cache-Control"] = "no-store"
    return response

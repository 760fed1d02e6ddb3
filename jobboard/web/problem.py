"""RFC 9457 problem details: how the open-data API says what went wrong, in French."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from jobboard.domain.api_query import InvalidParam

PROBLEM = "application/problem+json"

TITLES = {
    400: "Requête incorrecte",
    404: "Introuvable",
    405: "Méthode non autorisée",
    410: "Offre retirée",
    429: "Trop de requêtes",
    500: "Erreur interne",
    503: "Service momentanément indisponible",
}
# The `type` of each problem: an anchor of the /api page, where each one is explained.
PROBLEM_TYPES = {
    400: "requete-incorrecte",
    404: "introuvable",
    405: "methode-non-autorisee",
    410: "offre-retiree",
    429: "trop-de-requetes",
    500: "erreur-interne",
    503: "service-indisponible",
}


def problem_type(base_url: str, status: int) -> str:
    return f"{base_url}/api#{PROBLEM_TYPES.get(status, 'erreur')}"


def problem(
    request: Request,
    status: int,
    detail: str,
    *,
    invalid_params: Sequence[InvalidParam] = (),
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """An `application/problem+json` answer (RFC 9457), in French."""
    base_url: str = request.app.state.settings.base_url
    body: dict[str, Any] = {
        "type": problem_type(base_url, status),
        "title": TITLES.get(status, "Erreur"),
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if invalid_params:
        body["invalid_params"] = [{"name": p.name, "reason": p.reason} for p in invalid_params]
    if extra:
        body.update(extra)
    return Response(
        dumps(body), status_code=status, media_type=PROBLEM, headers=dict(headers or {})
    )


def dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()

"""The statistics page over a period (the last twelve months by default)."""

from __future__ import annotations

from datetime import date, timedelta

from starlette.requests import Request
from starlette.responses import Response

from jobboard.clock import today
from jobboard.domain.account import Role
from jobboard.services import statistics
from jobboard.web.auth import signed_in
from jobboard.web.forms import day_param
from jobboard.web.moderation.territory import territory_view
from jobboard.web.state import templates


def _period(request: Request) -> tuple[date, date, list[str]]:
    """`du` / `au` from the query string; the last twelve months by default."""
    errors: list[str] = []
    end = today()
    start = end - timedelta(days=365)
    raw_start, raw_end = request.query_params.get("du", ""), request.query_params.get("au", "")
    if raw_start:
        parsed = day_param(raw_start)
        if parsed is None:
            errors.append("Date de début invalide : format attendu JJ/MM/AAAA.")
        else:
            start = parsed
    if raw_end:
        parsed = day_param(raw_end)
        if parsed is None:
            errors.append("Date de fin invalide : format attendu JJ/MM/AAAA.")
        else:
            end = parsed
    if start > end:
        errors.append("La date de début est après la date de fin : elles ont été inversées.")
        start, end = end, start
    return start, end, errors


@signed_in(Role.STAFF)
async def stats_page(request: Request) -> Response:
    start, end, errors = _period(request)
    view = await territory_view(request)
    return templates().page(
        request,
        "moderation/statistics.html",
        {
            "stats": await statistics.compute(start, end, view.territory),
            "errors": errors,
            "territory_view": view,
        },
        status_code=400 if errors else 200,
    )

"""The moderation journal page: every offer transition, filterable by offer, actor and dates."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from jobboard.domain.account import Role
from jobboard.domain.parsing import parse_int
from jobboard.services.journal import JournalFilters, journal_page
from jobboard.web.auth import signed_in
from jobboard.web.forms import clean_text, day_param
from jobboard.web.moderation.territory import NATIONAL_VALUE, PARAM, territory_view
from jobboard.web.state import templates


@signed_in(Role.STAFF)
async def journal(request: Request) -> Response:
    """Every offer transition, newest first; an unreadable filter is ignored and said so."""
    params = request.query_params
    errors: list[str] = []
    raw_offer = params.get("offre", "").strip()
    offer_id = parse_int(raw_offer) if raw_offer else None
    if raw_offer and offer_id is None:
        errors.append("Le numéro d’offre doit être un nombre.")
    actor = clean_text(params.get("acteur", "")).strip()[:100]
    start = day_param(params.get("du", ""))
    end = day_param(params.get("au", ""))
    if (params.get("du") and start is None) or (params.get("au") and end is None):
        errors.append("Date invalide : format attendu JJ/MM/AAAA.")
    view = await territory_view(request)
    found = await journal_page(
        JournalFilters(
            offer_id=offer_id, actor=actor, start=start, end=end, territory=view.territory
        ),
        parse_int(params.get("page", "1")) or 1,
    )
    kept = {k: v for k, v in (("offre", raw_offer), ("acteur", actor),
            ("du", params.get("du", "")), ("au", params.get("au", "")),
            (PARAM, NATIONAL_VALUE if view.national else "")) if v}  # fmt: skip
    return templates().page(
        request,
        "moderation/journal.html",
        {
            "events": found.events,
            "errors": errors,
            "values": kept,
            "page": found.page,
            "pages": found.pages,
            "total": found.total,
            "territory_view": view,
            "page_url": lambda n: "/moderation/journal?" + urlencode({**kept, "page": n}),
        },
    )

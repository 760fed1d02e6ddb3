"""The moderation queue: submitted offers, oldest first, with the staff filters."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response

from jobboard.clock import now
from jobboard.domain.account import Role
from jobboard.domain.eligibility import Verdict
from jobboard.domain.offer import KIND_SHORT_LABELS, OfferKind
from jobboard.models import Offer
from jobboard.services import moderation_queue
from jobboard.services.moderation_queue import OfferFilters
from jobboard.web.auth import signed_in
from jobboard.web.forms import clean_text
from jobboard.web.moderation.territory import territory_view
from jobboard.web.state import templates


@dataclass
class ParsedFilters:
    """The filters of the query string, and a French note for each one ignored."""

    filters: OfferFilters
    errors: list[str] = field(default_factory=list)


async def queue_filters(request: Request) -> ParsedFilters:
    """`type`, `verdict` and `departement` from the query string (the export adds `statut`)."""
    params = request.query_params
    errors: list[str] = []
    kind = params.get("type", "")
    if kind and kind not in {k.value for k in OfferKind}:
        errors.append("Type d’offre inconnu : le filtre est ignoré.")
        kind = ""
    verdict = params.get("verdict", "")
    if verdict and verdict not in {v.value for v in Verdict}:
        errors.append("Verdict inconnu : le filtre est ignoré.")
        verdict = ""
    departement = clean_text(params.get("departement", ""))[:3]
    if departement and not await moderation_queue.departement_exists(departement):
        errors.append("Département inconnu : le filtre est ignoré.")
        departement = ""
    return ParsedFilters(OfferFilters(kind=kind, departement=departement, verdict=verdict), errors)


def _waited(since: datetime | None, moment: datetime) -> str:
    if since is None:
        return ""
    hours = int((moment - since).total_seconds() // 3600)
    if hours < 1:
        return "moins d’une heure"
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} jours"


def _reasons(offer: Offer, verdict: Verdict) -> list[str]:
    """The messages of the offer's stored verdict that carry `verdict`."""
    reasons = offer.eligibility.get("reasons") if isinstance(offer.eligibility, dict) else None
    rows = [r for r in reasons if isinstance(r, dict)] if isinstance(reasons, list) else []
    return [r["message"] for r in rows if r.get("verdict") == verdict.value]


@signed_in(Role.STAFF)
async def offer_queue(request: Request) -> Response:
    """Submitted offers, oldest first, with how long each has waited."""
    parsed = await queue_filters(request)
    view = await territory_view(request)
    moment = now()
    rows = [
        {
            "offer": offer,
            "waited": _waited(offer.submitted_at, moment),
            "to_review": _reasons(offer, Verdict.TO_REVIEW),
            "blocking": _reasons(offer, Verdict.INELIGIBLE),
        }
        for offer in await moderation_queue.submitted_offers(parsed.filters, view.territory)
    ]
    return templates().page(
        request,
        "moderation/queue.html",
        {
            "rows": rows,
            "filters": {**asdict(parsed.filters), "errors": parsed.errors},
            "kinds": [(k.value, KIND_SHORT_LABELS[k]) for k in OfferKind],
            "verdicts": [(v.value, v.label) for v in Verdict],
            "departements": await moderation_queue.departement_choices(),
            "pending_accounts": await moderation_queue.pending_account_count(view.territory),
            "territory_view": view,
        },
    )

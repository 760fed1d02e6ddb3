"""Public board: home, offer list with filters, offer page."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from tortoise.functions import Count

from jobboard.clock import today
from jobboard.domain.diploma import diploma_label
from jobboard.domain.offer import KIND_SHORT_LABELS, THEMES, OfferKind, OfferStatus
from jobboard.markdown import render_markdown
from jobboard.models import Departement, Offer, Region
from jobboard.services.visibility import is_visible, visible_offers
from jobboard.web.state import templates
from jobboard.web.templating import is_htmx_fragment

MAX_PAGE = 10_000


@dataclass
class BoardFilters:
    """The board's query string, validated; `errors` holds French messages for bad values."""

    q: str = ""
    kind: str = ""
    departement: str = ""
    region: str = ""
    theme: str = ""
    page: int = 1
    errors: list[str] = field(default_factory=list)

    def query_string(self, **changes: object) -> str:
        values = {
            "q": self.q,
            "type": self.kind,
            "departement": self.departement,
            "region": self.region,
            "theme": self.theme,
            "page": self.page,
        }
        values.update({("type" if k == "kind" else k): v for k, v in changes.items()})
        if values["page"] == 1:
            values.pop("page")
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})


async def parse_filters(request: Request) -> BoardFilters:
    params = request.query_params
    filters = BoardFilters(q=params.get("q", "").strip()[:200])
    kind = params.get("type", "")
    if kind:
        if kind in OfferKind.__members__.values():
            filters.kind = kind
        else:
            filters.errors.append(f"Le type d'offre « {kind[:50]} » n'existe pas.")
    theme = params.get("theme", "")
    if theme:
        if theme in THEMES:
            filters.theme = theme
        else:
            filters.errors.append(f"La thématique « {theme[:50]} » n'existe pas.")
    departement = params.get("departement", "")
    if departement:
        if len(departement) <= 3 and await Departement.exists(code=departement):
            filters.departement = departement
        else:
            filters.errors.append(f"Le département « {departement[:50]} » n'existe pas.")
    region = params.get("region", "")
    if region:
        if len(region) <= 3 and await Region.exists(code=region):
            filters.region = region
        else:
            filters.errors.append(f"La région « {region[:50]} » n'existe pas.")
    page = params.get("page", "1")
    if page.isdigit() and 1 <= int(page) <= MAX_PAGE:
        filters.page = int(page)
    else:
        filters.errors.append("Le numéro de page doit être un nombre entier positif.")
    return filters


def _filtered(filters: BoardFilters) -> Any:
    query = visible_offers()
    if filters.kind:
        query = query.filter(kind=filters.kind)
    if filters.departement:
        query = query.filter(commune__departement_id=filters.departement)
    if filters.region:
        query = query.filter(commune__region_id=filters.region)
    if filters.theme:
        query = query.filter(theme_links__theme=filters.theme)
    if filters.q:
        for word in filters.q.split()[:10]:
            query = query.filter(title__icontains=word)
    return query


async def _choices(request: Request) -> dict[str, Any]:
    """The filter choices; départements and régions change once a year, so one read per
    process (an import of new reference data takes effect at the next start)."""
    state = request.app.state
    if not getattr(state, "board_choices", None):
        departements = await Departement.all().order_by("code").values_list("code", "name")
        state.board_choices = {
            "kinds": KIND_SHORT_LABELS,
            "themes": THEMES,
            "departement_choices": [(code, f"{code} – {name}") for code, name in departements],
            "regions": await Region.all().order_by("name").values_list("code", "name"),
        }
    choices: dict[str, Any] = state.board_choices
    return choices


async def home(request: Request) -> Response:
    counts = dict(
        await visible_offers().annotate(n=Count("id")).group_by("kind").values_list("kind", "n")
    )
    latest = (
        await visible_offers()
        .order_by("-published_at", "-id")
        .limit(6)
        .prefetch_related("commune__departement")
    )
    return templates().page(
        request,
        "home.html",
        {
            "counts": {k: counts.get(k, 0) for k in KIND_SHORT_LABELS},
            "total": sum(counts.values()),
            "latest": latest,
            "kinds": KIND_SHORT_LABELS,
        },
    )


async def offer_list(request: Request) -> Response:
    filters = await parse_filters(request)
    page_size = request.app.state.settings.page_size
    query = _filtered(filters)
    total = await query.count()
    pages = max(1, math.ceil(total / page_size))
    status_code = 400 if filters.errors else 200
    if not filters.errors and filters.page > pages:
        status_code = 404
        filters.errors.append(
            f"La page {filters.page} n'existe pas : les résultats tiennent sur {pages} page"
            f"{'s' if pages > 1 else ''}."
        )
    page = min(filters.page, pages)
    offers = (
        await query.order_by("-published_at", "-id")
        .offset((page - 1) * page_size)
        .limit(page_size)
        .prefetch_related("commune__departement")
    )
    context = {
        "filters": filters,
        "offers": offers,
        "total": total,
        "page": page,
        "pages": pages,
        **(await _choices(request)),
    }
    response = templates().page(
        request,
        "offers/list.html",
        context,
        status_code=status_code,
        fragment_blocks=("results",),
    )
    if is_htmx_fragment(request):
        # The pushed URL carries only the filters in use, not every empty form field.
        query = filters.query_string(page=page)
        response.headers["HX-Push-Url"] = f"/offres?{query}" if query else "/offres"
    return response


async def offer_detail(request: Request) -> Response:
    raw_id = request.path_params["offer_id"]
    offer = None
    if raw_id.isdigit() and len(raw_id) < 10:
        offer = await Offer.get_or_none(id=int(raw_id)).prefetch_related(
            "commune__departement", "commune__region", "organisation"
        )
    # Only offers that have been public are shown; drafts and moderation states are not.
    public_statuses = (OfferStatus.PUBLISHED, OfferStatus.CLOSED, OfferStatus.EXPIRED)
    if offer is None or offer.status not in public_statuses:
        raise HTTPException(404, "Cette offre n'existe pas ou n'est plus en ligne.")
    expired = offer.status == OfferStatus.EXPIRED or (
        offer.status == OfferStatus.PUBLISHED and not is_visible(offer)
    )
    return templates().page(
        request,
        "offers/detail.html",
        {
            "offer": offer,
            "expired": expired,
            "closed": offer.status == OfferStatus.CLOSED,
            "diploma": diploma_label(offer.min_diploma_level),
            "html": {
                name: render_markdown(getattr(offer, name))
                for name in ("description", "missions", "profile")
            },
            "today": today(),
        },
    )

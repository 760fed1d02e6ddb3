"""What an offer page says to search engines and link previews: meta description, Open Graph
and, while the offer is open, its schema.org JobPosting (templates/offers/_offer_meta.html)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from jobboard.models import Offer
from jobboard.services.job_posting import SITE_NAME, job_posting, script_json
from jobboard.services.offer_public import describe


async def offer_meta(request: Request, offer: Offer) -> dict[str, Any]:
    """The page context for an offer with a public page, loaded with offer_public.RELATED."""
    public = await describe(offer, base_url=request.app.state.settings.base_url)
    posting = job_posting(public)
    return {
        "offer_meta": {
            "title": public.title,
            "description": public.summary(),
            "url": public.url,
            "site_name": SITE_NAME,
            "json_ld": script_json(posting) if posting is not None else None,
        }
    }

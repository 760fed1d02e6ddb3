"""The recruiter's space: the offers of their collectivité, by state.

Every query goes through `organisation_offers`, so a recruiter never reaches another
collectivité's offers: those answer 404, as if they did not exist.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from tortoise.queryset import QuerySet

from jobboard.domain.offer import OfferStatus
from jobboard.markdown import render_markdown
from jobboard.models import Offer, Organisation, User
from jobboard.services.accounts import parse_int
from jobboard.web.auth import signed_in, user_of
from jobboard.web.state import templates

STATUS_ORDER = (
    OfferStatus.DRAFT,
    OfferStatus.CHANGES_REQUESTED,
    OfferStatus.SUBMITTED,
    OfferStatus.PUBLISHED,
    OfferStatus.CLOSED,
    OfferStatus.EXPIRED,
    OfferStatus.REJECTED,
    OfferStatus.ARCHIVED,
)


def organisation_offers(user: User) -> QuerySet[Offer]:
    """The offers a recruiter may see: those of their own collectivité, whoever wrote them.

    Until staff verify the account, only the offers this recruiter wrote: anyone can sign up
    for any commune, and must not read its drafts by doing so.
    """
    offers = Offer.filter(organisation_id=user.organisation_id)
    if user.verification != "verified":
        offers = offers.filter(created_by_id=user.id)
    return offers


@signed_in("recruiter")
async def recruiter_home(request: Request) -> Response:
    user = user_of(request)
    organisation = await Organisation.get(id=user.organisation_id)
    offers = await organisation_offers(user).order_by("-updated_at").select_related("commune")
    groups = [
        (status, [o for o in offers if o.status == status])
        for status in STATUS_ORDER
        if any(o.status == status for o in offers)
    ]
    return templates().page(
        request,
        "recruiter/home.html",
        {"user": user, "organisation": organisation, "groups": groups, "count": len(offers)},
    )


@signed_in("recruiter")
async def recruiter_offer(request: Request) -> Response:
    user = user_of(request)
    offer_id = parse_int(str(request.path_params["offer_id"]))
    offer = (
        await organisation_offers(user).filter(id=offer_id).select_related("commune").first()
        if offer_id is not None
        else None
    )
    if offer is None:
        raise HTTPException(404)
    return templates().page(
        request,
        "recruiter/offer.html",
        {
            "user": user,
            "offer": offer,
            "description_html": render_markdown(offer.description),
            "missions_html": render_markdown(offer.missions),
            "profile_html": render_markdown(offer.profile),
        },
    )

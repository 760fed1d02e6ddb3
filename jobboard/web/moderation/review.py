"""One offer under review: the page, the staff decisions and the territorial dérogation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import Request
from starlette.responses import Response

from jobboard.clock import today
from jobboard.domain.account import Role
from jobboard.domain.diploma import diploma_label
from jobboard.domain.errors import Refused
from jobboard.domain.offer import OfferStatus
from jobboard.domain.parsing import parse_int
from jobboard.domain.talent_pool import PROPOSAL_STATUS_LABELS
from jobboard.domain.workflow import OFFER_TRANSITIONS
from jobboard.markdown import render_offer_texts
from jobboard.models import Offer
from jobboard.services import moderation, moderation_review, proposals
from jobboard.services.offer_editing import check_offer
from jobboard.services.visibility import is_visible
from jobboard.settings import Settings
from jobboard.web import htmx
from jobboard.web.auth import signed_in, user_of
from jobboard.web.forms import form_fields
from jobboard.web.session import flash
from jobboard.web.state import templates

_TERRITORY_CODES = {"density_dense", "density_intermediate_large"}
_DONE = {
    "approve": "L’offre est publiée : elle apparaît dans les résultats de recherche.",
    "request_changes": "Modifications demandées : le recruteur est prévenu par e-mail.",
    "reject": "L’offre est refusée : le recruteur est prévenu par e-mail.",
    "unpublish": "L’offre est dépubliée : le recruteur est prévenu par e-mail.",
}


async def _staff_offer(raw_id: str) -> Offer:
    return await moderation_review.staff_offer(parse_int(raw_id))


async def _review_page(
    request: Request,
    offer: Offer,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    alert: str = "",
    status_code: int = 200,
) -> Response:
    checked = await check_offer(offer, offer.organisation, today())
    facts = checked.parsed.facts
    context = {
        "offer": offer,
        "html": render_offer_texts(facts),
        "diploma": diploma_label(facts.min_diploma_level),
        "assessment": checked.assessment,
        "events": await moderation_review.offer_events(offer.id),
        "changes": await moderation.changes_since_last_review(offer),
        "epci_pvd_members": await moderation_review.epci_pvd_members(offer.commune),
        "can_override": not offer.territory_override
        and any(r.code in _TERRITORY_CODES for r in checked.assessment.blocking),
        "errors": errors or {},
        "typed": typed or {},
        "alert": alert,
        "actions": _actions_for(OfferStatus(offer.status)),
        "labels": {a: moderation.action_label(a) for a in moderation.DECISIONS},
        "proposals": await proposals.of_offer(offer.id),
        "proposal_labels": PROPOSAL_STATUS_LABELS,
        "proposable": is_visible(offer, today()),
    }
    return templates().page(
        request,
        "moderation/offer.html",
        context,
        status_code=status_code,
        fragment_blocks=["decision"],
    )


def _actions_for(status: OfferStatus) -> list[str]:
    return [a for a in moderation.DECISIONS if status in OFFER_TRANSITIONS[a].sources]


@signed_in(Role.STAFF)
async def offer_review(request: Request) -> Response:
    return await _review_page(request, await _staff_offer(str(request.path_params["offer_id"])))


async def _already_decided(request: Request, offer: Offer) -> Response:
    last = await moderation_review.last_event(offer.id)
    who = last.actor.full_name if last and last.actor else "quelqu’un d’autre"
    fresh = await _staff_offer(str(offer.id))
    return await _review_page(
        request,
        fresh,
        alert=(
            f"Cette offre a changé pendant que vous la lisiez ({who}, état actuel : "
            f"« {OfferStatus(fresh.status).label} »). Rien n’a été fait : relisez-la ci-dessous."
        ),
        status_code=409,
    )


async def _staff_act(
    request: Request,
    fields: Mapping[str, str],
    key: str,
    text: str,
    act: Callable[[Offer, int], Awaitable[object]],
    *,
    done: str,
    then: Callable[[Offer], str],
) -> Response:
    """Run one staff action on the offer of the URL with the version the form was built on;
    the page again with the reason when it is refused, or a 409 when the offer moved."""
    offer = await _staff_offer(str(request.path_params["offer_id"]))
    version = parse_int(fields.get("version", ""))
    if version is None:
        raise Refused("Le formulaire est incomplet : rechargez la page.")
    try:
        await act(offer, version)
    except moderation.AlreadyDecided as decided:
        return await _already_decided(request, decided.offer)
    except Refused as refused:
        return await _review_page(
            request,
            offer,
            errors={f"{key}:{refused.field}": refused.message} if refused.field else {},
            alert="" if refused.field else refused.message,
            typed={key: text},
            status_code=400,
        )
    flash(request, done)
    return htmx.redirect(request, then(offer))


@signed_in(Role.STAFF)
async def offer_decide(request: Request) -> Response:
    fields = await form_fields(request)
    action, comment = fields.get("decision", ""), fields.get("comment", "")
    settings: Settings = request.app.state.settings

    async def act(offer: Offer, version: int) -> object:
        return await moderation.decide(
            offer.id, action, user_of(request), comment=comment, version=version,
            settings=settings, today=today(),
        )  # fmt: skip

    return await _staff_act(
        request, fields, action, comment, act,
        done=_DONE.get(action, "Décision enregistrée."), then=lambda _: "/moderation",
    )  # fmt: skip


@signed_in(Role.STAFF)
async def offer_override(request: Request) -> Response:
    fields = await form_fields(request)
    justification = fields.get("justification", "")

    async def act(offer: Offer, version: int) -> object:
        return await moderation.override_territory(
            offer.id, user_of(request), justification=justification, version=version,
            today=today(),
        )  # fmt: skip

    return await _staff_act(
        request, fields, "override", justification, act,
        done="Dérogation enregistrée au journal. Vous pouvez maintenant décider.",
        then=lambda offer: f"/moderation/offres/{offer.id}",
    )  # fmt: skip

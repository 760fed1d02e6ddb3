"""The candidate's side of proposals: read one, apply in one click with the saved CV, or
decline; and the e-mail's « Ne plus me proposer d’offres » link, which works signed out."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from jobboard.clock import today
from jobboard.domain.account import Role
from jobboard.domain.application import MESSAGE_MAX_LENGTH
from jobboard.domain.candidate_verdict import candidate_verdict
from jobboard.domain.errors import Refused
from jobboard.domain.parsing import parse_int
from jobboard.domain.talent_pool import ProposalStatus
from jobboard.models import Proposal, User
from jobboard.services import applications, proposals, saved_cv, talent_pool
from jobboard.services.visibility import is_visible
from jobboard.settings import Settings
from jobboard.web import throttle
from jobboard.web.auth import public, signed_in, user_of
from jobboard.web.forms import form_fields
from jobboard.web.session import flash
from jobboard.web.state import templates


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _own(request: Request) -> tuple[User, Proposal]:
    user = user_of(request)
    proposal_id = parse_int(str(request.path_params["proposal_id"]))
    return user, await proposals.owned(user, proposal_id)


async def _page(
    request: Request,
    user: User,
    proposal: Proposal,
    *,
    alert: str = "",
    typed: str = "",
    status_code: int = 200,
) -> Response:
    offer = proposal.offer
    return templates().page(
        request,
        "candidate/proposal.html",
        {
            "user": user,
            "proposal": proposal,
            "sender": await proposals.proposal_sender(proposal),
            "offer": offer,
            "open": is_visible(offer, today()),
            "verdict": candidate_verdict(
                offer.kind,
                offer.start_date,
                user.birth_date,
                user.diploma_level,
                offer.min_diploma_level,
                today=today(),
            ),
            "saved_cv": await saved_cv.saved_cv_of(user),
            "alert": alert,
            "typed": typed,
            "message_max": MESSAGE_MAX_LENGTH,
            "Status": ProposalStatus,
        },
        status_code=status_code,
    )


@signed_in(Role.CANDIDATE)
async def proposal_page(request: Request) -> Response:
    """The proposal's page, where the e-mail leads: opening it marks it « ouverte »."""
    user, proposal = await _own(request)
    await proposals.mark_opened(proposal)
    return await _page(request, user, proposal)


@signed_in(Role.CANDIDATE)
async def proposal_apply(request: Request) -> Response:
    """« Candidater avec mon CV enregistré »: the application, without a letter; without a
    saved CV, the usual form (applying there answers the proposal too)."""
    user, proposal = await _own(request)
    fields = await form_fields(request)
    saved = await saved_cv.saved_cv_of(user)
    if saved is None or proposal.status == ProposalStatus.DECLINED:
        # Without a saved CV, or having declined (the page offers no button then): the usual
        # form, where applying answers the proposal all the same.
        return RedirectResponse(f"/offres/{proposal.offer_id}/candidater", status_code=303)
    limiter: throttle.Throttle = request.app.state.throttle
    if not (
        await limiter.hit(throttle.APPLY_PER_CANDIDATE, str(user.id))
        and await limiter.hit(throttle.APPLY_PER_IP, throttle.client_ip(request))
    ):
        return await _page(
            request, user, proposal, alert=throttle.APPLY_PER_IP.message, status_code=429
        )
    message = fields.get("message", "")
    try:
        application = await applications.apply(
            proposal.offer,
            user,
            saved_cv=saved,
            cover_letter="",
            message=message,
            talent_pool=fields.get("talent_pool") == "oui",
            settings=_settings(request),
            today=today(),
            answering_proposal=True,
        )
    except applications.AlreadyApplied as applied:
        return RedirectResponse(
            f"/espace/candidat/candidatures/{applied.application_id}", status_code=303
        )
    except Refused as refused:
        return await _page(
            request, user, proposal, alert=refused.message, typed=message, status_code=400
        )
    flash(request, "Votre candidature est envoyée. Vous recevrez un e-mail de confirmation.")
    return RedirectResponse(f"/espace/candidat/candidatures/{application.id}", status_code=303)


@signed_in(Role.CANDIDATE)
async def proposal_decline(request: Request) -> Response:
    _, proposal = await _own(request)
    if await proposals.decline(proposal):
        flash(request, "C’est noté : vous ne donnez pas suite à cette proposition.")
    return RedirectResponse("/espace/candidat#propositions", status_code=303)


@public
async def pool_leave(request: Request) -> Response:
    """The e-mail's « Ne plus me proposer d’offres »: GET asks, POST (the page's button, or the
    mail client's one-click of RFC 8058) takes the candidate out of the pool."""
    token = str(request.path_params["token"])
    try:
        candidate = await proposals.candidate_of_leave_token(token, _settings(request))
    except Refused as refused:
        return templates().page(
            request,
            "candidate/pool_leave.html",
            {"error": refused.message, "token": token, "left": False},
            status_code=400,
        )
    left = False
    if request.method == "POST":
        await talent_pool.withdraw(candidate)
        left = True
    return templates().page(
        request,
        "candidate/pool_leave.html",
        {
            "error": "",
            "token": token,
            "left": left,
            "until": None if left else await talent_pool.membership(candidate),
        },
    )

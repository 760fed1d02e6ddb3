"""The recruiter's side of applications: list per offer, detail, status changes, notes.

Every query is scoped to the recruiter's collectivité (`offer__organisation_id`), so another
collectivité's applications answer 404; unverified recruiters see none.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from jobboard.clock import now
from jobboard.domain.account import Role, Verification
from jobboard.domain.application import STATUS_LABELS, ApplicationStatus, actions_for
from jobboard.domain.diploma import diploma_label
from jobboard.domain.errors import NotFound, Refused
from jobboard.domain.parsing import parse_int
from jobboard.domain.talent_pool import PROPOSAL_STATUS_LABELS
from jobboard.models import Application, Offer, User
from jobboard.services import applications, pipeline, proposals, recruiter_overview
from jobboard.web import htmx
from jobboard.web.auth import signed_in, user_of
from jobboard.web.forms import form_fields
from jobboard.web.recruiter import organisation_offers
from jobboard.web.session import flash
from jobboard.web.state import templates


async def _offer(user: User, raw_id: str) -> Offer:
    offer_id = parse_int(raw_id)
    offer = (
        await organisation_offers(user).filter(id=offer_id).first()
        if offer_id is not None and user.verification == Verification.VERIFIED
        else None
    )
    if offer is None:
        raise NotFound()
    return offer


async def _application(user: User, raw_id: str) -> Application:
    return await pipeline.recruiter_application(user, parse_int(raw_id))


@signed_in(Role.RECRUITER)
async def application_list(request: Request) -> Response:
    user = user_of(request)
    offer = await _offer(user, str(request.path_params["offer_id"]))
    # Read before the list: an application arriving meanwhile stays « nouvelle » next time.
    looked_at = now()
    everything = await pipeline.offer_applications(offer.id)
    await recruiter_overview.mark_seen(user.id, offer.id, looked_at)
    counts: dict[str, int] = {status: 0 for status in ApplicationStatus}
    for application in everything:
        counts[application.status] = counts.get(application.status, 0) + 1
    status = request.query_params.get("statut", "")
    shown = [a for a in everything if a.status == status] if status in STATUS_LABELS else everything
    return templates().page(
        request,
        "recruiter/applications.html",
        {
            "offer": offer,
            "applications": shown,
            "counts": counts,
            "status": status if status in STATUS_LABELS else "",
            "labels": STATUS_LABELS,
            "total": len(everything),
            "proposals": await proposals.of_offer(offer.id),
            "proposal_labels": PROPOSAL_STATUS_LABELS,
        },
    )


async def _detail(
    request: Request,
    user: User,
    application: Application,
    *,
    error: str = "",
    typed: str = "",
    status_code: int = 200,
) -> Response:
    events = await pipeline.application_events(application.id)
    return templates().page(
        request,
        "recruiter/application.html",
        {
            "application": application,
            "events": events,
            "labels": STATUS_LABELS,
            "actions": actions_for(application.status, Role.RECRUITER),
            "error": error,
            "typed": typed,
            "diploma": diploma_label(application.candidate.diploma_level)
            if application.candidate
            else "",
        },
        status_code=status_code,
        fragment_blocks=["pipeline"],
    )


@signed_in(Role.RECRUITER)
async def application_detail(request: Request) -> Response:
    user = user_of(request)
    application = await _application(user, str(request.path_params["application_id"]))
    return await _detail(request, user, application)


@signed_in(Role.RECRUITER)
async def application_move(request: Request) -> Response:
    """A status change (htmx swaps the pipeline block; without JavaScript, a redirect)."""
    user = user_of(request)
    application = await _application(user, str(request.path_params["application_id"]))
    fields = await form_fields(request)
    comment = fields.get("comment", "")
    try:
        await applications.change_status(
            application.id, fields.get("action", ""), user, by=Role.RECRUITER, comment=comment,
            settings=request.app.state.settings,
        )  # fmt: skip
    except Refused as refused:
        return await _detail(
            request, user, application, error=refused.message, typed=comment, status_code=400
        )
    fresh = await _application(user, str(application.id))
    if htmx.is_htmx(request):
        return htmx.vary(await _detail(request, user, fresh))
    label = ApplicationStatus(fresh.status).label.lower()
    flash(request, f"Candidature : {label}. Le candidat est prévenu.")
    return htmx.vary(
        RedirectResponse(f"/espace/recruteur/candidatures/{application.id}", status_code=303)
    )


@signed_in(Role.RECRUITER)
async def application_notes(request: Request) -> Response:
    """Internal notes: shared by the collectivité's recruiters, never shown to the candidate."""
    user = user_of(request)
    application = await _application(user, str(request.path_params["application_id"]))
    await pipeline.save_notes(application, (await form_fields(request)).get("notes", ""))
    flash(request, "Notes enregistrées.")
    return RedirectResponse(f"/espace/recruteur/candidatures/{application.id}", status_code=303)

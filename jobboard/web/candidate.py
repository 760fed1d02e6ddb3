"""The candidate's space: their applications, and nobody else's.

Every query goes through `own_applications`; another candidate's application answers 404.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from tortoise.queryset import QuerySet

from jobboard.domain.account import Role
from jobboard.domain.application import STATUS_LABELS, actions_for
from jobboard.domain.errors import NotFound, Refused
from jobboard.domain.parsing import parse_int
from jobboard.domain.retention import TALENT_POOL, UNSUCCESSFUL_APPLICATION
from jobboard.domain.talent_pool import CANDIDATE_PROPOSAL_LABELS
from jobboard.models import Application, ApplicationEvent, User
from jobboard.services import applications, proposals, talent_pool
from jobboard.web.auth import signed_in, user_of
from jobboard.web.session import flash
from jobboard.web.state import templates


def own_applications(user: User) -> QuerySet[Application]:
    return Application.filter(candidate_id=user.id)


@signed_in(Role.CANDIDATE)
async def candidate_home(request: Request) -> Response:
    user = user_of(request)
    applications = (
        await own_applications(user)
        .select_related("offer__commune", "offer__organisation")
        .order_by("-created_at")
    )
    return templates().page(
        request,
        "candidate/home.html",
        {
            "user": user,
            "applications": applications,
            "status_labels": STATUS_LABELS,
            "pool_until": await talent_pool.membership(user),
            "proposals": await proposals.of_candidate(user),
            "proposal_labels": CANDIDATE_PROPOSAL_LABELS,
        },
    )


@signed_in(Role.CANDIDATE)
async def candidate_application(request: Request) -> Response:
    user = user_of(request)
    application_id = parse_int(str(request.path_params["application_id"]))
    application = (
        await own_applications(user)
        .filter(id=application_id)
        .select_related("offer__commune", "offer__organisation")
        .first()
        if application_id is not None
        else None
    )
    if application is None:
        raise NotFound()
    events = await ApplicationEvent.filter(application_id=application.id).order_by("id")
    return templates().page(
        request,
        "candidate/application.html",
        {
            "user": user,
            "application": application,
            "status_labels": STATUS_LABELS,
            "events": events,
            "can_withdraw": bool(actions_for(application.status, Role.CANDIDATE)),
            "talent_pool_duration": TALENT_POOL.label,
            "unsuccessful_duration": UNSUCCESSFUL_APPLICATION.label,
        },
    )


@signed_in(Role.CANDIDATE)
async def candidate_withdraw(request: Request) -> Response:
    user = user_of(request)
    application_id = parse_int(str(request.path_params["application_id"]))
    application = (
        await own_applications(user).filter(id=application_id).first()
        if application_id is not None
        else None
    )
    if application is None:
        raise NotFound()
    try:
        await applications.change_status(
            application.id, "withdraw", user, by=Role.CANDIDATE, comment="",
            settings=request.app.state.settings,
        )  # fmt: skip
    except Refused as refused:
        flash(request, refused.message, "error")
    else:
        flash(request, "Votre candidature est retirée. La collectivité en est informée.", "info")
    return RedirectResponse(f"/espace/candidat/candidatures/{application.id}", status_code=303)

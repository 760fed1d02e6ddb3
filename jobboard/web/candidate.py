"""The candidate's space: their applications, and nobody else's.

Every query goes through `own_applications`; another candidate's application answers 404.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from tortoise.queryset import QuerySet

from jobboard.models import Application, User
from jobboard.services.accounts import parse_int
from jobboard.web.auth import signed_in, user_of
from jobboard.web.state import templates

APPLICATION_STATUS_LABELS = {
    "received": "Reçue",
    "in_review": "En cours d'examen",
    "interview": "Entretien proposé",
    "accepted": "Retenue",
    "rejected": "Non retenue",
    "withdrawn": "Retirée",
    "obsolete": "Offre pourvue ou close",
}


def own_applications(user: User) -> QuerySet[Application]:
    return Application.filter(candidate_id=user.id)


@signed_in("candidate")
async def candidate_home(request: Request) -> Response:
    user = user_of(request)
    applications = (
        await own_applications(user).select_related("offer__commune").order_by("-created_at")
    )
    return templates().page(
        request,
        "candidate/home.html",
        {"user": user, "applications": applications, "status_labels": APPLICATION_STATUS_LABELS},
    )


@signed_in("candidate")
async def candidate_application(request: Request) -> Response:
    user = user_of(request)
    application_id = parse_int(str(request.path_params["application_id"]))
    application = (
        await own_applications(user)
        .filter(id=application_id)
        .select_related("offer__commune")
        .first()
        if application_id is not None
        else None
    )
    if application is None:
        raise HTTPException(404)
    return templates().page(
        request,
        "candidate/application.html",
        {"user": user, "application": application, "status_labels": APPLICATION_STATUS_LABELS},
    )

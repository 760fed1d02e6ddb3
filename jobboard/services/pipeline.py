"""A collectivité's applications as its recruiters see them: lists, journal, internal notes.

Every query is scoped to the recruiter's collectivité; an unverified recruiter sees none.
"""

from __future__ import annotations

from jobboard.domain.account import Verification
from jobboard.domain.errors import NotFound, Refused
from jobboard.models import Application, ApplicationEvent, User

NOTES_MAX_LENGTH = 5000


async def recruiter_application(user: User, application_id: int | None) -> Application:
    application = (
        await Application.filter(id=application_id, offer__organisation_id=user.organisation_id)
        .select_related("offer", "candidate")
        .first()
        if application_id is not None and user.verification == Verification.VERIFIED
        else None
    )
    if application is None:
        raise NotFound()
    return application


async def offer_applications(offer_id: int) -> list[Application]:
    """The offer's applications, the latest first."""
    return (
        await Application.filter(offer_id=offer_id)
        .select_related("candidate")
        .order_by("-created_at")
    )


async def application_events(application_id: int) -> list[ApplicationEvent]:
    return (
        await ApplicationEvent.filter(application_id=application_id)
        .select_related("actor")
        .order_by("id")
    )


async def save_notes(application: Application, notes: str) -> None:
    """Internal notes: shared by the collectivité's recruiters, never shown to the candidate."""
    notes = notes.strip()
    if len(notes) > NOTES_MAX_LENGTH:
        raise Refused(f"Les notes sont limitées à {NOTES_MAX_LENGTH} caractères.", "notes")
    await Application.filter(id=application.id).update(internal_notes=notes)

"""Application changes caused by the offer's life (closing, expiry)."""

from __future__ import annotations

from jobboard.mail import queue_email
from jobboard.models import Application, ApplicationEvent, Offer, User
from jobboard.settings import Settings

PENDING_APPLICATIONS = ("received", "in_review", "interview")


async def make_applications_obsolete(offer: Offer, reason: str, settings: Settings) -> int:
    """Pending applications of a closed or expired offer become obsolete, and their candidates
    are told. Call inside the transaction that closes or expires `offer`."""
    pending = await Application.filter(offer_id=offer.id, status__in=PENDING_APPLICATIONS)
    for application in pending:
        source = application.status
        application.status = "obsolete"
        await application.save(update_fields=["status", "updated_at"])
        await ApplicationEvent.create(
            application=application, from_status=source, to_status="obsolete", comment=reason
        )
        candidate = await User.get_or_none(id=application.candidate_id)
        if candidate is not None and candidate.is_active:
            await queue_email(
                candidate.email,
                "application_obsolete",
                {"user": candidate, "offer": offer, "reason": reason},
                settings,
            )
    return len(pending)

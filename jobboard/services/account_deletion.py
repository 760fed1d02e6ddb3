"""« Supprimer mon compte »: what goes, what stays and why, and the deletion itself.

A candidate's applications are anonymised (pending ones withdrawn, recruiters told); a
recruiter's offers stay with the collectivité and the journal keeps their actions without their
name; every holding of services/personal_data erases its part, in one transaction, then the
CVs and files go and SQLite's deleted pages are overwritten (jobboard.db.erase_deleted_pages).
Deleting an account twice, or while its archive is being built, deletes it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import anyio.to_thread
from tortoise.transactions import in_transaction

from jobboard.db import erase_deleted_pages
from jobboard.domain.account import Role, Verification
from jobboard.domain.application import PENDING
from jobboard.domain.offer import OfferStatus
from jobboard.mail import queue_email
from jobboard.models import Application, Offer, User
from jobboard.passwords import verify_password_async
from jobboard.services.accounts import FormInvalid
from jobboard.services.cv_store import cv_store
from jobboard.services.personal_data import HOLDINGS, Leftovers
from jobboard.settings import Settings

# Why an account was deleted: the last e-mail says it.
BY_OWNER = "owner"
BY_STAFF_COMMAND = "command"
INACTIVE = "inactive"
UNCONFIRMED = "unconfirmed"


@dataclass(frozen=True)
class DeletionPreview:
    """What the explanation page tells before the password is asked."""

    applications: int
    pending_applications: int
    # A recruiter who is the last verified one of a collectivité with published offers.
    last_recruiter_published_offers: int


async def preview(user: User) -> DeletionPreview:
    applications = pending = published = 0
    if user.role == Role.CANDIDATE:
        statuses = [
            str(s)
            for s in await Application.filter(candidate_id=user.id).values_list("status", flat=True)
        ]
        applications = len(statuses)
        pending = sum(1 for s in statuses if s in PENDING)
    if user.role == Role.RECRUITER and user.organisation_id is not None:
        others = (
            await User.filter(
                organisation_id=user.organisation_id,
                role=Role.RECRUITER,
                verification=Verification.VERIFIED,
                is_active=True,
            )
            .exclude(id=user.id)
            .exists()
        )
        if user.verification == Verification.VERIFIED and not others:
            published = await Offer.filter(
                organisation_id=user.organisation_id, status=OfferStatus.PUBLISHED
            ).count()
    return DeletionPreview(applications, pending, published)


LAST_RECRUITER = (
    "Cochez la case pour confirmer : vous êtes le dernier recruteur vérifié de votre "
    "collectivité et ses offres publiées n’auront plus de recruteur pour suivre les candidatures."
)


async def request_deletion(
    user: User, password: str, *, last_recruiter_understood: bool, settings: Settings
) -> bool:
    """The owner's deletion, confirmed with their password: FormInvalid (nothing deleted) on a
    wrong password, or when the last verified recruiter of a collectivité with published offers
    did not tick the warning. False when the account was already deleted."""
    if user.role == Role.STAFF:
        raise FormInvalid(
            {"password": "Les comptes de l’équipe ANCT sont supprimés par la commande "
             "« jobboard delete-staff »."}
        )  # fmt: skip
    if not await verify_password_async(user.password_hash, password):
        raise FormInvalid({"password": "Mot de passe incorrect : le compte n’est pas supprimé."})
    if (await preview(user)).last_recruiter_published_offers and not last_recruiter_understood:
        raise FormInvalid({"last_recruiter": LAST_RECRUITER})
    return await delete_account(user.id, settings, reason=BY_OWNER)


async def delete_account(user_id: int, settings: Settings, *, reason: str) -> bool:
    """Delete the account and everything personal the holdings name; False if it was gone
    already (a second request, or a concurrent one that won)."""
    leftovers = Leftovers()
    async with in_transaction():
        user = await User.select_for_update().get_or_none(id=user_id)
        if user is None:
            return False
        for holding in HOLDINGS:
            leftovers += await holding.erase(user, settings)
        email, notify = user.email, reason != UNCONFIRMED and user.email_confirmed_at is not None
        context = {"user": user, "reason": reason}
        await user.delete()  # sessions, archives: ON DELETE CASCADE; logs, offers: SET NULL
        if notify:
            await queue_email(email, "account_deleted", context, settings, erase_when_sent=True)
    store = cv_store(settings)
    for key in leftovers.cvs:
        await store.delete(key)
    await anyio.to_thread.run_sync(_unlink, leftovers.files)
    await erase_deleted_pages()
    return True


def _unlink(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
        path.with_suffix(".part").unlink(missing_ok=True)


async def delete_staff(email: str, settings: Settings) -> bool:
    """`jobboard delete-staff`: the journal keeps the decisions, « modérateur, compte supprimé »."""
    user = await User.get_or_none(email=email, role=Role.STAFF)
    if user is None:
        return False
    return await delete_account(user.id, settings, reason=BY_STAFF_COMMAND)

"""Applications: applying with a CV, the recruiter's pipeline, withdrawal, and what the
offer's end (closing, expiry, refusal) does to them. Every status change, the first included,
goes through `transition_application`: logged and e-mailed in the same transaction. A CV is
stored whole or not at all (services/cv_store), and removed if its row is not written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from jobboard import clock
from jobboard.clock import now
from jobboard.domain.account import SYSTEM, Role, Verification
from jobboard.domain.application import (
    APPLICATION_TRANSITIONS,
    COVER_LETTER_MAX_LENGTH,
    MESSAGE_MAX_LENGTH,
    PENDING,
    STATUS_LABELS,
    next_application_status,
)
from jobboard.domain.eligibility import Assessment, assess_candidate
from jobboard.domain.errors import Refused
from jobboard.mail import queue_email
from jobboard.models import Application, ApplicationEvent, Offer, SavedCV, User
from jobboard.services import pdf_check, proposals
from jobboard.services.cv_store import CVUnreadable, cv_store
from jobboard.services.talent_pool import membership as pool_membership
from jobboard.services.visibility import is_visible
from jobboard.settings import Settings


async def transition_application(
    application: Application,
    action: str,
    actor: User | None,
    *,
    by: str,
    offer: Offer,
    settings: Settings,
    comment: str = "",
) -> Application:
    """The one path of every application change: checks the transition table, writes the
    status (conditional on the one read), the log row, and the e-mails the transition declares.
    An application not written yet (`application.id is None`) is created by "apply". Call
    inside a transaction; Refused when not allowed (nothing written)."""
    source = "" if application.id is None else application.status
    target = next_application_status(action, source, by)
    transition = APPLICATION_TRANSITIONS[action]  # known: next_application_status checked it
    if application.id is None:
        application.status = target
        await application.save()
    else:
        written = await Application.filter(id=application.id, status=source).update(
            status=target, updated_at=now()
        )
        if not written:
            raise Refused("La candidature a changé entre-temps : rechargez la page.")
        application.status = target
    await ApplicationEvent.create(
        application=application, actor=actor, from_status=source, to_status=target,
        comment=comment,
    )  # fmt: skip
    candidate = await User.get_or_none(id=application.candidate_id)
    context = {
        "offer": offer,
        "application": application,
        "candidate": candidate,
        "status": STATUS_LABELS[target],
        "comment": comment,
        "reason": comment,
    }
    if transition.tells_candidate and candidate is not None and candidate.is_active:
        await queue_email(
            candidate.email, transition.tells_candidate, {**context, "user": candidate}, settings
        )
    if transition.tells_recruiters:
        for recruiter in await _recruiters(offer.organisation_id):
            await queue_email(
                recruiter.email, transition.tells_recruiters, {**context, "user": recruiter},
                settings,
            )  # fmt: skip
    return application


async def end_pending_applications(offer: Offer, reason: str, settings: Settings) -> int:
    """Pending applications of an offer that ends (closed, expired, refused) become obsolete,
    and their candidates are told why. Called by the offer's transition, in its transaction."""
    # Locked: a decision the recruiter commits meanwhile is seen, not overwritten.
    pending = await Application.select_for_update().filter(
        offer_id=offer.id, status__in=sorted(PENDING)
    )
    for application in pending:
        await transition_application(
            application, "obsolete", None, by=SYSTEM, offer=offer, settings=settings,
            comment=reason,
        )  # fmt: skip
    return len(pending)


# Applying


class AlreadyApplied(Exception):
    def __init__(self, application_id: int) -> None:
        super().__init__(application_id)
        self.application_id = application_id


@dataclass(frozen=True)
class StoredCV:
    key: str  # services/cv_store; the row's `cv_path`
    sha256: str
    filename: str


async def store_cv(source: IO[bytes], filename: str, settings: Settings) -> StoredCV:
    """A checked CV streamed into the CV store under a random name, complete or not at all."""
    blob = await cv_store(settings).store(source)
    # What the recruiter's browser will save: always a .pdf, whatever name was sent.
    stem = "".join(c for c in Path(filename.replace("\\", "/")).stem if c.isprintable())
    clean_name = f"{stem.strip(' .')[:140] or 'cv'}.pdf"
    return StoredCV(blob.key, blob.sha256, clean_name)


async def remove_cv(key: str, settings: Settings) -> None:
    await cv_store(settings).delete(key)


async def copy_stored_cv(key: str, sha256: str, settings: Settings) -> IO[bytes]:
    """A checked copy of a stored CV (a temporary file); Refused (on the `cv` field) when it
    is gone or no longer the one stored."""
    try:
        return await cv_store(settings).spooled(key, sha256)
    except CVUnreadable:
        raise Refused(
            "Votre CV enregistré n’est plus lisible. Choisissez « Envoyer un autre CV ».",
            "cv",
        ) from None


async def check_can_apply(offer: Offer, candidate: User, today: date) -> Assessment:
    """Before anything is stored: the offer is open, not applied to yet, the candidate fits."""
    if not is_visible(offer, today):
        raise Refused("Cette offre ne reçoit plus de candidatures.")
    existing = await Application.filter(offer_id=offer.id, candidate_id=candidate.id).first()
    if existing is not None:
        raise AlreadyApplied(existing.id)
    assessment = assess_candidate(
        offer.kind, candidate.birth_date, candidate.diploma_level, offer.start_date
    )
    if assessment.blocking:
        raise Refused(" ".join(r.message for r in assessment.blocking))
    return assessment


async def apply(
    offer: Offer,
    candidate: User,
    *,
    cv: IO[bytes] | None = None,
    cv_filename: str = "",
    saved_cv: SavedCV | None = None,
    cover_letter: str,
    message: str,
    talent_pool: bool,
    settings: Settings,
    today: date,
    answering_proposal: bool = False,
) -> Application:
    """Store an application with its CV, whole or nothing. `answering_proposal`: the offer was
    proposed to the candidate from the pool, who may apply in one click without a letter."""
    cover_letter, message = cover_letter.strip(), message.strip()
    if not cover_letter and not answering_proposal:
        raise Refused("Écrivez une lettre de motivation.", "cover_letter")
    if len(cover_letter) > COVER_LETTER_MAX_LENGTH:
        raise Refused(f"{COVER_LETTER_MAX_LENGTH} caractères au maximum.", "cover_letter")
    if len(message) > MESSAGE_MAX_LENGTH:
        raise Refused(f"{MESSAGE_MAX_LENGTH} caractères au maximum.", "message")
    assessment = await check_can_apply(offer, candidate, today)
    if saved_cv is not None:
        # The application gets its own copy: the saved CV may be replaced or deleted later.
        cv = await copy_stored_cv(saved_cv.cv_path, saved_cv.cv_sha256, settings)
        cv_filename = saved_cv.cv_filename
    if cv is None:
        raise Refused("Joignez votre CV au format PDF.", "cv")
    try:
        await pdf_check.check_cv(cv, settings.cv_max_bytes)
        stored = await store_cv(cv, cv_filename, settings)
    except pdf_check.CVRefused as refused:
        raise Refused(refused.message, "cv") from None
    finally:
        if saved_cv is not None:
            cv.close()  # the copy, stored now (or refused)
    try:
        async with in_transaction():
            # Locked and checked again: a close or an expiry may have committed meanwhile, and
            # would not have seen this application.
            locked = await Offer.select_for_update().get(id=offer.id)
            if not is_visible(locked, today):
                raise Refused("Cette offre ne reçoit plus de candidatures.")
            try:
                async with in_transaction():  # a savepoint: PostgreSQL needs one after the error
                    application = await transition_application(
                        Application(
                            offer_id=offer.id,
                            candidate=candidate,
                            cover_letter=cover_letter,
                            message=message,
                            cv_path=stored.key,
                            cv_sha256=stored.sha256,
                            cv_filename=stored.filename,
                            talent_pool_consent=talent_pool,
                            eligibility={
                                **assessment.as_dict(),
                                "birth_date": candidate.birth_date.isoformat()
                                if candidate.birth_date
                                else None,
                                "diploma_level": candidate.diploma_level,
                            },
                        ),
                        "apply",
                        candidate,
                        by=Role.CANDIDATE,
                        offer=locked,
                        settings=settings,
                    )
                    await proposals.record_application(application)
            except IntegrityError:  # most likely a concurrent submission that won
                existing = await Application.get_or_none(
                    offer_id=offer.id, candidate_id=candidate.id
                )
                if existing is None:
                    raise Refused(
                        "La candidature n’a pas pu être enregistrée. Réessayez."
                    ) from None
                raise AlreadyApplied(existing.id) from None
    except BaseException:
        await remove_cv(stored.key, settings)  # shielded: also when the request is cancelled
        raise
    return application


async def _recruiters(organisation_id: int) -> list[User]:
    return await User.filter(
        organisation_id=organisation_id,
        role=Role.RECRUITER,
        is_active=True,
        verification=Verification.VERIFIED,
    ).order_by("id")


async def change_status(
    application_id: int, action: str, actor: User, *, by: str, comment: str, settings: Settings
) -> Application:
    """A recruiter moves an application, or its candidate withdraws it; logged and e-mailed."""
    comment = comment.strip()
    transition = APPLICATION_TRANSITIONS.get(action)
    if transition is not None and transition.reason_required and not comment:
        raise Refused("Indiquez le motif : il est envoyé au candidat.", "comment")
    if len(comment) > MESSAGE_MAX_LENGTH:
        raise Refused(f"{MESSAGE_MAX_LENGTH} caractères au maximum.", "comment")
    async with in_transaction():
        application = await Application.select_for_update().get(id=application_id)
        offer = await Offer.get(id=application.offer_id)
        await transition_application(
            application, action, actor, by=by, offer=offer, settings=settings, comment=comment
        )
    return application


ORPHAN_AGE_SECONDS = 3600


async def sweep_cv_orphans(
    settings: Settings, *, older_than: float = ORPHAN_AGE_SECONDS, dry_run: bool = False
) -> int:
    """Remove stored CVs no application nor saved CV points to (a process killed between
    storing the CV and committing its row, a `move-cvs` interrupted between its steps) and
    half-written `.part` files, in every backend, once they are an hour old; `dry_run` only
    counts them."""
    store = cv_store(settings)
    listed = await store.listing()
    if not listed:
        return 0
    paths = await Application.exclude(cv_path="").values_list("cv_path", flat=True)
    saved = await SavedCV.all().values_list("cv_path", flat=True)
    known = {str(p) for p in [*paths, *saved]}
    limit = clock.now().timestamp() - older_than
    removed = 0
    for item in listed:
        if item.key in known or item.stored_at > limit:
            continue
        if not dry_run:
            await store.delete(item.key)
        removed += 1
    return removed


# Anonymisation: what retention and account deletion leave of an application.

ACCOUNT_DELETED = "account_deleted"  # Application.anonymised_reason values
RETENTION = "retention"
DELETION_COMMENT = "Compte supprimé par le candidat"


async def erase_log_comments(application_id: int) -> int:
    """Blank the comments of an application's history (a refusal's reason may name the
    candidate); statuses and dates stay. The log allows this one change (migration 0011)."""
    return (
        await ApplicationEvent.filter(application_id=application_id)
        .exclude(comment="")
        .update(comment="")
    )


async def anonymise(application: Application, reason: str) -> str:
    """Remove what names or describes the candidate: the link to their account, letter, message,
    CV, declared data, the recruiters' notes and the history's comments. The status history
    stays. Returns the CV (its key) to remove once the caller's transaction committed."""
    cv_path = application.cv_path
    moment = now()
    verdict = {"verdict": application.eligibility.get("verdict", "")}
    await Application.filter(id=application.id).update(
        candidate_id=None, cover_letter="", message="", cv_path="", cv_sha256="",
        cv_filename="", eligibility=verdict, internal_notes="", talent_pool_consent=False,
        anonymised_at=moment, anonymised_reason=reason, updated_at=moment,
    )  # fmt: skip
    application.candidate_id = None
    application.cover_letter = application.message = application.internal_notes = ""
    application.cv_path = application.cv_sha256 = application.cv_filename = ""
    application.eligibility, application.talent_pool_consent = verdict, False
    application.anonymised_at, application.anonymised_reason = moment, reason
    await erase_log_comments(application.id)
    return cv_path


async def forget_candidate(candidate: User, settings: Settings) -> list[str]:
    """A candidate's account is being deleted: each application is anonymised, and those still
    pending are withdrawn (the recruiters are told). In the caller's transaction; returns the
    CVs (their keys) to remove after it committed."""
    files: list[str] = []
    owned = await Application.select_for_update().filter(candidate_id=candidate.id)
    for application in owned:
        files.append(await anonymise(application, ACCOUNT_DELETED))
        if application.status in PENDING:
            offer = await Offer.get(id=application.offer_id)
            await transition_application(
                application, "withdraw", None, by=Role.CANDIDATE, offer=offer,
                settings=settings, comment=DELETION_COMMENT,
            )  # fmt: skip
    return [f for f in files if f]


async def owns(candidate: User, application_id: int) -> bool:
    return await Application.filter(id=application_id, candidate_id=candidate.id).exists()


async def withdraw_talent_pool_consent(application_id: int, candidate: User) -> bool:
    """The candidate takes back the talent-pool consent given when applying; False if there
    was none to withdraw (already withdrawn, or never given)."""
    async with in_transaction():
        await User.select_for_update().filter(id=candidate.id).first()  # as `propose` does
        withdrawn = await Application.filter(
            id=application_id, candidate_id=candidate.id, talent_pool_consent=True
        ).update(talent_pool_consent=False, talent_pool_withdrawn_at=now())
        if withdrawn and await pool_membership(candidate) is None:
            await proposals.cancel_unsent(candidate.id)  # that was the last consent standing
    return bool(withdrawn)

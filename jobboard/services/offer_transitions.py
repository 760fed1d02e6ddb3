"""The one path of every offer change: submit, publish, request changes, reject, unpublish,
close, expire, edit, dérogation, creation and import all go through `transition_offer`.

It checks the transition table (domain/workflow.py), writes the offer with a version-checked
UPDATE, stamps the dates, writes the journal row, records the search change, ends pending
applications and queues the e-mails the transition declares, all in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jobboard.clock import now
from jobboard.domain.account import SYSTEM, Role
from jobboard.domain.offer import OfferStatus
from jobboard.domain.workflow import OFFER_TRANSITIONS, check_actor, next_status, stamps
from jobboard.mail import queue_email
from jobboard.models import Offer, OfferEvent, SearchChange, User
from jobboard.services.applications import end_pending_applications
from jobboard.settings import Settings


class StaleOffer(Exception):
    """The offer changed since the caller read it (its version moved): nothing was written."""

    def __init__(self, offer_id: int) -> None:
        super().__init__(offer_id)
        self.offer_id = offer_id


@dataclass(frozen=True)
class OfferChange:
    offer: Offer
    source: OfferStatus | None
    target: OfferStatus
    ended_applications: int


async def recruiters_of(organisation_id: int) -> list[User]:
    return await User.filter(
        organisation_id=organisation_id, role=Role.RECRUITER, is_active=True
    ).order_by("id")


async def transition_offer(
    offer: Offer,
    action: str,
    actor: User | None,
    *,
    comment: str = "",
    snapshot: Mapping[str, object] | None = None,
    changes: Mapping[str, Any] | None = None,
    to: OfferStatus | None = None,
    settings: Settings | None = None,
) -> OfferChange:
    """Apply `action` to `offer` (updated in place); call inside a transaction.

    An offer not written yet (`offer.id is None`) is created by its first transition
    ("create", or "import" with the status `to`). `changes` are columns written in the same
    UPDATE (the form's fields, the verdict, the close reason). Raises Refused when the
    table forbids it, StaleOffer when the offer's version moved since it was read; nothing is
    written then. `settings` is needed by transitions that send e-mail or end applications.
    """
    check_actor(action, actor.role if actor else SYSTEM, actor.verification if actor else "")
    transition = OFFER_TRANSITIONS[action]  # known: check_actor refuses unknown actions
    source = None if offer.id is None else OfferStatus(offer.status)
    target = next_status(action, source, to)
    if settings is None and (transition.notifies or transition.ends_applications):
        raise TypeError(f"transition_offer({action!r}) sends e-mail: pass settings")
    moment = now()
    columns: dict[str, Any] = dict(changes or {})
    columns.update(dict.fromkeys(stamps(source, target), moment))
    if "published_at" in columns and offer.first_published_at is None:
        columns["first_published_at"] = moment  # later publications keep the first one
    columns["status"] = target
    if source is None:
        for name, value in columns.items():
            setattr(offer, name, value)
        offer.version = 1
        await offer.save()
    else:
        columns.update(version=offer.version + 1, updated_at=moment)
        written = await Offer.filter(id=offer.id, version=offer.version).update(**columns)
        if not written:  # SQLite has no row lock: the version check is in the UPDATE
            raise StaleOffer(offer.id)
        for name, value in columns.items():
            setattr(offer, name, value)
    if transition.logged:
        await OfferEvent.create(
            offer=offer,
            actor=actor,
            actor_role=actor.role if actor else None,
            from_status=source or "",
            to_status=target,
            comment=comment,
            snapshot=dict(snapshot or {}),
        )
    if OfferStatus.PUBLISHED in (source, target):  # only published offers are in the index
        await SearchChange.create(offer_id=offer.id)
    ended = 0
    if transition.ends_applications:
        assert settings is not None
        reason = transition.applications_reason or comment.lower()
        ended = await end_pending_applications(offer, reason, settings)
    if transition.notifies:
        assert settings is not None
        for recruiter in await recruiters_of(offer.organisation_id):
            await queue_email(
                recruiter.email,
                transition.notifies,
                {"user": recruiter, "offer": offer, "comment": comment},
                settings,
            )
    return OfferChange(offer, source, target, ended)

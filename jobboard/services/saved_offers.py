"""Saved offers: a candidate keeps or drops an offer, lists what they kept, and is reminded once,
three days before its deadline, of a saved offer they have not applied to.

The reminder runs in the periodic round of `services/expiry.py` (and `jobboard expire`). Each
saved offer is claimed by a conditional UPDATE (`reminder_sent_at` still null) in the
transaction that writes the outbox row, so two rounds or two hosts never queue it twice, and a
round that fails leaves it unclaimed for the next one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from tortoise.transactions import in_transaction

from jobboard.clock import now
from jobboard.domain.account import Role
from jobboard.domain.errors import NotFound, Refused
from jobboard.domain.offer import OfferStatus
from jobboard.formats import date_fr
from jobboard.mail import queue_email
from jobboard.models import Application, Offer, SavedOffer, User
from jobboard.services.visibility import Publicity, publicity
from jobboard.settings import Settings

log = logging.getLogger(__name__)

REMINDER_DAYS_BEFORE = 3


async def set_saved(user: User, offer_id: int, saved: bool, today: date) -> bool:
    """Keep (`saved`) or drop an offer for a candidate; idempotent. Only an offer open for
    applications can be kept; any can be dropped. Returns the new state."""
    if user.role != Role.CANDIDATE:
        raise Refused("Seuls les candidats sauvegardent des offres.")
    if not saved:
        await SavedOffer.filter(user_id=user.id, offer_id=offer_id).delete()
        return False
    offer = await Offer.get_or_none(id=offer_id)
    if offer is None or publicity(offer, today) is Publicity.HIDDEN:
        raise NotFound("Cette offre n’existe pas ou n’est plus en ligne.")
    if publicity(offer, today) is not Publicity.OPEN:
        raise Refused(
            "Cette offre ne reçoit plus de candidatures : elle ne peut plus être sauvegardée."
        )
    # get_or_create retries the read after a concurrent insert lost the unique race.
    await SavedOffer.get_or_create(user_id=user.id, offer_id=offer_id)
    return True


@dataclass(frozen=True)
class SavedEntry:
    saved: SavedOffer
    offer: Offer
    standing: Publicity


async def saved_list(user: User, today: date) -> list[SavedEntry]:
    """The candidate's saved offers, open ones first by nearest deadline, then the others."""
    rows = (
        await SavedOffer.filter(user_id=user.id)
        .select_related("offer__commune__departement", "offer__organisation")
        .order_by("offer__deadline", "id")
    )
    entries = [SavedEntry(row, row.offer, publicity(row.offer, today)) for row in rows]
    return sorted(entries, key=lambda e: e.standing is not Publicity.OPEN)


def _due(today: date) -> tuple[date, date]:
    """Deadlines a reminder is due for today: three days ahead, or nearer if a round was missed
    (the deadline day itself included: applications are taken until its end)."""
    return today, today + timedelta(days=REMINDER_DAYS_BEFORE)


async def remind_saved_deadlines(today: date, settings: Settings) -> int:
    """Queue the one reminder of each saved offer whose deadline is at most three days away,
    still open, and not applied to by its candidate. Returns how many were queued."""
    first, last = _due(today)
    due = await SavedOffer.filter(
        reminder_sent_at__isnull=True,
        offer__status=OfferStatus.PUBLISHED,
        offer__deadline__gte=first,
        offer__deadline__lte=last,
        user__is_active=True,
    ).values_list("id", "user_id", "offer_id")
    if not due:
        return 0
    applied = set(
        await Application.filter(
            offer_id__in={offer_id for _, _, offer_id in due},
            candidate_id__in={user_id for _, user_id, _ in due},
        ).values_list("offer_id", "candidate_id")
    )
    queued = 0
    for saved_id, user_id, offer_id in due:
        if (offer_id, user_id) in applied:
            continue
        async with in_transaction():
            claimed = await SavedOffer.filter(id=saved_id, reminder_sent_at__isnull=True).update(
                reminder_sent_at=now()
            )
            if not claimed:
                continue  # another round or host got there first
            user = await User.get(id=user_id)
            offer = await Offer.get(id=offer_id).select_related("organisation", "commune")
            days = (offer.deadline - today).days
            await queue_email(
                user.email,
                "saved_offer_deadline",
                {"user": user, "offer": offer, "days": days, "deadline": date_fr(offer.deadline)},
                settings,
            )
            queued += 1
    if queued:
        log.info("saved offers: %d deadline reminder(s) queued", queued)
    return queued

"""Offers past their deadline: expire them, tell candidates, and remind recruiters (and the
candidates who saved an offer, `services/saved_offers.py`) before.

`jobboard expire` and the periodic loop of `serve` / `worker` call `run_expiry` (which also
deletes expired login sessions); a second run finds nothing left to do (each offer is expired
once, each reminder is sent once).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, timedelta

from tortoise.transactions import in_transaction

from jobboard import metrics
from jobboard.clock import now
from jobboard.clock import today as paris_today
from jobboard.domain.offer import OfferStatus
from jobboard.formats import date_fr
from jobboard.mail import queue_email
from jobboard.models import Offer
from jobboard.services.applications import sweep_cv_orphans
from jobboard.services.offer_transitions import recruiters_of, transition_offer
from jobboard.services.saved_offers import remind_saved_deadlines
from jobboard.services.sessions import delete_expired_sessions
from jobboard.services.visibility import is_visible
from jobboard.settings import Settings

log = logging.getLogger(__name__)

REMINDER_DAYS = 7


@dataclass(frozen=True)
class ExpiryReport:
    expired: int
    obsolete_applications: int
    reminders: int
    orphan_files: int = 0
    sessions: int = 0
    saved_reminders: int = 0


async def expire_offers(today: date, settings: Settings) -> tuple[int, int]:
    expired = obsolete = 0
    due = await Offer.filter(status=OfferStatus.PUBLISHED, deadline__lt=today).values_list(
        "id", flat=True
    )
    for offer_id in due:
        async with in_transaction():
            offer = await Offer.select_for_update().get(id=offer_id)
            if offer.status != OfferStatus.PUBLISHED or is_visible(offer, today):
                continue  # someone else got there first, or the deadline moved
            change = await transition_offer(
                offer, "expire", None, comment="Date limite de candidature passée",
                settings=settings,
            )  # fmt: skip
            obsolete += change.ended_applications
            expired += 1
    return expired, obsolete


async def remind_deadlines(today: date, settings: Settings) -> int:
    soon = await Offer.filter(
        status=OfferStatus.PUBLISHED,
        deadline__gte=today,
        deadline__lte=today + timedelta(days=REMINDER_DAYS),
        deadline_reminder_sent_at__isnull=True,
    ).values_list("id", flat=True)
    sent = 0
    for offer_id in soon:
        async with in_transaction():
            claimed = await Offer.filter(
                id=offer_id,
                deadline_reminder_sent_at__isnull=True,
                status=OfferStatus.PUBLISHED,
                deadline__gte=today,
                deadline__lte=today + timedelta(days=REMINDER_DAYS),
            ).update(deadline_reminder_sent_at=now())
            if not claimed:
                continue
            offer = await Offer.get(id=offer_id)
            days = max((offer.deadline - today).days, 1)
            for recruiter in await recruiters_of(offer.organisation_id):
                await queue_email(
                    recruiter.email,
                    "offer_deadline_soon",
                    {"user": recruiter, "offer": offer, "days": days,
                     "deadline": date_fr(offer.deadline)},
                    settings,
                )  # fmt: skip
            sent += 1
    return sent


async def run_expiry(settings: Settings, today: date | None = None) -> ExpiryReport:
    day = today or paris_today()
    expired, obsolete = await expire_offers(day, settings)
    reminders = await remind_deadlines(day, settings)
    saved_reminders = await remind_saved_deadlines(day, settings)
    orphans = await sweep_cv_orphans(settings)
    sessions = await delete_expired_sessions(settings)
    return ExpiryReport(expired, obsolete, reminders, orphans, sessions, saved_reminders)


async def run_forever(settings: Settings, interval: float = 3600.0) -> None:
    """The periodic loop of `serve` and `worker`: hourly, so a day is never missed."""
    while True:
        try:
            with metrics.job_round("expiry"):
                report = await run_expiry(settings)
            if report.expired or report.reminders or report.saved_reminders:
                log.info("expiry: %s", report)
        except Exception:  # the database may be briefly away; next round
            log.exception("expiry round failed")
        await asyncio.sleep(interval)

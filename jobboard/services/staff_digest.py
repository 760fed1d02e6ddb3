"""The daily digest to each staff member of what waits in their territory for more than
three working days: offers submitted for moderation and recruiter accounts to verify.

The periodic round of `serve` / `worker` (hourly) sends it on working days from 7 h (Paris),
none when nothing waits. Each staff member is claimed by a conditional UPDATE of
`User.staff_digest_on` (still before today) in the transaction that writes the outbox row, so
two rounds or two hosts never queue it twice the same day, and a failed round leaves it for the
next one. An account waits from when its owner confirmed the address (staff cannot verify it
before); an offer from its latest submission.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from jobboard import metrics
from jobboard.clock import PARIS, now, start_of_day
from jobboard.domain.account import Role, Verification
from jobboard.domain.holidays import is_working_day, latest_day_waited_more_than
from jobboard.domain.offer import OfferStatus
from jobboard.domain.staff_territory import StaffTerritory
from jobboard.formats import date_fr
from jobboard.mail import queue_email
from jobboard.models import Offer, User
from jobboard.services.staff_territory import offer_q, recruiter_q, reference, territory_of
from jobboard.settings import Settings

log = logging.getLogger(__name__)

WAITING_WORKING_DAYS = 3  # a digest lists what has waited more than this
DIGEST_HOUR = 7  # Paris time: not in the middle of the night
LISTED = 20  # at most this many offers, and as many accounts, spelt out in one message


@dataclass(frozen=True)
class Waiting:
    offers: list[Offer]
    accounts: list[User]
    offer_count: int
    account_count: int

    @property
    def empty(self) -> bool:
        return not self.offer_count and not self.account_count


def waiting_since(moment: datetime) -> datetime:
    """The instant before which a submission has waited more than three working days at
    `moment` (counted in Paris days: the day of the submission is not counted)."""
    day = moment.astimezone(PARIS).date()
    return start_of_day(latest_day_waited_more_than(day, WAITING_WORKING_DAYS) + timedelta(days=1))


async def waiting_longer(territory: StaffTerritory, before: datetime) -> Waiting:
    """Submitted offers and confirmed pending accounts of `territory` waiting since `before`."""
    offers = Offer.filter(offer_q(territory), status=OfferStatus.SUBMITTED, submitted_at__lt=before)
    accounts = User.filter(
        recruiter_q(territory),
        role=Role.RECRUITER,
        verification=Verification.PENDING,
        email_confirmed_at__lt=before,
    )
    return Waiting(
        offers=await offers.select_related("commune", "organisation")
        .order_by("submitted_at", "id")
        .limit(LISTED),
        accounts=await accounts.select_related("organisation")
        .order_by("email_confirmed_at", "id")
        .limit(LISTED),
        offer_count=await offers.count(),
        account_count=await accounts.count(),
    )


def _not_sent_on(day: date) -> Q:
    return Q(staff_digest_on__isnull=True) | Q(staff_digest_on__lt=day)


async def send_staff_digests(settings: Settings, moment: datetime | None = None) -> int:
    """Queue today's digest of every active staff member something waits for; returns how
    many were queued. Nothing on a weekend, a public holiday or before 7 h."""
    moment = moment or now()
    local = moment.astimezone(PARIS)
    day = local.date()
    if not is_working_day(day) or local.hour < DIGEST_HOUR:
        return 0
    before = waiting_since(moment)
    names = await reference()
    queued = 0
    for member in await User.filter(_not_sent_on(day), role=Role.STAFF, is_active=True):
        territory = territory_of(member)
        waiting = await waiting_longer(territory, before)
        if waiting.empty:
            continue
        async with in_transaction():
            claimed = await User.filter(_not_sent_on(day), id=member.id).update(staff_digest_on=day)
            if not claimed:
                continue  # another round or host sent it
            await queue_email(
                member.email,
                "staff_digest",
                {
                    "user": member,
                    "territory": names.describe(territory),
                    "national": territory.is_national,
                    "waiting": waiting,
                    "days": WAITING_WORKING_DAYS,
                    "offers": [
                        {"offer": o, "submitted": date_fr(o.submitted_at)} for o in waiting.offers
                    ],
                    "accounts": [
                        {"user": u, "confirmed": date_fr(u.email_confirmed_at)}
                        for u in waiting.accounts
                    ],
                },
                settings,
            )
            queued += 1
    if queued:
        log.info("staff digest: %d message(s) queued", queued)
    return queued


async def run_forever(settings: Settings, interval: float = 3600.0) -> None:
    """The loop of `serve` and `worker`: hourly; each staff member once a working day."""
    while True:
        try:
            with metrics.job_round("staff_digest"):
                await send_staff_digests(settings)
        except Exception:  # the database may be briefly away; next round
            log.exception("staff digest round failed")
        await asyncio.sleep(interval)

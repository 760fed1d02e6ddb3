"""The moderation journal: every offer transition, newest first, filtered and paged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from jobboard.clock import start_of_day
from jobboard.domain.staff_territory import NATIONAL, StaffTerritory
from jobboard.models import OfferEvent
from jobboard.services.staff_territory import offer_q

PAGE_SIZE = 50


@dataclass(frozen=True)
class JournalFilters:
    offer_id: int | None = None
    actor: str = ""  # part of the actor's e-mail address
    start: date | None = None  # Paris days, both included
    end: date | None = None
    territory: StaffTerritory = NATIONAL  # the offers' place (services/staff_territory)


@dataclass(frozen=True)
class JournalPage:
    events: list[OfferEvent]
    page: int
    pages: int
    total: int


async def journal_page(filters: JournalFilters, page: int, size: int = PAGE_SIZE) -> JournalPage:
    """Page `page` (clamped to the last one) of the events matching `filters`."""
    query = OfferEvent.filter(offer_q(filters.territory, "offer__"))
    if filters.offer_id is not None:
        query = query.filter(offer_id=filters.offer_id)
    if filters.actor:
        query = query.filter(actor__email__icontains=filters.actor)
    if filters.start:
        query = query.filter(created_at__gte=start_of_day(filters.start))
    if filters.end:
        query = query.filter(created_at__lt=start_of_day(filters.end + timedelta(days=1)))
    total = await query.count()
    pages = max(1, -(-total // size))
    page = min(max(page, 1), pages)
    events = (
        await query.select_related("actor", "offer")
        .order_by("-id")
        .offset((page - 1) * size)
        .limit(size)
    )
    return JournalPage(events=events, page=page, pages=pages, total=total)

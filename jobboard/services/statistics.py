"""Moderation statistics over a period: offers by status, kind and place, moderation delay,
applications per offer. Plain numbers; the page draws them."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from jobboard import clock
from jobboard.domain.account import Role
from jobboard.domain.offer import KIND_SHORT_LABELS, STATUS_LABELS, OfferKind, OfferStatus
from jobboard.domain.staff_territory import NATIONAL, StaffTerritory
from jobboard.domain.talent_pool import ProposalStatus
from jobboard.models import Application, Offer, OfferEvent, Proposal
from jobboard.services.staff_territory import offer_q


@dataclass(frozen=True)
class Stats:
    start: date
    end: date
    total: int
    by_status: list[tuple[str, int]]
    by_kind: list[tuple[str, int]]
    by_region: list[tuple[str, int]]
    by_departement: list[tuple[str, int]]
    decisions: int
    median_delay_hours: float | None
    published: int
    applications: int
    median_applications: float | None
    proposals_sent: int = 0  # from the pool, in the period (whenever the offer was created)
    proposals_applied: int = 0  # … that the candidate answered by applying


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return (
        clock.start_of_day(start),
        clock.start_of_day(end + timedelta(days=1)),
    )


def _sorted(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


async def compute(start: date, end: date, territory: StaffTerritory = NATIONAL) -> Stats:
    """Offers created between `start` and `end` (Paris days, both included) in `territory`."""
    low, high = _bounds(start, end)
    offers = await Offer.filter(
        offer_q(territory), created_at__gte=low, created_at__lt=high
    ).select_related("commune__departement", "commune__region")
    by_status = Counter(STATUS_LABELS[OfferStatus(o.status)] for o in offers)
    by_kind = Counter(KIND_SHORT_LABELS[OfferKind(o.kind)] for o in offers)
    by_region = Counter(o.commune.region.name for o in offers)
    by_departement = Counter(
        f"{o.commune.departement.name} ({o.commune.departement_id})" for o in offers
    )
    # Moderation delay: from each submission to the next staff decision on it.
    # The events of the period's offers, whenever they happened, so that each decision meets
    # the submission it answers.
    events = (
        await OfferEvent.filter(offer_id__in=[o.id for o in offers])
        .select_related("actor")
        .order_by("offer_id", "id")
    )
    delays: list[float] = []
    waiting: dict[int, datetime] = {}
    for event in events:
        if event.to_status == OfferStatus.SUBMITTED and event.from_status != OfferStatus.SUBMITTED:
            waiting[event.offer_id] = event.created_at
        elif (
            event.from_status == OfferStatus.SUBMITTED
            and event.to_status != OfferStatus.SUBMITTED  # an override decides nothing
            and event.actor is not None
            and event.actor.role == Role.STAFF
            and event.offer_id in waiting
        ):
            submitted = waiting.pop(event.offer_id)
            delays.append((event.created_at - submitted).total_seconds() / 3600)
    published = [o for o in offers if o.published_at is not None]
    offer_ids = await Application.filter(offer_id__in=[o.id for o in published]).values_list(
        "offer_id", flat=True
    )
    counts: Counter[int] = Counter(int(str(i)) for i in offer_ids)
    per_offer = [counts.get(o.id, 0) for o in published]
    proposals = Proposal.filter(offer_q(territory, "offer__"), sent_at__gte=low, sent_at__lt=high)
    return Stats(
        start=start,
        end=end,
        total=len(offers),
        by_status=_sorted(by_status),
        by_kind=_sorted(by_kind),
        by_region=_sorted(by_region),
        by_departement=_sorted(by_departement),
        decisions=len(delays),
        median_delay_hours=statistics.median(delays) if delays else None,
        published=len(published),
        applications=sum(per_offer),
        median_applications=statistics.median(per_offer) if per_offer else None,
        proposals_sent=await proposals.count(),
        proposals_applied=await proposals.filter(status=ProposalStatus.APPLIED).count(),
    )

"""The recruiter space's overview: per offer, its applications, how many are new for this
recruiter, and staff's latest comment, for a whole list of offers in a constant number of
queries (never one per offer)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from operator import or_

from tortoise.expressions import Q
from tortoise.functions import Count

from jobboard.domain.application import ApplicationStatus
from jobboard.domain.offer import OfferStatus
from jobboard.models import Application, ApplicationsSeen, OfferEvent

# Staff's comment that the next step quotes.
COMMENTED = (OfferStatus.CHANGES_REQUESTED, OfferStatus.REJECTED)


@dataclass(frozen=True)
class ApplicationCounts:
    total: int = 0
    new: int = 0  # received since the recruiter last opened the applications, not withdrawn


async def mark_seen(user_id: int, offer_id: int, at: datetime) -> None:
    """The recruiter opened the offer's applications at `at` (one upsert, safe when two tabs
    open the page at once on either engine)."""
    await ApplicationsSeen.bulk_create(
        [ApplicationsSeen(user_id=user_id, offer_id=offer_id, seen_at=at)],
        on_conflict=["user_id", "offer_id"],
        update_fields=["seen_at"],
    )


async def application_counts(
    user_id: int, offer_ids: Collection[int]
) -> dict[int, ApplicationCounts]:
    """Counts for every offer of `offer_ids` (three queries whatever their number)."""
    if not offer_ids:
        return {}
    ids = list(offer_ids)
    totals = dict(
        await Application.filter(offer_id__in=ids)
        .annotate(n=Count("id"))
        .group_by("offer_id")
        .values_list("offer_id", "n")
    )
    seen = dict(
        await ApplicationsSeen.filter(user_id=user_id, offer_id__in=ids).values_list(
            "offer_id", "seen_at"
        )
    )
    # New: received after the last look, or at any time for an offer never looked at.
    conditions = [Q(offer_id=offer_id, created_at__gt=at) for offer_id, at in seen.items()]
    never_seen = [i for i in ids if i not in seen]
    if never_seen:
        conditions.append(Q(offer_id__in=never_seen))
    new = dict(
        await Application.filter(reduce(or_, conditions))
        .exclude(status=ApplicationStatus.WITHDRAWN)
        .annotate(n=Count("id"))
        .group_by("offer_id")
        .values_list("offer_id", "n")
    )
    return {i: ApplicationCounts(total=totals.get(i, 0), new=new.get(i, 0)) for i in ids}


async def latest_comments(offer_ids: Collection[int]) -> dict[int, str]:
    """Staff's comment on the latest change to « modifications demandées » or « refusée »
    of each offer (one query; pass only offers in one of those states)."""
    if not offer_ids:
        return {}
    events = (
        await OfferEvent.filter(offer_id__in=list(offer_ids), to_status__in=list(COMMENTED))
        .order_by("id")
        .values_list("offer_id", "comment")
    )
    return dict(events)  # the latest row of each offer comes last and wins

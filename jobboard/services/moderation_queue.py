"""What waits for ANCT staff: submitted offers (filtered, oldest first) and pending accounts."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.queryset import QuerySet

from jobboard.domain.account import Role, Verification
from jobboard.domain.offer import OfferStatus
from jobboard.domain.staff_territory import NATIONAL, StaffTerritory
from jobboard.models import Departement, Offer, User
from jobboard.services.staff_territory import offer_q, recruiter_q


@dataclass(frozen=True)
class OfferFilters:
    """The staff filters of the queue and the export; "" means any."""

    kind: str = ""
    departement: str = ""
    verdict: str = ""
    status: str = ""


def filtered_offers(filters: OfferFilters, query: QuerySet[Offer] | None = None) -> QuerySet[Offer]:
    query = Offer.all() if query is None else query
    if filters.kind:
        query = query.filter(kind=filters.kind)
    if filters.departement:
        query = query.filter(commune__departement_id=filters.departement)
    if filters.verdict:
        query = query.filter(eligibility_verdict=filters.verdict)
    if filters.status:
        query = query.filter(status=filters.status)
    return query


async def submitted_offers(
    filters: OfferFilters, territory: StaffTerritory = NATIONAL
) -> list[Offer]:
    """The moderation queue: submitted offers in `territory`, the longest waiting first."""
    return (
        await filtered_offers(
            filters, Offer.filter(offer_q(territory), status=OfferStatus.SUBMITTED)
        )
        .select_related("commune__departement", "organisation")
        .order_by("submitted_at", "id")
    )


async def departement_exists(code: str) -> bool:
    return await Departement.exists(code=code)


async def departement_choices() -> list[tuple[str, str]]:
    rows = await Departement.all().order_by("code").values_list("code", "name")
    return [(str(code), str(name)) for code, name in rows]


async def pending_account_count(territory: StaffTerritory = NATIONAL) -> int:
    return await User.filter(
        recruiter_q(territory), role=Role.RECRUITER, verification=Verification.PENDING
    ).count()


async def waiting_counts(territory: StaffTerritory = NATIONAL) -> dict[str, int]:
    """Submitted offers and pending recruiter accounts in `territory` (the staff header's
    counters)."""
    return {
        "offers": await Offer.filter(offer_q(territory), status=OfferStatus.SUBMITTED).count(),
        "accounts": await pending_account_count(territory),
    }

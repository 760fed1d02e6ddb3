"""What a moderator reads about one offer: the offer with its places, its journal, its EPCI."""

from __future__ import annotations

from jobboard.domain.errors import NotFound
from jobboard.models import Commune, Offer, OfferEvent


async def staff_offer(offer_id: int | None) -> Offer:
    """Any offer, whatever its state, with what the review page shows of its territory."""
    offer = (
        await Offer.filter(id=offer_id)
        .select_related("commune__departement", "commune__region", "commune__epci", "organisation")
        .first()
        if offer_id is not None
        else None
    )
    if offer is None:
        raise NotFound()
    return offer


async def offer_events(offer_id: int) -> list[OfferEvent]:
    """The offer's journal, newest first."""
    return await OfferEvent.filter(offer_id=offer_id).select_related("actor").order_by("-id")


async def last_event(offer_id: int) -> OfferEvent | None:
    return (
        await OfferEvent.filter(offer_id=offer_id).select_related("actor").order_by("-id").first()
    )


async def epci_pvd_members(commune: Commune) -> int:
    """How many communes of the commune's EPCI are PVD communes (0 without an EPCI)."""
    if not commune.epci_id:
        return 0
    return await Commune.filter(epci_id=commune.epci_id, pvd_id__isnull=False).count()

"""Keep an offer's theme list and its filterable theme rows in step."""

from __future__ import annotations

from collections.abc import Sequence

from jobboard.models import Offer, OfferTheme


async def set_offer_themes(offer: Offer, themes: Sequence[str]) -> None:
    """Call inside the transaction that saves the offer."""
    unique = list(dict.fromkeys(themes))
    if offer.themes != unique:
        offer.themes = unique
        await offer.save(update_fields=["themes"])
    await OfferTheme.filter(offer=offer).delete()
    await OfferTheme.bulk_create([OfferTheme(offer=offer, theme=t) for t in unique])

"""The one visibility rule of the public board, used by every listing, feed and the index."""

from __future__ import annotations

from datetime import date

from tortoise.queryset import QuerySet

from jobboard.clock import today as _today
from jobboard.domain.offer import OfferStatus
from jobboard.models import Offer


def visible_offers(on: date | None = None) -> QuerySet[Offer]:
    """Published offers whose application deadline has not passed (the deadline day included)."""
    return Offer.filter(status=OfferStatus.PUBLISHED, deadline__gte=on or _today())


def is_visible(offer: Offer, on: date | None = None) -> bool:
    """The same rule for an offer already loaded."""
    return offer.status == OfferStatus.PUBLISHED and offer.deadline >= (on or _today())

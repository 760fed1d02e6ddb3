"""The one visibility rule of the public board: which offers are listed (and take
applications), which have a public page, used by every listing, feed, page and the index."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from tortoise.queryset import QuerySet

from jobboard.clock import today as _today
from jobboard.domain.offer import OfferStatus
from jobboard.models import Offer

# Offers that have been public keep their page; drafts and moderation states have none.
PUBLIC_STATUSES = frozenset({OfferStatus.PUBLISHED, OfferStatus.CLOSED, OfferStatus.EXPIRED})


class Publicity(StrEnum):
    HIDDEN = "hidden"  # no public page: draft, in moderation, refused, archived
    OPEN = "open"  # listed, searchable, taking applications
    EXPIRED = "expired"  # past its deadline (expired, or not yet swept by the expiry)
    CLOSED = "closed"  # closed by its recruiter (filled or cancelled)


def visible_offers(on: date | None = None) -> QuerySet[Offer]:
    """Published offers whose application deadline has not passed (the deadline day included)."""
    return Offer.filter(status=OfferStatus.PUBLISHED, deadline__gte=on or _today())


def publicity(offer: Offer, on: date | None = None) -> Publicity:
    """Where an offer already loaded stands for the public; OPEN is `visible_offers`' rule."""
    if offer.status not in PUBLIC_STATUSES:
        return Publicity.HIDDEN
    if offer.status == OfferStatus.CLOSED:
        return Publicity.CLOSED
    if offer.status == OfferStatus.PUBLISHED and offer.deadline >= (on or _today()):
        return Publicity.OPEN
    return Publicity.EXPIRED


def is_visible(offer: Offer, on: date | None = None) -> bool:
    """Listed on the board and open for applications."""
    return publicity(offer, on) is Publicity.OPEN

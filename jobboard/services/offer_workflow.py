"""Offer transitions: state check, log row and search change, in one transaction."""

from __future__ import annotations

from tortoise.timezone import now
from tortoise.transactions import in_transaction

from jobboard.domain.offer import OfferStatus
from jobboard.domain.workflow import check_actor, next_status
from jobboard.models import Offer, OfferEvent, SearchChange, User


async def record_search_change(offer_id: int) -> None:
    """Call inside the transaction of any change that may alter what the board shows."""
    await SearchChange.create(offer_id=offer_id)


async def transition_offer(
    offer_id: int, action: str, actor: User | None = None, comment: str = ""
) -> Offer:
    """Apply `action` to the offer; raises TransitionRefused (nothing written) when not allowed.

    The row is locked (SELECT … FOR UPDATE on PostgreSQL) so two moderators acting at once
    cannot both move the offer: the second sees the state the first left.
    """
    if actor is not None:
        check_actor(action, actor.role, actor.verification)
    async with in_transaction():
        offer = await Offer.select_for_update().get(id=offer_id)
        source = OfferStatus(offer.status)
        target = next_status(action, source)
        moment = now()
        offer.status = target
        offer.version += 1
        fields = ["status", "version", "updated_at"]
        stamp = {
            OfferStatus.SUBMITTED: "submitted_at",
            OfferStatus.PUBLISHED: "published_at",
            OfferStatus.CLOSED: "closed_at",
            OfferStatus.EXPIRED: "closed_at",
        }.get(target)
        if stamp:
            setattr(offer, stamp, moment)
            fields.append(stamp)
        await offer.save(update_fields=fields)
        await OfferEvent.create(
            offer=offer, actor=actor, from_status=source, to_status=target, comment=comment
        )
        await record_search_change(offer.id)
    return offer

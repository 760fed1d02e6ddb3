"""The one visibility rule: which offers are listed and take applications, which keep a page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from jobboard.domain.offer import OfferStatus as S
from jobboard.models import Offer
from jobboard.services.offer_import import import_offers
from jobboard.services.visibility import Publicity, is_visible, publicity, visible_offers
from tests.conftest import offer_row

DAY = date(2027, 1, 15)


@pytest.mark.parametrize(
    ("status", "deadline", "expected"),
    [
        (S.PUBLISHED, DAY, Publicity.OPEN),  # the deadline day included
        (S.PUBLISHED, DAY - timedelta(days=1), Publicity.EXPIRED),  # not swept yet
        (S.EXPIRED, DAY - timedelta(days=1), Publicity.EXPIRED),
        (S.CLOSED, DAY + timedelta(days=9), Publicity.CLOSED),
        (S.DRAFT, DAY, Publicity.HIDDEN),
        (S.SUBMITTED, DAY, Publicity.HIDDEN),
        (S.CHANGES_REQUESTED, DAY, Publicity.HIDDEN),
        (S.REJECTED, DAY, Publicity.HIDDEN),
        (S.ARCHIVED, DAY, Publicity.HIDDEN),
    ],
)
async def test_where_an_offer_stands_and_the_named_query_agree(
    db: None, status: S, deadline: date, expected: Publicity
) -> None:
    row = offer_row(status=status.value, deadline=deadline.isoformat(),
                    start_date=(deadline + timedelta(days=30)).isoformat())  # fmt: skip
    result = await import_offers([row], today=deadline - timedelta(days=40))
    offer = await Offer.get(id=result.created[0])
    assert publicity(offer, DAY) is expected
    assert is_visible(offer, DAY) is (expected is Publicity.OPEN)
    listed = await visible_offers(DAY).filter(id=offer.id).exists()
    assert listed is (expected is Publicity.OPEN)

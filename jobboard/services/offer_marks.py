"""What a signed-in candidate sees on each offer of a page: their verdict, their application if
any, whether they saved it — for the whole page at once.

The verdict comes from what the search hit (or the offer) carries and the candidate's own
profile, already loaded with the session; the applications and the saved offers among the
page's ids are one query each, however many cards the page has.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from jobboard.domain.account import Role
from jobboard.domain.candidate_verdict import CandidateVerdict, candidate_verdict
from jobboard.models import Application, SavedOffer, User


class OfferLike(Protocol):
    """A search hit or an offer: what the verdict needs."""

    @property
    def id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def start_date(self) -> date | None: ...
    @property
    def min_diploma_level(self) -> int | None: ...


@dataclass(frozen=True)
class OfferMark:
    verdict: CandidateVerdict | None  # None when the offer has no start date to judge by
    application_id: int | None = None
    saved: bool = False


async def marks_for(
    user: User | None, offers: Iterable[OfferLike], today: date
) -> dict[int, OfferMark]:
    """The candidate's mark on each offer, by offer id; empty for visitors and other roles."""
    offers = list(offers)
    if user is None or user.role != Role.CANDIDATE or not offers:
        return {}
    ids = sorted({offer.id for offer in offers})
    applications = dict(
        await Application.filter(candidate_id=user.id, offer_id__in=ids).values_list(
            "offer_id", "id"
        )
    )
    saved_rows: list[Any] = await SavedOffer.filter(user_id=user.id, offer_id__in=ids).values_list(
        "offer_id", flat=True
    )
    saved = {int(offer_id) for offer_id in saved_rows}
    marks = {}
    for offer in offers:
        start = offer.start_date
        verdict = (
            candidate_verdict(
                str(offer.kind),
                start,
                user.birth_date,
                user.diploma_level,
                offer.min_diploma_level,
                today=today,
            )
            if start is not None
            else None
        )
        marks[offer.id] = OfferMark(verdict, applications.get(offer.id), offer.id in saved)
    return marks

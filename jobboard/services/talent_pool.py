"""The talent pool (« vivier »): membership, withdrawal, and the anonymous search for staff.

Rules in `domain.talent_pool`. Only applications sent with the consent, still standing, say
anything about a pooled candidate: the offers of the others are not the pool's to read.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from jobboard.clock import now
from jobboard.domain.candidate_verdict import candidate_verdict
from jobboard.domain.parsing import fold
from jobboard.domain.talent_pool import earliest_consent, in_pool, pool_until, vta_age_band
from jobboard.models import Application, Offer, User
from jobboard.services import proposals

# At most this many candidates on one page of the pool search.
PAGE_SIZE = 50


@dataclass(frozen=True)
class PoolFilters:
    """What staff search the pool by (every field optional; a list means « one of »)."""

    min_diploma: int | None = None
    themes: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    departements: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    available_from: date | None = None  # a start date applied for on or after this day
    available_until: date | None = None  # … and on or before this one
    q: str = ""  # words of the past offers' titles, every one


@dataclass
class PoolCandidate:
    """A pooled candidate as staff see them: no name, e-mail address or birth date."""

    number: int
    diploma_level: int | None
    until: datetime
    kinds: set[str] = field(default_factory=set)
    themes: set[str] = field(default_factory=set)
    departements: set[str] = field(default_factory=set)
    regions: set[str] = field(default_factory=set)
    start_dates: list[date] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    age_band: str = ""  # for the offer staff chose, else empty
    eligible: bool | None = None  # for that offer, as the apply step judges; None without one


async def membership(candidate: User, at: datetime | None = None) -> datetime | None:
    """Until when `candidate` is in the pool, or None when they are not in it."""
    moment = at or now()
    consents = await Application.filter(
        candidate_id=candidate.id,
        talent_pool_consent=True,
        created_at__gte=earliest_consent(moment),
    ).values_list("created_at", flat=True)
    given = [cast(datetime, given_at) for given_at in consents]
    return pool_until(given) if in_pool(given, moment) else None


async def withdraw(candidate: User) -> int:
    """Leave the pool: the consent is cleared on every application at once (how many), and the
    proposals' e-mails not sent yet are not sent. The account row is locked first, as a batch
    of proposals locks it (`services.proposals`): a proposal never follows a withdrawal."""
    async with in_transaction():
        await User.select_for_update().filter(id=candidate.id).first()
        cleared = await Application.filter(
            candidate_id=candidate.id, talent_pool_consent=True
        ).update(talent_pool_consent=False, talent_pool_withdrawn_at=now())
        await proposals.cancel_unsent(candidate.id)
    return cleared


async def search(
    filters: PoolFilters,
    *,
    offer: Offer | None = None,
    at: datetime | None = None,
    hide_organisation: int | None = None,
) -> list[PoolCandidate]:
    """The pooled candidates matching `filters`, latest consent first; with `offer`, each one's
    VTA age band on its start date. `hide_organisation`: a recruiter's collectivité, whose own
    applicants (known to it by name) the pool leaves out, lest a number be linked to a name
    and to the person's other applications."""
    moment = at or now()
    query = Application.all()
    if hide_organisation is not None:
        known = Application.filter(
            offer__organisation_id=hide_organisation, candidate_id__isnull=False
        ).values("candidate_id")
        query = query.exclude(candidate_id__in=Subquery(known))
    rows = await query.filter(
        talent_pool_consent=True,
        candidate_id__isnull=False,
        candidate__is_active=True,
        created_at__gte=earliest_consent(moment),
    ).values(
        "candidate_id",
        "created_at",
        "candidate__diploma_level",
        "candidate__birth_date",
        "offer__kind",
        "offer__themes",
        "offer__title",
        "offer__start_date",
        "offer__commune__departement_id",
        "offer__commune__region_id",
    )
    by_candidate: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_candidate[int(row["candidate_id"])].append(row)
    found: list[PoolCandidate] = []
    for number, applications in by_candidate.items():
        consents = [a["created_at"] for a in applications]
        if not in_pool(consents, moment):
            continue
        until = pool_until(consents)
        assert until is not None
        candidate = PoolCandidate(number, applications[0]["candidate__diploma_level"], until)
        for a in sorted(applications, key=lambda a: a["created_at"], reverse=True):
            candidate.kinds.add(str(a["offer__kind"]))
            candidate.themes.update(a["offer__themes"] or ())
            candidate.departements.add(str(a["offer__commune__departement_id"]))
            candidate.regions.add(str(a["offer__commune__region_id"]))
            candidate.start_dates.append(a["offer__start_date"])
            candidate.titles.append(str(a["offer__title"]))
        if not _matches(candidate, filters):
            continue
        if offer is not None:
            birth_date = applications[0]["candidate__birth_date"]
            candidate.age_band = vta_age_band(birth_date, offer.start_date)
            candidate.eligible = candidate_verdict(
                offer.kind, offer.start_date, birth_date, candidate.diploma_level
            ).eligible
        found.append(candidate)
    found.sort(key=lambda c: (c.until, c.number), reverse=True)
    return found[:PAGE_SIZE]


def _matches(candidate: PoolCandidate, filters: PoolFilters) -> bool:
    if filters.min_diploma is not None and (candidate.diploma_level or 0) < filters.min_diploma:
        return False
    for wanted, present in (
        (filters.themes, candidate.themes),
        (filters.kinds, candidate.kinds),
        (filters.departements, candidate.departements),
        (filters.regions, candidate.regions),
    ):
        if wanted and not set(wanted) & present:
            return False
    if filters.available_from or filters.available_until:
        low, high = filters.available_from or date.min, filters.available_until or date.max
        if not any(low <= day <= high for day in candidate.start_dates):
            return False
    if filters.q:
        titles = fold(" ".join(candidate.titles))
        if not all(word in titles for word in fold(filters.q).split()):
            return False
    return True

"""The talent pool (« vivier »): who is in it, until when, and what staff may read (pure).

The apply form asks « J’accepte que l’ANCT conserve ma candidature deux ans pour me proposer
d’autres offres ». A candidate is in the pool while one of their applications carries that
consent, given less than two years ago (`retention.TALENT_POOL`, the period after which the
purge anonymises such an application) and not withdrawn. The pool shows staff no name, e-mail
address or birth date: a number, the facts of the offers applied to with consent, the diploma
level, and for an offer chosen by staff, whether the candidate is within the VTA ages on its
start date.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from jobboard.domain.eligibility import assess_candidate
from jobboard.domain.offer import OfferKind
from jobboard.domain.retention import TALENT_POOL
from jobboard.domain.rules import VTA_AGE_RANGE


def pool_until(consents: Iterable[datetime]) -> datetime | None:
    """When a candidate leaves the pool: two years after the latest consent still standing
    (`consents`: when each was given, that is when its application was sent); None when there
    is none."""
    return max((TALENT_POOL.after(given_at) for given_at in consents), default=None)


def in_pool(consents: Iterable[datetime], at: datetime) -> bool:
    """Whether a candidate with these consents is in the pool at instant `at`."""
    until = pool_until(consents)
    return until is not None and at < until


def earliest_consent(at: datetime) -> datetime:
    """A consent given before this instant has lapsed at `at`: a first filter for the
    database, a little wide (31 days a month); `in_pool` decides."""
    return at - timedelta(days=31 * TALENT_POOL.months)


WITHIN_VTA_AGES = f"{VTA_AGE_RANGE} au début de la mission"
OUTSIDE_VTA_AGES = f"hors {VTA_AGE_RANGE} au début de la mission"
AGE_UNKNOWN = "âge non renseigné"


def vta_age_band(birth_date: date | None, start_date: date) -> str:
    """The VTA age band for a mission starting on `start_date`, the rule the apply step uses;
    the birth date itself is never shown."""
    if birth_date is None:
        return AGE_UNKNOWN
    assessment = assess_candidate(OfferKind.VTA, birth_date, None, start_date)
    codes = {reason.code for reason in assessment.blocking}
    return OUTSIDE_VTA_AGES if codes & {"vta_too_old", "vta_too_young"} else WITHIN_VTA_AGES

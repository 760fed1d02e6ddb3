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
from enum import StrEnum

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


# -- proposals: staff (or a recruiter with access) propose an open offer to pooled candidates --

MAX_CANDIDATES_PER_PROPOSAL = 20  # ticked at once on one offer
PROPOSALS_PER_MONTH = 3  # per candidate, all offers together, over the last 30 days
CAP_WINDOW = timedelta(days=30)
PROPOSAL_MESSAGE_MAX_LENGTH = 1000


class ProposalStatus(StrEnum):
    SENT = "sent"
    OPENED = "opened"  # the candidate opened the proposal's page
    APPLIED = "applied"
    DECLINED = "declined"


PROPOSAL_STATUS_LABELS = {
    ProposalStatus.SENT: "Envoyée, pas encore ouverte",
    ProposalStatus.OPENED: "Ouverte, sans réponse",
    ProposalStatus.APPLIED: "A candidaté",
    ProposalStatus.DECLINED: "Déclinée",
}

# The same states as the candidate reads them in their space.
CANDIDATE_PROPOSAL_LABELS = {
    ProposalStatus.SENT: "Nouvelle",
    ProposalStatus.OPENED: "Sans réponse",
    ProposalStatus.APPLIED: "Vous avez candidaté",
    ProposalStatus.DECLINED: "Vous n’avez pas donné suite",
}


def cap_window_start(at: datetime) -> datetime:
    """Proposals sent since this instant count against the monthly cap at `at`."""
    return at - CAP_WINDOW


NOT_POOLED = "n’est pas (ou plus) dans le vivier"  # also for a number that is no candidate


def proposal_refusal(
    *,
    pooled: bool,
    eligible: bool,
    already_proposed: bool,
    proposals_this_month: int,
    already_applied: bool = False,
) -> str:
    """Why one pooled candidate may not be proposed an offer, in French; "" when they may.
    The first reason that applies, in the order staff would check them."""
    if not pooled:
        return NOT_POOLED
    if already_applied:
        return "a déjà candidaté à cette offre"
    if already_proposed:
        return "s’est déjà vu proposer cette offre"
    if proposals_this_month >= PROPOSALS_PER_MONTH:
        return f"a déjà reçu {PROPOSALS_PER_MONTH} propositions ces 30 derniers jours"
    if not eligible:
        return "n’est pas éligible à cette offre"
    return ""

"""Offer lifecycle as a transition table: (action, from-states, to-state, who, what follows).

Every change of an offer's status, and every logged change of its content, is one row of this
table; `services/offer_transitions.transition_offer` is the only code that applies them.
"""

from __future__ import annotations

from dataclasses import dataclass

from jobboard.domain.account import SYSTEM, Role, Verification
from jobboard.domain.errors import Refused
from jobboard.domain.offer import OfferStatus as S

# Who acts: a user's role, or SYSTEM for the CLI, the periodic expiry and the import.
RECRUITER = frozenset({Role.RECRUITER})
STAFF = frozenset({Role.STAFF})


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[S | None]  # None: the offer is not written yet
    # None: the status stays (an edit, a dérogation); for an import, the file names it.
    target: S | None
    label: str  # French, for the journal
    by: frozenset[str]
    logged: bool = True  # an OfferEvent row (a draft saved as typed is not journalled)
    notifies: str = ""  # e-mail template sent to the collectivité's recruiters
    # Pending applications become obsolete; their candidates read this reason, or the
    # comment when it is empty (a recruiter closing an offer says why).
    ends_applications: bool = False
    applications_reason: str = ""


_ALL_BUT_ARCHIVED = frozenset(S) - {S.ARCHIVED}
_UNDECIDED = frozenset({S.DRAFT, S.CHANGES_REQUESTED, S.SUBMITTED})

OFFER_TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("create", frozenset({None}), S.DRAFT, "Création", RECRUITER),
        # An import writes offers in whatever state the file says (DESIGN.md §4).
        Transition("import", frozenset({None}), None, "Import", frozenset({SYSTEM, Role.STAFF})),
        Transition(
            "save_draft",
            frozenset({S.DRAFT, S.CHANGES_REQUESTED}),
            None,
            "Brouillon enregistré",
            RECRUITER,
            logged=False,
        ),
        Transition(
            "submit",
            frozenset({S.DRAFT, S.CHANGES_REQUESTED}),
            S.SUBMITTED,
            "Soumission",
            RECRUITER,
        ),
        Transition("edit", frozenset({S.SUBMITTED}), None, "Modification", RECRUITER),
        # An edit of a published offer hides it until staff approve it again.
        Transition(
            "edit_published", frozenset({S.PUBLISHED}), S.SUBMITTED, "Modification", RECRUITER
        ),
        Transition(
            "approve",
            frozenset({S.SUBMITTED}),
            S.PUBLISHED,
            "Publication",
            STAFF,
            notifies="offer_approved",
        ),
        Transition(
            "request_changes",
            frozenset({S.SUBMITTED}),
            S.CHANGES_REQUESTED,
            "Modifications demandées",
            STAFF,
            notifies="offer_changes_requested",
        ),
        Transition(
            "reject",
            frozenset({S.SUBMITTED}),
            S.REJECTED,
            "Refus",
            STAFF,
            notifies="offer_rejected",
            ends_applications=True,
            applications_reason="offre refusée par l’ANCT",
        ),
        Transition(
            "unpublish",
            frozenset({S.PUBLISHED}),
            S.CHANGES_REQUESTED,
            "Dépublication",
            STAFF,
            notifies="offer_unpublished",
        ),
        Transition("override", _UNDECIDED, None, "Dérogation territoriale", STAFF),
        Transition(
            "close",
            frozenset({S.PUBLISHED}),
            S.CLOSED,
            "Clôture",
            RECRUITER,
            ends_applications=True,
        ),
        Transition(
            "expire",
            frozenset({S.PUBLISHED}),
            S.EXPIRED,
            "Expiration",
            frozenset({SYSTEM}),
            ends_applications=True,
            applications_reason="date limite de candidature passée",
        ),
        Transition(
            "archive", _ALL_BUT_ARCHIVED, S.ARCHIVED, "Archivage", frozenset({SYSTEM, Role.STAFF})
        ),
    )
}


def next_status(action: str, current: S | None, requested: S | None = None) -> S:
    """The status after `action`; `requested` is the status an import names."""
    transition = OFFER_TRANSITIONS.get(action)
    if transition is None:
        raise Refused(f"Action inconnue : {action}.")
    if current not in transition.sources:
        if current is None:
            raise Refused("Action impossible : l’offre n’est pas encore enregistrée.")
        raise Refused(f"Action impossible : l’offre est « {current.label} ».")
    if transition.target is not None:
        return transition.target
    if current is not None:
        return current
    if requested is None:
        raise Refused("Indiquez le statut de l’offre importée.")
    return requested


def stamps(source: S | None, target: S) -> tuple[str, ...]:
    """The date columns set to "now" when an offer goes from `source` to `target`.

    An import stamps every step the offer is said to have passed: an imported closed offer was
    submitted, published and closed at once.
    """
    if source == target:
        return ()
    if source is None:
        ended = {S.CLOSED, S.EXPIRED, S.ARCHIVED}
        passed = [
            ("submitted_at", target is not S.DRAFT),
            ("published_at", target in ended | {S.PUBLISHED}),
            ("closed_at", target in ended),
        ]
        return tuple(name for name, applies in passed if applies)
    stamp = {
        S.SUBMITTED: "submitted_at",
        S.PUBLISHED: "published_at",
        S.CLOSED: "closed_at",
        S.EXPIRED: "closed_at",
    }.get(target)
    return (stamp,) if stamp else ()


UNVERIFIED_RECRUITER = (
    "Votre compte recruteur n’est pas encore vérifié par l’ANCT : vous pourrez soumettre cette "
    "offre dès qu’il le sera. Elle reste enregistrée en brouillon."
)
# What a recruiter may do only once staff verified their account: put an offer in front of
# staff or candidates.
_VERIFIED_ONLY = frozenset({"submit", "edit", "edit_published"})


def check_actor(action: str, role: str, verification: str) -> None:
    """Who may act: the table's roles, and a recruiter submits only once staff verified them."""
    transition = OFFER_TRANSITIONS.get(action)
    if transition is None:
        raise Refused(f"Action inconnue : {action}.")
    if role not in transition.by:
        raise Refused("Vous ne pouvez pas faire cette action sur cette offre.")
    if (
        action in _VERIFIED_ONLY
        and role == Role.RECRUITER
        and verification != Verification.VERIFIED
    ):
        raise Refused(UNVERIFIED_RECRUITER)

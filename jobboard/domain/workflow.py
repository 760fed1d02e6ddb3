"""Offer lifecycle as a transition table: (action, from-states, to-state)."""

from __future__ import annotations

from dataclasses import dataclass

from jobboard.domain.offer import OfferStatus as S


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[S]
    target: S
    label: str  # French, for the journal


_ALL_BUT_ARCHIVED = frozenset(S) - {S.ARCHIVED}

OFFER_TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("submit", frozenset({S.DRAFT, S.CHANGES_REQUESTED}), S.SUBMITTED, "Soumission"),
        Transition("approve", frozenset({S.SUBMITTED}), S.PUBLISHED, "Publication"),
        Transition(
            "request_changes",
            frozenset({S.SUBMITTED}),
            S.CHANGES_REQUESTED,
            "Modifications demandées",
        ),
        Transition("reject", frozenset({S.SUBMITTED}), S.REJECTED, "Refus"),
        Transition("unpublish", frozenset({S.PUBLISHED}), S.CHANGES_REQUESTED, "Dépublication"),
        # An edit of a published offer hides it until staff approve it again.
        Transition("edit_published", frozenset({S.PUBLISHED}), S.SUBMITTED, "Modification"),
        Transition("close", frozenset({S.PUBLISHED}), S.CLOSED, "Clôture"),
        Transition("expire", frozenset({S.PUBLISHED}), S.EXPIRED, "Expiration"),
        Transition("archive", _ALL_BUT_ARCHIVED, S.ARCHIVED, "Archivage"),
    )
}


class TransitionRefused(Exception):
    """The action is not possible from the offer's current state (message in French)."""


def next_status(action: str, current: S) -> S:
    transition = OFFER_TRANSITIONS.get(action)
    if transition is None:
        raise TransitionRefused(f"Action inconnue : {action}.")
    if current not in transition.sources:
        raise TransitionRefused(f"Action impossible : l'offre est « {current.label} ».")
    return transition.target


UNVERIFIED_RECRUITER = (
    "Votre compte recruteur n'est pas encore vérifié par l'ANCT : vous pourrez soumettre cette "
    "offre dès qu'il le sera. Elle reste enregistrée en brouillon."
)


def check_actor(action: str, role: str, verification: str) -> None:
    """Who may act: a recruiter submits only once staff verified their account."""
    if action == "submit" and role == "recruiter" and verification != "verified":
        raise TransitionRefused(UNVERIFIED_RECRUITER)

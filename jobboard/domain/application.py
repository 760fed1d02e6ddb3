"""Application lifecycle as a transition table, and the rules of an upload (pure)."""

from __future__ import annotations

from dataclasses import dataclass

PENDING = frozenset({"received", "in_review", "interview"})

STATUS_LABELS = {
    "received": "Reçue",
    "in_review": "En cours d'examen",
    "interview": "Entretien proposé",
    "accepted": "Retenue",
    "rejected": "Non retenue",
    "withdrawn": "Retirée",
    "obsolete": "Offre close",
}


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]  # "" : the application is not written yet
    target: str
    label: str  # the button, in French
    by: str  # "recruiter", "candidate" or "system" (the offer's end)
    reason_required: bool = False
    tells_candidate: str = ""  # e-mail template sent to the candidate
    tells_recruiters: str = ""  # e-mail template sent to the offer's verified recruiters


APPLICATION_TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition(
            "apply",
            frozenset({""}),
            "received",
            "Envoyer ma candidature",
            "candidate",
            tells_candidate="application_received",
            tells_recruiters="application_new",
        ),
        Transition(
            "review",
            frozenset({"received"}),
            "in_review",
            "Passer en examen",
            "recruiter",
            tells_candidate="application_status",
        ),
        Transition(
            "interview",
            frozenset({"in_review"}),
            "interview",
            "Proposer un entretien",
            "recruiter",
            tells_candidate="application_status",
        ),
        Transition(
            "accept",
            frozenset({"in_review", "interview"}),
            "accepted",
            "Retenir",
            "recruiter",
            tells_candidate="application_status",
        ),
        Transition(
            "reject",
            PENDING,
            "rejected",
            "Ne pas retenir",
            "recruiter",
            reason_required=True,
            tells_candidate="application_status",
        ),
        Transition(
            "withdraw",
            PENDING,
            "withdrawn",
            "Retirer ma candidature",
            "candidate",
            tells_recruiters="application_withdrawn",
        ),
        # The offer closed, expired or was refused: what was still pending ends.
        Transition(
            "obsolete",
            PENDING,
            "obsolete",
            "Offre close",
            "system",
            tells_candidate="application_obsolete",
        ),
    )
}


class ApplicationRefused(Exception):
    """A transition that is not allowed (message in French)."""


def next_application_status(action: str, current: str, by: str) -> str:
    transition = APPLICATION_TRANSITIONS.get(action)
    if transition is None or transition.by != by:
        raise ApplicationRefused("Action inconnue.")
    if current not in transition.sources:
        label = STATUS_LABELS.get(current, current).lower()
        raise ApplicationRefused(f"Action impossible : la candidature est « {label} ».")
    return transition.target


def actions_for(status: str, by: str) -> list[Transition]:
    return [t for t in APPLICATION_TRANSITIONS.values() if t.by == by and status in t.sources]


# Uploads: a CV is a PDF, recognised by its content, within a size limit.

PDF_MAGIC = b"%PDF-"
COVER_LETTER_MAX_LENGTH = 8000
MESSAGE_MAX_LENGTH = 2000


def looks_like_pdf(head: bytes) -> bool:
    """A PDF starts with its header. Readers tolerate junk before it, but a file that does not
    start with it could be something else as well (a script with a PDF appended)."""
    return head.startswith(PDF_MAGIC)

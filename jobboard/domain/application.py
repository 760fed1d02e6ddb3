"""Application lifecycle as a transition table, and the rules of an upload (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from jobboard.domain.account import SYSTEM, Role
from jobboard.domain.errors import Refused


class ApplicationStatus(StrEnum):
    RECEIVED = "received"
    IN_REVIEW = "in_review"
    INTERVIEW = "interview"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    OBSOLETE = "obsolete"  # the offer ended while the application was pending

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


A = ApplicationStatus
PENDING = frozenset({A.RECEIVED, A.IN_REVIEW, A.INTERVIEW})

STATUS_LABELS: dict[ApplicationStatus, str] = {
    A.RECEIVED: "Reçue",
    A.IN_REVIEW: "En cours d’examen",
    A.INTERVIEW: "Entretien proposé",
    A.ACCEPTED: "Retenue",
    A.REJECTED: "Non retenue",
    A.WITHDRAWN: "Retirée",
    A.OBSOLETE: "Offre close",
}


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]  # statuses; "" : the application is not written yet
    target: ApplicationStatus
    label: str  # the button, in French
    by: str  # Role.RECRUITER, Role.CANDIDATE or SYSTEM (the offer's end)
    reason_required: bool = False
    tells_candidate: str = ""  # e-mail template sent to the candidate
    tells_recruiters: str = ""  # e-mail template sent to the offer's verified recruiters


APPLICATION_TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition(
            "apply",
            frozenset({""}),
            A.RECEIVED,
            "Envoyer ma candidature",
            Role.CANDIDATE,
            tells_candidate="application_received",
            tells_recruiters="application_new",
        ),
        Transition(
            "review",
            frozenset({A.RECEIVED}),
            A.IN_REVIEW,
            "Passer en examen",
            Role.RECRUITER,
            tells_candidate="application_status",
        ),
        Transition(
            "interview",
            frozenset({A.IN_REVIEW}),
            A.INTERVIEW,
            "Proposer un entretien",
            Role.RECRUITER,
            tells_candidate="application_status",
        ),
        Transition(
            "accept",
            frozenset({A.IN_REVIEW, A.INTERVIEW}),
            A.ACCEPTED,
            "Retenir",
            Role.RECRUITER,
            tells_candidate="application_status",
        ),
        Transition(
            "reject",
            PENDING,
            A.REJECTED,
            "Ne pas retenir",
            Role.RECRUITER,
            reason_required=True,
            tells_candidate="application_status",
        ),
        Transition(
            "withdraw",
            PENDING,
            A.WITHDRAWN,
            "Retirer ma candidature",
            Role.CANDIDATE,
            tells_recruiters="application_withdrawn",
        ),
        # The offer closed, expired or was refused: what was still pending ends.
        Transition(
            "obsolete",
            PENDING,
            A.OBSOLETE,
            "Offre close",
            SYSTEM,
            tells_candidate="application_obsolete",
        ),
    )
}


def next_application_status(action: str, current: str, by: str) -> ApplicationStatus:
    transition = APPLICATION_TRANSITIONS.get(action)
    if transition is None or transition.by != by:
        raise Refused("Action inconnue.")
    if current not in transition.sources:
        label = ApplicationStatus(current).label.lower() if current in STATUS_LABELS else current
        raise Refused(f"Action impossible : la candidature est « {label} ».")
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

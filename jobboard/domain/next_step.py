"""What a recruiter should do next with an offer, from its state and its applications.

The recruiter space shows one next step per offer instead of the same link for all; the
actions are those the workflow (`domain/workflow.py`) leaves to a recruiter in that state.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from jobboard.domain.offer import OfferStatus as S


class StepTarget(StrEnum):
    """Where the step's link leads (the web layer turns it into an address)."""

    NONE = ""  # nothing to do but wait: plain text
    EDIT = "edit"  # the offer form
    APPLICATIONS = "applications"  # the offer's applications
    PUBLIC = "public"  # the public offer page, to share
    OFFER = "offer"  # the offer's page in the recruiter space
    REPUBLISH = "republish"  # a new offer written from this one


@dataclass(frozen=True)
class NextStep:
    label: str
    target: StepTarget
    comment: str = ""  # staff's last word (changes requested, refusal), shown with the step


def new_applications_label(new: int) -> str:
    if new == 1:
        return "Voir la nouvelle candidature"
    return f"Voir les {new} nouvelles candidatures"


def next_step(status: S, *, new_applications: int = 0, comment: str = "") -> NextStep:
    """The step for an offer in `status` with `new_applications` received since the
    recruiter last opened its applications; `comment` is staff's latest comment."""
    if status is S.DRAFT:
        return NextStep("Compléter et soumettre", StepTarget.EDIT)
    if status is S.CHANGES_REQUESTED:
        return NextStep("Corriger l’offre", StepTarget.EDIT, comment)
    if status is S.SUBMITTED:
        return NextStep("En attente de modération", StepTarget.NONE)
    if status is S.REJECTED:
        return NextStep("Voir le motif du refus", StepTarget.OFFER, comment)
    if status is S.ARCHIVED:
        return NextStep("Aucune action", StepTarget.NONE)
    if new_applications > 0:
        return NextStep(new_applications_label(new_applications), StepTarget.APPLICATIONS)
    if status is S.PUBLISHED:
        return NextStep("Partager l’offre", StepTarget.PUBLIC)
    # Closed or expired: the workflow leaves no transition to the recruiter (staff archive);
    # a new offer written from this one is how it comes back.
    return NextStep("Republier (nouvelle offre à partir de celle-ci)", StepTarget.REPUBLISH)

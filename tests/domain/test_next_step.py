"""The recruiter's next step for an offer depends on its state and its new applications."""

from __future__ import annotations

import pytest

from jobboard.domain.next_step import NextStep, StepTarget, next_step
from jobboard.domain.offer import OfferStatus as S


@pytest.mark.parametrize(
    ("status", "new", "expected"),
    [
        (S.DRAFT, 0, NextStep("Compléter et soumettre", StepTarget.EDIT)),
        (S.SUBMITTED, 0, NextStep("En attente de modération", StepTarget.NONE)),
        (S.PUBLISHED, 3, NextStep("Voir les 3 nouvelles candidatures", StepTarget.APPLICATIONS)),
        (S.PUBLISHED, 1, NextStep("Voir la nouvelle candidature", StepTarget.APPLICATIONS)),
        (S.PUBLISHED, 0, NextStep("Partager l’offre", StepTarget.PUBLIC)),
        (S.CLOSED, 2, NextStep("Voir les 2 nouvelles candidatures", StepTarget.APPLICATIONS)),
        (
            S.CLOSED,
            0,
            NextStep("Republier (nouvelle offre à partir de celle-ci)", StepTarget.REPUBLISH),
        ),
        (
            S.EXPIRED,
            0,
            NextStep("Republier (nouvelle offre à partir de celle-ci)", StepTarget.REPUBLISH),
        ),
        (S.ARCHIVED, 0, NextStep("Aucune action", StepTarget.NONE)),
    ],
)
def test_each_state_has_its_step(status: S, new: int, expected: NextStep) -> None:
    assert next_step(status, new_applications=new) == expected


def test_staff_comment_comes_with_the_correction_and_the_refusal() -> None:
    step = next_step(S.CHANGES_REQUESTED, comment="Précisez la rémunération.")
    assert step == NextStep("Corriger l’offre", StepTarget.EDIT, "Précisez la rémunération.")
    refused = next_step(S.REJECTED, comment="Hors programme.")
    assert refused == NextStep("Voir le motif du refus", StepTarget.OFFER, "Hors programme.")


def test_offers_still_being_written_ignore_applications() -> None:
    """Only published or ended offers have applications to read; a draft's step stays."""
    assert next_step(S.DRAFT, new_applications=4).target is StepTarget.EDIT
    assert next_step(S.SUBMITTED, new_applications=4).target is StepTarget.NONE

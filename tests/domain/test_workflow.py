"""Offer transitions and who may make them, without a database."""

from __future__ import annotations

import pytest

from jobboard.domain.offer import OfferStatus
from jobboard.domain.workflow import TransitionRefused, check_actor, next_status


def test_submit_moves_a_draft_to_moderation() -> None:
    assert next_status("submit", OfferStatus.DRAFT) == OfferStatus.SUBMITTED


@pytest.mark.parametrize("verification", ["pending", "refused", "none"])
def test_unverified_recruiter_cannot_submit(verification: str) -> None:
    with pytest.raises(TransitionRefused, match="pas encore vérifié"):
        check_actor("submit", "recruiter", verification)


def test_verified_recruiter_and_staff_may_act() -> None:
    check_actor("submit", "recruiter", "verified")
    check_actor("approve", "staff", "none")
    check_actor("close", "recruiter", "pending")  # closing an offer is not gated

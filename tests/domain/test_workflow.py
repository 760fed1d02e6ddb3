"""Offer transitions and who may make them, without a database."""

from __future__ import annotations

import pytest

from jobboard.domain.errors import Refused
from jobboard.domain.offer import OfferStatus
from jobboard.domain.workflow import check_actor, next_status, stamps


def test_submit_moves_a_draft_to_moderation() -> None:
    assert next_status("submit", OfferStatus.DRAFT) == OfferStatus.SUBMITTED


@pytest.mark.parametrize("verification", ["pending", "refused", "none"])
def test_unverified_recruiter_cannot_submit(verification: str) -> None:
    with pytest.raises(Refused, match="pas encore vérifié"):
        check_actor("submit", "recruiter", verification)


def test_verified_recruiter_and_staff_may_act() -> None:
    check_actor("submit", "recruiter", "verified")
    check_actor("approve", "staff", "none")
    check_actor("close", "recruiter", "pending")  # closing an offer is not gated


@pytest.mark.parametrize(
    ("action", "role"),
    [
        ("approve", "recruiter"),
        ("close", "staff"),
        ("expire", "recruiter"),
        ("submit", "candidate"),
        ("override", "recruiter"),
    ],
)
def test_each_action_has_its_actors(action: str, role: str) -> None:
    with pytest.raises(Refused, match="ne pouvez pas"):
        check_actor(action, role, "verified")
    with pytest.raises(Refused, match="inconnue"):
        check_actor("publish", "staff", "none")


@pytest.mark.parametrize(
    ("action", "source", "target"),
    [
        ("create", None, OfferStatus.DRAFT),
        ("save_draft", OfferStatus.CHANGES_REQUESTED, OfferStatus.CHANGES_REQUESTED),
        ("edit", OfferStatus.SUBMITTED, OfferStatus.SUBMITTED),
        ("edit_published", OfferStatus.PUBLISHED, OfferStatus.SUBMITTED),
        ("override", OfferStatus.DRAFT, OfferStatus.DRAFT),
        ("unpublish", OfferStatus.PUBLISHED, OfferStatus.CHANGES_REQUESTED),
        ("expire", OfferStatus.PUBLISHED, OfferStatus.EXPIRED),
    ],
)
def test_the_table(action: str, source: OfferStatus | None, target: OfferStatus) -> None:
    assert next_status(action, source) == target


def test_an_import_names_its_status_and_only_new_offers_are_created() -> None:
    assert next_status("import", None, OfferStatus.CLOSED) == OfferStatus.CLOSED
    with pytest.raises(Refused, match="Indiquez le statut"):
        next_status("import", None)
    with pytest.raises(Refused, match="Brouillon"):
        next_status("create", OfferStatus.DRAFT)
    with pytest.raises(Refused, match="pas encore enregistrée"):
        next_status("approve", None)


@pytest.mark.parametrize(
    ("source", "target", "stamped"),
    [
        (OfferStatus.DRAFT, OfferStatus.SUBMITTED, ("submitted_at",)),
        (OfferStatus.PUBLISHED, OfferStatus.SUBMITTED, ("submitted_at",)),
        (OfferStatus.SUBMITTED, OfferStatus.PUBLISHED, ("published_at",)),
        (OfferStatus.PUBLISHED, OfferStatus.CLOSED, ("closed_at",)),
        (OfferStatus.PUBLISHED, OfferStatus.EXPIRED, ("closed_at",)),
        (OfferStatus.SUBMITTED, OfferStatus.REJECTED, ()),
        (OfferStatus.SUBMITTED, OfferStatus.SUBMITTED, ()),
        (None, OfferStatus.DRAFT, ()),
        (None, OfferStatus.SUBMITTED, ("submitted_at",)),
        (None, OfferStatus.PUBLISHED, ("submitted_at", "published_at")),
        (None, OfferStatus.EXPIRED, ("submitted_at", "published_at", "closed_at")),
    ],
)
def test_dates_stamped(
    source: OfferStatus | None, target: OfferStatus, stamped: tuple[str, ...]
) -> None:
    assert stamps(source, target) == stamped

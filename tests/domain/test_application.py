"""Application transitions, without a database."""

from __future__ import annotations

import pytest

from jobboard.domain.application import (
    PENDING,
    actions_for,
    next_application_status,
)
from jobboard.domain.errors import Refused


@pytest.mark.parametrize("status", sorted(PENDING))
def test_pending_applications_become_obsolete_when_the_offer_ends(status: str) -> None:
    assert next_application_status("obsolete", status, "system") == "obsolete"


@pytest.mark.parametrize("status", ["accepted", "rejected", "withdrawn", "obsolete"])
def test_decided_applications_stay_as_they_are(status: str) -> None:
    with pytest.raises(Refused, match="Action impossible"):
        next_application_status("obsolete", status, "system")


def test_only_the_system_makes_an_application_obsolete_and_it_is_no_button() -> None:
    with pytest.raises(Refused, match="inconnue"):
        next_application_status("obsolete", "received", "recruiter")
    for by in ("recruiter", "candidate"):
        assert "obsolete" not in {t.action for t in actions_for("received", by)}


def test_an_application_starts_received_by_its_candidate() -> None:
    assert next_application_status("apply", "", "candidate") == "received"
    with pytest.raises(Refused):
        next_application_status("apply", "received", "candidate")

"""Retention durations and when an application is due for anonymisation, without a database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jobboard.domain.application import ApplicationStatus
from jobboard.domain.retention import (
    ACCEPTED_APPLICATION,
    DATA_EXPORT,
    ENDED_UNSUCCESSFULLY,
    INACTIVITY_GRACE,
    INACTIVITY_WARNING,
    RETENTION_PERIODS,
    SENT_EMAIL,
    TALENT_POOL,
    UNCONFIRMED_ACCOUNT,
    UNSUCCESSFUL_APPLICATION,
    Duration,
    application_purge_due,
)

T0 = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)


def test_the_durations_are_those_of_the_cnil_guide_and_the_design() -> None:
    assert UNSUCCESSFUL_APPLICATION.label == "3 mois"
    assert TALENT_POOL.label == "2 ans"
    assert ACCEPTED_APPLICATION.label == "2 ans"
    assert INACTIVITY_WARNING.label == "23 mois"
    assert INACTIVITY_GRACE.label == "1 mois"
    assert UNCONFIRMED_ACCOUNT.label == "30 jours"
    assert SENT_EMAIL.label == "90 jours"
    assert DATA_EXPORT.label == "24 heures"
    # Warning then grace: an account is deleted after 24 months without a sign-in.
    assert INACTIVITY_GRACE.after(INACTIVITY_WARNING.after(T0)) == datetime(
        2028, 1, 31, 10, 0, tzinfo=UTC
    )


def test_months_are_calendar_months_clamped_to_the_end_of_the_month() -> None:
    assert Duration(months=1).after(T0) == datetime(2026, 2, 28, 10, 0, tzinfo=UTC)
    assert Duration(months=3).after(T0) == datetime(2026, 4, 30, 10, 0, tzinfo=UTC)
    assert Duration(months=24).after(datetime(2028, 2, 29, tzinfo=UTC)) == datetime(
        2030, 2, 28, tzinfo=UTC
    )
    assert Duration(months=3).before(datetime(2026, 5, 31, tzinfo=UTC)) == datetime(
        2026, 2, 28, tzinfo=UTC
    )
    assert Duration(days=90).before(T0) == datetime(2025, 11, 2, 10, 0, tzinfo=UTC)
    assert Duration(hours=24).after(T0) == datetime(2026, 2, 1, 10, 0, tzinfo=UTC)


def test_labels_read_as_french() -> None:
    assert Duration(months=12).label == "1 an"
    assert Duration(months=18).label == "18 mois"
    assert Duration(days=1).label == "1 jour"
    assert Duration(hours=1).label == "1 heure"


def test_the_privacy_page_lines_name_every_purge_duration() -> None:
    shown = {period.duration for period in RETENTION_PERIODS}
    for duration in (
        UNSUCCESSFUL_APPLICATION, TALENT_POOL, ACCEPTED_APPLICATION, INACTIVITY_WARNING,
        UNCONFIRMED_ACCOUNT, SENT_EMAIL, DATA_EXPORT,
    ):  # fmt: skip
        assert duration in shown
    for period in RETENTION_PERIODS:
        assert "'" not in period.data + period.starting + period.then  # typographic apostrophe


def _due(status: str, **overrides: object) -> datetime | None:
    values: dict[str, object] = {
        "applied_at": T0,
        "ended_at": datetime(2026, 3, 1, tzinfo=UTC),
        "offer_status": "closed",
        "offer_ended_at": datetime(2026, 2, 15, tzinfo=UTC),
        "talent_pool": False,
        **overrides,
    }
    return application_purge_due(status, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize("status", sorted(ENDED_UNSUCCESSFULLY))
def test_an_unsuccessful_application_goes_three_months_after_the_later_end(status: str) -> None:
    # The application ended after the offer: three months after the application's end.
    assert _due(status) == datetime(2026, 6, 1, tzinfo=UTC)
    # The offer ended after the application: three months after the offer's end.
    later = datetime(2026, 4, 10, tzinfo=UTC)
    assert _due(status, offer_ended_at=later) == datetime(2026, 7, 10, tzinfo=UTC)


def test_a_refusal_is_kept_while_the_offer_still_recruits() -> None:
    assert _due("rejected", offer_status="published", offer_ended_at=None) is None


def test_an_offer_refused_or_archived_without_a_date_counts_from_the_application() -> None:
    assert _due("obsolete", offer_status="rejected", offer_ended_at=None) == datetime(
        2026, 6, 1, tzinfo=UTC
    )


def test_talent_pool_consent_keeps_it_two_years_after_the_consent() -> None:
    assert _due("rejected", talent_pool=True) == datetime(2028, 1, 31, 10, 0, tzinfo=UTC)
    assert _due("withdrawn", talent_pool=True, offer_status="published") == datetime(
        2028, 1, 31, 10, 0, tzinfo=UTC
    )


def test_an_accepted_application_goes_two_years_after_the_acceptance() -> None:
    assert _due("accepted", offer_status="published", offer_ended_at=None) == datetime(
        2028, 3, 1, tzinfo=UTC
    )


@pytest.mark.parametrize("status", ["received", "in_review", "interview"])
def test_a_pending_application_is_never_due(status: str) -> None:
    assert _due(status, talent_pool=True) is None


def test_every_status_has_a_rule() -> None:
    for status in ApplicationStatus:
        _due(status)  # no status falls through unhandled

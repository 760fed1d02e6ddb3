"""The talent pool's rules: until when a consent keeps a candidate in it, the VTA age band,
why a proposal is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from jobboard.domain.talent_pool import (
    AGE_UNKNOWN,
    OUTSIDE_VTA_AGES,
    PROPOSALS_PER_MONTH,
    WITHIN_VTA_AGES,
    cap_window_start,
    earliest_consent,
    in_pool,
    pool_until,
    proposal_refusal,
    vta_age_band,
)

GIVEN = datetime(2026, 3, 15, 10, 0, tzinfo=UTC)


def test_a_consent_keeps_a_candidate_in_the_pool_two_years_to_the_instant() -> None:
    until = datetime(2028, 3, 15, 10, 0, tzinfo=UTC)
    assert pool_until([GIVEN]) == until
    assert in_pool([GIVEN], until - timedelta(microseconds=1))
    assert not in_pool([GIVEN], until)


def test_the_latest_consent_decides_and_none_means_out() -> None:
    later = GIVEN + timedelta(days=200)
    assert pool_until([later, GIVEN]) == pool_until([later])
    assert pool_until([]) is None
    assert not in_pool([], GIVEN)


def test_a_29_february_consent_ends_on_28_february() -> None:
    leap = datetime(2024, 2, 29, 9, 0, tzinfo=UTC)
    assert pool_until([leap]) == datetime(2026, 2, 28, 9, 0, tzinfo=UTC)


def test_the_database_filter_is_never_narrower_than_the_rule() -> None:
    at = datetime(2028, 3, 1, 12, 0, tzinfo=UTC)
    standing = [
        GIVEN + timedelta(hours=hours)
        for hours in range(-24 * 40, 24 * 40)
        if in_pool([GIVEN + timedelta(hours=hours)], at)
    ]
    assert standing and min(standing) >= earliest_consent(at)


def test_the_vta_age_band_on_the_mission_start_date() -> None:
    start = date(2027, 1, 4)
    assert vta_age_band(date(2001, 5, 4), start) == WITHIN_VTA_AGES
    assert vta_age_band(date(1996, 1, 5), start) == WITHIN_VTA_AGES  # 30, 31 the next day
    assert vta_age_band(date(1996, 1, 4), start) == OUTSIDE_VTA_AGES  # 31 on the first day
    assert vta_age_band(date(2009, 1, 5), start) == OUTSIDE_VTA_AGES  # not yet 18
    assert vta_age_band(None, start) == AGE_UNKNOWN


def test_a_proposal_is_refused_for_the_first_reason_that_applies() -> None:
    def refusal(**changes: object) -> str:
        facts: dict[str, Any] = {
            "pooled": True,
            "eligible": True,
            "already_proposed": False,
            "proposals_this_month": 0,
        }
        facts.update(changes)
        return proposal_refusal(**facts)

    assert refusal() == ""
    assert refusal(proposals_this_month=PROPOSALS_PER_MONTH - 1) == ""
    assert refusal(proposals_this_month=PROPOSALS_PER_MONTH) == (
        "a déjà reçu 3 propositions ces 30 derniers jours"
    )
    assert refusal(eligible=False) == "n’est pas éligible à cette offre"
    assert refusal(already_proposed=True, eligible=False) == "s’est déjà vu proposer cette offre"
    assert refusal(pooled=False, already_proposed=True) == "n’est pas (ou plus) dans le vivier"


def test_the_monthly_cap_counts_the_last_thirty_days() -> None:
    at = datetime(2027, 3, 31, 12, 0, tzinfo=UTC)
    assert cap_window_start(at) == datetime(2027, 3, 1, 12, 0, tzinfo=UTC)

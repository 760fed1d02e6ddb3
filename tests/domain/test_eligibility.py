"""Offer and candidate eligibility rules, without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobboard.domain.eligibility import (
    OfferFacts,
    Territory,
    Verdict,
    assess_candidate,
    assess_offer,
)

TODAY = date(2027, 1, 10)
RURAL = Territory(commune_name="Espinasses", population=800, density_level=4, is_pvd=True)


def vta(**changes: object) -> OfferFacts:
    base = OfferFacts(
        kind="vta",
        title="VTA – chargé de mission",
        description="Contexte",
        missions="Missions",
        profile="Profil",
        themes=("patrimoine",),
        start_date=TODAY + timedelta(days=60),
        duration_months=12,
        weekly_hours=Decimal(35),
        min_diploma_level=5,
        deadline=TODAY + timedelta(days=30),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def codes(offer: OfferFacts, territory: Territory | None = RURAL) -> set[str]:
    return {r.code for r in assess_offer(offer, territory, TODAY).reasons}


def test_a_complete_rural_vta_is_eligible_with_pvd_as_information_only() -> None:
    assessment = assess_offer(vta(), RURAL, TODAY)
    assert assessment.verdict is Verdict.ELIGIBLE
    assert [r.code for r in assessment.reasons] == ["pvd_info"]


@pytest.mark.parametrize(("months", "ok"), [(11, False), (12, True), (18, True), (19, False)])
def test_vta_lasts_12_to_18_months(months: int, ok: bool) -> None:
    assert ("vta_duration" not in codes(vta(duration_months=months))) is ok


@pytest.mark.parametrize(("level", "ok"), [(4, False), (5, True), (8, True)])
def test_vta_requires_bac_plus_2(level: int, ok: bool) -> None:
    assert ("vta_diploma" not in codes(vta(min_diploma_level=level))) is ok


@pytest.mark.parametrize(("hours", "ok"), [("26", False), ("26.25", True), ("35", True)])
def test_vta_requires_three_quarters_of_full_time(hours: str, ok: bool) -> None:
    assert ("vta_hours" not in codes(vta(weekly_hours=Decimal(hours)))) is ok


@pytest.mark.parametrize(
    ("density", "population", "verdict"),
    [
        (4, 800, Verdict.ELIGIBLE),
        (3, 5_000, Verdict.ELIGIBLE),
        (2, 19_999, Verdict.TO_REVIEW),
        (2, 20_000, Verdict.INELIGIBLE),
        (1, 150_000, Verdict.INELIGIBLE),
        (None, 800, Verdict.TO_REVIEW),
    ],
)
def test_vta_territory_follows_the_density_grid(
    density: int | None, population: int, verdict: Verdict
) -> None:
    territory = Territory("Ville", population, density, is_pvd=False)
    assert assess_offer(vta(), territory, TODAY).verdict is verdict


def test_staff_override_turns_a_dense_territory_into_to_review() -> None:
    dense = Territory("Lyon", 500_000, 1, is_pvd=False)
    assessment = assess_offer(vta(), dense, TODAY, territory_override=True)
    assert assessment.verdict is Verdict.TO_REVIEW


def test_vta_expertise_follows_the_same_offer_rules() -> None:
    assert "vta_duration" in codes(vta(kind="vta_expertise", duration_months=24))


def test_chef_de_projet_outside_pvd_is_to_review_and_duration_is_bounded() -> None:
    offer = vta(kind="chef_de_projet", duration_months=36, min_diploma_level=7)
    not_pvd = Territory("Ailleurs", 3_000, 3, is_pvd=False)
    assert assess_offer(offer, RURAL, TODAY).verdict is Verdict.ELIGIBLE
    assert assess_offer(offer, not_pvd, TODAY).verdict is Verdict.TO_REVIEW
    assert "cdp_duration" in codes(replace(offer, duration_months=73))
    assert "cdp_duration" not in codes(replace(offer, duration_months=72))
    assert "cdp_duration" in codes(replace(offer, duration_months=11))


def test_an_epci_employer_qualifies_through_a_pvd_member() -> None:
    offer = vta(kind="chef_de_projet", duration_months=36)
    epci = Territory("Ville", 3_000, 3, is_pvd=False, employer_is_epci=True)
    assert assess_offer(offer, epci, TODAY).verdict is Verdict.TO_REVIEW
    assert assess_offer(offer, replace(epci, epci_has_pvd_member=True), TODAY).verdict is (
        Verdict.ELIGIBLE
    )


@pytest.mark.parametrize(("days", "ok"), [(-1, False), (0, False), (1, True)])
def test_deadline_must_be_after_today(days: int, ok: bool) -> None:
    offer = vta(deadline=TODAY + timedelta(days=days))
    assert ("deadline_past" not in codes(offer)) is ok


def test_start_cannot_precede_deadline() -> None:
    offer = vta(start_date=TODAY + timedelta(days=10), deadline=TODAY + timedelta(days=20))
    assert "start_before_deadline" in codes(offer)


def test_missing_fields_and_lengths_are_reported_per_field() -> None:
    offer = vta(title="x" * 151, description="", themes=("inconnu",))
    found = {(r.code, r.field) for r in assess_offer(offer, RURAL, TODAY).reasons}
    assert {
        ("title_too_long", "title"),
        ("required", "description"),
        ("theme_unknown", "themes"),
    } <= found


@pytest.mark.parametrize(
    ("birth", "ok"),
    [
        (date(2009, 3, 2), False),  # 17 the day before the 18th birthday
        (date(2009, 3, 1), True),  # 18 on the start date
        (date(1996, 3, 2), True),  # 30, 31st birthday tomorrow
        (date(1996, 3, 1), False),  # 31 on the start date
    ],
)
def test_vta_candidates_are_18_to_30_on_the_start_date(birth: date, ok: bool) -> None:
    start = date(2027, 3, 1)
    assert (assess_candidate("vta", birth, 7, start).verdict is Verdict.ELIGIBLE) is ok


def test_vta_expertise_has_no_age_ceiling_and_chef_de_projet_no_candidate_rule() -> None:
    start = date(2027, 3, 1)
    assert assess_candidate("vta_expertise", date(1970, 1, 1), 7, start).verdict is Verdict.ELIGIBLE
    assert assess_candidate("chef_de_projet", None, None, start).verdict is Verdict.ELIGIBLE
    assert assess_candidate("vta", date(2000, 1, 1), 4, start).verdict is Verdict.INELIGIBLE


@given(
    months=st.integers(min_value=1, max_value=100),
    level=st.integers(min_value=1, max_value=8),
    hours=st.decimals(min_value=1, max_value=48, places=2),
    density=st.one_of(st.none(), st.integers(min_value=1, max_value=4)),
    population=st.integers(min_value=0, max_value=3_000_000),
)
def test_verdict_is_the_worst_reason_and_blocking_means_ineligible(
    months: int, level: int, hours: Decimal, density: int | None, population: int
) -> None:
    territory = Territory("X", population, density, is_pvd=False)
    offer = vta(duration_months=months, min_diploma_level=level, weekly_hours=hours)
    assessment = assess_offer(offer, territory, TODAY)
    assert (assessment.verdict is Verdict.INELIGIBLE) == bool(assessment.blocking)
    if not assessment.reasons:
        assert assessment.verdict is Verdict.ELIGIBLE
    worst = max((r.verdict.rank for r in assessment.reasons), default=0)
    assert assessment.verdict.rank == worst
    # A rural, well-formed VTA is never refused.
    if 12 <= months <= 18 and level >= 5 and hours >= Decimal("26.25") and density in (3, 4):
        assert assessment.verdict is Verdict.ELIGIBLE

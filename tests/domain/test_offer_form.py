"""The offer form parser, without a database: formats, boundaries, and never an exception."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobboard.domain.eligibility import Territory, Verdict, assess_candidate, assess_offer
from jobboard.domain.offer_form import TEXT_FIELDS, OfferForm, parse_offer_form
from jobboard.domain.parsing import age_on

TODAY = date(2026, 11, 27)
RURAL_PVD = Territory("Espinasses", 800, 4, is_pvd=True)


def _form(**changes: object) -> OfferForm:
    values: dict[str, object] = {
        "kind": "vta",
        "title": "VTA – Plan climat",
        "commune": "05050",
        "description": "Contexte",
        "missions": "- Mission",
        "profile": "Profil",
        "themes": ["transition_ecologique"],
        "start_date": (TODAY + timedelta(days=60)).isoformat(),
        "duration_months": "12",
        "weekly_hours": "35",
        "min_diploma_level": "5",
        "deadline": (TODAY + timedelta(days=30)).isoformat(),
    }
    values.update(changes)
    return OfferForm(**values)  # type: ignore[arg-type]


def test_a_complete_form_reads_as_an_eligible_vta() -> None:
    parsed = parse_offer_form(_form())
    assert parsed.problems == ()
    assert assess_offer(parsed.facts, RURAL_PVD, TODAY).verdict is Verdict.ELIGIBLE


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"duration_months": "douze"}, "duration_months"),
        ({"duration_months": "0"}, "duration_months"),
        ({"weekly_hours": "60"}, "weekly_hours"),
        ({"min_diploma_level": "9"}, "min_diploma_level"),
        ({"deadline": "bientôt"}, "deadline"),
        ({"kind": "stage"}, "kind"),
        ({"remote": "parfois"}, "remote"),
        ({"contact_email": "mairie.fr"}, "contact_email"),
        ({"contact_email": '"><svg/onload=alert(1)>@x.fr'}, "contact_email"),
        ({"contact_email": "mairie@espinasses"}, "contact_email"),
        ({"contact_email": "rh mairie@espinasses.fr"}, "contact_email"),
        ({"contact_email": "rh@-espinasses.fr"}, "contact_email"),
        ({"themes": ["astronomie"]}, "themes"),
        ({"salary": "x" * 301}, "salary"),
    ],
)
def test_unreadable_values_are_reported_on_their_field(
    changes: dict[str, object], field: str
) -> None:
    problems = parse_offer_form(_form(**changes)).problems
    assert [p.field for p in problems] == [field]
    assert all(p.verdict is Verdict.INELIGIBLE and p.message for p in problems)


@pytest.mark.parametrize(
    "address",
    ["mairie@espinasses.fr", "prenom.nom@cc-pays-de-fumel.fr", "rh+vta@mairie-évry.fr",
     "o'brien@ville.gouv.fr"],
)  # fmt: skip
def test_real_contact_addresses_are_accepted(address: str) -> None:
    assert parse_offer_form(_form(contact_email=address)).problems == ()


@pytest.mark.parametrize(
    ("density", "population", "verdict"),
    [
        (1, 19_999, Verdict.INELIGIBLE),
        (3, 20_000, Verdict.ELIGIBLE),
        (4, 250_000, Verdict.ELIGIBLE),
    ],
)
def test_density_decides_before_population_except_for_intermediate(
    density: int, population: int, verdict: Verdict
) -> None:
    facts = parse_offer_form(_form()).facts
    territory = Territory("Ville", population, density, is_pvd=False)
    assert assess_offer(facts, territory, TODAY).verdict is verdict


@given(
    st.fixed_dictionaries({name: st.text(max_size=40) for name in TEXT_FIELDS}),
    st.lists(st.text(max_size=20), max_size=5),
)
def test_any_text_parses_without_raising(fields: dict[str, str], themes: list[str]) -> None:
    parsed = parse_offer_form(OfferForm.from_fields(fields, themes))
    assessment = assess_offer(parsed.facts, RURAL_PVD, TODAY)
    assert assessment.verdict in Verdict
    # What the parser could not read, it says so on that field.
    for name in ("start_date", "deadline", "duration_months", "weekly_hours"):
        if fields[name].strip() and getattr(parsed.facts, name) is None:
            assert any(p.field == name for p in parsed.problems)


@given(
    birth=st.dates(min_value=date(1950, 1, 1), max_value=date(2015, 12, 31)),
    start=st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31)),
)
def test_vta_candidate_verdict_follows_the_age_on_the_start_date(birth: date, start: date) -> None:
    age = age_on(birth, start)
    vta = assess_candidate("vta", birth, 5, start).verdict
    expertise = assess_candidate("vta_expertise", birth, 5, start).verdict
    assert (vta is Verdict.ELIGIBLE) == (18 <= age <= 30)
    assert (expertise is Verdict.ELIGIBLE) == (age >= 18)

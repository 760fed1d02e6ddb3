"""The talent pool (« vivier »): membership over time, leaving it, the anonymous staff search."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import time_machine

from jobboard import clock
from jobboard.models import Application, Offer, User
from jobboard.services import talent_pool
from jobboard.services.offer_import import import_offers
from tests.conftest import csrf_token, log_in, make_user, offer_row

T0 = datetime(2026, 1, 12, 9, 30, tzinfo=UTC)


@contextmanager
def at(moment: datetime, *, tick: bool = True) -> Iterator[None]:
    with time_machine.travel(moment, tick=tick):
        yield


async def _offer(**changes: Any) -> Offer:
    start = clock.today() + timedelta(days=60)
    row = offer_row(**{"start_date": start.isoformat(), **changes})
    result = await import_offers([row], today=clock.today())
    assert not result.errors, result.errors
    return await Offer.get(id=result.created[0])


async def _applied(offer: Offer, candidate: User, *, consent: bool = True) -> Application:
    return await Application.create(
        offer=offer, candidate=candidate, talent_pool_consent=consent, cover_letter="Bonjour."
    )


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


async def test_the_candidate_space_says_until_when_and_the_pool_ends_after_two_years(
    client: httpx.AsyncClient,
) -> None:
    with at(T0, tick=False):
        lea = await make_user("candidate", "lea@example.fr")
        await _applied(await _offer(), lea)
    with at(datetime(2028, 1, 11, 9, 0, tzinfo=UTC)):
        await log_in(client, "lea@example.fr")
        page = _text((await client.get("/espace/candidat")).text)
        assert "Vous êtes dans le vivier jusqu’au 12 janvier 2028" in page
        assert await talent_pool.membership(lea) == datetime(2028, 1, 12, 9, 30, tzinfo=UTC)
    with at(datetime(2028, 1, 12, 10, 0, tzinfo=UTC)):
        await log_in(client, "lea@example.fr")
        assert "vivier" not in (await client.get("/espace/candidat")).text
        assert await talent_pool.membership(lea) is None
        assert not await talent_pool.search(talent_pool.PoolFilters())


async def test_leaving_the_pool_clears_the_consent_on_every_application(
    client: httpx.AsyncClient,
) -> None:
    lea = await make_user("candidate", "lea@example.fr")
    consented = [await _applied(await _offer(title=f"Urbaniste {i}"), lea) for i in range(2)]
    without = await _applied(await _offer(title="Archiviste"), lea, consent=False)
    await log_in(client, "lea@example.fr")
    assert "Quitter le vivier" in (await client.get("/espace/candidat")).text
    token = await csrf_token(client, "/espace/candidat")
    response = await client.post("/espace/candidat/vivier/retrait", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["location"] == "/espace/candidat"
    page = _text((await client.get("/espace/candidat")).text)
    assert "Vous avez quitté le vivier" in page and "Quitter le vivier" not in page
    for application in consented:
        row = await Application.get(id=application.id)
        assert not row.talent_pool_consent and row.talent_pool_withdrawn_at is not None
    assert (await Application.get(id=without.id)).talent_pool_withdrawn_at is None
    assert await talent_pool.membership(lea) is None
    assert not await talent_pool.search(talent_pool.PoolFilters())
    # Leaving twice is harmless and says nothing more.
    token = await csrf_token(client, "/espace/candidat")
    again = await client.post("/espace/candidat/vivier/retrait", data={"csrf_token": token})
    assert again.status_code == 303


async def _three_candidates() -> dict[str, User]:
    people = {
        "lea": await make_user("candidate", "lea@example.fr", diploma_level=7),
        "karim": await make_user(
            "candidate", "karim@example.fr", full_name="Karim Benali", diploma_level=5
        ),
        "ines": await make_user(
            "candidate", "ines@example.fr", full_name="Inès Moreau", diploma_level=6
        ),
    }
    start = clock.today() + timedelta(days=60)
    patrimoine = await _offer(
        title="VTA – Valorisation du patrimoine", themes=["patrimoine", "culture"]
    )
    chef = await _offer(
        kind="chef_de_projet",
        title="Chef de projet Petites villes de demain",
        employer_insee="47106",
        themes=["revitalisation"],
        start_date=(start + timedelta(days=90)).isoformat(),
        duration_months=24,
    )
    await _applied(patrimoine, people["lea"])
    await _applied(chef, people["karim"])
    await _applied(patrimoine, people["ines"], consent=False)  # not the pool's to read
    await _applied(chef, people["ines"])
    return people


def _numbers(found: list[talent_pool.PoolCandidate]) -> set[int]:
    return {candidate.number for candidate in found}


async def test_staff_search_the_pool_by_each_filter(db: None) -> None:
    people = await _three_candidates()
    lea, karim, ines = (people[name].id for name in ("lea", "karim", "ines"))

    async def numbers(**filters: Any) -> set[int]:
        return _numbers(await talent_pool.search(talent_pool.PoolFilters(**filters)))

    assert await numbers() == {lea, karim, ines}
    assert await numbers(min_diploma=6) == {lea, ines}
    assert await numbers(kinds=("vta",)) == {lea}  # Inès applied to it without the consent
    assert await numbers(kinds=("chef_de_projet",)) == {karim, ines}
    assert await numbers(themes=("culture", "habitat")) == {lea}
    assert await numbers(departements=("47",)) == {karim, ines}
    assert await numbers(regions=("93",)) == {lea}  # Hautes-Alpes: Provence-Alpes-Côte d’Azur
    later = clock.today() + timedelta(days=100)
    assert await numbers(available_from=later) == {karim, ines}
    assert await numbers(available_until=later) == {lea}
    assert await numbers(q="patrimoine") == {lea}
    assert await numbers(q="petites VILLES demain") == {karim, ines}
    assert await numbers(q="patrimoine demain") == set()
    [found] = await talent_pool.search(talent_pool.PoolFilters(q="chef", min_diploma=6))
    assert found.titles == ["Chef de projet Petites villes de demain"]  # not the VTA


async def test_the_pool_page_shows_no_name_e_mail_nor_birth_date(
    client: httpx.AsyncClient,
) -> None:
    people = await _three_candidates()
    await make_user("staff", "moderation@anct.example", full_name="Claire Modératrice")
    await log_in(client, "moderation@anct.example")
    response = await client.get("/moderation/vivier")
    assert response.status_code == 200
    page = response.text
    for person in people.values():
        assert f"Candidat·e n° {person.id}" in page
        assert person.email not in page and person.full_name not in page
        assert person.full_name.split()[0] not in page
        birth = person.birth_date
        assert birth is not None
        for written in (birth.isoformat(), birth.strftime("%d/%m/%Y"), "4 mai 2001", "2001"):
            assert written not in page
    narrowed = await client.get("/moderation/vivier", params={"type": "vta", "q": "patrimoine"})
    assert narrowed.status_code == 200
    assert "1 candidat" in _text(narrowed.text)


async def test_the_age_band_for_an_offer_staff_chose(client: httpx.AsyncClient) -> None:
    young = await make_user("candidate", "lea@example.fr", birth_date=date(2001, 5, 4))
    older = await make_user(
        "candidate", "marc@example.fr", full_name="Marc Petit", birth_date=date(1980, 2, 1)
    )
    offer = await _offer()
    for person in (young, older):
        await _applied(offer, person)
    found = {
        c.number: c.age_band
        for c in await talent_pool.search(talent_pool.PoolFilters(), offer=offer)
    }
    assert found == {
        young.id: "18-30 ans au début de la mission",
        older.id: "hors 18-30 ans au début de la mission",
    }
    await make_user("staff", "moderation@anct.example", full_name="Claire Modératrice")
    await log_in(client, "moderation@anct.example")
    page = _text((await client.get("/moderation/vivier", params={"offre": offer.id})).text)
    assert "hors 18-30 ans au début de la mission" in page and "1980" not in page


async def test_only_staff_reach_the_pool_and_bad_filters_are_named(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/moderation/vivier")).status_code == 303  # to the login page
    await make_user("candidate", "lea@example.fr")
    await make_user("recruiter", "rh@espinasses.fr", commune="05050")
    for address in ("lea@example.fr", "rh@espinasses.fr"):
        await log_in(client, address)
        assert (await client.get("/moderation/vivier")).status_code == 403
        client.cookies.clear()
    await make_user("staff", "moderation@anct.example", full_name="Claire Modératrice")
    await log_in(client, "moderation@anct.example")
    for params, message in (
        ({"diplome": "12"}, "Niveau de diplôme inconnu."),
        ({"type": "stage"}, "Type d’offre inconnu"),
        ({"theme": "ski"}, "Thématique inconnue"),
        ({"departement": "999"}, "Département inconnu"),
        ({"du": "32/13/2026"}, "Date de début invalide"),
        ({"offre": "abc"}, "Offre inconnue"),
        ({"q": "x" * 201}, "limitée à 200 caractères"),
    ):
        response = await client.get("/moderation/vivier", params=params)
        assert response.status_code == 400, params
        assert message in _text(response.text), params

"""Staff by territory: the moderation pages default to the staff member's territory, the whole
country one click away; the header counts what waits there; national staff edit territories."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from jobboard import clock
from jobboard.models import Offer, OfferEvent, Organisation, User
from jobboard.services.offer_import import import_offers
from jobboard.settings import Settings
from tests.conftest import PASSWORD, approve, log_in, make_user, offer_row, post_form

TODAY = clock.today()
S = "\u202f"


async def _offers() -> tuple[Offer, Offer]:
    """A submitted offer in Espinasses (Hautes-Alpes, 05) and one in Fumel (Lot-et-Garonne, 47)."""
    result = await import_offers(
        [
            offer_row(title="VTA – Espinasses", status="submitted"),
            offer_row(title="VTA – Fumel", employer_insee="47106", status="submitted"),
        ],
        today=TODAY,
    )
    assert not result.errors, result.errors
    espinasses, fumel = result.created
    return await Offer.get(id=espinasses), await Offer.get(id=fumel)


async def _signed_in_staff(client: httpx.AsyncClient, territory: str = "") -> User:
    user = await make_user(
        "staff", "moderation@anct.example", full_name="Claire Moreau", territory=territory
    )
    await log_in(client, "moderation@anct.example")
    return user


def _unescaped(response: httpx.Response) -> str:
    return html.unescape(response.text)


async def test_the_queue_shows_the_territory_first_and_the_nation_one_click_away(
    client: httpx.AsyncClient,
) -> None:
    await _offers()
    await _signed_in_staff(client, "d:47")
    own = await client.get("/moderation", params={"type": "vta"})
    assert own.status_code == 200
    assert "VTA – Fumel" in own.text and "VTA – Espinasses" not in own.text
    assert f"Vous voyez votre territoire{S}: <strong>Lot-et-Garonne (47)</strong>" in own.text
    assert 'href="/moderation?type=vta&amp;territoire=national">Tout le territoire national' in (
        own.text
    )
    national = await client.get("/moderation", params={"type": "vta", "territoire": "national"})
    assert "VTA – Fumel" in national.text and "VTA – Espinasses" in national.text
    assert 'href="/moderation?type=vta">Mon territoire</a>' in national.text
    # The filter form and the tabs keep the national view.
    assert '<input type="hidden" name="territoire" value="national">' in national.text
    assert 'href="/moderation/journal?territoire=national"' in national.text
    assert 'name="territoire"' not in own.text


async def test_national_staff_see_everything_without_a_territory_notice(
    client: httpx.AsyncClient,
) -> None:
    await _offers()
    await _signed_in_staff(client)
    page = await client.get("/moderation")
    assert "VTA – Fumel" in page.text and "VTA – Espinasses" in page.text
    assert "Tout le territoire national" not in page.text and "Mon territoire" not in page.text
    assert 'href="/moderation/equipe"' in page.text


async def _epci_recruiter() -> User:
    """A pending recruiter of the Ouest Rhodanien agglomeration (Thizy-les-Bourgs, 69, 84)."""
    organisation = await Organisation.create(
        kind="epci", name="CA de l’Ouest Rhodanien", epci_id="200040566"
    )
    return await User.create(
        email="rh@ouestrhodanien.fr", password_hash="x", full_name="Agglo RH", role="recruiter",
        organisation=organisation, verification="pending", email_confirmed_at=clock.now(),
    )  # fmt: skip


async def test_account_verifications_default_to_the_territory_by_commune_or_epci(
    client: httpx.AsyncClient,
) -> None:
    await make_user("recruiter", "rh@fumel.fr", commune="47106", verification="pending",
                    full_name="Paul Fumel")  # fmt: skip
    await make_user("recruiter", "rh@thizy.fr", commune="69248", verification="pending",
                    full_name="Inès Thizy")  # fmt: skip
    await _epci_recruiter()
    await _signed_in_staff(client, "r:84")
    own = await client.get("/moderation/comptes")
    assert own.status_code == 200
    assert "Inès Thizy" in own.text and "Agglo RH" in own.text and "Paul Fumel" not in own.text
    assert "Auvergne-Rhône-Alpes (région)" in own.text
    national = await client.get("/moderation/comptes?territoire=national")
    assert "Paul Fumel" in national.text and "Inès Thizy" in national.text
    # A refusal without its reason shows the page again, its links to the page, not the form.
    thizy = await User.get(email="rh@thizy.fr")
    unexplained = await post_form(
        client,
        f"/moderation/comptes/{thizy.id}",
        {"decision": "refuser", "reason": ""},
        token_from="/moderation/comptes",
    )
    assert unexplained.status_code == 400
    assert 'href="/moderation/comptes?territoire=national">Tout le territoire' in unexplained.text
    # A decision taken in the national view comes back to it.
    fumel = await User.get(email="rh@fumel.fr")
    decided = await post_form(
        client,
        f"/moderation/comptes/{fumel.id}?territoire=national",
        {"decision": "verifier"},
        token_from="/moderation/comptes",
    )
    assert decided.status_code == 303
    assert decided.headers["location"] == "/moderation/comptes?territoire=national"
    assert (await User.get(id=fumel.id)).verification == "verified"


async def test_the_journal_and_the_statistics_default_to_the_territory(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    espinasses, fumel = await _offers()
    await approve(espinasses.id, settings)
    await approve(fumel.id, settings)
    assert await OfferEvent.filter(offer_id=espinasses.id).exists()
    await _signed_in_staff(client, "d:05")
    journal = await client.get("/moderation/journal")
    assert f"n° {espinasses.id}</a>" in journal.text and f"n° {fumel.id}</a>" not in journal.text
    wide = await client.get("/moderation/journal?territoire=national")
    assert f"n° {espinasses.id}</a>" in wide.text and f"n° {fumel.id}</a>" in wide.text
    assert 'href="/moderation/journal">Mon territoire</a>' in wide.text
    stats = _unescaped(await client.get("/moderation/statistiques"))
    assert "Hautes-Alpes (05)" in stats and "Lot-et-Garonne (47)" not in stats
    assert re.search(r'<p class="key-figure">1</p><p>offre créée', stats)
    national = _unescaped(await client.get("/moderation/statistiques?territoire=national"))
    assert "Hautes-Alpes (05)" in national and "Lot-et-Garonne (47)" in national
    assert re.search(r'<p class="key-figure">2</p><p>offres créées', national)


def _header_count(response: httpx.Response) -> str:
    found = re.search(r'title="(\d+) offre\(s\) et (\d+) compte\(s\) en attente"', response.text)
    return f"{found.group(1)}+{found.group(2)}" if found else "none"


async def test_the_header_counts_what_waits_in_the_staff_members_territory(
    client: httpx.AsyncClient,
) -> None:
    await _offers()
    await make_user("recruiter", "rh@thizy.fr", commune="69248", verification="pending")
    await _signed_in_staff(client, "d:47")
    assert _header_count(await client.get("/moderation")) == "1+0"
    # The header is the staff member's own territory, whichever view the page shows.
    assert _header_count(await client.get("/moderation?territoire=national")) == "1+0"
    await User.filter(email="moderation@anct.example").update(territory="r:93,r:84")
    assert _header_count(await client.get("/")) == "1+1"
    await User.filter(email="moderation@anct.example").update(territory="")
    assert _header_count(await client.get("/")) == "2+1"
    await User.filter(email="moderation@anct.example").update(territory="d:971")
    assert _header_count(await client.get("/")) == "none"


async def test_restricted_staff_still_decide_on_any_offer(
    client: httpx.AsyncClient,
) -> None:
    """Moderation decisions stay national: the territory orders the work, it forbids nothing."""
    espinasses, _ = await _offers()
    await _signed_in_staff(client, "d:47")
    review = await client.get(f"/moderation/offres/{espinasses.id}")
    assert review.status_code == 200
    decided = await post_form(
        client,
        f"/moderation/offres/{espinasses.id}/decision",
        {"decision": "approve", "comment": "", "version": str(espinasses.version)},
        token_from="/moderation",
    )
    assert decided.status_code == 303
    assert (await Offer.get(id=espinasses.id)).status == "published"


async def test_national_staff_give_a_territory_on_the_team_page(
    client: httpx.AsyncClient,
) -> None:
    await _signed_in_staff(client)
    colleague = await make_user("staff", "sud@anct.example", full_name="Marc Sud")
    page = await client.get("/moderation/equipe")
    assert page.status_code == 200
    assert "Marc Sud" in page.text and "Claire Moreau (vous)" in page.text
    assert "Tout le territoire national" in page.text
    saved = await post_form(
        client,
        f"/moderation/equipe/{colleague.id}",
        {"departements": "47, 2a ; 5", "regions": "84"},
        token_from="/moderation/equipe",
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/moderation/equipe"
    assert (await User.get(id=colleague.id)).territory == "r:84,d:05,d:2A,d:47"
    listed = _unescaped(await client.get("/moderation/equipe"))
    assert "Territoire enregistré" in listed
    assert "Auvergne-Rhône-Alpes (région), Hautes-Alpes (05), Corse-du-Sud (2A)" in listed
    assert 'value="05, 2A, 47"' in listed
    cleared = await post_form(
        client,
        f"/moderation/equipe/{colleague.id}",
        {"departements": "", "regions": ""},
        token_from="/moderation/equipe",
    )
    assert cleared.status_code == 303 and (await User.get(id=colleague.id)).territory == ""


async def test_an_unknown_code_answers_400_and_writes_nothing(client: httpx.AsyncClient) -> None:
    await _signed_in_staff(client)
    colleague = await make_user("staff", "sud@anct.example", territory="d:47")
    refused = await post_form(
        client,
        f"/moderation/equipe/{colleague.id}",
        {"departements": "47, 99, 2C", "regions": "11, 12"},
        token_from="/moderation/equipe",
    )
    assert refused.status_code == 400
    text = html.unescape(refused.text)
    assert f"Codes de département inconnus{S}: «{S}99{S}», «{S}2C{S}»" in text
    assert f"Code de région inconnu{S}: «{S}12{S}»" in text
    assert 'value="47, 99, 2C"' in text  # what was typed stays in the field
    assert (await User.get(id=colleague.id)).territory == "d:47"
    # Nor may national staff restrict themselves (they would lose this page).
    me = await User.get(email="moderation@anct.example")
    own = await post_form(
        client, f"/moderation/equipe/{me.id}", {"departements": "47", "regions": ""},
        token_from="/moderation/equipe",
    )  # fmt: skip
    assert own.status_code == 400 and (await User.get(id=me.id)).territory == ""


async def test_restricted_staff_get_the_403_page_on_the_team_page(
    client: httpx.AsyncClient,
) -> None:
    await make_user("staff", "national@anct.example", password=PASSWORD)
    me = await _signed_in_staff(client, "d:47")
    page = await client.get("/moderation/equipe")
    assert page.status_code == 403 and "<h1" in page.text and 'lang="fr"' in page.text
    assert 'href="/moderation/equipe"' not in (await client.get("/moderation")).text
    national = await User.get(email="national@anct.example")
    refused = await post_form(
        client, f"/moderation/equipe/{national.id}", {"departements": "05", "regions": ""},
        token_from="/moderation",
    )  # fmt: skip
    assert refused.status_code == 403
    assert (await User.get(id=national.id)).territory == ""
    widen = await post_form(
        client, f"/moderation/equipe/{me.id}", {"departements": "", "regions": ""},
        token_from="/moderation",
    )  # fmt: skip
    assert widen.status_code == 403 and (await User.get(id=me.id)).territory == "d:47"


@pytest.mark.parametrize("path", ["/moderation/equipe"])
async def test_the_team_page_is_for_staff_only(client: httpx.AsyncClient, path: str) -> None:
    await make_user("recruiter", "rh@fumel.fr", commune="47106")
    await log_in(client, "rh@fumel.fr")
    assert (await client.get(path)).status_code == 403

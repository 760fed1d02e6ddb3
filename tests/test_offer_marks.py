"""« Know before you click »: the candidate's verdict, their application and saved state on every
card and offer page, in a constant number of queries; the offer page's actions, sharing,
similar offers and the way back to the search."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from starlette.applications import Starlette

from jobboard import clock
from jobboard.models import Application, Offer, SavedOffer
from jobboard.services.offer_import import import_offers
from tests.conftest import index_now, log_in, make_user, offer_row

TODAY = clock.today()
S = "\u202f"
START = TODAY + timedelta(days=60)


def _vta(title: str, **changes: Any) -> dict[str, Any]:
    return offer_row(title=title, start_date=START.isoformat(), **changes)


def _cdp(title: str, **changes: Any) -> dict[str, Any]:
    fields = {"kind": "chef_de_projet", "employer_insee": "47106", "duration_months": 36,
              "themes": ["patrimoine"], "start_date": START.isoformat(), **changes}  # fmt: skip
    return offer_row(title=title, **fields)


async def _import(app: Starlette, rows: list[dict[str, Any]]) -> list[int]:
    result = await import_offers(rows, today=TODAY)
    assert not result.errors, result.errors
    await index_now(app)
    return list(result.created)


def _turning_31_before_start() -> date:
    """A birth date whose 31st birthday falls 10 days before the missions start."""
    birthday = START - timedelta(days=10)
    return birthday.replace(year=birthday.year - 31)


class QueryCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.queries: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if re.match(r"\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", message, re.IGNORECASE):
            self.queries.append(message)


@contextmanager
def counting_queries() -> Iterator[QueryCounter]:
    logger = logging.getLogger("tortoise.db_client")
    counter, level = QueryCounter(), logger.level
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)


async def test_a_20_card_page_costs_the_same_queries_as_a_1_card_page(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    ids = await _import(app, [_vta(f"VTA numéro {n} – Espinasses") for n in range(19)]
                       + [_vta("VTA unique – archives communales")])  # fmt: skip
    lea = await make_user("candidate", "lea@example.fr")
    await Application.create(offer_id=ids[3], candidate=lea)
    await SavedOffer.create(user=lea, offer_id=ids[5])
    await log_in(client, "lea@example.fr")
    await client.get("/offres")  # the board's choices are read once per process

    with counting_queries() as one:
        single = await client.get("/offres", params={"q": "archives"})
    with counting_queries() as twenty:
        full = await client.get("/offres")
    assert single.status_code == full.status_code == 200
    assert single.text.count('class="offer-verdict ') == 1
    # Every card judged: 19 verdicts, and the one applied to shows the application instead.
    assert full.text.count('class="offer-verdict ') == 19
    assert full.text.count("Vous êtes éligible") == 19
    assert 'href="/espace/candidat/candidatures/' in full.text
    assert full.text.count('aria-pressed="true"') == 1
    assert len(twenty.queries) == len(one.queries), (one.queries, twenty.queries)
    # The session, the applications among the page's ids, the saved ones among them.
    assert sum("application" in q and '"offer_id" IN' in q for q in twenty.queries) == 1
    assert sum("saved_offer" in q for q in twenty.queries) == 1


async def test_cards_say_the_verdict_of_the_apply_step(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    vta, expertise, cdp = await _import(
        app,
        [_vta("VTA – Espinasses"), _vta("VTA expertise – Espinasses", kind="vta_expertise"),
         _cdp("Chef de projet – Fumel", min_diploma_level=7)],
    )  # fmt: skip
    born = _turning_31_before_start()
    await make_user("candidate", "karim@example.fr", birth_date=born, diploma_level=6)
    await log_in(client, "karim@example.fr")
    # Every offer, the one asking more than the candidate's diploma too (no profile preset).
    board = (await client.get("/offres", params={"diplome": ""})).text
    turns = f"{born.day if born.day > 1 else '1er'}"
    expected = f"Non éligible{S}: vous aurez 31 ans le {turns} "
    assert board.count(expected) == 1 and "avant le début de la mission" in board
    assert board.count("Vous êtes éligible") == 2  # VTA expertise and chef de projet
    assert f"Diplôme demandé par la collectivité{S}: bac+5" in board
    # No « Postuler » on the VTA the candidate cannot apply to; one on each of the others.
    assert f'href="/offres/{vta}/candidater"' not in board
    assert f'href="/offres/{expertise}/candidater"' in board
    assert f'href="/offres/{cdp}/candidater"' in board
    refused = await client.get(f"/offres/{vta}/candidater")
    assert "aux 18-30 ans" in refused.text  # the apply step agrees
    page = (await client.get(f"/offres/{vta}")).text
    assert page.count(expected) == 2  # near the top and at the end, instead of « Postuler »
    assert f'href="/offres/{vta}/candidater"' not in page

    await make_user("candidate", "nour@example.fr", diploma_level=4)
    client.cookies.clear()
    await log_in(client, "nour@example.fr")
    home = (await client.get("/")).text
    assert home.count(f"Diplôme requis{S}: bac+2") == 2  # VTA and VTA expertise


async def test_visitors_and_recruiters_get_no_verdict(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    [offer_id] = await _import(app, [_vta("VTA – Espinasses")])
    board = (await client.get("/offres")).text
    assert "offer-verdict" not in board
    assert f'href="/offres/{offer_id}/candidater"' in board
    assert f'href="/connexion?suivant={quote("/offres", safe="/")}"' in board
    await make_user("recruiter", "rh@fumel.fr")
    await log_in(client, "rh@fumel.fr")
    board = (await client.get("/offres")).text
    assert "offer-verdict" not in board and "Sauvegarder" not in board


async def test_already_applied_replaces_postuler(app: Starlette, client: httpx.AsyncClient) -> None:
    [offer_id] = await _import(app, [_vta("VTA – Espinasses")])
    lea = await make_user("candidate", "lea@example.fr")
    application = await Application.create(offer_id=offer_id, candidate=lea)
    await log_in(client, "lea@example.fr")
    link = f'href="/espace/candidat/candidatures/{application.id}"'
    for path in ("/offres", "/", f"/offres/{offer_id}"):
        text = (await client.get(path)).text
        assert link in text and "Déjà candidaté" in text, path
        assert f'href="/offres/{offer_id}/candidater"' not in text, path


async def test_offer_page_actions_share_and_publication_date(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    [offer_id] = await _import(app, [_vta("VTA – Espinasses")])
    offer = await Offer.get(id=offer_id)
    page = (await client.get(f"/offres/{offer_id}")).text
    assert page.count(f'href="/offres/{offer_id}/candidater"') == 2  # top and end
    assert f"Publiée le {clock.today().day if clock.today().day > 1 else '1er'} " in page
    assert offer.published_at is not None
    url = f"http://testserver/offres/{offer_id}"
    assert f'href="{url}" data-copy-link' in page
    mailto = re.search(r'href="(mailto:\?[^"]+)"', page)
    assert mailto and quote(url, safe="/") in mailto.group(1) and "subject=" in mailto.group(1)
    assert "Partager par e-mail" in page
    assert "<script>" not in page  # the copy button is enhanced by static/js, not inline


async def test_similar_offers_prefer_kind_themes_and_place(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    themes = ["transition_ecologique", "amenagement", "mobilite"]
    ids = await _import(
        app,
        [
            _vta("VTA – Espinasses plan climat", themes=themes),  # the offer itself
            # Same département, another kind, one theme in common: 1 + 6 + 3.
            _cdp("Chef de projet – La Bâtie-Neuve", employer_insee="05017", themes=["amenagement"]),
            # Same kind and every theme, far away: 2 + 3.
            _vta("VTA – Thizy", employer_insee="69248", themes=themes),
            # Same kind only: 2.
            _vta("VTA – Plœuc", employer_insee="22203", themes=["culture"]),
            # Neither the kind nor a theme: never suggested.
            _cdp("Chef de projet – Fumel patrimoine"),
        ],
    )
    page = (await client.get(f"/offres/{ids[0]}")).text
    similar = page[page.index('id="titre-similaires"') :]
    shown = [int(i) for i in re.findall(r'href="/offres/(\d+)"', similar)]
    assert shown == [ids[1], ids[2], ids[3]]


async def test_retour_aux_resultats_restores_the_search_and_never_leaves_the_site(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    [offer_id] = await _import(app, [_vta("VTA – Espinasses")])
    path = f"/offres/{offer_id}"
    came = await client.get(path, headers={"Referer": "http://testserver/offres?q=climat&type=vta"})
    assert 'href="/offres?q=climat&amp;type=vta">Retour aux résultats' in came.text
    carried = await client.get(path, params={"depuis": "q=climat&page=2"})
    assert 'href="/offres?q=climat&amp;page=2">Retour aux résultats' in carried.text
    # Only this site's board: anything else is ignored, and a bad search too.
    for headers, params in (
        ({"Referer": "https://evil.example/offres?q=climat"}, {}),
        ({"Referer": "http://testserver/espace/candidat"}, {}),
        ({}, {"depuis": "type=inconnu"}),
        ({}, {"depuis": "x" * 2000}),
        ({}, {}),
    ):
        page = await client.get(path, headers=headers, params=params)
        assert page.status_code == 200 and "Retour aux résultats" not in page.text
    # An odd query string is written anew from what the parser understood.
    odd = await client.get(path, params={"depuis": "q=climat&suivant=//evil.example"})
    assert 'href="/offres?q=climat">Retour aux résultats' in odd.text


@pytest.mark.parametrize("role", ["candidate", "visitor"])
async def test_similar_cards_carry_the_way_back(
    app: Starlette, client: httpx.AsyncClient, role: str
) -> None:
    ids = await _import(
        app, [_vta("VTA – Espinasses"), _vta("VTA – La Bâtie", employer_insee="05017")]
    )
    if role == "candidate":
        await make_user("candidate", "lea@example.fr")
        await log_in(client, "lea@example.fr")
    page = (await client.get(f"/offres/{ids[0]}", params={"depuis": "q=climat"})).text
    assert f'href="/offres/{ids[1]}?depuis=q%3Dclimat"' in page
    assert (role == "candidate") == ("Vous êtes éligible" in page)

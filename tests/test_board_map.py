"""The map of offers by département: every département of the reference data drawn, shaded
from the search's département facet, each a link to the board with the same filters."""

from __future__ import annotations

import csv
import re
from html import unescape

import httpx
import pytest
from starlette.applications import Starlette

from jobboard import PROJECT_ROOT
from jobboard.models import Departement
from jobboard.search.searcher import SearchRequest
from jobboard.web.board_map import map_shapes

LINK = re.compile(
    r'<a href="([^"]+)" aria-label="([^"]+)" class="map-link[^"]*" data-departement="([^"]+)">'
)


def _links(html: str) -> dict[str, tuple[str, str]]:
    """Département code → (href, accessible name) of each link of the map."""
    return {code: (unescape(href), unescape(name)) for href, name, code in LINK.findall(html)}


def _steps(html: str) -> dict[str, int]:
    found = re.findall(r'data-departement="([^"]+)">.*?class="map-area map-step-(\d)"', html, re.S)
    return {code: int(step) for code, step in found}


def test_the_vendored_map_draws_every_departement_of_the_reference_data() -> None:
    with open(PROJECT_ROOT / "fixtures" / "departements.csv", encoding="utf-8") as file:
        codes = {row["code"] for row in csv.DictReader(file)}
    shapes = map_shapes(PROJECT_ROOT / "static")
    assert set(shapes.paths) == codes
    assert {"971", "972", "973", "974", "976"} <= set(shapes.insets)
    assert all(d.startswith("M") and d.endswith("Z") for d in shapes.paths.values())


async def test_counts_are_the_search_facet_and_links_filter_the_board(
    client: httpx.AsyncClient, app: Starlette, demo: None
) -> None:
    response = await client.get("/offres/carte")
    assert response.status_code == 200
    facet = dict(app.state.search.search(SearchRequest(page_size=1)).facets["departement"])
    assert facet, "the demo has offers"
    links = _links(response.text)
    assert len(links) == 109
    names = dict(await Departement.all().values_list("code", "name"))
    for code, (href, label) in links.items():
        count = facet.get(code, 0)
        expected = "aucune offre" if count == 0 else f"{count} offre{'s' if count > 1 else ''}"
        assert label == f"{names[code]}\u202f: {expected}"
        assert href == f"/offres?departement={code}"
    steps = _steps(response.text)
    busiest = max(facet, key=lambda code: facet[code])
    assert steps[busiest] == 4
    assert all(steps[code] == 0 for code in links if code not in facet)
    assert all(steps[code] > 0 for code in facet)
    # The link leads to the board showing that département's offers, as many as the map said.
    code, count = busiest, facet[busiest]
    board = await client.get(links[code][0])
    assert board.status_code == 200 and f'id="nombre-resultats">{count} offre' in board.text
    # The table says the same.
    row = f'<a href="/offres?departement={code}">{names[code]}</a></th><td>{count}</td>'
    assert row in unescape(response.text)


async def test_the_other_filters_are_followed_and_carried(
    client: httpx.AsyncClient, app: Starlette, demo: None
) -> None:
    response = await client.get("/offres/carte?type=vta&theme=patrimoine&q=mission&tri=date")
    assert response.status_code == 200
    facet = dict(
        app.state.search.search(
            SearchRequest(q="mission", kind="vta", theme="patrimoine", page_size=1)
        ).facets["departement"]
    )
    all_offers = dict(app.state.search.search(SearchRequest(page_size=1)).facets["departement"])
    assert facet != all_offers
    links = _links(response.text)
    for code, (href, label) in links.items():
        assert href == f"/offres?q=mission&type=vta&departement={code}&theme=patrimoine&tri=date"
        count = facet.get(code, 0)
        assert label.endswith(
            "aucune offre" if not count else f"{count} offre{'s' if count > 1 else ''}"
        )
    # A département already chosen on the board is replaced, never added twice.
    chosen = await client.get("/offres/carte?departement=05")
    assert _links(chosen.text)["69"][0] == "/offres?departement=69"
    assert 'map-link map-link--current" data-departement="05"' in chosen.text


async def test_the_board_links_to_the_map_with_its_filters(
    client: httpx.AsyncClient, demo: None
) -> None:
    board = await client.get("/offres?type=vta&departement=05")
    assert 'href="/offres/carte?type=vta">Voir ces offres sur la carte' in board.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("type=stage", "Le type d’offre « stage » n’existe pas."),
        ("departement=00", "Le département « 00 » n’existe pas."),
        ("region=99", "La région « 99 » n’existe pas."),
        ("duree=6", "La durée « 6 » n’existe pas (12, 13-18 ou 19-plus)."),
    ],
)
async def test_bad_filters_answer_400(
    client: httpx.AsyncClient, demo: None, query: str, message: str
) -> None:
    response = await client.get(f"/offres/carte?{query}")
    assert response.status_code == 400
    assert message in unescape(response.text)

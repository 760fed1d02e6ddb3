"""The board page itself: every facet value, a title that names the search, a way out of an
empty result, the filters' count and the skip link (the browser side is in tests/e2e)."""

from __future__ import annotations

import html
import re

import httpx

from jobboard.domain.board_query import parse_board_query
from jobboard.domain.offer import THEMES
from jobboard.search.searcher import SearchResult
from jobboard.web.board import FACET_SHOWN, board_title, describe_filters, drop_links

NNBSP = "\u202f"
SITE = " – Bourse Petites villes de demain"


def _title(page: str) -> str:
    match = re.search(r"<title>(.*?)</title>", page, re.S)
    assert match, "no <title>"
    return html.unescape(match.group(1))


def _facet_block(page: str, heading: str) -> str:
    """The facet list under one heading of « Affiner les résultats », « Voir plus » included."""
    facets = page[page.index('id="facettes"') :]
    start = facets.index(f">{heading}</h3>")
    end = facets.find("<h3", start + 1)
    return facets[start : end if end > 0 else None]


CHOICES = {
    "departement_names": {"47": "Lot-et-Garonne"},
    "region_names": {"75": "Nouvelle-Aquitaine"},
}


def _query(params: dict[str, str]):  # type: ignore[no-untyped-def]
    query, errors = parse_board_query(params, departements=["47"], regions=["75"])
    assert errors == []
    return query


def test_filters_are_named_as_people_read_them() -> None:
    query = _query(
        {
            "type": "vta",
            "departement": "47",
            "region": "75",
            "teletravail": "1",
            "debut_avant": "2027-03-01",
        }
    )
    labels = [label for _spec, label in describe_filters(query, CHOICES)]
    assert labels == [
        "VTA",
        "Lot-et-Garonne (47)",
        "Nouvelle-Aquitaine",
        "Télétravail possible",
        "début au plus tard le 1er mars 2027",
    ]


def test_the_title_names_the_query_the_filters_and_the_page() -> None:
    query = _query({"q": "patrimoine", "type": "vta", "departement": "47"})
    active = describe_filters(query, CHOICES)
    result = SearchResult(total=1234, page=2, pages=62, hits=[], facets={})
    assert board_title(query, active, result) == (
        f"Offres «{NNBSP}patrimoine{NNBSP}» – VTA, Lot-et-Garonne (47) – page 2"
        f" – 1{NNBSP}234 offres en ligne"
    )
    one = SearchResult(total=1, page=1, pages=1, hits=[], facets={})
    assert board_title(_query({}), [], one) == "Offres – 1 offre en ligne"
    assert board_title(query, active, one, failed=True).startswith("Erreur – Offres")


def test_each_drop_link_removes_exactly_one_criterion() -> None:
    query = _query({"q": "patrimoine", "type": "vta", "teletravail": "1"})
    links = dict(drop_links(query, describe_filters(query, CHOICES)))
    assert links == {
        f"Retirer les mots-clés «{NNBSP}patrimoine{NNBSP}»": "type=vta&teletravail=1",
        f"Retirer le filtre «{NNBSP}Type d’offre{NNBSP}»{NNBSP}: VTA": "q=patrimoine&teletravail=1",
        f"Retirer le filtre «{NNBSP}Télétravail possible{NNBSP}»": "q=patrimoine&type=vta",
    }


async def test_every_facet_value_is_listed_the_long_ones_behind_voir_plus(
    client: httpx.AsyncClient, demo: None
) -> None:
    page = (await client.get("/offres")).text
    themes = _facet_block(page, "Thématique")
    listed = re.findall(r'<a class="fr-link fr-link--sm" href="/offres\?theme=(\w+)"', themes)
    # The demo uses more themes than are shown at first: none is dropped (« Numérique » was).
    assert len(listed) > FACET_SHOWN
    assert "numerique" in listed and len(listed) == len(set(listed))
    assert set(listed) <= set(THEMES)
    shown, more = themes.split("<details", 1)
    assert len(re.findall(r"<li>", shown)) == FACET_SHOWN
    assert "Voir plus" in more and "<details" in themes and " open" not in more.split(">", 1)[0]
    # An active value among the folded ones opens « Voir plus », so the choice stays visible.
    hidden_value = listed[-1]
    page = (await client.get(f"/offres?theme={hidden_value}")).text
    themes = _facet_block(page, "Thématique")
    assert '<details class="facet-more fr-mb-2w" open>' in themes


async def test_the_page_title_follows_the_search(client: httpx.AsyncClient, demo: None) -> None:
    total = re.compile(r" – \d+ offres? en ligne$")
    titles = {}
    for path in ["/offres", "/offres?q=patrimoine&type=vta", "/offres?page=2"]:
        title = _title((await client.get(path)).text).removesuffix(SITE)
        titles[path] = total.sub("", title)
        assert total.search(title), title
    assert titles == {
        "/offres": "Offres",
        "/offres?q=patrimoine&type=vta": f"Offres «{NNBSP}patrimoine{NNBSP}» – VTA",
        "/offres?page=2": "Offres – page 2",
    }
    # A live search brings its own title, which htmx puts on the page.
    fragment = (await client.get("/offres?type=vta", headers={"HX-Request": "true"})).text
    assert total.sub("", _title(fragment).removesuffix(SITE)) == "Offres – VTA"
    # The whole page keeps its one title, in the head.
    assert "<title>" not in (await client.get("/offres?type=vta")).text.split("</head>", 1)[1]


async def test_filtrer_says_how_many_filters_are_active(
    client: httpx.AsyncClient, demo: None
) -> None:
    page = (await client.get("/offres")).text
    assert re.search(
        r'aria-controls="filtres-panneau">Filtrer<span id="filtres-compte"[^>]*></span>', page
    )
    page = (await client.get("/offres?type=vta&teletravail=1")).text
    assert "(2 filtres actifs)</span>" in page
    fragment = (await client.get("/offres?type=vta", headers={"HX-Request": "true"})).text
    assert re.search(
        r'<span id="filtres-compte"[^>]*hx-swap-oob="true">\(1 filtre actif\)</span>', fragment
    )
    # The active filters can each be removed in one click.
    assert (
        f'<span class="fr-sr-only">Retirer le filtre Type d’offre{NNBSP}: </span>VTA<' in fragment
    )


async def test_an_empty_result_says_how_to_widen_the_search(
    client: httpx.AsyncClient, demo: None
) -> None:
    response = await client.get("/offres?q=patrimoine&type=vta&teletravail=1&duree=19-plus")
    assert response.status_code == 200
    page = response.text
    assert "Aucune offre en ligne ne correspond à cette recherche." in page
    no_result = page[page.index('class="no-result"') :]
    links = re.findall(r'<a class="fr-link" href="([^"]+)">([^<]+)</a>', no_result)
    hrefs = [html.unescape(href) for href, _text in links]
    assert hrefs[:4] == [
        "/offres?type=vta&duree=19-plus&teletravail=1",
        "/offres?q=patrimoine&duree=19-plus&teletravail=1",
        "/offres?q=patrimoine&type=vta&teletravail=1",
        "/offres?q=patrimoine&type=vta&duree=19-plus",
    ]
    assert hrefs[4] == "/offres"


async def test_the_skip_link_leads_to_the_results(client: httpx.AsyncClient, demo: None) -> None:
    page = (await client.get("/offres")).text
    skiplinks = page[page.index('class="fr-skiplinks"') : page.index("</nav>")]
    assert '<a class="fr-link" href="#resultats">Aller aux résultats</a>' in skiplinks
    assert 'id="resultats" tabindex="-1"' in page
    assert "Aller aux résultats" not in (await client.get("/connexion")).text

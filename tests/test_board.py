"""Public pages through the ASGI app: home, board filters, offer page, errors, health."""

from __future__ import annotations

import re
import socket
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import time_machine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from jobboard import clock
from jobboard.app import create_app
from jobboard.domain.offer import OfferStatus
from jobboard.models import Offer
from jobboard.search.schema import SCHEMA_VERSION
from jobboard.services.offer_import import import_offers
from jobboard.settings import Settings, replica_name
from tests.conftest import csrf_token, index_now, log_in, make_user, offer_row


def count_in(html: str) -> int:
    marker = 'id="nombre-resultats">'
    start = html.index(marker) + len(marker)
    return int(html[start:].split(" offre")[0].replace("\u202f", ""))


async def test_home_shows_counts_by_kind_and_latest_offers(
    client: httpx.AsyncClient, demo: None
) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    html = response.text
    assert "Chef de projet PVD" in html and "VTA expertise" in html
    published = await Offer.filter(status="published").count()
    assert f"Voir les {published} offres" in html
    assert html.count('class="fr-card fr-enlarge-link') == 6


async def test_board_lists_visible_offers_only_and_pages(
    client: httpx.AsyncClient, demo: None
) -> None:
    response = await client.get("/offres")
    assert response.status_code == 200
    total = count_in(response.text)
    assert total == await Offer.filter(status="published").count()
    assert response.text.count("/offres/") >= 20
    page2 = await client.get("/offres?page=2")
    assert page2.status_code == 200 and "page 2 sur" in page2.text
    # Drafts, submitted and closed offers never reach the board.
    hidden = await Offer.exclude(status="published").first()
    assert hidden is not None and hidden.title not in response.text + page2.text


@pytest.mark.parametrize(
    "query",
    [
        "type=vta",
        "type=chef_de_projet",
        "departement=47",
        "region=75",
        "theme=patrimoine",
        "q=Fumel",
        "duree=12",
        "duree=13-18",
        "duree=19-plus",
        "diplome=6",
        "teletravail=1",
        "tri=echeance&type=vta",
    ],
)
async def test_each_filter_narrows_the_board(
    client: httpx.AsyncClient, demo: None, query: str
) -> None:
    total = count_in((await client.get("/offres")).text)
    response = await client.get(f"/offres?{query}")
    assert response.status_code == 200
    assert 0 < count_in(response.text) < total


async def test_filters_combine(client: httpx.AsyncClient, demo: None) -> None:
    both = await client.get("/offres?type=vta&theme=patrimoine")
    vta = await client.get("/offres?type=vta")
    assert count_in(both.text) <= count_in(vta.text)
    matching = await Offer.filter(status="published", kind="vta", theme_links__theme="patrimoine")
    ids = {offer.id for offer in matching}
    assert ids, "the demo has VTA offers about heritage"
    assert count_in(both.text) == len(ids)
    shown = {int(i) for i in re.findall(r'href="/offres/(\d+)"', both.text)}
    assert shown <= ids and len(shown) == min(len(ids), 20)


async def _published(**filters: object) -> set[int]:
    return {o.id for o in await Offer.filter(status="published", **filters)}


def _shown(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'href="/offres/(\d+)"', html)]


async def test_the_new_filters_keep_exactly_the_matching_offers(
    client: httpx.AsyncClient, demo: None
) -> None:
    starts = sorted({o.start_date for o in await Offer.filter(status="published")})
    middle = starts[len(starts) // 2]
    cases = [
        ("duree=12", await _published(duration_months=12)),
        ("duree=13-18", await _published(duration_months__gte=13, duration_months__lte=18)),
        ("duree=19-plus", await _published(duration_months__gt=18)),
        ("diplome=6", await _published(min_diploma_level__lte=6)),
        ("diplome=5", await _published(min_diploma_level__lte=5)),
        ("teletravail=1", await _published(remote__in=["partial", "full"])),
        (f"debut_avant={middle.isoformat()}", await _published(start_date__lte=middle)),
        (f"debut_avant={middle:%d/%m/%Y}", await _published(start_date__lte=middle)),
        (
            "duree=12&teletravail=1&diplome=6",
            await _published(duration_months=12, remote="partial", min_diploma_level__lte=6),
        ),
    ]
    for query, expected in cases:
        assert expected, query
        response = await client.get(f"/offres?{query}")
        assert response.status_code == 200, query
        assert count_in(response.text) == len(expected), query
        assert set(_shown(response.text)) <= expected, query


async def test_the_board_sorts_by_nearest_deadline(client: httpx.AsyncClient, demo: None) -> None:
    offers = await Offer.filter(status="published").order_by("deadline")
    response = await client.get("/offres?tri=echeance")
    assert response.status_code == 200
    shown = _shown(response.text)
    deadlines = {o.id: o.deadline for o in offers}
    assert [deadlines[i] for i in shown] == sorted(deadlines[i] for i in shown)
    assert deadlines[shown[0]] == offers[0].deadline
    assert '<option value="echeance" selected>' in response.text


async def test_the_form_shows_the_new_filters_as_chosen(
    client: httpx.AsyncClient, demo: None
) -> None:
    html = (
        await client.get("/offres?duree=13-18&diplome=6&teletravail=1&debut_avant=1/9/2027")
    ).text
    assert '<option value="13-18" selected>' in html
    assert '<option value="6" selected>' in html
    assert re.search(r'id="teletravail" name="teletravail" value="1"\s+checked', html)
    assert 'name="debut_avant" value="2027-09-01"' in html
    fragment = await client.get(
        "/offres?duree=13-18&diplome=&teletravail=1&debut_avant=1/9/2027&q=",
        headers={"HX-Request": "true"},
    )
    # An empty `diplome=` matters only to a candidate with a level to preset.
    assert fragment.headers["hx-push-url"] == (
        "/offres?duree=13-18&teletravail=1&debut_avant=2027-09-01"
    )


async def test_a_candidate_s_diploma_presets_the_filter_visibly_and_removably(
    client: httpx.AsyncClient, demo: None
) -> None:
    everything = count_in((await client.get("/offres")).text)
    await make_user("candidate", diploma_level=5)
    await log_in(client, "lea@example.fr")
    accessible = await _published(min_diploma_level__lte=5)
    assert 0 < len(accessible) < everything
    html = (await client.get("/offres")).text
    assert count_in(html) == len(accessible)
    assert '<option value="5" selected>' in html and "Niveau repris de votre profil" in html
    # Links keep following the profile; the removal link says so in the URL.
    assert 'href="/offres?type=vta"' in html
    removal = re.search(r'href="(/offres\?diplome=)"', html)
    assert removal is not None
    removed = (await client.get(removal.group(1))).text
    assert count_in(removed) == everything and "Niveau repris de votre profil" not in removed
    # The form's « Tous les niveaux » keeps the preset away in the pushed URL too.
    fragment = await client.get("/offres?q=&diplome=", headers={"HX-Request": "true"})
    assert fragment.headers["hx-push-url"] == "/offres?diplome="
    chosen = (await client.get("/offres?diplome=7")).text
    assert count_in(chosen) == len(await _published(min_diploma_level__lte=7))
    assert "Niveau repris de votre profil" not in chosen


async def test_visitors_and_recruiters_get_no_diploma_preset(
    client: httpx.AsyncClient, demo: None
) -> None:
    everything = count_in((await client.get("/offres")).text)
    await make_user("recruiter", "mairie@example.fr", diploma_level=3)
    await log_in(client, "mairie@example.fr")
    html = (await client.get("/offres")).text
    assert count_in(html) == everything and "Niveau repris" not in html


async def test_expired_deadline_leaves_the_board_but_the_page_says_so(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    result = await import_offers([offer_row(title="Offre bientôt expirée")], today=clock.today())
    offer_id = result.created[0]
    await index_now(app)
    assert "Offre bientôt expirée" in (await client.get("/offres")).text
    offer = await Offer.get(id=offer_id)
    day_after_deadline = offer.deadline + timedelta(days=1)
    assert await app.state.indexer.sweep_expired(on=day_after_deadline) == 1
    assert "Offre bientôt expirée" not in (await client.get("/offres")).text
    await Offer.filter(id=offer_id).update(deadline=clock.today() - timedelta(days=1))
    page = await client.get(f"/offres/{offer_id}")
    assert page.status_code == 200 and "Offre expirée" in page.text


async def test_offer_page_shows_every_fact_in_french(client: httpx.AsyncClient, db: None) -> None:
    row = offer_row(title="Chargé de mission patrimoine", min_diploma_level=6, duration_months=18)
    offer_id = (await import_offers([row], today=clock.today())).created[0]
    response = await client.get(f"/offres/{offer_id}")
    assert response.status_code == 200
    html = response.text
    for expected in (
        "<h1",
        "Chargé de mission patrimoine",
        "Espinasses",
        "Hautes-Alpes",
        "Provence-Alpes-Côte d&#39;Azur",
        "18 mois",
        "Niveau 6 – bac+3/4",
        "35 h par semaine",
        "Télétravail partiel possible",
        "<li>Animer le plan climat</li>",
        "aide de l’État de 15 000\u00a0€",  # narrow and plain no-break spaces
    ):
        assert expected in html, expected


async def test_markdown_in_offers_is_sanitised(client: httpx.AsyncClient, db: None) -> None:
    row = offer_row(
        description="<script>alert(1)</script> [clic](javascript:alert(1)) "
        "<img src=x onerror=alert(1)>",
    )
    offer_id = (await import_offers([row], today=clock.today())).created[0]
    html = (await client.get(f"/offres/{offer_id}")).text
    # Everything is shown as inert text: no script element, no javascript: link, no img tag.
    assert "<script>alert" not in html and 'href="javascript:' not in html
    assert "<img src=x" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    "path", ["/offres/999999", "/offres/abc", "/offres/" + "9" * 30, "/nulle-part"]
)
async def test_unknown_pages_get_a_french_404(
    client: httpx.AsyncClient, db: None, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert "Page non trouvée" in response.text and "Not Found" not in response.text


async def test_draft_offers_are_not_reachable(client: httpx.AsyncClient, db: None) -> None:
    offer_id = (await import_offers([offer_row(status="draft")], today=clock.today())).created[0]
    assert (await client.get(f"/offres/{offer_id}")).status_code == 404
    await Offer.filter(id=offer_id).update(status=OfferStatus.PUBLISHED)
    assert (await client.get(f"/offres/{offer_id}")).status_code == 200


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("type=stage", 400, "Le type d’offre « stage » n’existe pas."),
        ("theme=foot", 400, "La thématique « foot » n’existe pas."),
        ("departement=99", 400, "Le département « 99 » n’existe pas."),
        ("region=%27%3B--", 400, "La région « &#39;;-- » n’existe pas."),
        ("duree=6", 400, "La durée « 6 » n’existe pas (12, 13-18 ou 19-plus)."),
        ("diplome=9", 400, "Le niveau de diplôme « 9 » n’existe pas"),
        ("teletravail=peut-etre", 400, "du filtre télétravail n’est pas comprise"),
        ("debut_avant=31/02/2027", 400, "La date de début « 31/02/2027 » n’est pas"),
        ("tri=prix", 400, "Le tri « prix » n’existe pas (pertinence, date ou echeance)."),
        ("page=abc", 400, "Le numéro de page doit être un nombre entier positif."),
        ("page=-1", 400, "Le numéro de page doit être un nombre entier positif."),
        ("page=99999999999999999999", 400, "Le numéro de page"),
        ("page=500", 404, "La page 500 n’existe pas"),
    ],
)
async def test_bad_filters_get_a_clear_french_message(
    client: httpx.AsyncClient, demo: None, query: str, status: int, message: str
) -> None:
    response = await client.get(f"/offres?{query}")
    assert response.status_code == status
    assert message in response.text
    assert 'id="resultats"' in response.text


async def test_htmx_filter_requests_get_the_results_fragment_only(
    client: httpx.AsyncClient, demo: None
) -> None:
    full = await client.get("/offres?type=vta")
    fragment = await client.get("/offres?type=vta", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and 'id="nombre-resultats"' in fragment.text
    assert 'id="filtres"' not in fragment.text and len(fragment.content) < len(full.content)
    assert "HX-Request" in full.headers["vary"] and "HX-Request" in fragment.headers["vary"]
    assert fragment.headers["hx-push-url"] == "/offres?type=vta"
    boosted = await client.get("/offres", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.text


async def test_health_reports_database_index_and_lag(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    response = await client.get("/sante")
    assert response.status_code == 200
    store = app.state.indexer.store
    assert response.json() == {
        "statut": "ok",
        "base_de_donnees": "ok",
        "index": "ok",
        "replique_index": app.state.indexer.replica,
        "generation_index": store.generation(),
        "offres_en_attente_d_indexation": 0,
        "retard_index_secondes": 0.0,
    }
    await import_offers([offer_row()], today=clock.today())
    with time_machine.travel(clock.now() + timedelta(seconds=90), tick=False):
        lagging = (await client.get("/sante")).json()
    assert lagging["offres_en_attente_d_indexation"] == 1
    assert 89 <= lagging["retard_index_secondes"] <= 120
    await index_now(app)
    caught_up = (await client.get("/sante")).json()
    assert caught_up["offres_en_attente_d_indexation"] == 0
    assert caught_up["retard_index_secondes"] == 0.0


def test_each_host_and_index_directory_is_its_own_replica(tmp_path: Path) -> None:
    first, other = tmp_path / "a" / "index", tmp_path / "b" / "index"
    assert replica_name(first) == replica_name(first) != replica_name(other)
    assert socket.gethostname()[:20] in replica_name(first)
    assert len(replica_name(tmp_path / ("x" * 300))) <= 100
    env = {"JOBBOARD_DATA_DIR": str(tmp_path), "JOBBOARD_INDEX_REPLICA": "web-2"}
    assert Settings.from_env(env).index_replica == "web-2"


async def test_health_turns_to_503_when_the_index_cannot_be_searched(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    assert (await client.get("/sante")).status_code == 200
    store = app.state.search.store
    generation = store.directory / store.generation()
    (generation / "schema-version").write_text("1")  # written by an earlier schema
    response = await client.get("/sante")
    assert response.status_code == 503
    assert response.json()["index"] == "indisponible" and response.json()["statut"] == "dégradé"
    (generation / "schema-version").write_text(str(SCHEMA_VERSION))
    assert (await client.get("/sante")).status_code == 200
    broken = store.directory / "gen-broken"  # the current schema, but no readable index
    broken.mkdir()
    (broken / "schema-version").write_text(str(SCHEMA_VERSION))
    (broken / "_MAIN_1.toc").write_bytes(b"not a table of contents")
    store.current.unlink()
    store.current.symlink_to(broken.name)
    response = await client.get("/sante")
    assert response.status_code == 503
    assert response.json()["index"] == "indisponible"
    store.current.unlink()  # no index at all
    assert (await client.get("/sante")).status_code == 503


async def test_health_checks_at_most_once_a_ttl_and_shares_the_answer(
    app: Starlette, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from jobboard.web import health

    app.state.settings = replace(app.state.settings, health_ttl_seconds=60.0)
    checks = 0
    original = health._check

    async def counting(request: Request) -> tuple[dict[str, object], bool]:
        nonlocal checks
        checks += 1
        await asyncio.sleep(0.05)  # the other probes arrive meanwhile
        return await original(request)

    monkeypatch.setattr(health, "_check", counting)
    answers = await asyncio.gather(*(client.get("/sante") for _ in range(5)))
    assert checks == 1 and {a.json()["statut"] for a in answers} == {"ok"}
    await import_offers([offer_row()], today=clock.today())
    assert (await client.get("/sante")).json()["offres_en_attente_d_indexation"] == 0  # kept
    app.state.health_answer = replace(app.state.health_answer, at=0.0)  # a minute went by
    assert (await client.get("/sante")).json()["offres_en_attente_d_indexation"] == 1
    assert checks == 2


async def test_security_headers_and_static_files(client: httpx.AsyncClient, db: None) -> None:
    response = await client.get("/")
    csp = response.headers["content-security-policy"]
    assert (
        "script-src 'self'" in csp
        and "frame-ancestors 'none'" in csp
        and "unsafe-inline" not in csp
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"]
    for asset in (
        "/static/vendor/dsfr/dsfr.min.css",
        "/static/vendor/htmx/htmx.min.js",
        "/static/css/app.css",
    ):
        assert (await client.get(asset)).status_code == 200, asset
    assert (await client.get("/favicon.ico")).status_code == 301


async def test_legal_pages_exist(client: httpx.AsyncClient, db: None) -> None:
    for path in ("/accessibilite", "/mentions-legales", "/donnees-personnelles"):
        response = await client.get(path)
        assert response.status_code == 200 and "<h1>" in response.text


async def test_method_not_allowed_is_french(client: httpx.AsyncClient, db: None) -> None:
    response = await client.post("/offres", headers={"X-CSRF-Token": await csrf_token(client)})
    assert response.status_code == 405 and "Méthode non autorisée" in response.text


async def test_an_unexpected_error_gets_the_french_500_page_without_details(
    db: None, settings: Settings
) -> None:
    async def boom(request: Request) -> Response:
        raise RuntimeError("SELECT secret FROM app_user")

    app = create_app(settings, with_database=False)
    app.router.routes.append(Route("/boom", boom))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        response = await c.get("/boom")
    assert response.status_code == 500
    assert "Erreur inattendue" in response.text
    assert "SELECT" not in response.text and "Traceback" not in response.text


async def test_the_same_search_again_replaces_the_history_entry(
    client: httpx.AsyncClient, demo: None
) -> None:
    headers = {"HX-Request": "true", "HX-Current-URL": "http://testserver/offres"}
    first = await client.get("/offres?q=patrimoine&type=", headers=headers)
    assert first.headers["hx-push-url"] == "/offres?q=patrimoine"
    headers["HX-Current-URL"] = "http://testserver/offres?q=patrimoine"
    again = await client.get("/offres?q=patrimoine&type=", headers=headers)
    assert again.headers["hx-replace-url"] == "/offres?q=patrimoine"
    assert "hx-push-url" not in again.headers


async def test_an_unclosed_quote_is_searched_as_plain_words_and_said(
    client: httpx.AsyncClient, demo: None
) -> None:
    response = await client.get('/offres?q="patrimoine')
    assert response.status_code == 200
    assert "la recherche porte sur les mots seuls" in response.text
    assert count_in(response.text) > 0


async def test_a_board_address_is_parsed_once_its_errors_shown_each_time(
    client: httpx.AsyncClient, demo: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jobboard.web import board

    parsed: list[str] = []
    parse = board.parse_board_query
    monkeypatch.setattr(
        board,
        "parse_board_query",
        lambda params, **k: parsed.append(str(params)) or parse(params, **k),
    )
    address = "/offres?q=patrimoine&type=ferme&departement=99"
    whole = await client.get(address)
    fragment = await client.get(address, headers={"HX-Request": "true"})
    other = await client.get("/offres?q=patrimoine&type=vta")
    for page in (whole, fragment):
        assert page.status_code == 400
        assert "Le type d’offre «\u202fferme\u202f» n’existe pas." in page.text
        assert "Le département «\u202f99\u202f» n’existe pas." in page.text
    assert other.status_code == 200 and "n’existe pas" not in other.text
    assert parsed == ["q=patrimoine&type=ferme&departement=99", "q=patrimoine&type=vta"]
    # A long address is parsed each time, not kept.
    long = "/offres?q=patrimoine&type=vta&" + "utm=x&" * 200
    for headers in ({}, {"HX-Request": "true"}):
        assert (await client.get(long, headers=headers)).status_code == 200
    assert len(parsed) == 4

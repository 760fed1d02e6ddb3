"""Search relevance over the demo offers, and user queries that must never break the search.

The relevance table names offers by a substring of their title that only one published demo
offer has (fixtures/demo_offers.json); the demo board is loaded and indexed once for the module,
and every search reads that index only.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from jobboard import clock
from jobboard.app import create_app
from jobboard.models import Commune
from jobboard.search.searcher import SearchRequest, SearchResult
from jobboard.services.demo import load_demo_offers
from jobboard.services.offer_import import import_offers
from jobboard.services.reference import import_density, import_pvd
from jobboard.settings import Settings
from tests.conftest import FIXTURES, TEST_DB_URL, _empty_tables, index_now, offer_row

DEMO_ROWS = json.loads((FIXTURES / "demo_offers.json").read_text(encoding="utf-8"))
PUBLISHED_TITLES: list[str] = [
    r["title"] for r in DEMO_ROWS if r.get("status", "published") == "published"
]

# Offers, by a title substring that only one published demo offer has.
BARCELONNETTE = "tourisme durable – Barcelonnette"
BATIE_EXPERT = "Ingénieur(e) aménagement"
BELLEME = "inclusion numérique – Bellême"
CALVI = "tourisme et patrimoine – Calvi"
CARHAIX = "demain – Carhaix-Plouguer"
CARVIN = "demain – Carvin"
CLUNY = "plan vélo et mobilité douce – Cluny"
CORBIGNY = "services publics et numérique – Corbigny"
CORTE = "demain – Corte"
DIE = "mobilité douce – Die"
ESPINASSES = "transition écologique – Espinasses"
FELLETIN = "culturel et tiers-lieu – Felletin"
FRAIZE = "mission habitat – Fraize"
FUMEL_CDP = "demain – Fumel"
FUMEL_VTA = "ingénierie financière et de montage de projets – Fumel"
GUERLEDAN = "écotourisme lac de Guerlédan"
LANGOGNE = "énergie et transition écologique – Langogne"
MAULEON = "demain – Mauléon-Licharre"
MONFLANQUIN = "patrimoine et bastide – Monflanquin"
PLOEUC_CDP = "demain – Plœuc-L’Hermitage"
PLOEUC_VTA = "inclusion numérique – Plœuc-L’Hermitage"
PRATS = "transition écologique et forêt"
RIOM = "santé et accueil des professionnels"
SAINT_AMAND = "mission revitalisation – Saint-Amand-Montrond"
SAINT_CERE = "maison de santé pluriprofessionnelle – Saint-Céré"
SAINT_CLAUDE = "demain – Saint-Claude"
SAINT_FLOUR = "demain – Saint-Flour"
SAINT_GIRONS = "demain – Saint-Girons"
SAINT_HIPPOLYTE = "revitalisation du centre-ville – Saint-Hippolyte-du-Fort"
SAINT_JEAN = "Chef(fe) de projet habitat – Saint-Jean-d’Angély"
SALAZIE = "aménagement et services aux habitants – Salazie"
SALINS = "patrimoine UNESCO – Salins-les-Bains"
SARTENE = "patrimoine bâti – Sartène"
TARASCON = "aménagement des espaces publics – Tarascon-sur-Ariège"
THIZY_CDP = "demain – Thizy-les-Bourgs"
THIZY_VTA = "commerce et attractivité du centre-bourg"
THOUARS = "habitat indigne – Thouars"
UZERCHE = "valorisation du patrimoine – Uzerche"
VEYNES = "pôle gare – Veynes"
VIC = "Coordinateur(trice) santé – Vic-sur-Cère"
PATRIMOINE_TITLES = (UZERCHE, SALINS, CALVI, MONFLANQUIN, SARTENE)


# -- expectations --
@dataclass(frozen=True)
class First:
    """This offer is the first hit."""

    title: str


@dataclass(frozen=True)
class InTop:
    """All these offers are among the first n hits."""

    titles: tuple[str, ...]
    n: int


@dataclass(frozen=True)
class Only:
    """The hits are exactly these offers, in any order, found without the fuzzy fallback."""

    titles: tuple[str, ...]


@dataclass(frozen=True)
class AllThemed:
    """At least `at_least` hits, and every hit has the theme."""

    theme: str
    at_least: int


@dataclass(frozen=True)
class SameAs:
    """The same offers as another spelling of the query, and at least `at_least` of them."""

    query: str
    at_least: int


@dataclass(frozen=True)
class DidYouMean:
    """A suggestion containing `suggestion`; with fuzzy_top, approximate hits led by these."""

    suggestion: str
    fuzzy_top: tuple[str, ...] = ()


@dataclass(frozen=True)
class NoMatch:
    """Nothing at all, not even approximately."""


Expectation = First | InTop | Only | AllThemed | SameAs | DidYouMean | NoMatch

RELEVANCE: list[tuple[str, Expectation]] = [
    # Accents typed or not, and other forms of the same word.
    ("écologique", AllThemed("transition_ecologique", 5)),
    ("ecologique", SameAs("écologique", 5)),
    ("écologie", InTop((ESPINASSES, PRATS, LANGOGNE), 3)),
    ("infirmière", AllThemed("sante", 4)),
    ("infirmiere", SameAs("infirmière", 4)),
    ("infirmières", Only((SAINT_CERE, RIOM, VIC, CARHAIX))),
    ("aménagement", InTop((SALAZIE, TARASCON, BATIE_EXPERT), 3)),
    ("amenagement", SameAs("aménagement", 30)),
    ("mobilité", AllThemed("mobilite", 6)),
    ("mobilite", InTop((DIE, VEYNES, CLUNY), 3)),
    ("numérique", InTop((BELLEME, PLOEUC_VTA, CORBIGNY), 3)),
    ("numerique", SameAs("numérique", 3)),
    ("foret", Only((PRATS,))),
    ("guerledan", Only((GUERLEDAN,))),
    ("sartene", Only((SARTENE,))),
    ("mediatheque", Only((PLOEUC_VTA,))),
    # Plurals and feminine forms.
    ("chargée", SameAs("chargé", 30)),
    ("chargées", SameAs("chargé", 30)),
    ("commerces", First(THIZY_VTA)),
    ("commerçantes", InTop((CARVIN, SAINT_GIRONS, THIZY_VTA), 5)),
    (
        "habitats",
        InTop((FRAIZE, THOUARS, SAINT_JEAN), 4),
    ),  # four offers have « habitat » in their title
    ("friches", InTop((SAINT_CLAUDE, FUMEL_VTA, FUMEL_CDP), 3)),
    ("coordinatrice", First(VIC)),
    ("ingénieure", First(BATIE_EXPERT)),
    ("conseillère", First(BELLEME)),
    ("cheffe habitat", First(SAINT_JEAN)),
    # Communes and départements.
    ("Fumel", Only((FUMEL_CDP, FUMEL_VTA))),
    ("Thizy-les-Bourgs", First(THIZY_CDP)),
    ("Corte", Only((CORTE,))),
    ("Cantal", Only((RIOM, SAINT_FLOUR, VIC))),
    ("Haute-Corse", Only((CALVI, CORTE))),
    ("Thizy", InTop((THIZY_CDP, THIZY_VTA), 2)),
    ("saint flour", First(SAINT_FLOUR)),
    ("Mauléon", First(MAULEON)),
    ("ploeuc", InTop((PLOEUC_CDP, PLOEUC_VTA), 2)),
    # Quoted phrases.
    ('"maison de santé"', Only((SAINT_CERE, CARHAIX, RIOM, VIC))),
    ('"tourisme durable"', Only((BARCELONNETTE,))),
    ('"habitat indigne"', First(THOUARS)),
    # Several words: every one must be found (they co-occur in one offer only).
    ("gentiane médecins", Only((RIOM,))),
    ("pipe friche", Only((SAINT_CLAUDE,))),
    ("citadelle étudiante", Only((CORTE,))),
    ("vélo covoiturage", Only((DIE,))),
    ("espadrille château", Only((MAULEON,))),
    ("Fumel ingénierie", Only((FUMEL_VTA,))),
    # A word in one offer's title ranks it above offers that only mention it.
    ("tiers-lieu", First(FELLETIN)),
    ("tiers lieu", First(FELLETIN)),
    ("UNESCO", First(SALINS)),
    ("ingénierie financière", First(FUMEL_VTA)),
    ("habitat indigne", First(THOUARS)),
    ("gare", First(VEYNES)),
    ("énergie", First(LANGOGNE)),
    ("vélo", First(CLUNY)),
    ("patrimoine", InTop(PATRIMOINE_TITLES, 5)),
    ("revitalisation", InTop((SAINT_AMAND, SAINT_HIPPOLYTE), 2)),
    ("santé", InTop((RIOM, VIC, SAINT_CERE), 3)),
    # Typos: a « Vouliez-vous dire » suggestion, approximate results when close enough.
    ("patrimoinne", DidYouMean("patrimoine", PATRIMOINE_TITLES)),
    ("numerque", DidYouMean("numérique", (BELLEME, PLOEUC_VTA, CORBIGNY))),
    ("revitalsation", DidYouMean("revitalisation", (SAINT_AMAND, SAINT_HIPPOLYTE))),
    ("amenagment", DidYouMean("aménagement")),
    # Nothing to find.
    ("zzzyyy", NoMatch()),
    ("zzzyyy patrimoine", NoMatch()),
]

# What users type by mistake: the search must answer, never raise.
ODD_QUERIES = [
    '"unclosed',
    "title:(",
    "*",
    "AND",
    "OR NOT",
    ("Chef de projet patrimoine à Fumel " * 60)[:2000],
    "🚀 patrimoine",
    "'; DROP TABLE offer; --",
    "<script>alert(1)</script>",
    "***?~^",
    "",
    "   ",
    '"',
    '"maison de santé"',
]


def title_of(part: str) -> str:
    found = [t for t in PUBLISHED_TITLES if part in t]
    assert len(found) == 1, f"{part!r} names {len(found)} published demo offers: {found}"
    return found[0]


def mentioned(expectation: Expectation) -> tuple[str, ...]:
    if isinstance(expectation, First):
        return (expectation.title,)
    if isinstance(expectation, InTop | Only):
        return expectation.titles
    if isinstance(expectation, DidYouMean):
        return expectation.fuzzy_top
    return ()


# -- fixtures: the demo board indexed once for the module --
@pytest_asyncio.fixture(scope="module")
async def demo_app(
    _database: None, reference_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Starlette]:
    # What the `db` fixture does, once: searches below only read the index, not the tables.
    await _empty_tables()
    await Commune.all().update(pvd_id=None, pvd_signed_on=None, density_level=None)
    await import_pvd(reference_dir / "pvd_sample.csv")
    await import_density(reference_dir / "density_sample.csv")
    data_dir = tmp_path_factory.mktemp("relevance")
    base = Settings.from_env({"JOBBOARD_DATA_DIR": str(data_dir), "JOBBOARD_SECRET_KEY": "test"})
    settings = replace(base, database_url=TEST_DB_URL, fixtures_dir=reference_dir)
    application = create_app(settings, with_database=False)
    await application.state.indexer.rebuild()
    result = await load_demo_offers(reference_dir, clock.today())
    assert result.errors == []
    await index_now(application)
    yield application
    application.state.search.close()


@pytest_asyncio.fixture(scope="module")
async def demo_client(demo_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=demo_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def search(app: Starlette, q: str, **changes: object) -> SearchResult:
    request = replace(SearchRequest(q=q, page_size=100), **changes)  # type: ignore[arg-type]
    try:
        result: SearchResult = app.state.search.search(request)
    except Exception as error:  # report which query broke the search
        pytest.fail(f"{q[:80]!r} raised {type(error).__name__}: {error}")
    return result


def report(q: str, result: SearchResult, wanted: str) -> str:
    top = [h.title for h in result.hits[:5]]
    return (
        f"query {q!r}: expected {wanted}; got total={result.total} fuzzy={result.fuzzy} "
        f"suggestion={result.suggestion!r}, top 5: {top}"
    )


# -- relevance --
def test_the_table_is_large_and_names_each_offer_unambiguously() -> None:
    assert len(RELEVANCE) >= 30
    assert len({q for q, _ in RELEVANCE}) == len(RELEVANCE)
    assert len(PUBLISHED_TITLES) == 60
    for _, expectation in RELEVANCE:
        for part in mentioned(expectation):
            title_of(part)


@pytest.mark.parametrize(("q", "expectation"), RELEVANCE, ids=[q for q, _ in RELEVANCE])
async def test_relevance(demo_app: Starlette, q: str, expectation: Expectation) -> None:
    result = search(demo_app, q)
    titles = [h.title for h in result.hits]
    assert len(titles) == min(result.total, 100), report(q, result, "a page of every hit")

    if isinstance(expectation, First):
        wanted = title_of(expectation.title)
        assert titles[:1] == [wanted], report(q, result, f"first hit {wanted!r}")
    elif isinstance(expectation, InTop):
        wanted_all = [title_of(t) for t in expectation.titles]
        missing = [t for t in wanted_all if t not in titles[: expectation.n]]
        assert not missing, report(q, result, f"in the top {expectation.n}: {missing}")
    elif isinstance(expectation, Only):
        wanted_set = {title_of(t) for t in expectation.titles}
        assert not result.fuzzy and set(titles) == wanted_set and result.total == len(wanted_set), (
            report(q, result, f"exactly {sorted(wanted_set)}")
        )
    elif isinstance(expectation, AllThemed):
        off_theme = [h.title for h in result.hits if expectation.theme not in h.themes]
        assert result.total >= expectation.at_least and not off_theme, report(
            q,
            result,
            f">= {expectation.at_least} hits, all themed {expectation.theme!r} "
            f"(off theme: {off_theme})",
        )
    elif isinstance(expectation, SameAs):
        other = search(demo_app, expectation.query)
        assert result.total >= expectation.at_least and not result.fuzzy, report(
            q, result, f">= {expectation.at_least} exact hits"
        )
        assert {h.id for h in result.hits} == {h.id for h in other.hits}, report(
            q, result, f"the offers of {expectation.query!r}: {[h.title for h in other.hits[:5]]}"
        )
    elif isinstance(expectation, DidYouMean):
        assert expectation.suggestion in result.suggestion, report(
            q, result, f"a suggestion containing {expectation.suggestion!r}"
        )
        if expectation.fuzzy_top:
            wanted_all = [title_of(t) for t in expectation.fuzzy_top]
            missing = [t for t in wanted_all if t not in titles[: len(wanted_all)]]
            assert result.fuzzy and not missing, report(
                q, result, f"approximate hits led by {wanted_all} (missing {missing})"
            )
    else:
        assert result.total == 0 and not result.hits and not result.fuzzy, report(
            q, result, "no hit at all"
        )


async def test_filters_narrow_a_text_query(demo_app: Starlette) -> None:
    result = search(demo_app, "patrimoine", kind="vta_expertise")
    assert [h.title for h in result.hits] == [title_of(SARTENE), title_of("Hauts de Bienne")]
    result = search(demo_app, "santé", theme="services_publics")
    assert {h.title for h in result.hits} == {title_of(SAINT_CERE), title_of(CARHAIX)}


# -- odd input never breaks the search --
@pytest.mark.parametrize("q", ODD_QUERIES, ids=[repr(q[:20]) for q in ODD_QUERIES])
async def test_odd_queries_never_raise(demo_app: Starlette, q: str) -> None:
    result = search(demo_app, q)
    assert result.total >= 0 and len(result.hits) == min(result.total, 100)
    for hit in result.hits:
        assert "<script" not in hit.title_html and "<script" not in hit.excerpt_html


@pytest.mark.parametrize("q", ODD_QUERIES, ids=[repr(q[:20]) for q in ODD_QUERIES])
async def test_odd_queries_never_break_the_board_page(
    demo_client: httpx.AsyncClient, q: str
) -> None:
    response = await demo_client.get("/offres", params={"q": q})
    assert response.status_code == 200, f"{q[:80]!r} → {response.status_code}"
    assert "<script>alert" not in response.text


async def test_blank_queries_list_every_offer_and_emoji_are_ignored(demo_app: Starlette) -> None:
    for q in ("", "   ", "***?~^", '"'):
        assert search(demo_app, q).total == len(PUBLISHED_TITLES), repr(q)
    emoji, plain = search(demo_app, "🚀 patrimoine"), search(demo_app, "patrimoine")
    assert emoji.total == plain.total > 0 and not emoji.fuzzy


# -- highlights --
def without_marks(html: str) -> str:
    return re.sub(r"<mark[^>]*>|</mark>", "", html)


async def test_highlights_mark_matches_and_escape_html(app: Starlette) -> None:
    row = offer_row(
        title="Chargé(e) de mission <b>patrimoine</b> & remparts",
        description="Le patrimoine de la ville & ses remparts : 3 < 5 et <i>a</i> > b.",
    )
    created = await import_offers([row], today=clock.today())
    assert created.errors == []
    await index_now(app)
    [hit] = search(app, "patrimoine").hits
    assert re.search(r"<mark[^>]*>patrimoine</mark>", hit.title_html), hit.title_html
    assert re.search(r"<mark[^>]*>patrimoine</mark>", hit.excerpt_html), hit.excerpt_html
    for html in (hit.title_html, hit.excerpt_html):
        bare = without_marks(html)
        assert "<" not in bare and ">" not in bare.replace("&gt;", ""), html
        assert "&amp;" in bare, html
    assert "&lt;b&gt;" in hit.title_html


async def test_a_word_found_only_in_the_description_is_marked(app: Starlette) -> None:
    """The excerpt centres on a word the title lacks. (Whoosh's `existing_terms` on the
    board's query only named the title's terms: such a word went unmarked.)"""
    row = offer_row(
        title="Chargé(e) de mission revitalisation",
        description=("Le centre-bourg attend son programme. " * 12)
        + "Le montage des dossiers de subvention fait partie de la mission.",
    )
    created = await import_offers([row], today=clock.today())
    assert created.errors == []
    await index_now(app)
    [hit] = search(app, "subventions").hits
    assert "<mark" not in hit.title_html
    assert re.search(r"<mark[^>]*>subvention</mark>", hit.excerpt_html), hit.excerpt_html
    assert hit.excerpt_html.startswith("… ")  # the excerpt moved to the match


async def test_board_page_shows_highlights_and_escapes_the_query(
    demo_client: httpx.AsyncClient,
) -> None:
    response = await demo_client.get("/offres", params={"q": "patrimoine <b>"})
    assert response.status_code == 200
    html = response.text
    assert re.search(r"<mark[^>]*>patrimoine</mark>", html, re.IGNORECASE)
    assert "patrimoine <b>" not in html

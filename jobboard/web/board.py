"""Public board: home, offer search with filters and facets, offer page."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Collection, Hashable
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from typing import Any
from urllib.parse import urlsplit

import anyio.to_thread
from markupsafe import Markup
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from jobboard import metrics
from jobboard.clock import today
from jobboard.domain.account import Role
from jobboard.domain.alerts import FREQUENCY_LABELS, FREQUENCY_SLUGS, saved_search
from jobboard.domain.board_query import (
    DIPLOMA_CHOICES,
    DURATION_LABELS,
    SORTS,
    BoardError,
    BoardParam,
    BoardQuery,
    parse_board_query,
)
from jobboard.domain.diploma import diploma_label
from jobboard.domain.errors import NotFound
from jobboard.domain.offer import KIND_SHORT_LABELS, THEMES
from jobboard.domain.parsing import parse_int
from jobboard.formats import date_fr
from jobboard.markdown import render_offer_texts
from jobboard.models import Departement, Offer, Region
from jobboard.search.reads import Finding
from jobboard.search.searcher import (
    Hit,
    IndexUnavailable,
    SearchRequest,
    SearchResult,
    SearchService,
    SimilarRequest,
)
from jobboard.services.offer_marks import marks_for
from jobboard.services.offer_public import RELATED as PUBLIC_RELATED
from jobboard.services.visibility import Publicity, publicity
from jobboard.web import htmx
from jobboard.web.auth import current_user, public
from jobboard.web.offer_meta import offer_meta
from jobboard.web.page_cache import PageCache
from jobboard.web.state import templates

# The longest board query string an offer page carries back (« Retour aux résultats »).
MAX_BACK_LENGTH = 1000
SIMILAR_COUNT = 3
UNAVAILABLE = "La recherche est momentanément indisponible. Réessayez dans une minute."
# Facet values shown before « Voir plus » (the others are one click away, never dropped).
FACET_SHOWN = 6
QUERIES_KEPT = 4096  # board query strings parsed (`parse_filters`), of at most:
MAX_KEPT_QUERY = 1000  # bytes
PANELS_KEPT = 512  # the form's filters rendered (`filter_panel`), about 9 kB each
# How many times a search waits for others reading what it needs before a thread of its own
# (`run_search`).
HELD_ATTEMPTS = 3


async def _choices(request: Request) -> dict[str, Any]:
    """Filter choices and names; départements and régions change once a year, so one read per
    process (an import of new reference data takes effect at the next start)."""
    state = request.app.state
    if not getattr(state, "board_choices", None):
        departements = await Departement.all().order_by("code").values_list("code", "name")
        regions = await Region.all().order_by("name").values_list("code", "name")
        state.board_choices = {
            "kinds": KIND_SHORT_LABELS,
            "themes": THEMES,
            "sorts": SORTS,
            "durations": DURATION_LABELS,
            "diplomas": DIPLOMA_CHOICES,
            "departement_choices": [(code, f"{code} – {name}") for code, name in departements],
            "regions": regions,
            "departement_names": dict(departements),
            "region_names": dict(regions),
        }
        # What each query string of the board says, read once per process and address.
        state.board_queries = lru_cache(maxsize=QUERIES_KEPT)(
            partial(
                _parse_query_string,
                departements=state.board_choices["departement_names"],
                regions=state.board_choices["region_names"],
            )
        )
        state.board_panels = lru_cache(maxsize=PANELS_KEPT)(
            partial(_render_panel, state.board_choices)
        )
    choices: dict[str, Any] = state.board_choices
    return choices


def filter_panel(request: Request, filters: BoardQuery) -> Markup:
    """The board form's filters (`offers/_filter_panel.html`): the same for every search with
    the same filters, the words typed aside, so rendered once per process and filters. The
    words are in it only in the link out of a diploma level preset from the profile. Needs
    `_choices` first."""
    key = replace(filters, page=1) if filters.diploma_preset else replace(filters, q="", page=1)
    panel: Markup = request.app.state.board_panels(key)
    return panel


def _render_panel(choices: dict[str, Any], filters: BoardQuery) -> Markup:
    html = templates().render_string("offers/_filter_panel.html", {**choices, "filters": filters})
    return Markup(html)  # noqa: S704 - rendered by the autoescaping environment


def _parse_query_string(
    raw: bytes, *, departements: Collection[str], regions: Collection[str]
) -> tuple[BoardQuery, tuple[BoardError, ...]]:
    query, errors = parse_board_query(QueryParams(raw), departements=departements, regions=regions)
    return query, tuple(errors)


def parse_filters(request: Request, choices: dict[str, Any]) -> tuple[BoardQuery, list[BoardError]]:
    """The board's query from the URL; a signed-in candidate's diploma level presets the
    « accessible avec mon diplôme » filter unless the URL sets or removes it. `choices` is
    what `_choices` returned, which also keeps the parsed query strings."""
    raw: bytes = request.scope["query_string"]
    if len(raw) <= MAX_KEPT_QUERY:
        query, found = request.app.state.board_queries(raw)
    else:  # not kept: the kept ones stay small
        query, found = _parse_query_string(
            raw, departements=choices["departement_names"], regions=choices["region_names"]
        )
    errors = list(found)
    user = current_user(request)
    level = user.diploma_level if user is not None and user.role == Role.CANDIDATE else None
    return query.with_profile_diploma(level), errors


async def run_search(request: Request, search_request: SearchRequest) -> SearchResult:
    """Whoosh blocks: a search runs in a worker thread, never on the event loop, unless the
    index snapshot already holds all it needs (`jobboard.search.reads`): the same words in
    another order, kind or page, or searched again, answered without the hop to the thread,
    which cost more than the search.

    The live search sends the same new words in several orders and kinds at once: one request
    reads them in a thread, the others wait for it on the loop and are answered there."""
    service: SearchService = request.app.state.search
    searching: dict[str, asyncio.Future[None]] = request.app.state.searching
    words = search_request.q
    try:
        with metrics.SEARCHES.time():
            for _attempt in range(HELD_ATTEMPTS):
                held = service.search_held(search_request)
                if isinstance(held, SearchResult):
                    return held
                if held is not None:  # another search is reading what this one needs
                    await finished(held)
                elif words in searching:  # another request reads these words in a thread
                    await asyncio.shield(searching[words])
                else:
                    break
            reading = None
            if words not in searching:
                reading = searching[words] = asyncio.get_running_loop().create_future()
            try:
                return await anyio.to_thread.run_sync(service.search, search_request)
            finally:
                if reading is not None:
                    del searching[words]
                    reading.set_result(None)
    except IndexUnavailable:
        raise HTTPException(503, UNAVAILABLE) from None


async def finished(finding: Finding[Any]) -> None:
    """Once `finding` is done, without blocking the event loop (it is found in a thread)."""
    loop = asyncio.get_running_loop()
    done = loop.create_future()

    def wake() -> None:
        if not done.done():  # not if the request was cancelled meanwhile
            done.set_result(None)

    def notify() -> None:  # from the thread that found it
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile (shutdown)
            loop.call_soon_threadsafe(wake)

    finding.on_done(notify)
    await done


async def cached_page(request: Request) -> tuple[Hashable | None, Response | None]:
    """(key, page): the page already rendered for this address and index state, when the
    visitor has no session (`jobboard.web.page_cache`); key None when it must be rendered."""
    service: SearchService = request.app.state.search
    cache: PageCache = request.app.state.page_cache
    if not cache.serves(request):
        return None, None
    try:
        version = service.recent_version()
        if version is None:
            version = await index_version(request)
    except IndexUnavailable:
        raise HTTPException(503, UNAVAILABLE) from None
    key = cache.key(request, version)
    page = cache.get(key)
    return key, page.response(request) if page is not None else None


async def index_version(request: Request) -> int:
    """`SearchService.version()`, looked at in a thread by one request at a time. Every tenth
    of a second the index has to be looked at again (`recent_version`): the requests arriving
    meanwhile wait for the one looking and take its answer, instead of each hopping to a
    thread for the same look (16 at once under 16 connections)."""
    service: SearchService = request.app.state.search
    async with request.app.state.index_look:
        version = service.recent_version()  # looked at by the request before this one
        if version is None:
            version = await anyio.to_thread.run_sync(service.version)
    return version


@public
async def home(request: Request) -> Response:
    key, cached = await cached_page(request)
    if cached is not None:
        return cached
    result = await run_search(request, SearchRequest(sort="date", page_size=6))
    counts = dict(result.facets["kind"])
    marks = await marks_for(current_user(request), result.hits, today())
    response = templates().page(
        request,
        "home.html",
        {
            "counts": {k: counts.get(k, 0) for k in KIND_SHORT_LABELS},
            "total": result.total,
            "latest": result.hits,
            "kinds": KIND_SHORT_LABELS,
            "marks": marks,
        },
    )
    if key is not None:
        request.app.state.page_cache.put(key, response)
    return response


@public
async def offer_list(request: Request) -> Response:
    key, cached = await cached_page(request)
    if cached is not None:
        return cached
    choices = await _choices(request)
    filters, errors = parse_filters(request, choices)
    result = await run_search(
        request,
        SearchRequest.from_query(filters, page_size=request.app.state.settings.page_size),
    )
    messages = [error.message for error in errors]
    active = describe_filters(filters, choices)
    status_code = 400 if errors else 200
    if not errors and filters.page > result.pages:
        status_code = 404
        messages.append(
            f"La page {filters.page} n’existe pas : les résultats tiennent sur "
            f"{result.pages} page{'s' if result.pages > 1 else ''}."
        )
    context = {
        "filters": filters,
        "alert_search": saved_search(filters),
        "alert_frequencies": FREQUENCY_LABELS,
        "alert_slugs": FREQUENCY_SLUGS,
        "errors": messages,
        "result": result,
        "marks": await marks_for(current_user(request), result.hits, today()),
        "board_title": board_title(filters, active, result, failed=bool(messages)),
        "active_filters": active,
        "drop_links": drop_links(filters, active),
        "facets": facets(filters, result, choices),
        "facet_shown": FACET_SHOWN,
        # A partial answer carries its own <title>, which htmx puts on the page.
        "fragment": htmx.wants_fragment(request),
        "filter_panel": partial(filter_panel, request, filters),  # whole pages only
        **choices,
    }
    response = templates().page(
        request,
        "offers/list.html",
        context,
        status_code=status_code,
        fragment_blocks=("results", "facets", "announcement", "filter_count"),
    )
    pushed = None
    if htmx.wants_fragment(request):
        # The pushed URL carries only the filters in use, not every empty form field.
        query = filters.query_string(page=result.page)
        pushed = f"/offres?{query}" if query else "/offres"
    if key is not None:
        request.app.state.page_cache.put(key, response, push_url=pushed)
    if pushed is not None:
        htmx.push_url(request, response, pushed)
    return response


# The facets under « Affiner les résultats »: result facet, heading, names of its values.
FACETS = (
    ("kind", "Type d’offre", "kinds"),
    ("theme", "Thématique", "themes"),
    ("region", "Région", "region_names"),
    ("departement", "Département", "departement_names"),
)


@dataclass(frozen=True)
class FacetValue:
    label: str
    count: int
    query: str  # the board's query string with this value chosen, or removed when active
    active: bool


@dataclass(frozen=True)
class Facet:
    name: str
    title: str
    values: list[FacetValue]  # every value with results, the first FACET_SHOWN shown
    open: bool  # the active value is among the folded ones: « Voir plus » starts open


def facets(filters: BoardQuery, result: SearchResult, choices: dict[str, Any]) -> list[Facet]:
    """Each facet with a value that has results, its links written in one pass."""
    found = []
    for name, title, names in FACETS:
        counted = result.facets.get(name) or []
        if not counted:
            continue
        labels = choices[names]
        current = getattr(filters, name)
        links = filters.toggle_links(name, [value for value, _count in counted])
        values = [
            FacetValue(labels.get(value, value), count, query, value == current)
            for (value, count), query in zip(counted, links, strict=True)
        ]
        hidden = {value for value, _count in counted[FACET_SHOWN:]}
        found.append(Facet(name, title, values, current in hidden))
    return found


def describe_filters(filters: BoardQuery, choices: dict[str, Any]) -> list[tuple[BoardParam, str]]:
    """The filters in use, each named as a person reads it: « Lot-et-Garonne (47) », not « 47 »."""
    described = []
    for spec, label in filters.active_filters():
        if spec.name == "departement":
            label = f"{choices['departement_names'].get(filters.departement, label)} ({label})"
        elif spec.name == "region":
            label = choices["region_names"].get(filters.region, label)
        elif spec.name == "teletravail":
            label = spec.label
        elif spec.name == "debut_avant" and filters.start_before is not None:
            label = f"début au plus tard le {date_fr(filters.start_before)}"
        described.append((spec, label))
    return described


def board_title(
    filters: BoardQuery,
    active: list[tuple[BoardParam, str]],
    result: SearchResult,
    *,
    failed: bool = False,
) -> str:
    """« Offres « patrimoine » – VTA, Bretagne – page 2 – 17 offres en ligne »: what a tab, a
    bookmark or a screen reader announces names the search (the layout adds the site's name)."""
    parts = ["Offres" + (f" «\u202f{filters.q}\u202f»" if filters.q else "")]
    if active:
        parts.append(", ".join(label for _spec, label in active))
    if result.page > 1:
        parts.append(f"page {result.page}")
    total = f"{result.total:,}".replace(",", "\u202f")
    parts.append(f"{total} offre{'s' if result.total > 1 else ''} en ligne")
    return ("Erreur – " if failed else "") + " – ".join(parts)


def drop_links(filters: BoardQuery, active: list[tuple[BoardParam, str]]) -> list[tuple[str, str]]:
    """For an empty result: (link text, query string) pairs that each remove one criterion,
    the keywords included, so the search widens in one click."""
    links = []
    if filters.q:
        links.append(
            (f"Retirer les mots-clés «\u202f{filters.q}\u202f»", filters.query_string(q="", page=1))
        )
    for spec, label in active:
        links.append(
            (
                f"Retirer le filtre «\u202f{spec.label}\u202f»"
                + ("" if label == spec.label else f"\u202f: {label}"),
                filters.query_string(**{spec.name: "", "page": 1}),
            )
        )
    return links


def back_to_results(raw: str | None, choices: dict[str, Any]) -> str | None:
    """The board search an offer page was reached from (`?depuis=<query string>`), validated
    by the board's own parser and written anew from what it understood: always a path under
    /offres, never an address elsewhere. None when absent, too long or not a valid search."""
    if raw is None or len(raw) > MAX_BACK_LENGTH:
        return None
    scope = {"type": "http", "method": "GET", "path": "/offres", "headers": [],
             "query_string": raw.encode("utf-8", "replace")}  # fmt: skip
    query, errors = parse_board_query(
        Request(scope).query_params,
        departements=choices["departement_names"],
        regions=choices["region_names"],
    )
    return None if errors else query.query_string()


def _came_from(request: Request) -> str | None:
    """The board query string this page was reached from: `?depuis=` (carried by the similar
    offers' links), else the Referer when it is this site's /offres (a card clicked on the
    board, whose URL htmx keeps in step with the search)."""
    carried = request.query_params.get("depuis")
    if carried is not None:
        return carried
    referer = request.headers.get("referer", "")
    try:
        parts = urlsplit(referer)
    except ValueError:
        return None
    if parts.netloc != request.url.netloc or parts.path != "/offres":
        return None
    return parts.query


async def similar_offers(request: Request, offer: Offer) -> list[Hit]:
    service: SearchService = request.app.state.search
    similar = SimilarRequest(
        offer_id=offer.id,
        kind=str(offer.kind),
        themes=tuple(offer.themes),
        departement=offer.commune.departement_id,
        region=offer.commune.region_id,
        limit=SIMILAR_COUNT,
    )
    try:
        return await anyio.to_thread.run_sync(service.similar, similar)
    except IndexUnavailable:
        return []  # the page itself still shows; only the suggestions are missing


@public
async def offer_detail(request: Request) -> Response:
    offer_id = parse_int(request.path_params["offer_id"])
    offer = None
    if offer_id is not None:
        offer = await Offer.filter(id=offer_id).select_related(*PUBLIC_RELATED).first()
    # Only offers that have been public are shown; drafts and moderation states are not.
    if offer is None or (standing := publicity(offer)) is Publicity.HIDDEN:
        raise NotFound("Cette offre n’existe pas ou n’est plus en ligne.")
    board_query = back_to_results(_came_from(request), await _choices(request))
    similar = await similar_offers(request, offer)
    # One batch for the offer and its neighbours: two queries, whatever their number.
    marks = await marks_for(current_user(request), [offer, *similar], today())
    settings = request.app.state.settings
    return templates().page(
        request,
        "offers/detail.html",
        {
            "offer": offer,
            "expired": standing is Publicity.EXPIRED,
            "closed": standing is Publicity.CLOSED,
            "can_apply": standing is Publicity.OPEN,
            "diploma": diploma_label(offer.min_diploma_level),
            "html": render_offer_texts(offer),
            "today": today(),
            **await offer_meta(request, offer),
            "offer_actions": True,
            "mark": marks.get(offer.id),
            "marks": marks,
            "similar": similar,
            "board_query": board_query,
            "back_url": "/offres" + (f"?{board_query}" if board_query else "")
            if board_query is not None
            else None,
            "offer_url": f"{settings.base_url}/offres/{offer.id}",
        },
    )

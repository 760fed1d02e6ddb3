"""Board pages kept per index state for visitors without a session (jobboard.web.page_cache)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import time_machine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse

from jobboard import clock
from jobboard.search.searcher import SearchRequest, SearchService
from jobboard.services.offer_import import import_offers
from jobboard.web.page_cache import PageCache
from tests.conftest import index_now, log_in, make_user, offer_row, post_form


@pytest.fixture
def searches(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The board searches that ran (their words), to tell a rendered page from a kept one:
    each one answered, in a thread or on the event loop (`SearchService.search_held`)."""
    ran: list[str] = []
    original = SearchService._search_in

    def counting(self: SearchService, snap: object, request: SearchRequest) -> object:
        found = original(self, snap, request)  # type: ignore[arg-type]
        ran.append(request.q)
        return found

    monkeypatch.setattr(SearchService, "_search_in", counting)
    return ran


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the functions handed to a worker thread (`anyio.to_thread.run_sync`)."""
    import anyio.to_thread

    handed: list[str] = []
    run_sync = anyio.to_thread.run_sync

    async def counting(function: Any, *args: Any, **kwargs: Any) -> Any:
        handed.append(getattr(function, "__name__", ""))
        return await run_sync(function, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    return handed


async def test_a_visitor_without_session_gets_the_same_page_without_a_new_search(
    client: httpx.AsyncClient, demo: None, searches: list[str]
) -> None:
    first = await client.get("/offres?q=patrimoine")
    again = await client.get("/offres?q=patrimoine")
    assert first.status_code == again.status_code == 200
    assert again.text == first.text and searches == ["patrimoine"]
    assert again.headers["content-type"] == "text/html; charset=utf-8"
    assert "x-content-type-options" in again.headers  # the middleware still adds its headers
    home = [await client.get("/") for _ in range(2)]
    assert home[0].text == home[1].text and len(searches) == 2
    # Another address, a fragment, another page: each rendered once.
    await client.get("/offres?q=patrimoine&page=1")
    await client.get("/offres?q=patrimoine", headers={"HX-Request": "true"})
    fragment = await client.get("/offres?q=patrimoine", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and len(searches) == 4


async def test_a_change_to_the_index_shows_at_once(
    client: httpx.AsyncClient, app: Starlette, searches: list[str]
) -> None:
    assert "Offre toute neuve" not in (await client.get("/offres")).text
    await import_offers([offer_row(title="Offre toute neuve")], today=clock.today())
    await index_now(app)
    assert "Offre toute neuve" in (await client.get("/offres")).text
    assert len(searches) == 2


async def test_the_next_day_renders_anew(
    client: httpx.AsyncClient, demo: None, searches: list[str]
) -> None:
    await client.get("/offres")
    with time_machine.travel(clock.now() + timedelta(days=1), tick=False):
        await client.get("/offres")
    assert len(searches) == 2


async def test_signed_in_users_and_visitors_with_a_session_never_share_a_page(
    client: httpx.AsyncClient, demo: None, searches: list[str]
) -> None:
    anonymous = (await client.get("/offres")).text
    await make_user(email="lea@example.fr", full_name="Léa Martin")
    await log_in(client, "lea@example.fr")
    signed_in = (await client.get("/offres")).text
    assert "Léa Martin" in signed_in and "Léa Martin" not in anonymous
    assert 'name="csrf_token"' in signed_in  # her « Sauvegarder » forms, with her token
    assert len(searches) == 2
    (await client.get("/offres")).raise_for_status()
    assert len(searches) == 3  # rendered for her each time
    client.cookies.clear()
    assert (await client.get("/offres")).text == anonymous and len(searches) == 3


async def test_a_flash_message_is_shown_on_a_page_that_was_kept(
    client: httpx.AsyncClient, demo: None
) -> None:
    await client.get("/")
    await make_user(email="lea@example.fr")
    await log_in(client, "lea@example.fr")
    await post_form(client, "/deconnexion", {}, token_from="/")
    page = await client.get("/")
    assert "Vous êtes déconnecté(e)." in page.text


def _page(body: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status_code)


def _request() -> Request:
    return Request({"type": "http", "method": "GET", "path": "/offres", "headers": []})


def test_the_cache_is_bounded_in_pages_and_bytes_least_recently_used_first() -> None:
    cache = PageCache(max_pages=3, max_bytes=10)
    for key in "abc":
        cache.put(key, _page("xx"))
    assert cache.get("a") is not None  # now the most recent
    cache.put("d", _page("xx"))
    assert len(cache) == 3 and cache.get("b") is None and cache.get("a") is not None
    cache.put("e", _page("x" * 6))  # 2 + 2 + 2 + 6 > 10 bytes: the oldest leave
    assert cache.bytes <= 10 and cache.get("e") is not None and cache.get("c") is None
    cache.put("big", _page("x" * 11))  # larger than the whole budget: never kept
    assert cache.get("big") is None and cache.bytes <= 10


def test_only_successful_pages_are_kept_and_each_answer_has_its_own_headers() -> None:
    cache = PageCache()
    cache.put("missing", _page("absente", 404))
    assert cache.get("missing") is None
    cache.put("page", _page("présente"))
    kept = cache.get("page")
    assert kept is not None
    first, second = kept.response(_request()), kept.response(_request())
    first.headers["X-Frame-Options"] = "DENY"
    assert "x-frame-options" not in second.headers and second.body == "présente".encode()


async def test_a_search_the_index_snapshot_holds_skips_the_worker_thread(
    client: httpx.AsyncClient, demo: None, monkeypatch: pytest.MonkeyPatch, hops: list[str]
) -> None:
    hx = {"HX-Request": "true"}
    first = await client.get("/offres?q=patrimoine", headers=hx)
    assert first.status_code == 200 and hops.count("search") == 1  # postings read in a thread
    # The same words in the other orders, and narrowed to one kind: answered on the loop, as
    # the thread answers them (asked again at another address, not to get the kept page).
    for query in ("q=patrimoine&tri=date", "q=patrimoine&tri=echeance", "q=patrimoine&type=vta"):
        held = await client.get(f"/offres?{query}", headers=hx)
        assert held.status_code == 200 and hops.count("search") == 1, query
        with monkeypatch.context() as patch:
            patch.setattr(SearchService, "search_held", lambda self, request: None)
            threaded = await client.get(f"/offres?{query}&page=1", headers=hx)
        assert hops.count("search") == 2, query
        hops.remove("search")
        address = quote(f"/offres?{query}")
        assert threaded.text.replace(quote("&page=1", safe=""), "") == held.text, query
        assert address in held.text  # the cards' « Sauvegarder » links come back here
    # A word not yet searched needs its postings: in a thread again.
    assert (await client.get("/offres?q=halles", headers=hx)).status_code == 200
    assert hops.count("search") == 2


async def test_requests_arriving_together_look_at_the_index_once(
    client: httpx.AsyncClient, app: Starlette, demo: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import anyio

    looks: list[int] = []
    version = SearchService.version

    def slow_version(self: SearchService) -> int:
        looks.append(1)
        time.sleep(0.05)  # the others arrive while this one looks
        return version(self)

    await client.get("/offres")
    monkeypatch.setattr(SearchService, "version", slow_version)
    service: SearchService = app.state.search
    service.store.apply([], deleted_ids=[])  # a commit by this process: the index is looked at
    assert service.recent_version() is None
    paths = [
        f"/offres?q=patrimoine&tri={sort}&type={kind}"
        for sort in ("pertinence", "date", "echeance")
        for kind in ("", "vta", "chef_de_projet")
    ]
    answers: list[httpx.Response] = []
    async with anyio.create_task_group() as group:
        for path in paths:
            group.start_soon(_append, answers, client.get(path))
    assert [answer.status_code for answer in answers] == [200] * len(paths)
    assert len(looks) == 1


async def _append(answers: list[httpx.Response], request: Any) -> None:
    answers.append(await request)


async def test_new_words_asked_at_once_are_read_by_one_request_the_others_wait_on_the_loop(
    client: httpx.AsyncClient, demo: None, monkeypatch: pytest.MonkeyPatch, hops: list[str]
) -> None:
    import anyio

    search = SearchService.search

    def slow_search(self: SearchService, request: SearchRequest) -> Any:
        time.sleep(0.05)  # the other requests arrive meanwhile
        return search(self, request)

    monkeypatch.setattr(SearchService, "search", slow_search)
    await client.get("/offres")
    hx = {"HX-Request": "true"}
    queries = [f"q=halles&tri={sort}&type={kind}" for sort in ("date", "echeance", "pertinence")
               for kind in ("", "vta")]  # fmt: skip
    answers: dict[str, httpx.Response] = {}

    async def ask(query: str) -> None:
        answers[query] = await client.get(f"/offres?{query}", headers=hx)

    hops.clear()
    async with anyio.create_task_group() as group:
        for query in queries:
            group.start_soon(ask, query)
    assert hops.count("slow_search") == 1
    # Each answered as the thread answers it alone.
    for query in queries:
        with monkeypatch.context() as patch:
            patch.setattr(SearchService, "search_held", lambda self, request: None)
            threaded = await client.get(f"/offres?{query}&page=1", headers=hx)
        assert answers[query].status_code == threaded.status_code == 200
        assert threaded.text.replace(quote("&page=1", safe=""), "") == answers[query].text


async def test_waiting_for_another_search_leaves_the_event_loop_free() -> None:
    import asyncio
    import threading

    from jobboard.search.reads import Finding
    from jobboard.web.board import finished

    finding: Finding[str] = Finding()
    threading.Timer(0.05, finding.finish, args=("found",)).start()
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    ticker = asyncio.create_task(tick())
    await asyncio.wait_for(finished(finding), 5)
    ticker.cancel()
    assert finding.found == "found" and ticks >= 5
    # A wait given up (the request cancelled) leaves the search that finds it unharmed.
    other: Finding[str] = Finding()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(finished(other), 0.01)
    await asyncio.to_thread(other.finish, "found")
    await finished(other)  # done already: at once

"""The index follows the database: change rows, the background loop, rebuilds and crashes."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from starlette.applications import Starlette

from jobboard import clock
from jobboard.domain.errors import Refused
from jobboard.models import Offer, SearchChange, SearchState
from jobboard.search import indexer as indexer_module
from jobboard.search import store as store_module
from jobboard.search.indexer import Indexer
from jobboard.search.searcher import SearchRequest
from jobboard.search.store import IndexStore
from jobboard.services.offer_editing import close_offer
from jobboard.services.offer_import import import_offers
from jobboard.services.visibility import visible_offers
from jobboard.settings import Settings
from tests.conftest import approve, index_now, make_user, offer_row
from tests.test_cli import run


def titles(app: Starlette, q: str) -> list[str]:
    return [h.title for h in app.state.search.search(SearchRequest(q=q)).hits]


async def assert_clean(app: Starlette) -> None:
    check = await app.state.indexer.check()
    assert check.clean, (check.missing, check.extra)


async def _wait_until(predicate: Callable[[], bool], limit: float = 30.0) -> None:
    """Waits for the background loop, generously: a busy machine is slow, not wrong. How fast
    the loop is, is measured by benchmarks/index_latency.py, not asserted here."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if predicate():
            return
        await anyio.sleep(0.02)
    raise AssertionError(f"not true after {limit} s")


async def test_the_background_loop_indexes_an_approved_offer_and_drops_a_closed_one(
    app: Starlette, settings: Settings
) -> None:
    row = offer_row(title="Chargé de mission halles gourmandes", status="submitted")
    offer_id = (await import_offers([row], today=clock.today())).created[0]
    recruiter = await make_user("recruiter", "rh@espinasses.fr", commune="05050")
    await index_now(app)
    assert titles(app, "halles gourmandes") == []  # submitted offers are not public
    async with anyio.create_task_group() as loop:
        loop.start_soon(app.state.indexer.run_forever, 0.1)
        await approve(offer_id, settings)
        await _wait_until(lambda: titles(app, "halles gourmandes") != [])
        await close_offer(recruiter, offer_id, "pourvu", settings)
        await _wait_until(lambda: titles(app, "halles gourmandes") == [])
        loop.cancel_scope.cancel()
    await assert_clean(app)


async def test_changes_of_a_published_offer_write_a_change_row_and_refusals_write_nothing(
    app: Starlette, settings: Settings
) -> None:
    row = offer_row(status="submitted")
    offer_id = (await import_offers([row], today=clock.today())).created[0]
    recruiter = await make_user("recruiter", "rh@espinasses.fr", commune="05050")
    before = await SearchChange.all().count()
    await approve(offer_id, settings)
    assert await SearchChange.filter(offer_id=offer_id).count() == before + 1
    with pytest.raises(Refused):
        await approve(offer_id, settings)
    assert await SearchChange.all().count() == before + 1
    await close_offer(recruiter, offer_id, "annule", settings)
    assert await SearchChange.filter(offer_id=offer_id).count() == before + 2
    offer = await Offer.get(id=offer_id)
    assert offer.status == "closed" and offer.version == 3


async def test_applying_changes_twice_or_out_of_order_is_harmless(app: Starlette) -> None:
    created = (
        await import_offers(
            [offer_row(title=f"Mission numéro {i} médiathèque") for i in range(3)],
            today=clock.today(),
        )
    ).created
    indexer = app.state.indexer
    assert await indexer.apply_pending() == 3
    assert await indexer.apply_pending() == 0
    # Id top+2 commits after id top+5 was applied (PostgreSQL sequences commit out of
    # order): it is below a row already seen, and still applied.
    top = max(await SearchChange.all().values_list("id", flat=True))
    await SearchChange.create(id=top + 5, offer_id=created[0])
    assert await indexer.apply_pending() == 1
    await Offer.filter(id=created[1]).update(status="closed")
    await SearchChange.create(id=top + 2, offer_id=created[1])
    assert await indexer.apply_pending() == 1
    assert len(titles(app, "médiathèque")) == 2
    # A fresh indexer (a restart) re-reads the window and re-applies it without harm.
    app.state.indexer.__init__(app.state.indexer.store, visible_offers)
    await app.state.indexer.apply_pending()
    await assert_clean(app)
    assert (await SearchState.get(replica=indexer.replica)).last_change_id <= top + 5


INDEXER_LOG = "jobboard.search.indexer"


async def test_a_missing_or_corrupted_index_is_rebuilt_from_the_database(
    app: Starlette, caplog: pytest.LogCaptureFixture
) -> None:
    await import_offers([offer_row(title="Archiviste du patrimoine")], today=clock.today())
    await index_now(app)
    store = app.state.indexer.store
    app.state.search.close()
    for path in store.current.resolve().iterdir():
        path.write_bytes(b"garbage")
    assert not store.is_usable()
    caplog.set_level(logging.INFO, logger=INDEXER_LOG)
    assert await app.state.indexer.ensure_ready() is True
    assert [(r.levelno, r.getMessage()) for r in caplog.records if r.name == INDEXER_LOG] == [
        (logging.WARNING, "Index de recherche illisible : reconstruction à partir de la base.")
    ]
    assert titles(app, "archiviste") == ["Archiviste du patrimoine"]
    await assert_clean(app)
    assert await app.state.indexer.ensure_ready() is False


async def test_reindex_swaps_in_a_new_generation(app: Starlette) -> None:
    await import_offers(
        [offer_row(title="Urbaniste"), offer_row(title="Paysagiste")], today=clock.today()
    )
    old = app.state.indexer.store.generation()
    assert await app.state.indexer.rebuild() == 2
    assert app.state.indexer.store.generation() != old
    assert titles(app, "paysagiste") == ["Paysagiste"]  # the searcher follows the swap
    assert not (app.state.indexer.store.directory / old).exists()


CRASHING_INDEXER = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from tortoise import Tortoise
    from jobboard.search.indexer import Indexer
    from jobboard.search.store import IndexStore
    from jobboard.services.visibility import visible_offers
    from jobboard.settings import Settings, tortoise_config

    async def main() -> None:
        settings = Settings.from_env()
        await Tortoise.init(config=tortoise_config(settings.database_url))
        indexer = Indexer(IndexStore(settings.index_dir), visible_offers)
        if len(sys.argv) > 1:
            indexer.crash_after = int(sys.argv[1])
        await indexer.apply_pending()
        await Tortoise.close_connections()

    asyncio.run(main())
    """
)


def test_an_indexer_killed_midway_leaves_a_consistent_index_after_restart(
    tmp_path: Path, reference_dir: Path
) -> None:
    assert run(tmp_path, "migrate").returncode == 0
    assert run(tmp_path, "import-communes", "--dir", str(reference_dir)).returncode == 0
    assert (
        run(tmp_path, "import-density", str(reference_dir / "density_sample.csv")).returncode == 0
    )
    assert run(tmp_path, "reindex").returncode == 0  # an empty index
    offers = tmp_path / "offers.json"
    offers.write_text(json.dumps([offer_row(title=f"Poste {i}") for i in range(6)]))
    assert run(tmp_path, "import-offers", str(offers)).returncode == 0
    env = {"JOBBOARD_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    killed = subprocess.run(
        [sys.executable, "-c", CRASHING_INDEXER, "3"], env=env, capture_output=True, timeout=60
    )
    assert killed.returncode == 9, killed.stderr
    assert run(tmp_path, "check-index").returncode == 1  # nothing was committed
    restarted = subprocess.run(
        [sys.executable, "-c", CRASHING_INDEXER], env=env, capture_output=True, timeout=60
    )
    assert restarted.returncode == 0, restarted.stderr
    check = run(tmp_path, "check-index")
    assert check.returncode == 0, check.stdout


async def test_the_first_start_builds_the_index_with_a_calm_french_notice(
    db: None, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    indexer = Indexer(IndexStore(tmp_path / "index"), visible_offers)  # nothing on disk yet
    caplog.set_level(logging.INFO, logger=INDEXER_LOG)
    assert await indexer.ensure_ready() is True
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.INFO, "Premier démarrage : création de l’index de recherche à partir de la base.")
    ]
    assert indexer.store.is_usable()


# One indexer and one builder per index directory; progress kept per chunk (issue 12, point 6).


async def test_each_host_s_replica_follows_the_changes_at_its_own_pace(
    db: None, tmp_path: Path
) -> None:
    """Two hosts, one database: each applies the shared change rows to its own index
    directory with its own watermark; one host's progress never counts for the other."""
    hosts = [Indexer(IndexStore(tmp_path / name / "index"), visible_offers) for name in "ab"]
    assert hosts[0].replica != hosts[1].replica
    for host in hosts:
        await host.rebuild()
    created = await import_offers([offer_row(title="Archiviste")], today=clock.today())
    assert [await host.pending() for host in hosts] == [1, 1]
    await hosts[0].apply_pending()
    assert [await host.pending() for host in hosts] == [0, 1]
    assert created.created[0] in hosts[0].store.ids()
    assert created.created[0] not in hosts[1].store.ids()
    await hosts[1].apply_pending()
    assert [await host.pending() for host in hosts] == [0, 0]
    assert all(created.created[0] in host.store.ids() for host in hosts)
    states = await SearchState.all().values_list("replica", flat=True)
    assert {host.replica for host in hosts} <= set(states)


async def test_every_process_of_a_host_sees_the_lag_its_worker_leaves(
    db: None, tmp_path: Path
) -> None:
    """A web worker of `serve --no-background` applies no change itself: `/sante` there must
    read the lag from what the host's `jobboard worker` recorded, not report every row of the
    last five minutes (the watermark's safety lag) as waiting."""
    worker = Indexer(IndexStore(tmp_path / "index"), visible_offers)
    web = Indexer(IndexStore(tmp_path / "index"), visible_offers)
    assert web.replica == worker.replica
    await worker.rebuild()
    created = await import_offers([offer_row(title="Archiviste")], today=clock.today())
    assert (await web.lag())[0] == 1
    await worker.apply_pending()
    assert await web.lag() == (0, 0.0)
    await import_offers([offer_row(title="Urbaniste")], today=clock.today())
    assert (await web.lag())[0] == 1
    await worker.apply_pending()
    assert await web.lag() == (0, 0.0) == await worker.lag()
    # A row made while the pass was starting (its time after the pass began) and read by it
    # is applied too: the lag is not stuck on it until the next change.
    late = await SearchChange.create(offer_id=created.created[0])
    await SearchChange.filter(id=late.id).update(created_at=clock.now() + timedelta(seconds=2))
    await worker.apply_pending()
    assert await web.lag() == (0, 0.0)


async def test_one_indexer_loop_runs_per_index_directory(app: Starlette) -> None:
    """Two processes' indexers on one directory (two lock descriptors behave as two processes):
    one applies changes, the other only waits to take over."""
    first = app.state.indexer
    second = Indexer(IndexStore(first.store.directory), visible_offers)
    passes = {"first": 0, "second": 0}

    def counting(indexer: Indexer, name: str) -> None:
        apply = indexer.apply_pending

        async def counted() -> int:
            passes[name] += 1
            return await apply()

        indexer.apply_pending = counted  # type: ignore[method-assign]

    counting(first, "first")
    counting(second, "second")
    await import_offers([offer_row(title="Régisseur de la halle")], today=clock.today())
    async with anyio.create_task_group() as loops:
        loops.start_soon(first.run_forever, 0.05, 0.05)
        await _wait_until(lambda: first.loop_lock.held, limit=10)
        loops.start_soon(second.run_forever, 0.05, 0.05)
        await _wait_until(lambda: titles(app, "régisseur") != [], limit=10)
        await _wait_until(lambda: passes["first"] > 5, limit=10)
        loops.cancel_scope.cancel()
    assert passes["second"] == 0 and not second.loop_lock.held
    assert not first.loop_lock.held  # released when its loop ended: another may take over
    assert second.loop_lock.acquire()
    second.loop_lock.release()


async def test_two_processes_starting_on_a_missing_index_build_it_once(app: Starlette) -> None:
    await import_offers([offer_row(title=f"Poste {i}") for i in range(3)], today=clock.today())
    directory = app.state.indexer.store.directory
    app.state.search.close()
    shutil.rmtree(directory)
    first = Indexer(IndexStore(directory), visible_offers)
    second = Indexer(IndexStore(directory), visible_offers)
    with anyio.fail_after(60):
        built = await asyncio.gather(first.ensure_ready(), second.ensure_ready())
    assert sorted(built) == [False, True]  # one built, the other waited and found it built
    assert len(list(directory.glob("gen-*"))) == 1
    await assert_clean(app)


@pytest.mark.parametrize("workers", [1, 2], ids=["in-process", "worker-processes"])
async def test_a_failed_rebuild_resumes_from_its_last_committed_chunk(
    app: Starlette, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    await import_offers([offer_row(title=f"Poste {i}") for i in range(6)], today=clock.today())
    monkeypatch.setattr(indexer_module, "BUILD_CHUNK", 2)
    # With workers, the chunks under way when reading fails are still committed.
    monkeypatch.setattr(store_module, "PARALLEL_FROM", 2)
    app.state.indexer.store.workers = workers
    before = app.state.indexer.store.generation()
    built: list[int] = []
    document = indexer_module.offer_document

    def failing_on_the_fifth(offer: Offer) -> dict[str, Any]:
        if len(built) == 4:
            raise OSError("disk full")
        built.append(offer.id)
        return document(offer)

    monkeypatch.setattr(indexer_module, "offer_document", failing_on_the_fifth)
    with anyio.fail_after(60), pytest.raises(OSError, match="disk full"):
        await app.state.indexer.rebuild()
    assert app.state.indexer.store.generation() == before  # nothing half-built swapped in
    assert titles(app, "poste") == []

    resumed: list[int] = []

    def counting(offer: Offer) -> dict[str, Any]:
        resumed.append(offer.id)
        return document(offer)

    monkeypatch.setattr(indexer_module, "offer_document", counting)
    with anyio.fail_after(60):
        assert await app.state.indexer.rebuild() == 6
    ids = sorted(await Offer.all().values_list("id", flat=True))
    assert built == ids[:4] and resumed == ids[4:]  # the first two chunks were not read again
    assert len(list(app.state.indexer.store.directory.glob("gen-*"))) == 1
    await assert_clean(app)


async def test_a_cancelled_rebuild_stops_promptly_and_resumes(
    app: Starlette, monkeypatch: pytest.MonkeyPatch
) -> None:
    await import_offers([offer_row(title=f"Poste {i}") for i in range(4)], today=clock.today())
    monkeypatch.setattr(indexer_module, "BUILD_CHUNK", 1)
    first_chunk = anyio.Event()
    document = indexer_module.offer_document

    def signalling(offer: Offer) -> dict[str, Any]:
        first_chunk.set()
        return document(offer)

    monkeypatch.setattr(indexer_module, "offer_document", signalling)
    with anyio.fail_after(60):  # generous: "stops", not "hangs"
        async with anyio.create_task_group() as group:
            group.start_soon(app.state.indexer.rebuild)
            await first_chunk.wait()
            group.cancel_scope.cancel()
        assert await app.state.indexer.rebuild() == 4
    await assert_clean(app)


async def test_a_failed_catch_up_pass_resumes_after_its_last_chunk(
    app: Starlette, monkeypatch: pytest.MonkeyPatch
) -> None:
    await import_offers([offer_row(title=f"Poste {i}") for i in range(6)], today=clock.today())
    monkeypatch.setattr(indexer_module, "CHUNK", 2)
    store = app.state.indexer.store
    applied: list[int] = []
    apply = store.apply

    def failing_once(documents: list[dict[str, Any]], deleted: list[str]) -> None:
        if len(applied) == 4 and not failing_once.failed:  # type: ignore[attr-defined]
            failing_once.failed = True  # type: ignore[attr-defined]
            raise TimeoutError("index write lock")
        applied.extend(int(d["id"]) for d in documents)
        apply(documents, deleted)

    failing_once.failed = False  # type: ignore[attr-defined]
    monkeypatch.setattr(store, "apply", failing_once)
    with pytest.raises(TimeoutError):
        await app.state.indexer.apply_pending()
    assert len(applied) == 4
    await app.state.indexer.apply_pending()
    assert len(applied) == 6 and len(set(applied)) == 6  # chunks one and two not redone
    await assert_clean(app)


async def test_the_board_answers_503_until_a_worker_has_built_the_index(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    """Web workers under JOBBOARD_BACKGROUND=worker do not build the index themselves."""
    await import_offers([offer_row(title="Archiviste")], today=clock.today())
    app.state.search.close()
    shutil.rmtree(app.state.indexer.store.directory)
    response = await client.get("/offres?q=archiviste")
    assert response.status_code == 503 and "momentanément indisponible" in response.text
    await Indexer(IndexStore(app.state.indexer.store.directory), visible_offers).ensure_ready()
    response = await client.get("/offres?q=archiviste")
    assert response.status_code == 200 and "Archiviste" in response.text

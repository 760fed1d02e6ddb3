"""Keeps the index in step with the database through the `search_change` table.

A change row only names an offer; applying it re-reads the offer and upserts or deletes its
document, so applying a row twice, or out of order, is harmless. PostgreSQL sequence ids can
become visible out of order (id 709 before 708), so the stored watermark is not "everything
below W is applied" but "every row created more than LAG ago and at or below W is applied":
each pass re-reads the rows above W and skips those this process already applied.

One process per index directory runs the incremental loop (it holds `indexer.lock`; the others
skip and try again later, so a dead holder is replaced), and one process at a time builds
(`build.lock`). Progress is kept per chunk: a catch-up pass that fails at chunk 9 resumes at
chunk 9, and an interrupted rebuild resumes from its last committed chunk.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

import anyio
import anyio.to_thread
from tortoise.queryset import QuerySet

from jobboard import metrics
from jobboard.clock import now, today
from jobboard.models import Offer, SearchChange, SearchState
from jobboard.search.schema import date_number, offer_document
from jobboard.search.store import BUILD_CHUNK, Build, DirectoryLock, IndexStore
from jobboard.settings import replica_name

log = logging.getLogger(__name__)
LAG = timedelta(minutes=5)
KEEP_CHANGES = timedelta(days=2)
CHUNK = 500
LOCK_POLL_SECONDS = 0.2
CLAIM_EVERY_SECONDS = 5.0
_RELATED = ("commune__departement", "organisation")


@dataclass
class IndexCheck:
    missing: list[int]
    extra: list[int]

    @property
    def clean(self) -> bool:
        return not self.missing and not self.extra


# The board's visibility rule (services.visibility.visible_offers): the index holds exactly
# these offers. It is passed in because the rule belongs to the services, above this layer.
VisibleOffers = Callable[[], QuerySet[Offer]]


class Indexer:
    """The single writer of one index replica; every method is safe to call twice."""

    def __init__(self, store: IndexStore, visible: VisibleOffers, replica: str = "") -> None:
        self.store = store
        self.visible = visible
        # Its watermark's name in `search_state`: one per host and index directory.
        self.replica = replica or replica_name(store.directory)
        self._applied: set[int] = set()
        self._generation: str | None = None
        self._swept_on: date | None = None
        # Test hook: stop the process after this many offers were written (crash testing).
        self.crash_after: int | None = None
        self.loop_lock = DirectoryLock(store.directory / "indexer.lock")
        self.build_lock = DirectoryLock(store.directory / "build.lock")

    async def _watermark(self) -> int:
        state = await SearchState.get_or_none(replica=self.replica)
        return state.last_change_id if state else 0

    async def _save_watermark(self, value: int, seen_at: datetime | None = None) -> None:
        await SearchState.update_or_create(
            defaults={"last_change_id": value, "seen_at": seen_at}, replica=self.replica
        )

    async def _safe_watermark(self, floor: int) -> int:
        """Highest change id old enough that no earlier id can still appear."""
        old = await (
            SearchChange.filter(id__gt=floor, created_at__lt=now() - LAG)
            .order_by("-id")
            .first()
            .values_list("id", flat=True)
        )
        return max(floor, int(cast(int, old or 0)))

    async def apply_pending(self) -> int:
        """Apply every change not yet applied; returns how many offers were re-indexed."""
        generation = self.store.generation()
        if generation != self._generation:  # a rebuild swapped the index: start afresh
            self._applied.clear()
            self._generation = generation
        watermark = await self._watermark()
        read = await (
            SearchChange.filter(id__gt=watermark)
            .order_by("id")
            .values_list("id", "offer_id", "created_at")
        )
        rows = [(cast(int, cid), cast(int, oid)) for cid, oid, _ in read]
        pending = [(cid, oid) for cid, oid in rows if cid not in self._applied]
        if pending:
            offer_ids = sorted({oid for _, oid in pending})
            for start in range(0, len(offer_ids), CHUNK):
                chunk = offer_ids[start : start + CHUNK]
                await self._reindex(chunk)
                # Checkpoint: a pass that fails later starts again after this chunk.
                done = set(chunk)
                self._applied.update(cid for cid, oid in pending if oid in done)
        safe = await self._safe_watermark(watermark)
        if pending or safe != watermark:
            # Every process of the host reads the lag from here (`lag`), not from `_applied`:
            # the rows made up to the newest one read are applied. (One made earlier but not
            # yet committed is counted applied until the next pass reads it, a moment later.)
            newest = max((cast(datetime, at) for _, _, at in read), default=None)
            await self._save_watermark(safe, seen_at=newest)
            self._applied = {cid for cid in self._applied if cid > safe}
        return len({oid for _, oid in pending})

    async def _reindex(self, offer_ids: list[int]) -> None:
        offers = await self.visible().filter(id__in=offer_ids).prefetch_related(*_RELATED)
        documents = [offer_document(o) for o in offers]
        deleted = [str(i) for i in set(offer_ids) - {o.id for o in offers}]
        if self.crash_after is not None and len(documents) > self.crash_after:
            await anyio.to_thread.run_sync(self._crash_midway, documents)
        await anyio.to_thread.run_sync(self.store.apply, documents, deleted)

    def _crash_midway(self, documents: list[dict[str, Any]]) -> None:
        ix = self.store.open()
        writer = ix.writer(timeout=30)
        for document in documents[: self.crash_after]:
            writer.update_document(**document)
        os._exit(9)  # as if killed: no commit, no cleanup

    async def sweep_expired(self, on: date | None = None) -> int:
        """Drop offers whose deadline passed; once a day is enough (the rule is by date)."""
        day = on or today()
        if self._swept_on == day:
            return 0
        count = await anyio.to_thread.run_sync(self.store.delete_expired, date_number(day))
        self._swept_on = day
        await SearchChange.filter(created_at__lt=now() - KEEP_CHANGES).delete()
        return count

    @asynccontextmanager
    async def _building(self) -> AsyncIterator[None]:
        """Hold build.lock: wait (cancellably) while another process builds."""
        waited = False
        while not self.build_lock.acquire():  # never blocks: safe on the event loop
            if not waited:
                log.info("another process is building the search index: waiting for it")
                waited = True
            await anyio.sleep(LOCK_POLL_SECONDS)
        try:
            yield
        finally:
            self.build_lock.release()

    async def rebuild(self, progress: Callable[[], None] | None = None) -> int:
        """Rebuild the replica from the database (never from itself) and swap it in; resumes an
        interrupted rebuild from its last committed chunk."""
        async with self._building():
            return await self._rebuild(progress)

    async def _rebuild(self, progress: Callable[[], None] | None) -> int:
        build = await anyio.to_thread.run_sync(
            self.store.resume_build, KEEP_CHANGES.total_seconds() / 2
        )
        if build is None:
            started = await SearchChange.all().order_by("-id").first().values_list("id", flat=True)
            floor = await self._safe_watermark(0) if started else 0
            build = await anyio.to_thread.run_sync(self.store.start_build, floor)
        else:
            log.info("resuming the index rebuild after offer %d", build.last_id)
        shown = 0

        def show_progress() -> None:  # one step per offer committed (the chunks already in too)
            nonlocal shown
            if progress:
                for _ in range(build.count - shown):
                    progress()
            shown = build.count

        show_progress()
        remaining = self.visible().filter(id__gt=build.last_id).order_by("id")
        ids = [cast(int, i) for i in await remaining.values_list("id", flat=True)]
        try:
            for start in range(0, len(ids), BUILD_CHUNK):
                await self._build_chunk(build, ids[start : start + BUILD_CHUNK])
                show_progress()
            count = await anyio.to_thread.run_sync(build.finish)
            show_progress()
        finally:
            # Even when cancelled: the workers' chunks under way are waited for (and kept).
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(build.close)
        await self._save_watermark(build.floor)
        self._applied.clear()
        self._generation = self.store.generation()
        self._swept_on = today()
        return count

    async def _build_chunk(self, build: Build, chunk_ids: list[int]) -> None:
        documents: list[dict[str, Any]] = []
        for start in range(0, len(chunk_ids), CHUNK):
            part = chunk_ids[start : start + CHUNK]
            offers = await Offer.filter(id__in=part).prefetch_related(*_RELATED)
            documents.extend(offer_document(o) for o in offers)
        # Written in this thread or handed to a worker (see Build.add): cancelling waits for
        # at most the chunks under way, never hangs.
        await anyio.to_thread.run_sync(build.add, documents, chunk_ids[-1])

    async def ensure_ready(self) -> bool:
        """Rebuild a missing or unreadable index; True when this process rebuilt it. Several
        processes may call it at once: one builds, the others wait and then find it built."""
        if await anyio.to_thread.run_sync(self.store.is_usable):
            return False
        async with self._building():
            if await anyio.to_thread.run_sync(self.store.is_usable):
                return False  # built by another process while this one waited
            # Operator-facing lines, in French like the rest of `serve`'s output. No index yet
            # is the normal first start, not a problem.
            if self.store.generation() is None:
                log.info(
                    "Premier démarrage : création de l’index de recherche à partir de la base."
                )
            elif await anyio.to_thread.run_sync(self.store.is_readable):
                log.info(
                    "Index de recherche d’une version précédente : reconstruction à "
                    "partir de la base."
                )
            else:
                log.warning("Index de recherche illisible : reconstruction à partir de la base.")
            await self._rebuild(None)
        return True

    async def pending(self) -> int:
        """Change rows not applied yet by this replica (the index lag, in offers)."""
        return (await self.lag())[0]

    async def lag(self) -> tuple[int, float]:
        """(change rows not applied yet by this replica, seconds since the oldest was made), as
        any process of the host sees it: the rows above the watermark made after the replica's
        last pass read the table (and not applied since by this process, if it is the one that
        applies them)."""
        state = await SearchState.get_or_none(replica=self.replica)
        rows_above = SearchChange.filter(id__gt=state.last_change_id if state else 0)
        if state is not None and state.seen_at is not None:
            rows_above = rows_above.filter(created_at__gt=state.seen_at)
        rows = await rows_above.values_list("id", "created_at")
        waiting = [cast(datetime, at) for cid, at in rows if cast(int, cid) not in self._applied]
        if not waiting:
            return 0, 0.0
        return len(waiting), max(0.0, (now() - min(waiting)).total_seconds())

    async def check(self) -> IndexCheck:
        usable = await anyio.to_thread.run_sync(self.store.is_usable)
        indexed = await anyio.to_thread.run_sync(self.store.ids) if usable else set()
        visible = {cast(int, i) for i in await self.visible().values_list("id", flat=True)}
        return IndexCheck(missing=sorted(visible - indexed), extra=sorted(indexed - visible))

    async def run_forever(
        self, interval: float = 0.5, claim_every: float = CLAIM_EVERY_SECONDS
    ) -> None:
        """The background loop of `serve` / `worker`: apply changes, sweep expiries. Only the
        process holding indexer.lock runs it; the others try to take over every `claim_every`
        seconds (the holder may have died)."""
        try:
            while True:
                if not self.loop_lock.acquire():  # never blocks
                    await anyio.sleep(claim_every)
                    continue
                log.info("process %d indexes %s", os.getpid(), self.store.directory)
                await self._index_forever(interval)
        finally:
            self.loop_lock.release()

    async def _index_forever(self, interval: float) -> None:
        ready = False
        while True:
            try:
                with metrics.job_round("index"):
                    if not ready:
                        await self.ensure_ready()
                        ready = True
                    await self.apply_pending()
                    await self.sweep_expired()
            except Exception:
                log.exception("search indexer pass failed; retrying")
                ready = False  # the index may be gone: check it again first
            await anyio.sleep(interval)

"""Keeps the index in step with the database through the `search_change` table.

A change row only names an offer; applying it re-reads the offer and upserts or deletes its
document, so applying a row twice, or out of order, is harmless. PostgreSQL sequence ids can
become visible out of order (id 709 before 708), so the stored watermark is not "everything
below W is applied" but "every row created more than LAG ago and at or below W is applied":
each pass re-reads the rows above W and skips those this process already applied.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

import anyio
import anyio.to_thread

from jobboard.clock import now, today
from jobboard.models import Offer, SearchChange, SearchState
from jobboard.search.schema import date_number, offer_document
from jobboard.search.store import IndexStore
from jobboard.services.visibility import visible_offers

log = logging.getLogger(__name__)
LAG = timedelta(minutes=5)
KEEP_CHANGES = timedelta(days=2)
CHUNK = 500
_RELATED = ("commune__departement", "organisation")


@dataclass
class IndexCheck:
    missing: list[int]
    extra: list[int]

    @property
    def clean(self) -> bool:
        return not self.missing and not self.extra


class Indexer:
    """The single writer of one index replica; every method is safe to call twice."""

    def __init__(self, store: IndexStore, replica: str = "default") -> None:
        self.store = store
        self.replica = replica
        self._applied: set[int] = set()
        self._generation: str | None = None
        self._swept_on: date | None = None
        # Test hook: stop the process after this many offers were written (crash testing).
        self.crash_after: int | None = None

    async def _watermark(self) -> int:
        state = await SearchState.get_or_none(replica=self.replica)
        return state.last_change_id if state else 0

    async def _save_watermark(self, value: int) -> None:
        await SearchState.update_or_create(defaults={"last_change_id": value}, replica=self.replica)

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
        rows = (
            await SearchChange.filter(id__gt=watermark).order_by("id").values_list("id", "offer_id")
        )
        pending = [(cid, oid) for cid, oid in rows if cid not in self._applied]
        if pending:
            offer_ids = sorted({oid for _, oid in pending})
            for start in range(0, len(offer_ids), CHUNK):
                await self._reindex(offer_ids[start : start + CHUNK])
            self._applied.update(cid for cid, _ in pending)
        safe = await self._safe_watermark(watermark)
        if safe != watermark:
            await self._save_watermark(safe)
            self._applied = {cid for cid in self._applied if cid > safe}
        return len({oid for _, oid in pending})

    async def _reindex(self, offer_ids: list[int]) -> None:
        offers = await visible_offers().filter(id__in=offer_ids).prefetch_related(*_RELATED)
        documents = [offer_document(o) for o in offers]
        deleted = [str(i) for i in set(offer_ids) - {o.id for o in offers}]
        if self.crash_after is not None and len(documents) > self.crash_after:
            await anyio.to_thread.run_sync(self._crash_midway, documents)
        await anyio.to_thread.run_sync(self.store.apply, documents, deleted)

    def _crash_midway(self, documents: list[dict[str, Any]]) -> None:
        import os

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

    async def rebuild(self, progress: Callable[[], None] | None = None) -> int:
        """Rebuild the replica from the database (never from itself) and swap it in."""
        started = await SearchChange.all().order_by("-id").first().values_list("id", flat=True)
        floor = await self._safe_watermark(0) if started else 0
        ids = await visible_offers().order_by("id").values_list("id", flat=True)
        chunks: queue.Queue[list[dict[str, Any]] | None] = queue.Queue(maxsize=4)
        failed = threading.Event()

        def documents() -> Iterator[dict[str, Any]]:
            while (chunk := chunks.get()) is not None:
                yield from chunk

        async def produce() -> None:
            try:
                for start in range(0, len(ids), CHUNK):
                    if failed.is_set():
                        return
                    chunk_ids = ids[start : start + CHUNK]
                    offers = await Offer.filter(id__in=chunk_ids).prefetch_related(*_RELATED)
                    batch = [offer_document(o) for o in offers]
                    await anyio.to_thread.run_sync(chunks.put, batch)
            finally:
                await anyio.to_thread.run_sync(chunks.put, None)

        def build() -> int:
            try:
                return self.store.rebuild(documents(), progress)
            except BaseException:
                failed.set()
                while chunks.get() is not None:  # let the producer finish
                    pass
                raise

        count = 0

        async def consume() -> None:
            nonlocal count
            count = await anyio.to_thread.run_sync(build)

        async with anyio.create_task_group() as group:
            group.start_soon(produce)
            group.start_soon(consume)
        await self._save_watermark(floor)
        self._applied.clear()
        self._generation = self.store.generation()
        self._swept_on = today()
        return count

    async def ensure_ready(self) -> bool:
        """Rebuild a missing or unreadable index; True when a rebuild happened."""
        usable = await anyio.to_thread.run_sync(self.store.is_usable)
        if usable:
            return False
        # Operator-facing lines, in French like the rest of `serve`'s output. No index yet is
        # the normal first start, not a problem.
        if self.store.generation() is None:
            log.info("Premier démarrage : création de l'index de recherche à partir de la base.")
        else:
            log.warning("Index de recherche illisible : reconstruction à partir de la base.")
        await self.rebuild()
        return True

    async def pending(self) -> int:
        """Change rows not applied yet by this process (the index lag, in offers)."""
        watermark = await self._watermark()
        rows = await SearchChange.filter(id__gt=watermark).values_list("id", flat=True)
        return len({cast(int, cid) for cid in rows} - self._applied)

    async def check(self) -> IndexCheck:
        usable = await anyio.to_thread.run_sync(self.store.is_usable)
        indexed = await anyio.to_thread.run_sync(self.store.ids) if usable else set()
        visible = {cast(int, i) for i in await visible_offers().values_list("id", flat=True)}
        return IndexCheck(missing=sorted(visible - indexed), extra=sorted(indexed - visible))

    async def run_forever(self, interval: float = 0.5) -> None:
        """The background loop of `serve` / `worker`: apply changes, sweep expiries."""
        while True:
            try:
                await self.apply_pending()
                await self.sweep_expired()
            except Exception:
                log.exception("search indexer pass failed; retrying")
            await anyio.sleep(interval)

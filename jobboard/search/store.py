"""The on-disk index: generations swapped atomically, one writer at a time.

`<dir>/current` is a symlink to a generation directory. A rebuild writes a new generation and
replaces the symlink with `os.replace` (atomic), so readers see the old index or the new one,
never half of one. A rebuild commits chunk by chunk and records its progress in the generation
(`build.json`), so a failed or interrupted rebuild resumes where it stopped. A large rebuild writes
its chunks in worker processes, each chunk a segment of its own, and adds them to the index in
chunk order. Incremental updates go through `writer(timeout=…)` (never AsyncWriter, whose errors
are lost).

Processes sharing the directory coordinate with `flock` on two files in it: `build.lock` (one
builder at a time) and `indexer.lock` (one incremental indexer loop per directory).
"""

from __future__ import annotations

import fcntl
import gc
import json
import logging
import multiprocessing
import os
import shutil
import signal
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from whoosh import index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, FileIndex, clean_files
from whoosh.query import NumericRange
from whoosh.reading import SegmentReader
from whoosh.writing import SegmentWriter

from jobboard import clock
from jobboard.search.build_writer import BuildWriter
from jobboard.search.schema import SCHEMA_VERSION, build_schema

log = logging.getLogger(__name__)
WRITER_TIMEOUT = 30.0
# Offers per committed chunk of a rebuild (a segment and a checkpoint each).
BUILD_CHUNK = 5000
# Worker processes of a large rebuild: each writes whole chunks while this process reads the
# next ones. Writing is pure Python, so processes, not threads; beyond two the reader (the
# database, or the benchmark's generator) cannot keep them fed.
BUILD_WORKERS = min(2, os.cpu_count() or 1)
# Chunks of fewer offers are written in this process: starting the workers (about a second)
# would cost more than they save on the tests' and the demo's few hundred offers.
PARALLEL_FROM = 2000
# Incremental commits merge the segments smaller than this (a catch-up pass writes 500 offers).
SMALL_SEGMENT = 1000
# Written in each generation: the schema version its documents follow (see SCHEMA_VERSION).
VERSION_FILE = "schema-version"


# Commits and swaps made by this process, in any directory: a searcher of this process that
# saw the count unchanged knows no commit of its own went by (SearchService.recent_version).
_commits = 0


def _committed() -> None:
    global _commits
    _commits += 1


class IndexStore:
    def __init__(self, directory: Path, workers: int | None = None) -> None:
        self.directory = directory
        self.current = directory / "current"
        # Worker processes of a rebuild; None: BUILD_WORKERS, 1: everything in this process.
        self.workers = workers

    @staticmethod
    def commits() -> int:
        """How many commits and swaps this process made so far (any index directory)."""
        return _commits

    def generation(self) -> str | None:
        """The directory the index currently lives in (changes on every rebuild)."""
        try:
            return os.readlink(self.current)
        except OSError:
            return None

    def open(self) -> FileIndex:
        return index.open_dir(str(self.current))

    def is_usable(self) -> bool:
        """An index that opens, can be read and follows the current schema; anything else is
        rebuilt from the database."""
        return self.is_readable() and not self.is_outdated()

    def is_outdated(self) -> bool:
        """Written by an earlier (or later) version of the schema: its fields are not the
        ones searched, so it is rebuilt rather than read."""
        return _schema_version(self.current) != SCHEMA_VERSION

    def is_readable(self) -> bool:
        if self.generation() is None:
            return False
        # Whoosh leaves a damaged table-of-contents file open when it fails to read it: the
        # file is closed when the exception is dropped, with a ResourceWarning we silence.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            try:
                ix = self.open()
                with ix.searcher() as searcher:
                    searcher.doc_count()
                return True
            except Exception as exc:  # whoosh raises many types on damaged files
                # Format now: a log record holding `exc` would keep the file open past here.
                log.warning("search index at %s is unreadable: %s", self.current, repr(exc))
            gc.collect()
        return False

    def rebuild(
        self, documents: Iterable[dict[str, Any]], progress: Callable[[], None] | None = None
    ) -> int:
        """Write every document into a fresh generation, then swap it in (no resume: callers
        that can resume drive a `Build` themselves, as the indexer does)."""
        build = self.start_build(floor=0)
        try:
            batch: list[dict[str, Any]] = []
            for document in documents:
                batch.append(document)
                if progress:
                    progress()
                if len(batch) >= BUILD_CHUNK:
                    build.add(batch, last_id=0)
                    batch = []
            build.add(batch, last_id=0)
            return build.finish()
        finally:
            build.close()

    def start_build(self, floor: int) -> Build:
        """A new generation to fill; unfinished ones are removed. Call with build.lock held."""
        self._remove_unfinished()
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"gen-{time.time_ns()}"
        target = self.directory / name
        target.mkdir()
        index.create_in(str(target), build_schema())
        (target / VERSION_FILE).write_text(f"{SCHEMA_VERSION}\n")
        build = Build(self, target, floor=floor, last_id=0, count=0, workers=self.build_workers())
        build.save()
        return build

    def build_workers(self) -> int:
        """The worker processes a large rebuild writes with (1: in this process)."""
        return max(1, self.workers or BUILD_WORKERS)

    def resume_build(self, max_age_seconds: float) -> Build | None:
        """The unfinished rebuild to continue, unless it is older than `max_age_seconds` (the
        change rows it relies on may be gone). Call with build.lock held."""
        for path in sorted(self.directory.glob("gen-*"), reverse=True):
            checkpoint = path / Build.CHECKPOINT
            if path.name == self.generation() or not checkpoint.is_file():
                continue
            if _schema_version(path) != SCHEMA_VERSION:
                return None  # started by another version of the code: start afresh
            try:
                state = json.loads(checkpoint.read_text())
                if clock.now().timestamp() - float(state["saved_at"]) > max_age_seconds:
                    return None
                index.open_dir(str(path))
                return Build(
                    self,
                    path,
                    floor=int(state["floor"]),
                    last_id=int(state["last_id"]),
                    count=int(state["count"]),
                    workers=self.build_workers(),
                )
            except Exception as exc:  # a damaged unfinished build is started again
                log.warning("unfinished index build %s is unreadable: %r", path.name, exc)
                return None
        return None

    def _remove_unfinished(self) -> None:
        if not self.directory.exists():
            return
        for path in self.directory.glob("gen-*"):
            if path.name != self.generation():
                shutil.rmtree(path, ignore_errors=True)

    def _swap_in(self, target: Path) -> None:
        link = self.directory / f"current.{target.name}"
        link.unlink(missing_ok=True)
        os.symlink(target.name, link)
        os.replace(link, self.current)
        _committed()
        self._remove_old_generations(keep=target.name)

    def _remove_old_generations(self, keep: str) -> None:
        for path in self.directory.glob("gen-*"):
            if path.name != keep:
                shutil.rmtree(path, ignore_errors=True)

    def apply(self, documents: Iterable[dict[str, Any]], deleted_ids: Iterable[str]) -> None:
        """Upsert and delete by offer id in one commit; applying twice changes nothing."""
        ix = self.open()
        writer = _writer(ix, timeout=WRITER_TIMEOUT)
        try:
            for offer_id in deleted_ids:
                writer.delete_by_term("id", offer_id)
            for document in documents:
                writer.update_document(**document)
            writer.commit(mergetype=merge_small_segments)
        except BaseException:
            writer.cancel()
            raise
        finally:
            _committed()  # even a failed commit: look at the index again

    def delete_expired(self, before: int) -> int:
        """Remove offers whose deadline (as YYYYMMDD) is before `before`."""
        ix = self.open()
        writer = _writer(ix, timeout=WRITER_TIMEOUT)
        try:
            count: int = writer.delete_by_query(NumericRange("deadline", None, before - 1))
            writer.commit(mergetype=merge_small_segments)
        except BaseException:
            writer.cancel()
            raise
        finally:
            _committed()
        return count

    def ids(self) -> set[int]:
        ix = self.open()
        with ix.searcher() as searcher:
            return {int(fields["id"]) for fields in searcher.all_stored_fields()}


class _FieldLengths:
    """A segment's field lengths, read once per field, for the posting writer.

    Whoosh's writer asks the length of the posting's field in its document for every posting
    it writes (`FieldWriter.add_postings`); for a field without lengths (an ID, the keywords)
    each ask checks on disk whether the lengths file exists: a fifth of a commit's time. Here
    each field's lengths are read once into a list (none for fields that keep none)."""

    def __init__(self, source: Any, schema: Any) -> None:
        self._source = source
        self._schema = schema
        self._lengths: dict[str, list[int]] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        lengths = self._lengths.get(fieldname)
        if lengths is None:
            lengths = self._lengths[fieldname] = self._read(fieldname)
        return lengths[docnum] if docnum < len(lengths) else default

    def _read(self, fieldname: str) -> list[int]:
        if fieldname not in self._schema or not self._schema[fieldname].scorable:
            return []
        length = self._source.doc_field_length
        return [length(d, fieldname, 0) or 0 for d in range(self._source.doc_count_all())]


class _Writer(SegmentWriter):  # type: ignore[misc]
    """Whoosh's segment writer with field lengths read once per field (see _FieldLengths);
    the same postings, written in the same order."""

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        lengths = self.per_document_reader() if self.codec.length_stats else None
        postings = self.pool.iter_postings()
        cached = _FieldLengths(lengths, self.schema) if lengths else None
        self.fieldwriter.add_postings(self.schema, cached, postings)
        self.fieldwriter.close()
        if lengths:
            lengths.close()

    def write_postings(self, lengths: Any, items: Any, startdoc: int, docmap: Any) -> None:
        items = self._process_posts(items, startdoc, docmap)
        cached = _FieldLengths(lengths, self.schema) if lengths else None
        self.fieldwriter.add_postings(self.schema, cached, items)


def merge_small_segments(writer: SegmentWriter, segments: list[Any]) -> list[Any]:
    """The merge policy of incremental commits: the segments of fewer than SMALL_SEGMENT
    documents are merged into the commit's new one, the others are left as they are.

    Whoosh's MERGE_SMALL gathers every segment, smallest first, until the running total falls
    below a Fibonacci bound, then merges all it gathered: with a rebuild's twenty segments of
    5,000 offers, the first approval after it merged the whole index, 203 s of pure Python."""
    small = [segment for segment in segments if segment.doc_count_all() < SMALL_SEGMENT]
    if len(small) < 2:
        return segments
    for segment in small:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    return [segment for segment in segments if segment.doc_count_all() >= SMALL_SEGMENT]


def _writer(ix: FileIndex, **options: Any) -> _Writer:
    return _Writer(ix, **options)


def _schema_version(generation: Path) -> int | None:
    try:
        return int((generation / VERSION_FILE).read_text().strip())
    except (OSError, ValueError):
        return None  # indexes written before the version was recorded: version 1


def write_segment(path: str, documents: list[dict[str, Any]]) -> Any:
    """Write `documents` as a new segment in the index at `path` and return it (None for no
    documents), leaving the table of contents alone: the caller adds the segment to it.

    Runs in a build's worker processes, several at once in one directory: no write lock (one
    builder per directory is ensured by build.lock) and each segment has its own random name.
    A failed write leaves stray files, never listed in the table of contents; `Build.finish`
    removes them."""
    if not documents:
        return None
    ix = FileIndex(_BuildStorage(path))
    # compound=False: Whoosh copies each part of a compound segment into memory when it
    # opens it (about 500 MB per process at 100,000 offers); separate files stay mapped.
    writer = BuildWriter(ix, _lk=False, compound=False)
    try:
        for document in documents:
            writer.add_document(**document)
        segment = writer._finalize_segment()
    except BaseException:
        writer.cancel()
        raise
    writer._finish()
    return segment


def _write_in_worker(path: str, documents: list[dict[str, Any]]) -> Any:
    """`write_segment` in a build's worker process, with the cyclic garbage collector paused.

    A chunk allocates about a million objects (postings, their lists) that all live until the
    segment is written: the collector's full passes over them, which find nothing to free,
    took about a tenth of a chunk's time. Whatever cycles the chunk leaves are collected after
    it. Only in a worker: pausing the collector in the server would pause it for every thread.
    """
    gc.disable()
    try:
        return write_segment(path, documents)
    finally:
        gc.enable()


class _BuildStorage(FileStorage):  # type: ignore[misc]
    """The index directory, with the temporary files of each process in a directory of its
    own: a writer empties and removes its temporary directory when it is done, which would
    pull another worker's files from under it."""

    def temp_storage(self, name: str | None = None) -> FileStorage:
        return super().temp_storage(f"{name or 'build.tmp'}.{os.getpid()}")


def _add_segment(path: Path, segment: Any) -> None:
    """Append a written segment to the table of contents, as `commit(merge=False)` does, but
    without removing the files no table lists: the workers' segments being written."""
    ix = index.open_dir(str(path))
    toc = ix._read_toc()
    TOC(toc.schema, [*toc.segments, segment], toc.generation + 1).write(ix.storage, ix.indexname)


def _ignore_interrupts() -> None:
    """A worker leaves Ctrl-C to its parent, which stops after the chunks under way."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class _Chunk(NamedTuple):
    documents: list[dict[str, Any]]
    last_id: int


class _Running(NamedTuple):
    segment: Future[Any]
    last_id: int
    size: int


@dataclass
class Build:
    """A generation being filled, chunk by chunk; each chunk is committed with its checkpoint.

    With `workers` > 1 and chunks of PARALLEL_FROM offers or more, the chunks are written by
    worker processes, at most `workers` + 1 at a time (memory stays bounded by that many
    chunks), and committed in the order they were given: chunk k is in only once every earlier
    chunk is, so the checkpoint's `last_id` keeps its meaning. Call `finish`, and `close` in
    any case (after a failure it keeps what is already written and stops the workers)."""

    CHECKPOINT = "build.json"

    store: IndexStore
    path: Path
    floor: int  # the change-table watermark to restart incremental indexing from
    last_id: int  # every visible offer up to this id is in
    count: int
    workers: int = 1
    # The first large chunk, kept until a second one shows the workers are worth starting.
    _held: _Chunk | None = field(default=None, repr=False)
    _pool: ProcessPoolExecutor | None = field(default=None, repr=False)
    _running: deque[_Running] = field(default_factory=deque, repr=False)

    def save(self) -> None:
        partial = self.path / f"{self.CHECKPOINT}.part"
        partial.write_text(
            json.dumps(
                {
                    "floor": self.floor,
                    "last_id": self.last_id,
                    "count": self.count,
                    # From the clock, as the age is read back (a file's mtime is the host's).
                    "saved_at": clock.now().timestamp(),
                }
            )
        )
        partial.replace(self.path / self.CHECKPOINT)

    def add(self, documents: list[dict[str, Any]], last_id: int) -> None:
        """Blocking: write one chunk (a segment), then record that it is in. With workers it
        returns once a worker has taken the chunk, having committed the earlier chunks that
        are written; the last ones are committed by `finish`."""
        chunk = _Chunk(documents, last_id)
        if self._pool is None and self._held is not None:
            self._pool = ProcessPoolExecutor(
                self.workers,
                # Not fork: the parent runs threads (anyio's) that a fork would copy mid-state.
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_ignore_interrupts,
            )
            held, self._held = self._held, None
            self._submit(held)
        if self._pool is not None:
            self._submit(chunk)
            while len(self._running) > self.workers or (
                self._running and self._running[0].segment.done()
            ):
                self._commit_oldest()
        elif self.workers > 1 and len(documents) >= PARALLEL_FROM:
            self._held = chunk
        else:
            self._commit(write_segment(str(self.path), documents), last_id, len(documents))

    def _submit(self, chunk: _Chunk) -> None:
        assert self._pool is not None
        segment = self._pool.submit(_write_in_worker, str(self.path), chunk.documents)
        self._running.append(_Running(segment, chunk.last_id, len(chunk.documents)))

    def _commit_oldest(self) -> None:
        running = self._running.popleft()
        try:
            segment = running.segment.result()
        except BaseException:
            self._stop_workers()  # the later chunks must not go in without this one
            raise
        self._commit(segment, running.last_id, running.size)

    def _commit(self, segment: Any, last_id: int, count: int) -> None:
        if segment is not None:
            _add_segment(self.path, segment)
        self.last_id = last_id
        self.count += count
        self.save()

    def _stop_workers(self) -> None:
        """Wait for the chunks under way, drop those not committed, stop the processes."""
        for running in self._running:
            running.segment.cancel()
        self._running.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def finish(self) -> int:
        """Blocking: write the last chunks, then swap the generation in. Its chunks stay
        separate segments: merging them took longer than writing them (41 of 72 s at 20,000
        offers, Whoosh's merge is pure Python), and searching reads each segment into arrays
        once anyway."""
        if self._held is not None:
            held, self._held = self._held, None
            segment = write_segment(str(self.path), held.documents)
            self._commit(segment, held.last_id, len(held.documents))
        while self._running:
            self._commit_oldest()
        self._stop_workers()
        # The table of contents of each chunk, and the files of chunks that failed before a
        # resume: nothing else writes here now.
        ix = index.open_dir(str(self.path))
        toc = ix._read_toc()
        clean_files(ix.storage, ix.indexname, toc.generation, toc.segments)
        (self.path / self.CHECKPOINT).unlink()
        self.store._swap_in(self.path)
        return self.count

    def close(self) -> None:
        """Blocking; nothing to do after `finish`. After a failure or a cancellation: commit
        the chunks the workers have written (in order, so a resumed build skips them), stop the
        workers. The chunk still held was never given to a worker: it is read again."""
        self._held = None
        try:
            while self._running:
                self._commit_oldest()
        except Exception as exc:  # the caller is already handling the error that stopped it
            log.warning("index build: a chunk failed while stopping: %r", exc)
        finally:
            self._stop_workers()


class DirectoryLock:
    """An exclusive `flock` on a file of the index directory. The kernel drops it when the
    process dies, so a crashed holder never blocks the others."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> bool:
        """Take the lock if it is free (never waits); True when this object holds it."""
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

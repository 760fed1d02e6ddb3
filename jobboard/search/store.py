"""The on-disk index: generations swapped atomically, one writer at a time.

`<dir>/current` is a symlink to a generation directory. A rebuild writes a new generation and
replaces the symlink with `os.replace` (atomic), so readers see the old index or the new one,
never half of one. Incremental updates go through `writer(timeout=…)` (never AsyncWriter, whose
errors are lost).
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import time
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from whoosh import index
from whoosh.index import FileIndex
from whoosh.query import NumericRange

from jobboard.search.schema import build_schema

log = logging.getLogger(__name__)
WRITER_TIMEOUT = 30.0


class IndexStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.current = directory / "current"

    def generation(self) -> str | None:
        """The directory the index currently lives in (changes on every rebuild)."""
        try:
            return os.readlink(self.current)
        except OSError:
            return None

    def open(self) -> FileIndex:
        return index.open_dir(str(self.current))

    def is_usable(self) -> bool:
        """An index that opens and can be read; anything else is rebuilt from the database."""
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
        """Write every document into a fresh generation, then swap it in atomically."""
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"gen-{time.time_ns()}"
        target = self.directory / name
        target.mkdir()
        ix = index.create_in(str(target), build_schema())
        # compound=False: Whoosh copies each part of a compound segment into memory when it
        # opens it (about 500 MB per process at 100,000 offers); separate files stay mapped.
        writer = ix.writer(limitmb=256, procs=1, compound=False)
        count = 0
        try:
            for document in documents:
                writer.add_document(**document)
                count += 1
                if progress:
                    progress()
            writer.commit(optimize=True)
        except BaseException:
            writer.cancel()
            shutil.rmtree(target, ignore_errors=True)
            raise
        link = self.directory / f"current.{name}"
        os.symlink(name, link)
        os.replace(link, self.current)
        self._remove_old_generations(keep=name)
        return count

    def _remove_old_generations(self, keep: str) -> None:
        for path in self.directory.glob("gen-*"):
            if path.name != keep:
                shutil.rmtree(path, ignore_errors=True)

    def apply(self, documents: Iterable[dict[str, Any]], deleted_ids: Iterable[str]) -> None:
        """Upsert and delete by offer id in one commit; applying twice changes nothing."""
        ix = self.open()
        writer = ix.writer(timeout=WRITER_TIMEOUT)
        try:
            for offer_id in deleted_ids:
                writer.delete_by_term("id", offer_id)
            for document in documents:
                writer.update_document(**document)
            writer.commit()
        except BaseException:
            writer.cancel()
            raise

    def delete_expired(self, before: int) -> int:
        """Remove offers whose deadline (as YYYYMMDD) is before `before`."""
        ix = self.open()
        writer = ix.writer(timeout=WRITER_TIMEOUT)
        try:
            count: int = writer.delete_by_query(NumericRange("deadline", None, before - 1))
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        return count

    def ids(self) -> set[int]:
        ix = self.open()
        with ix.searcher() as searcher:
            return {int(fields["id"]) for fields in searcher.all_stored_fields()}

"""Where CVs are kept: one interface (store, open, delete, listing) over two backends, a
directory under the data dir or chunks in the database (the `cv_blob` table), so that on
PostgreSQL every host reads every CV and one `pg_dump` backs them all up.

A CV's key, recorded in its row (`cv_path`), names its backend: `cv/<name>.pdf` is a file
under the data dir (every CV stored before this module keeps its path), `db:<name>` chunks in
`cv_blob`. New CVs go to the configured backend (`Settings.cv_backend`); reads, deletions and
the orphan sweep reach both, so `jobboard move-cvs` can move CVs while the site serves them.
Both ways stream: a CV is never held whole in memory. The SHA-256 recorded with a CV is checked
on every read, before the first byte is handed out: a CV that no longer matches is refused
(`CVCorrupted`, logged), never served.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

import anyio
import anyio.to_thread
from tortoise.transactions import in_transaction

from jobboard.clock import now
from jobboard.models import CVBlob
from jobboard.settings import CV_STORAGES, Settings

log = logging.getLogger(__name__)

CHUNK_BYTES = 256 * 1024  # one read, one write, one `cv_blob` row
LOCAL, DATABASE = CV_STORAGES  # the values of JOBBOARD_CV_STORAGE and `move-cvs --to`
SPOOL_BYTES = 1024 * 1024  # a copy past this size goes to a temporary file


class CVUnreadable(Exception):
    """A stored CV that cannot be handed out; `key` names it."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class CVMissing(CVUnreadable):
    """No CV under this key (deleted, or never stored)."""


class CVCorrupted(CVUnreadable):
    """The bytes under this key are not those stored: their SHA-256 differs from the recorded
    one."""


@dataclass(frozen=True)
class StoredBlob:
    key: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Listed:
    """One stored CV as the sweep sees it: its key and when it was written (POSIX time)."""

    key: str
    stored_at: float


class Backend(Protocol):
    name: str

    def owns(self, key: str) -> bool: ...

    async def store(self, source: IO[bytes]) -> StoredBlob: ...

    def chunks(self, key: str) -> AsyncIterator[bytes]:
        """The raw bytes, unchecked; CVMissing when there is nothing under `key`."""
        ...

    async def delete(self, key: str) -> None: ...

    async def listing(self) -> list[Listed]: ...


def _read(source: IO[bytes]) -> bytes:
    return source.read(CHUNK_BYTES)


class LocalBackend:
    """Files under `data_dir/cv/`, written complete or not at all (temporary file, fsync,
    rename): the one host's disk, as before this module."""

    name = LOCAL
    PREFIX = "cv/"

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.directory = data_dir / "cv"

    def owns(self, key: str) -> bool:
        return key.startswith(self.PREFIX)

    def _path(self, key: str) -> Path:
        name = key.removeprefix(self.PREFIX)
        if not self.owns(key) or not name or "/" in name or name.startswith("."):
            raise CVMissing(key)  # never a path outside the CV directory
        return self.directory / name

    async def store(self, source: IO[bytes]) -> StoredBlob:
        return await anyio.to_thread.run_sync(self._store, source)

    def _store(self, source: IO[bytes]) -> StoredBlob:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{secrets.token_hex(16)}.pdf"
        final = self.directory / name
        partial = final.with_suffix(".part")
        digest, size = hashlib.sha256(), 0
        source.seek(0)
        try:
            with partial.open("xb") as out:
                while chunk := source.read(CHUNK_BYTES):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            partial.chmod(0o600)
            partial.replace(final)
            directory = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(directory)  # the rename itself survives a crash
            finally:
                os.close(directory)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return StoredBlob(f"{self.PREFIX}{name}", digest.hexdigest(), size)

    async def chunks(self, key: str) -> AsyncIterator[bytes]:
        try:
            handle = await anyio.open_file(self._path(key), "rb")
        except OSError:
            raise CVMissing(key) from None
        async with handle:
            while chunk := await handle.read(CHUNK_BYTES):
                yield chunk

    async def delete(self, key: str) -> None:
        path = self._path(key)
        await anyio.to_thread.run_sync(lambda: path.unlink(missing_ok=True))

    async def listing(self) -> list[Listed]:
        def scan() -> list[Listed]:
            if not self.directory.is_dir():
                return []
            return [
                Listed(f"{self.PREFIX}{path.name}", path.stat().st_mtime)
                for path in self.directory.iterdir()
            ]

        return await anyio.to_thread.run_sync(scan)


class DatabaseBackend:
    """Chunks in the `cv_blob` table of the site's database: every host reaches them. A CV's
    chunks are written in one transaction, so a CV is there whole or not at all."""

    name = DATABASE
    PREFIX = "db:"

    def owns(self, key: str) -> bool:
        return key.startswith(self.PREFIX)

    async def store(self, source: IO[bytes]) -> StoredBlob:
        key = f"{self.PREFIX}{secrets.token_hex(16)}"
        digest, size, moment = hashlib.sha256(), 0, now()
        source.seek(0)
        async with in_transaction():
            seq = 0
            while chunk := await anyio.to_thread.run_sync(_read, source):
                digest.update(chunk)
                size += len(chunk)
                await CVBlob.create(key=key, seq=seq, data=chunk, created_at=moment)
                seq += 1
            if seq == 0:  # an empty CV still has its one (empty) chunk: it exists
                await CVBlob.create(key=key, seq=0, data=b"", created_at=moment)
        return StoredBlob(key, digest.hexdigest(), size)

    async def chunks(self, key: str) -> AsyncIterator[bytes]:
        ids = await CVBlob.filter(key=key).order_by("seq").values_list("id", flat=True)
        if not ids:
            raise CVMissing(key)
        for chunk_id in ids:  # one row at a time: never the whole CV in memory
            data = await CVBlob.filter(id=chunk_id).values_list("data", flat=True)
            if not data:
                raise CVMissing(key)  # deleted while being read
            yield bytes(data[0])

    async def delete(self, key: str) -> None:
        await CVBlob.filter(key=key).delete()

    async def listing(self) -> list[Listed]:
        rows = await CVBlob.filter(seq=0).values_list("key", "created_at")
        return [Listed(str(key), created_at.timestamp()) for key, created_at in rows]


class CVStore:
    """The one way to CVs: `store` into the configured backend, `open` / `delete` wherever the
    key says, `listing` of every backend for the sweep."""

    def __init__(self, backends: dict[str, Backend], default: str) -> None:
        self.backends = backends
        self.default = backends[default]

    def backend_of(self, key: str) -> Backend:
        for backend in self.backends.values():
            if backend.owns(key):
                return backend
        raise CVMissing(key)

    async def store(self, source: IO[bytes], backend: str = "") -> StoredBlob:
        """Stream `source` (from its start) into `backend` (default: the configured one)."""
        return await (self.backends[backend] if backend else self.default).store(source)

    async def open(self, key: str, sha256: str) -> AsyncIterator[bytes]:
        """The CV's bytes, chunk by chunk, once a first reading matched `sha256`: CVMissing or
        CVCorrupted (logged) before anything is handed out. CVs are never rewritten, so the
        second reading is the first one's bytes; it is checked again all the same, and a
        difference stops the stream (CVCorrupted)."""
        backend = self.backend_of(key)
        digest = hashlib.sha256()
        async for chunk in backend.chunks(key):
            digest.update(chunk)
        if digest.hexdigest() != sha256:
            log.error(
                "CV %s refused: its SHA-256 is %s, %s was recorded", key, digest.hexdigest(),
                sha256,
            )  # fmt: skip
            raise CVCorrupted(key)
        return self._checked(backend, key, sha256)

    async def _checked(self, backend: Backend, key: str, sha256: str) -> AsyncIterator[bytes]:
        digest = hashlib.sha256()
        async for chunk in backend.chunks(key):
            digest.update(chunk)
            yield chunk
        if digest.hexdigest() != sha256:
            log.error("CV %s changed while being read", key)
            raise CVCorrupted(key)

    async def verify(self, key: str, sha256: str) -> None:
        """CVMissing or CVCorrupted unless the CV under `key` is the one recorded."""
        await self.open(key, sha256)

    async def spooled(self, key: str, sha256: str) -> IO[bytes]:
        """A checked copy of the CV in a temporary file (in memory up to SPOOL_BYTES), read
        from its start; the caller closes it."""
        copy = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (returned)
        try:
            async for chunk in await self.open(key, sha256):
                await anyio.to_thread.run_sync(copy.write, chunk)
        except BaseException:
            copy.close()
            raise
        copy.seek(0)
        return copy

    async def delete(self, key: str) -> None:
        """Remove the CV under `key`; nothing when there is none. Shielded: a cancelled request
        still removes what it stored."""
        if not key:
            return
        with anyio.CancelScope(shield=True):
            try:
                backend = self.backend_of(key)
            except CVMissing:
                return
            await backend.delete(key)

    async def listing(self) -> list[Listed]:
        return [item for backend in self.backends.values() for item in await backend.listing()]


def cv_store(settings: Settings) -> CVStore:
    backends: dict[str, Backend] = {
        LOCAL: LocalBackend(settings.data_dir),
        DATABASE: DatabaseBackend(),
    }
    return CVStore(backends, settings.cv_backend)

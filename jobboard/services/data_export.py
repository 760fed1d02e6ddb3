"""« Télécharger mes données »: one ZIP with a JSON file of everything the board holds about
the account (services/personal_data) and the CVs, built on demand and offered again for
`DATA_EXPORT` (domain/retention) to the session that asked for it."""

from __future__ import annotations

import hashlib
import json
import secrets
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread

from jobboard.clock import now
from jobboard.domain.errors import NotFound
from jobboard.domain.retention import DATA_EXPORT
from jobboard.models import DataExport, User
from jobboard.services.cv_store import CVUnreadable, cv_store
from jobboard.services.personal_data import ExportedCV, holdings_for, stamp
from jobboard.settings import Settings

FORMAT = "bourse-pvd/donnees-personnelles/1"
JSON_NAME = "donnees.json"
EXPORT_DIR = "exports"  # under the data dir


@dataclass(frozen=True)
class Archive:
    export: DataExport
    token: str  # what the download link carries


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def document(user: User, settings: Settings) -> tuple[dict[str, Any], list[ExportedCV]]:
    """The JSON document of the account and the CVs that go with it."""
    data: dict[str, Any] = {"format": FORMAT, "generated_at": stamp(now())}
    files: list[ExportedCV] = []
    for holding in holdings_for(user.role):
        if holding.key:
            data[holding.key] = await holding.export(user, settings)
        files += await holding.files(user, settings)
    return data, files


async def _write_zip(
    target: Path, data: dict[str, Any], files: list[ExportedCV], settings: Settings
) -> int:
    """The ZIP written next to its final name, then renamed (never half there). The CVs are
    streamed from the CV store; one gone or no longer matching its checksum is left out and
    named under `missing_files`."""
    store = cv_store(settings)
    readable: list[tuple[str, AsyncIterator[bytes]]] = []
    missing: list[str] = []
    for cv in files:
        try:
            readable.append((cv.name, await store.open(cv.key, cv.sha256)))
        except CVUnreadable:
            missing.append(cv.name)
    if missing:
        data = {**data, "missing_files": missing}
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    try:
        with zipfile.ZipFile(partial, "x", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(JSON_NAME, json.dumps(data, ensure_ascii=False, indent=2))
            for name, chunks in readable:
                with archive.open(name, "w") as entry:
                    async for chunk in chunks:
                        await anyio.to_thread.run_sync(entry.write, chunk)
        partial.chmod(0o600)
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return (await anyio.Path(target).stat()).st_size


async def build(user: User, session: str, settings: Settings) -> Archive:
    """Build a fresh archive for `user`, replacing their previous ones. NotFound when the
    account was deleted meanwhile (nothing is left behind then)."""
    moment = now()
    token = secrets.token_urlsafe(32)
    await remove_archives(user.id, settings)
    export = await DataExport.create(
        user_id=user.id,
        token_hash=token_hash(token),
        session_hash=session,
        created_at=moment,
        expires_at=DATA_EXPORT.after(moment),
    )
    relative = f"{EXPORT_DIR}/{secrets.token_hex(16)}.zip"
    target = settings.data_dir / relative
    data, files = await document(user, settings)
    size = await _write_zip(target, data, files, settings)
    kept = await DataExport.filter(id=export.id).update(path=relative, size=size, ready_at=now())
    if not kept:  # the account was deleted while the archive was being written
        target.unlink(missing_ok=True)
        raise NotFound()
    export.path, export.size = relative, size
    return Archive(export, token)


async def current(user: User, session: str) -> DataExport | None:
    """The archive this session may download again, if any."""
    return (
        await DataExport.filter(
            user_id=user.id, session_hash=session, expires_at__gt=now(), ready_at__isnull=False
        )
        .order_by("-id")
        .first()
    )


async def for_download(token: str, user: User, session: str, settings: Settings) -> Path:
    """The ZIP a download link names: only for its account, in the session that asked for it,
    until it expires; anything else is NotFound (a 404, as if it never existed)."""
    if not token or len(token) > 100:
        raise NotFound()
    export = await DataExport.get_or_none(
        token_hash=token_hash(token), user_id=user.id, session_hash=session
    )
    if export is None or export.ready_at is None or export.expires_at <= now():
        raise NotFound()
    path = settings.data_dir / export.path
    if not path.is_file():
        raise NotFound()
    return path


def _unlink(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
        path.with_suffix(".part").unlink(missing_ok=True)


async def remove_archives(user_id: int, settings: Settings) -> int:
    rows = await DataExport.filter(user_id=user_id)
    await DataExport.filter(id__in=[r.id for r in rows]).delete()
    await anyio.to_thread.run_sync(_unlink, [settings.data_dir / r.path for r in rows if r.path])
    return len(rows)


async def purge_expired(settings: Settings, *, dry_run: bool = False) -> int:
    """Expired archives: rows and files; and files no row names (a build that died)."""
    expired = await DataExport.filter(expires_at__lte=now())
    if not dry_run:
        await DataExport.filter(id__in=[r.id for r in expired]).delete()
        await anyio.to_thread.run_sync(
            _unlink, [settings.data_dir / r.path for r in expired if r.path]
        )
    directory = settings.data_dir / EXPORT_DIR
    if not directory.is_dir():
        return len(expired)
    known = {str(p) for p in await DataExport.exclude(path="").values_list("path", flat=True)}
    limit = DATA_EXPORT.before(now()).timestamp()

    def sweep() -> int:
        removed = 0
        for path in directory.iterdir():
            if f"{EXPORT_DIR}/{path.name}" in known or path.stat().st_mtime > limit:
                continue
            if not dry_run:
                path.unlink(missing_ok=True)
            removed += 1
        return removed

    stray = await anyio.to_thread.run_sync(sweep)
    return len(expired) + stray


def file_size_fr(size: int) -> str:
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))}\u00a0Ko"
    return f"{size / (1024 * 1024):.1f}".replace(".", ",") + "\u00a0Mo"

"""The CV store (services/cv_store) on both backends, through the same tests: streaming both
ways, the SHA-256 checked before anything is served, whole or nothing when the row cannot be
written, the orphan sweep, and `jobboard move-cvs` both ways, checked and safe to run again."""

from __future__ import annotations

import hashlib
import io
import logging
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from tortoise.exceptions import OperationalError

from jobboard.models import Application, SavedCV
from jobboard.services import applications, cv_move
from jobboard.services.applications import sweep_cv_orphans
from jobboard.services.cv_store import (
    CHUNK_BYTES,
    CV_STORAGES,
    CVCorrupted,
    CVMissing,
    CVStore,
    cv_store,
)
from jobboard.settings import Settings
from tests.conftest import age_cv, log_in, make_user, raw_cv, stored_cvs, tamper_cv
from tests.test_applications import _apply, _offer, small_pdf
from tests.test_cli import run
from tests.test_data_export import _build, _zip
from tests.test_saved_cv import _pdf, _upload

PREFIXES = {"local": "cv/", "database": "db:"}


@pytest.fixture(params=CV_STORAGES)
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """Every test of this module once per backend (the app and the client use it too)."""
    return replace(settings, cv_storage=request.param)


async def _read(store: CVStore, key: str, sha256: str) -> bytes:
    return b"".join([chunk async for chunk in await store.open(key, sha256)])


async def test_a_cv_is_streamed_in_and_out_and_deleted(db: None, settings: Settings) -> None:
    store = cv_store(settings)
    content = os.urandom(2 * CHUNK_BYTES + 123)  # three chunks, the last one short
    blob = await store.store(io.BytesIO(content))
    assert blob.key.startswith(PREFIXES[settings.cv_backend])
    assert blob.sha256 == hashlib.sha256(content).hexdigest() and blob.size == len(content)
    chunks = [chunk async for chunk in await store.open(blob.key, blob.sha256)]
    assert b"".join(chunks) == content and len(chunks) == 3
    assert [item.key for item in await store.listing()] == [blob.key]
    await store.delete(blob.key)
    with pytest.raises(CVMissing):
        await store.open(blob.key, blob.sha256)
    assert await store.listing() == []
    await store.delete(blob.key)  # a second time: nothing to do


async def test_a_changed_cv_is_refused_before_any_byte(
    db: None, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    store = cv_store(settings)
    blob = await store.store(io.BytesIO(b"%PDF-1.7 le bon"))
    await tamper_cv(settings, blob.key, b"%PDF-1.7 un autre")
    with caplog.at_level(logging.ERROR, "jobboard.services.cv_store"), pytest.raises(CVCorrupted):
        await store.open(blob.key, blob.sha256)
    assert blob.key in caplog.text and "SHA-256" in caplog.text


async def test_staff_recruiters_and_candidates_get_an_error_page_not_a_changed_cv(
    client: httpx.AsyncClient, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    offer = await _offer()
    await make_user("candidate", "lea@example.fr")
    await make_user("recruiter", "rh@espinasses.fr", commune="05050")
    await make_user("staff", "moderation@anct.example")
    await log_in(client, "lea@example.fr")
    await _apply(client, offer, small_pdf())
    await _upload(client, _pdf("enregistré"))
    application, saved = await Application.get(), await SavedCV.get()
    altered = small_pdf() + b"% altered"
    for key in (application.cv_path, saved.cv_path):
        await tamper_cv(settings, key, altered)
    url = f"/candidatures/{application.id}/cv"
    for email in ("lea@example.fr", "rh@espinasses.fr", "moderation@anct.example"):
        reader = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
        await log_in(reader, email)
        with caplog.at_level(logging.ERROR, "jobboard.services.cv_store"):
            response = await reader.get(url)
        assert response.status_code == 500, email
        assert "Ce CV est endommagé" in response.text and "% altered" not in response.text
        assert response.headers["content-type"].startswith("text/html")
        await reader.aclose()
    assert application.cv_path in caplog.text
    own = await client.get("/espace/compte/cv")
    assert own.status_code == 500 and "Ce CV est endommagé" in own.text


async def test_a_failed_row_write_leaves_no_cv(
    client: httpx.AsyncClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_user("candidate", "lea@example.fr")
    await log_in(client, "lea@example.fr")
    offer = await _offer()

    async def database_fails(*args: Any, **kwargs: Any) -> Application:
        assert await stored_cvs(settings)  # the CV is stored before its row is written
        raise OperationalError("disk I/O error")

    monkeypatch.setattr(applications, "transition_application", database_fails)
    response = await _apply(client, offer, small_pdf())
    assert response.status_code >= 500
    assert not await Application.exists() and await stored_cvs(settings) == []


async def test_the_sweep_removes_orphans_of_every_backend(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await make_user("candidate", "lea@example.fr")
    await log_in(client, "lea@example.fr")
    await _apply(client, await _offer(), small_pdf())
    await _upload(client, _pdf("enregistré"))
    kept = sorted([(await Application.get()).cv_path, (await SavedCV.get()).cv_path])
    store = cv_store(settings)
    orphans = [(await store.store(io.BytesIO(b"%PDF-"), backend=b)).key for b in CV_STORAGES]
    half_written = settings.data_dir / "cv" / "0123abcd.part"
    half_written.write_bytes(b"%PDF-")
    for key in [*kept, *orphans, "cv/0123abcd.part"]:
        await age_cv(settings, key, 60)
    assert await sweep_cv_orphans(settings) == 0  # too recent: may still be in flight
    for key in [*kept, *orphans, "cv/0123abcd.part"]:
        await age_cv(settings, key, 7200)
    assert await sweep_cv_orphans(settings, dry_run=True) == 3
    assert len(await stored_cvs(settings)) == 5
    assert await sweep_cv_orphans(settings) == 3
    assert await stored_cvs(settings) == kept


async def _two_cvs(client: httpx.AsyncClient) -> tuple[bytes, bytes]:
    """An application's CV and a saved CV, stored in the configured backend."""
    await make_user("candidate", "lea@example.fr")
    await log_in(client, "lea@example.fr")
    sent, kept = _pdf("envoyé"), _pdf("enregistré")
    await _apply(client, await _offer(), sent)
    await _upload(client, kept)
    return sent, kept


async def _keys() -> list[str]:
    return [(await Application.get()).cv_path, (await SavedCV.get()).cv_path]


async def test_move_cvs_there_and_back_checks_every_cv_and_runs_again(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    sent, kept = await _two_cvs(client)
    other = next(b for b in CV_STORAGES if b != settings.cv_backend)
    before = await _keys()
    report = await cv_move.move_cvs(settings, other)
    assert (report.moved, report.checked, report.unreadable) == (2, 0, [])
    assert report.lines() == ["2 CV déplacé(s) et vérifié(s)", "0 CV déjà en place, vérifié(s)"]
    after = await _keys()
    assert all(key.startswith(PREFIXES[other]) for key in after)
    assert await stored_cvs(settings) == sorted(after)  # the originals are gone
    assert [await raw_cv(settings, k) for k in after] == [sent, kept]
    assert (await client.get(f"/candidatures/{(await Application.get()).id}/cv")).content == sent
    assert (await client.get("/espace/compte/cv")).content == kept
    again = await cv_move.move_cvs(settings, other)
    assert (again.moved, again.checked) == (0, 2) and await _keys() == after
    back = await cv_move.move_cvs(settings, settings.cv_backend)
    assert back.moved == 2
    assert all(key.startswith(PREFIXES[settings.cv_backend]) for key in await _keys())
    assert set(await _keys()).isdisjoint(before)  # new copies, not the old keys
    assert [await raw_cv(settings, k) for k in await _keys()] == [sent, kept]


async def test_move_cvs_leaves_a_changed_cv_where_it_is(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await _two_cvs(client)
    application_key, saved_key = await _keys()
    await tamper_cv(settings, application_key, b"%PDF-1.7 abime")
    other = next(b for b in CV_STORAGES if b != settings.cv_backend)
    report = await cv_move.move_cvs(settings, other)
    application = await Application.get()
    assert report.moved == 1 and report.unreadable == [f"candidature {application.id}"]
    assert application.cv_path == application_key
    assert await raw_cv(settings, application_key) == b"%PDF-1.7 abime"  # left as found
    assert (await _keys())[1].startswith(PREFIXES[other]) and (await _keys())[1] != saved_key
    assert report.lines()[-1].startswith("1 CV illisible(s) ou endommagé(s), non déplacé(s)")


class Interrupted(BaseException):
    """A kill -9 stand-in: not an Exception, so nothing on the way catches it."""


@pytest.mark.parametrize("step", ["after_copy", "after_row"])
async def test_an_interrupted_move_loses_nothing_and_finishes_when_run_again(
    client: httpx.AsyncClient,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    step: str,
) -> None:
    """Killed after the copy is stored (the row still names the original) or after the row
    names the copy (the original not yet removed): every CV stays readable, a second run
    finishes, and the sweep removes what the first one left."""
    sent, kept = await _two_cvs(client)
    other = next(b for b in CV_STORAGES if b != settings.cv_backend)
    real_store, real_delete = CVStore.store, CVStore.delete

    async def store_then_die(self: CVStore, source: Any, backend: str = "") -> Any:
        await real_store(self, source, backend)
        raise Interrupted()

    async def die_before_delete(self: CVStore, key: str) -> None:
        if key.startswith(PREFIXES[settings.cv_backend]):
            raise Interrupted()
        await real_delete(self, key)

    if step == "after_copy":
        monkeypatch.setattr(CVStore, "store", store_then_die)
    else:
        monkeypatch.setattr(CVStore, "delete", die_before_delete)
    with pytest.raises(Interrupted):
        await cv_move.move_cvs(settings, other)
    monkeypatch.undo()
    assert (await client.get(f"/candidatures/{(await Application.get()).id}/cv")).content == sent
    assert len(await stored_cvs(settings)) == 3  # one CV is in both backends

    report = await cv_move.move_cvs(settings, other)
    assert report.moved + report.checked == 2 and report.unreadable == []
    keys = await _keys()
    assert all(key.startswith(PREFIXES[other]) for key in keys)
    assert [await raw_cv(settings, k) for k in keys] == [sent, kept]
    for key in await stored_cvs(settings):
        await age_cv(settings, key, 7200)
    assert await sweep_cv_orphans(settings) == 1
    assert await stored_cvs(settings) == sorted(keys)


def test_the_default_backend_follows_the_database(settings: Settings) -> None:
    env = {"JOBBOARD_DATA_DIR": str(settings.data_dir), "JOBBOARD_SECRET_KEY": "test"}
    assert Settings.from_env(env).cv_backend == "local"
    postgres = {**env, "JOBBOARD_DATABASE_URL": "postgres://pg@127.0.0.1/bourse"}
    assert Settings.from_env(postgres).cv_backend == "database"
    chosen = {**postgres, "JOBBOARD_CV_STORAGE": "local"}
    assert Settings.from_env(chosen).cv_backend == "local"
    with pytest.raises(ValueError, match="JOBBOARD_CV_STORAGE"):
        Settings.from_env({**env, "JOBBOARD_CV_STORAGE": "s3"})


def test_the_command_is_wired_and_says_what_to_set(tmp_path: Path) -> None:
    assert run(tmp_path, "migrate").returncode == 0
    moved = run(tmp_path, "move-cvs", "--to", "database")
    assert moved.returncode == 0, moved.stderr
    assert moved.stdout.splitlines() == [
        "0 CV déplacé(s) et vérifié(s)",
        "0 CV déjà en place, vérifié(s)",
        "Les nouveaux CV vont encore vers « local » : réglez JOBBOARD_CV_STORAGE=database.",
    ]
    refused = run(tmp_path, "move-cvs", "--to", "s3")
    assert refused.returncode == 2 and "invalid choice" in refused.stderr


async def test_a_refused_upload_stores_nothing(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """The limits are the form's, before the store: the same on both backends."""
    await make_user("candidate", "lea@example.fr")
    await log_in(client, "lea@example.fr")
    offer = await _offer()
    too_big = small_pdf() + b"%" * (settings.cv_max_bytes + 1024 * 1024)  # cut while read
    just_over = small_pdf() + b"%" * settings.cv_max_bytes  # read whole, then measured
    assert (await _apply(client, offer, too_big)).status_code == 413
    assert (await _apply(client, offer, just_over)).status_code == 400
    assert (await _apply(client, offer, b"pas un PDF")).status_code == 400
    assert (await _upload(client, too_big)).status_code == 413
    assert not await Application.exists() and await stored_cvs(settings) == []


async def test_the_personal_data_archive_streams_cvs_and_leaves_out_a_changed_one(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    sent, kept = await _two_cvs(client)
    application = await Application.get()
    response = await client.get((await _build(client)).headers["location"])
    data, archive = _zip(response)
    assert archive.read(f"cv/{application.id}-cv.pdf") == sent
    assert archive.read("cv-enregistre/Mon CV.pdf") == kept and "missing_files" not in data
    await tamper_cv(settings, application.cv_path, sent + b"% altered")
    data, archive = _zip(await client.get((await _build(client)).headers["location"]))
    assert data["missing_files"] == [f"cv/{application.id}-cv.pdf"]
    assert archive.namelist() == ["donnees.json", "cv-enregistre/Mon CV.pdf"]

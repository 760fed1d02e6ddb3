"""« CV enregistré »: upload, replace, delete with an application CV's checks and storage; apply
with it; each application keeps its own copy; the orphan sweep knows saved CVs."""

from __future__ import annotations

import hashlib
import io
from datetime import date

import httpx
import pytest
from starlette.applications import Starlette

from jobboard.models import Application, SavedCV, User
from jobboard.services.applications import sweep_cv_orphans
from jobboard.services.cv_store import cv_store
from jobboard.services.saved_cv import delete_saved_cv
from jobboard.settings import Settings
from jobboard.web import throttle
from tests.conftest import (
    age_cv,
    csrf_token,
    log_in,
    make_user,
    post_form,
    raw_cv,
    stored_cvs,
    tamper_cv,
)
from tests.test_applications import _apply, _offer, small_pdf


async def _stored(settings: Settings) -> list[str]:
    return await stored_cvs(settings)


async def _upload(
    client: httpx.AsyncClient, content: bytes | None, filename: str = "Mon CV.pdf"
) -> httpx.Response:
    token = await csrf_token(client, "/espace/compte")
    files = {"saved_cv": (filename, content, "application/pdf")} if content is not None else None
    return await client.post("/espace/compte/cv/envoyer", data={"csrf_token": token}, files=files)


def _pdf(marker: str) -> bytes:
    """A real one-page PDF, different for each marker."""
    return small_pdf() + f"\n% {marker}\n".encode()


@pytest.fixture
async def lea(client: httpx.AsyncClient) -> User:
    user = await make_user("candidate", "lea@example.fr", birth_date=date(2001, 5, 4))
    await log_in(client, "lea@example.fr")
    return user


async def test_upload_download_replace_delete(
    client: httpx.AsyncClient, lea: User, settings: Settings
) -> None:
    empty = await client.get("/espace/compte")
    assert "Aucun CV enregistré" in empty.text and 'for="saved_cv">Ajouter mon CV' in empty.text
    assert (await client.get("/espace/compte/cv")).status_code == 404
    first = _pdf("premier")
    response = await _upload(client, first, "C:\\Documents\\Mon CV.pdf")
    assert response.status_code == 303
    saved = await SavedCV.get(user_id=lea.id)
    assert saved.cv_filename == "Mon CV.pdf" and saved.size_bytes == len(first)
    assert saved.cv_sha256 == hashlib.sha256(first).hexdigest()
    assert await raw_cv(settings, saved.cv_path) == first
    page = await client.get("/espace/compte")
    assert "Mon CV.pdf" in page.text and "Remplacer mon CV" in page.text
    assert "Votre CV est enregistré" in page.text
    download = await client.get("/espace/compte/cv")
    assert download.status_code == 200 and download.content == first
    assert download.headers["content-type"] == "application/pdf"
    assert "attachment" in download.headers["content-disposition"]
    # Replacing: a new file, the old one removed, still one row.
    second = _pdf("second")
    assert (await _upload(client, second, "CV 2027.pdf")).status_code == 303
    replaced = await SavedCV.get(user_id=lea.id)
    assert replaced.id == saved.id and replaced.cv_filename == "CV 2027.pdf"
    assert await _stored(settings) == [replaced.cv_path]
    assert (await client.get("/espace/compte/cv")).content == second
    # Deleting: row and file gone.
    deleted = await post_form(
        client, "/espace/compte/cv/supprimer", {}, token_from="/espace/compte"
    )
    assert deleted.status_code == 303
    assert not await SavedCV.exists() and await _stored(settings) == []
    assert "Aucun CV enregistré" in (await client.get("/espace/compte")).text


BAD_FILES = [
    (b"pas un PDF", "Le CV doit être un fichier PDF."),
    (b"", "Le fichier est vide."),
    (b"%PDF-1.7\n%%EOF", "Ce PDF est illisible ou vide. Enregistrez-le à nouveau en PDF."),
]


@pytest.mark.parametrize(("content", "message"), BAD_FILES)
async def test_a_file_that_is_not_a_pdf_is_refused_and_the_saved_one_kept(
    client: httpx.AsyncClient, lea: User, settings: Settings, content: bytes, message: str
) -> None:
    assert (await _upload(client, _pdf("gardé"))).status_code == 303
    before = await SavedCV.get(user_id=lea.id)
    files_before = await _stored(settings)
    response = await _upload(client, content, "cv.pdf")
    assert response.status_code == 400
    assert f'<p class="fr-error-text" id="saved_cv-erreur">{message}</p>' in response.text
    assert 'aria-describedby="saved_cv-erreur"' in response.text
    after = await SavedCV.get(user_id=lea.id)
    assert (after.cv_path, after.cv_sha256) == (before.cv_path, before.cv_sha256)
    assert await _stored(settings) == files_before


async def test_no_file_too_large_or_too_many_uploads_are_refused(
    app: Starlette, client: httpx.AsyncClient, lea: User, settings: Settings
) -> None:
    missing = await _upload(client, None)
    assert missing.status_code == 400 and "Choisissez votre CV" in missing.text
    big = small_pdf() + b"%" * (6 * 1024 * 1024)
    too_big = await _upload(client, big)
    assert too_big.status_code == 413 and "dépasse 5 Mo" in too_big.text
    limiter = app.state.throttle
    for _ in range(20):
        await limiter.hit(throttle.SAVED_CV_PER_CANDIDATE, str(lea.id))
    limited = await _upload(client, small_pdf())
    assert limited.status_code == 429 and "Trop d’envois de CV" in limited.text
    await limiter.clear(throttle.SAVED_CV_PER_CANDIDATE, str(lea.id))
    for _ in range(60):
        await limiter.hit(throttle.APPLY_PER_IP, "127.0.0.1")
    assert (await _upload(client, small_pdf())).status_code == 429
    assert not await SavedCV.exists() and await _stored(settings) == []


async def test_only_candidates_have_a_saved_cv(client: httpx.AsyncClient) -> None:
    await make_user("recruiter", "rh@fumel.fr")
    await log_in(client, "rh@fumel.fr")
    assert "Mon CV enregistré" not in (await client.get("/espace/compte")).text
    assert (await _upload(client, small_pdf())).status_code == 403
    assert (await client.get("/espace/compte/cv")).status_code == 403
    assert not await SavedCV.exists()


async def test_apply_with_the_saved_cv_keeps_its_own_copy(
    client: httpx.AsyncClient, lea: User, settings: Settings
) -> None:
    first = _pdf("pour candidater")
    await _upload(client, first, "CV Léa.pdf")
    saved = await SavedCV.get(user_id=lea.id)
    offer = await _offer()
    form = await client.get(f"/offres/{offer.id}/candidater")
    assert "Utiliser mon CV enregistré (CV Léa.pdf, " in form.text
    assert 'id="cv_choice_saved" name="cv_choice" value="enregistre" checked' in form.text
    applied = await _apply(client, offer, None, cv_choice="enregistre")
    assert applied.status_code == 303, applied.text
    application = await Application.get()
    assert application.cv_path != saved.cv_path and application.cv_filename == "CV Léa.pdf"
    assert application.cv_sha256 == saved.cv_sha256
    own = application.cv_path
    assert await raw_cv(settings, own) == first
    # Replacing then deleting the saved CV leaves the application's CV as it was.
    await _upload(client, _pdf("remplacé"))
    assert await raw_cv(settings, own) == first
    await post_form(client, "/espace/compte/cv/supprimer", {}, token_from="/espace/compte")
    assert not await SavedCV.exists()
    assert await raw_cv(settings, own) == first
    download = await client.get(f"/candidatures/{application.id}/cv")
    assert download.status_code == 200 and download.content == first


async def test_another_cv_can_be_sent_instead(
    client: httpx.AsyncClient, lea: User, settings: Settings
) -> None:
    await _upload(client, _pdf("enregistré"))
    offer = await _offer()
    other = _pdf("autre")
    missing = await _apply(client, offer, None, cv_choice="autre")
    assert missing.status_code == 400 and 'id="cv-erreur"' in missing.text
    # The refused form shows « Envoyer un autre CV » chosen, with the file field.
    assert 'id="cv_choice_other" name="cv_choice" value="autre" checked' in missing.text
    applied = await _apply(client, offer, other, filename="Autre.pdf", cv_choice="autre")
    assert applied.status_code == 303
    application = await Application.get()
    assert application.cv_filename == "Autre.pdf"
    assert await raw_cv(settings, application.cv_path) == other


async def test_the_saved_choice_without_a_saved_cv_asks_for_a_file(
    client: httpx.AsyncClient, lea: User, settings: Settings
) -> None:
    offer = await _offer()
    response = await _apply(client, offer, None, cv_choice="enregistre")
    assert response.status_code == 400 and "Joignez votre CV" in response.text
    assert not await Application.exists() and await _stored(settings) == []


async def test_a_saved_cv_changed_on_disk_is_not_sent(
    client: httpx.AsyncClient, lea: User, settings: Settings
) -> None:
    await _upload(client, _pdf("intègre"))
    saved = await SavedCV.get(user_id=lea.id)
    await tamper_cv(settings, saved.cv_path, _pdf("altéré"))
    offer = await _offer()
    response = await _apply(client, offer, None, cv_choice="enregistre")
    assert response.status_code == 400 and "plus lisible" in response.text
    assert not await Application.exists()
    assert await _stored(settings) == [saved.cv_path]


async def test_the_orphan_sweep_keeps_saved_cvs(
    client: httpx.AsyncClient, lea: User, settings: Settings
) -> None:
    await _upload(client, _pdf("gardé"))
    saved = await SavedCV.get(user_id=lea.id)
    kept = saved.cv_path
    orphan = (await cv_store(settings).store(io.BytesIO(b"%PDF-"))).key
    for key in (kept, orphan):
        await age_cv(settings, key, 7200)
    assert await sweep_cv_orphans(settings) == 1
    assert await _stored(settings) == [kept]


async def test_account_deletion_helper_removes_row_and_file(
    client: httpx.AsyncClient, lea: User, settings: Settings
) -> None:
    await _upload(client, _pdf("à supprimer"))
    assert await delete_saved_cv(lea, settings) is True
    assert not await SavedCV.exists() and await _stored(settings) == []
    assert await delete_saved_cv(lea, settings) is False

"""Candidates apply with a CV; recruiters review; everything logged, e-mailed, authorised."""

from __future__ import annotations

import asyncio
import hashlib
import io
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from pypdf import PdfWriter
from starlette.applications import Starlette

from jobboard import clock
from jobboard.models import Application, ApplicationEvent, EmailOutbox, Offer, User
from jobboard.services import pdf_check
from jobboard.services.applications import change_status
from jobboard.services.cv_store import cv_store
from jobboard.services.offer_import import import_offers
from jobboard.settings import Settings
from jobboard.web import throttle
from tests import pdf_corpus
from tests.conftest import (
    age_cv,
    csrf_token,
    log_in,
    make_user,
    offer_row,
    post_form,
    raw_cv,
    stored_cvs,
)

TODAY = clock.today()
START = TODAY + timedelta(days=60)


def small_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


async def _offer(**changes: Any) -> Offer:
    row = offer_row(start_date=START.isoformat(), **changes)
    result = await import_offers([row], today=TODAY)
    assert not result.errors, result.errors
    return await Offer.get(id=result.created[0])


async def _apply(
    client: httpx.AsyncClient,
    offer: Offer,
    content: bytes | None,
    *,
    filename: str = "cv.pdf",
    letter: str = "Je souhaite rejoindre la commune.",
    **fields: str,
) -> httpx.Response:
    token = await csrf_token(client, f"/offres/{offer.id}/candidater")
    files = {"cv": (filename, content, "application/pdf")} if content is not None else None
    data = {"csrf_token": token, "cover_letter": letter, **fields}
    return await client.post(f"/offres/{offer.id}/candidater", data=data, files=files)


async def _stored(settings: Settings) -> list[str]:
    return await stored_cvs(settings)


@pytest.fixture
async def lea(client: httpx.AsyncClient) -> User:
    user = await make_user("candidate", "lea@example.fr", birth_date=date(2001, 5, 4))
    await log_in(client, "lea@example.fr")
    return user


async def test_a_full_application_with_a_real_pdf(
    client: httpx.AsyncClient, lea: User, settings: Settings
) -> None:
    await make_user("recruiter", "rh@espinasses.fr", commune="05050")
    offer = await _offer()
    form = await client.get(f"/offres/{offer.id}/candidater")
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
    pdf = small_pdf()
    response = await _apply(client, offer, pdf, talent_pool="oui", message="Disponible dès mars.")
    assert response.status_code == 303, response.text
    application = await Application.get()
    assert application.status == "received" and application.talent_pool_consent
    assert application.cv_sha256 == hashlib.sha256(pdf).hexdigest()
    [stored] = await _stored(settings)
    assert application.cv_filename == "cv.pdf" and application.cv_path == stored
    assert await raw_cv(settings, stored) == pdf and "cv.pdf" not in stored  # a random name
    assert application.eligibility["verdict"] == "eligible"
    assert await ApplicationEvent.filter(
        application_id=application.id, to_status="received"
    ).exists()
    emails = {e.to: e.subject for e in await EmailOutbox.all()}
    assert emails["lea@example.fr"].startswith("Candidature envoyée")
    assert emails["rh@espinasses.fr"].startswith("Nouvelle candidature")
    page = await client.get(response.headers["location"])
    assert "Reçue" in page.text and "Disponible dès mars." in page.text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"Bonjour, ceci est un CV en texte\n" * 20, "doit être un fichier PDF"),
        (b"", "Le fichier est vide."),
        (b"%PDF-1.7\n" + b"\x00garbage" * 100, "illisible"),
    ],
)
async def test_files_that_are_not_readable_pdfs_are_refused(
    client: httpx.AsyncClient, lea: User, settings: Settings, content: bytes, message: str
) -> None:
    offer = await _offer()
    response = await _apply(client, offer, content, filename="cv.pdf")
    assert response.status_code == 400 and message in response.text
    assert await Application.all().count() == 0 and await _stored(settings) == []


async def test_a_six_megabyte_file_is_refused_before_being_read(
    client: httpx.AsyncClient, lea: User, settings: Settings
) -> None:
    offer = await _offer()
    big = small_pdf() + b"%" * (6 * 1024 * 1024)
    response = await _apply(client, offer, big)
    assert response.status_code == 413 and "dépasse 5 Mo" in response.text
    assert await Application.all().count() == 0 and await _stored(settings) == []


async def test_a_body_without_length_is_cut_at_the_limit(
    app: Starlette, lea: User, settings: Settings, client: httpx.AsyncClient
) -> None:
    """A chunked upload declares no size: it is stopped once it passes the limit."""
    offer = await _offer()
    token = await csrf_token(client, f"/offres/{offer.id}/candidater")
    boundary = "limite"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="cv"; filename="cv.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n%PDF-1.4\n"
    ).encode()

    async def chunks() -> Any:
        yield head
        for _ in range(7):
            yield b"%" * (1024 * 1024)
        yield f"\r\n--{boundary}--\r\n".encode()

    response = await client.post(
        f"/offres/{offer.id}/candidater",
        content=chunks(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413
    assert await Application.all().count() == 0 and await _stored(settings) == []


async def test_an_interrupted_upload_leaves_no_file_and_no_row(
    app: Starlette, lea: User, settings: Settings, client: httpx.AsyncClient
) -> None:
    offer = await _offer()
    token = await csrf_token(client, f"/offres/{offer.id}/candidater")
    body = (
        f'--x\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
        '--x\r\nContent-Disposition: form-data; name="cover_letter"\r\n\r\nBonjour\r\n'
        '--x\r\nContent-Disposition: form-data; name="cv"; filename="cv.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode() + small_pdf()[:200]
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": f"/offres/{offer.id}/candidater", "raw_path": b"",
        "query_string": b"", "root_path": "", "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"multipart/form-data; boundary=x"),
            (b"content-length", b"900000"),
            (b"cookie", cookie.encode()),
        ],
    }  # fmt: skip
    messages = [
        {"type": "http.request", "body": body, "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)  # no exception escapes
    statuses = [m["status"] for m in sent if m["type"] == "http.response.start"]
    assert all(code < 500 for code in statuses)  # nothing, or a 4xx nobody reads
    assert await Application.all().count() == 0 and await _stored(settings) == []


async def test_applying_twice_is_refused_with_a_link(
    client: httpx.AsyncClient, lea: User, settings: Settings
) -> None:
    offer = await _offer()
    assert (await _apply(client, offer, small_pdf())).status_code == 303
    application = await Application.get()
    again = await _apply(client, offer, small_pdf())
    assert again.status_code == 409
    assert f"/espace/candidat/candidatures/{application.id}" in again.text
    assert len(await _stored(settings)) == 1
    form = await client.get(f"/offres/{offer.id}/candidater")
    assert "déjà candidaté" in form.text.replace("&#39;", "'")


async def test_twenty_concurrent_submissions_make_one_application(
    client: httpx.AsyncClient, lea: User, settings: Settings
) -> None:
    offer = await _offer()
    pdf = small_pdf()
    token = await csrf_token(client, f"/offres/{offer.id}/candidater")

    async def submit() -> int:
        response = await client.post(
            f"/offres/{offer.id}/candidater",
            data={"csrf_token": token, "cover_letter": "Motivée"},
            files={"cv": ("cv.pdf", pdf, "application/pdf")},
        )
        return response.status_code

    codes = await asyncio.gather(*(submit() for _ in range(20)))
    assert codes.count(303) == 1 and set(codes) <= {303, 409}
    assert await Application.filter(offer_id=offer.id).count() == 1
    assert len(await _stored(settings)) == 1  # the losers' files were removed


@pytest.mark.parametrize(
    ("kind", "birth", "level", "ok"),
    [
        ("vta", START.replace(year=START.year - 18), 5, True),  # 18 on the start date
        ("vta", START.replace(year=START.year - 18) + timedelta(days=1), 5, False),  # 17
        ("vta", START.replace(year=START.year - 31) + timedelta(days=1), 5, True),  # still 30
        ("vta", START.replace(year=START.year - 31), 5, False),  # 31 on the start date
        ("vta", date(2001, 5, 4), 4, False),  # bac only
        ("vta_expertise", date(1975, 1, 1), 7, True),  # no age ceiling
    ],
)
async def test_vta_rules_at_apply_time(
    client: httpx.AsyncClient, settings: Settings, kind: str, birth: date, level: int, ok: bool
) -> None:
    await make_user("candidate", "c@example.fr", birth_date=birth, diploma_level=level)
    await log_in(client, "c@example.fr")
    offer = await _offer(kind=kind)
    response = await _apply(client, offer, small_pdf())
    assert (response.status_code == 303) is ok, response.text
    if not ok:
        assert response.status_code == 400
        assert "18-30 ans" in response.text or "bac+2" in response.text
        assert await Application.all().count() == 0 and await _stored(settings) == []


async def test_closed_and_expired_offers_take_no_application(
    client: httpx.AsyncClient, lea: User
) -> None:
    closed = await _offer()
    await Offer.filter(id=closed.id).update(status="closed")
    response = await _apply(client, closed, small_pdf())
    assert response.status_code == 400 and "ne reçoit plus de candidatures" in response.text
    expired = await _offer()
    await Offer.filter(id=expired.id).update(deadline=TODAY - timedelta(days=1))
    assert (await _apply(client, expired, small_pdf())).status_code == 400
    draft = await _offer(status="draft")
    assert (await client.get(f"/offres/{draft.id}/candidater")).status_code == 404


async def test_visitors_are_sent_to_login_and_back(client: httpx.AsyncClient) -> None:
    offer = await _offer()
    response = await client.get(f"/offres/{offer.id}/candidater")
    assert response.status_code == 303
    assert response.headers["location"] == f"/connexion?suivant=%2Foffres%2F{offer.id}%2Fcandidater"
    page = await client.get(f"/offres/{offer.id}")
    assert f'href="/offres/{offer.id}/candidater"' in page.text


async def test_who_may_download_a_cv(client: httpx.AsyncClient, settings: Settings) -> None:
    offer = await _offer()
    await make_user("candidate", "lea@example.fr")
    await make_user("candidate", "karim@example.fr", full_name="Karim Benali")
    await make_user("recruiter", "rh@espinasses.fr", commune="05050")
    await make_user("recruiter", "new@espinasses.fr", commune="05050", verification="pending")
    await make_user("recruiter", "rh@fumel.fr", commune="47106")
    await make_user("staff", "moderation@anct.example")
    await log_in(client, "lea@example.fr")
    await _apply(client, offer, small_pdf(), filename="Mon CV.pdf")
    application = await Application.get()
    url = f"/candidatures/{application.id}/cv"
    expected = {
        "lea@example.fr": 200,
        "karim@example.fr": 404,
        "rh@espinasses.fr": 200,
        "new@espinasses.fr": 404,
        "rh@fumel.fr": 404,
        "moderation@anct.example": 200,
    }
    for email, code in expected.items():
        other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
        await log_in(other, email)
        response = await other.get(url)
        assert response.status_code == code, email
        if code == 200:
            assert response.headers["content-type"] == "application/pdf"
            assert response.headers["content-disposition"].startswith("attachment")
            assert response.content.startswith(b"%PDF-")
        await other.aclose()
    anonymous = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    assert (await anonymous.get(url)).status_code == 303
    await anonymous.aclose()


async def _reviewing(client: httpx.AsyncClient) -> Application:
    offer = await _offer()
    await make_user("candidate", "lea@example.fr")
    await make_user("recruiter", "rh@espinasses.fr", commune="05050")
    await log_in(client, "lea@example.fr")
    await _apply(client, offer, small_pdf())
    await post_form(client, "/deconnexion", {}, token_from="/")
    await log_in(client, "rh@espinasses.fr")
    return await Application.get()


async def _move(
    client: httpx.AsyncClient, application: Application, action: str, comment: str = ""
) -> httpx.Response:
    return await post_form(
        client,
        f"/espace/recruteur/candidatures/{application.id}/statut",
        {"action": action, "comment": comment},
        token_from=f"/espace/recruteur/candidatures/{application.id}",
    )


async def test_recruiter_pipeline_with_emails(client: httpx.AsyncClient) -> None:
    application = await _reviewing(client)
    listing = await client.get(f"/espace/recruteur/offres/{application.offer_id}/candidatures")
    assert "Reçue (1)" in listing.text and "Léa Martin" in listing.text
    assert (await _move(client, application, "accept")).status_code == 400  # not from received
    assert (await _move(client, application, "review")).status_code == 303
    assert (await _move(client, application, "interview", "Mardi 10 h ?")).status_code == 303
    no_reason = await _move(client, application, "reject")
    assert no_reason.status_code == 400 and "Indiquez le motif" in no_reason.text
    assert (await _move(client, application, "accept", "Bienvenue !")).status_code == 303
    assert (await Application.get(id=application.id)).status == "accepted"
    assert (await _move(client, application, "reject", "x")).status_code == 400  # decided
    events = await ApplicationEvent.filter(application_id=application.id).order_by("id")
    assert [e.to_status for e in events] == ["received", "in_review", "interview", "accepted"]
    subjects = [e.subject for e in await EmailOutbox.filter(to="lea@example.fr").order_by("id")]
    assert subjects[-3:] == [
        "Votre candidature : en cours d’examen",
        "Votre candidature : entretien proposé",
        "Votre candidature : retenue",
    ]
    interview = await EmailOutbox.filter(subject="Votre candidature : entretien proposé").first()
    assert interview and "Mardi 10 h ?" in interview.body_text


async def test_htmx_status_change_returns_the_pipeline_block(client: httpx.AsyncClient) -> None:
    application = await _reviewing(client)
    token = await csrf_token(client, f"/espace/recruteur/candidatures/{application.id}")
    response = await client.post(
        f"/espace/recruteur/candidatures/{application.id}/statut",
        data={"action": "review", "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and "<html" not in response.text
    assert 'id="suivi"' in response.text and "En cours d’examen" in response.text


async def test_internal_notes_stay_with_the_recruiters(client: httpx.AsyncClient) -> None:
    application = await _reviewing(client)
    response = await post_form(
        client,
        f"/espace/recruteur/candidatures/{application.id}/notes",
        {"notes": "Profil solide, à rappeler."},
        token_from=f"/espace/recruteur/candidatures/{application.id}",
    )
    assert response.status_code == 303
    await post_form(client, "/deconnexion", {}, token_from="/")
    await log_in(client, "lea@example.fr")
    page = await client.get(f"/espace/candidat/candidatures/{application.id}")
    assert page.status_code == 200 and "à rappeler" not in page.text


async def test_candidate_withdraws(client: httpx.AsyncClient) -> None:
    application = await _reviewing(client)
    await post_form(client, "/deconnexion", {}, token_from="/")
    await log_in(client, "lea@example.fr")
    response = await post_form(
        client, f"/espace/candidat/candidatures/{application.id}/retirer", {},
        token_from=f"/espace/candidat/candidatures/{application.id}",
    )  # fmt: skip
    assert response.status_code == 303
    assert (await Application.get(id=application.id)).status == "withdrawn"
    assert await EmailOutbox.filter(
        to="rh@espinasses.fr", subject__startswith="Candidature retirée"
    ).exists()
    again = await post_form(
        client, f"/espace/candidat/candidatures/{application.id}/retirer", {},
        token_from=f"/espace/candidat/candidatures/{application.id}",
    )  # fmt: skip
    assert again.status_code == 303  # refused with a message, nothing changes
    assert (
        await ApplicationEvent.filter(application_id=application.id, to_status="withdrawn").count()
        == 1
    )


async def test_another_collectivite_sees_no_application(client: httpx.AsyncClient) -> None:
    application = await _reviewing(client)
    await post_form(client, "/deconnexion", {}, token_from="/")
    await make_user("recruiter", "rh@fumel.fr", commune="47106")
    await log_in(client, "rh@fumel.fr")
    assert (await client.get(f"/espace/recruteur/candidatures/{application.id}")).status_code == 404
    assert (
        await client.get(f"/espace/recruteur/offres/{application.offer_id}/candidatures")
    ).status_code == 404
    assert (await _move(client, application, "review")).status_code == 404
    await Application.get(id=application.id, status="received")  # the move did not happen


async def test_orphan_cvs_are_swept(
    client: httpx.AsyncClient, lea: User, settings: Settings
) -> None:
    from jobboard.services.applications import sweep_cv_orphans

    offer = await _offer()
    await _apply(client, offer, small_pdf())
    [kept] = await _stored(settings)
    orphan = (await cv_store(settings).store(io.BytesIO(b"%PDF-"))).key
    for key in (orphan, kept):
        await age_cv(settings, key, 60)
    assert await sweep_cv_orphans(settings) == 0  # too recent: may still be in flight
    for key in (orphan, kept):
        await age_cv(settings, key, 7200)
    assert await sweep_cv_orphans(settings, dry_run=True) == 1
    assert await sweep_cv_orphans(settings) == 1
    assert await _stored(settings) == [kept]


async def test_the_downloaded_name_always_ends_in_pdf(
    client: httpx.AsyncClient, lea: User, settings: Settings
) -> None:
    offer = await _offer()
    assert (await _apply(client, offer, small_pdf(), filename="CV.bat")).status_code == 303
    assert (await Application.get()).cv_filename == "CV.pdf"


async def test_a_script_with_a_pdf_appended_is_not_a_pdf(
    client: httpx.AsyncClient, lea: User, settings: Settings
) -> None:
    offer = await _offer()
    response = await _apply(client, offer, b"@echo off\r\ncalc.exe\r\n" + small_pdf())
    assert response.status_code == 400 and await _stored(settings) == []


async def test_an_offer_closed_meanwhile_takes_no_application(
    client: httpx.AsyncClient, lea: User, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jobboard.services import applications

    offer = await _offer()
    checked = applications.check_can_apply

    async def then_closed(*args: Any, **kwargs: Any) -> Any:
        result = await checked(*args, **kwargs)
        await Offer.filter(id=offer.id).update(status="closed")  # the recruiter closes it now
        return result

    monkeypatch.setattr(applications, "check_can_apply", then_closed)
    response = await _apply(client, offer, small_pdf())
    assert response.status_code == 400 and "ne reçoit plus" in response.text
    assert await Application.all().count() == 0 and await _stored(settings) == []


async def test_the_application_log_cannot_be_rewritten(db: None, settings: Settings) -> None:
    offer = await _offer()
    lea = await make_user("candidate", "lea@example.fr")
    recruiter = await make_user("recruiter", "rh@espinasses.fr", commune="05050")
    application = await Application.create(offer_id=offer.id, candidate=lea)
    await change_status(
        application.id, "review", recruiter, by="recruiter", comment="", settings=settings
    )
    event = await ApplicationEvent.get(application_id=application.id)
    assert (event.from_status, event.to_status, event.actor_id) == ("received", "in_review",
                                                                    recruiter.id)  # fmt: skip
    event.comment = "réécrit"
    with pytest.raises(PermissionError):
        await event.save()
    with pytest.raises(PermissionError):
        await event.delete()
    with pytest.raises(Exception, match="append-only"):
        await ApplicationEvent.filter(id=event.id).update(comment="réécrit")
    with pytest.raises(Exception, match="append-only"):
        await ApplicationEvent.filter(application_id=application.id).delete()
    assert (await ApplicationEvent.get(id=event.id)).comment == ""
    # Deleting an account only forgets who acted (ON DELETE SET NULL).
    await ApplicationEvent.filter(id=event.id).update(actor_id=None)
    assert (await ApplicationEvent.get(id=event.id)).actor_id is None


# Hostile PDFs (issue 12, points 4 and 5): refused by a check in a child process with limits.


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("many-pages", "dépasse 30 pages"),
        ("thirty-one-pages", "dépasse 30 pages"),
        ("many-objects", "trop complexe"),
        ("open-action-javascript", pdf_check.ACTIVE_CONTENT),
        ("embedded-file", pdf_check.ACTIVE_CONTENT),
        ("html-polyglot", pdf_check.ACTIVE_CONTENT),
        ("zip-polyglot", pdf_check.ACTIVE_CONTENT),
    ],
)
async def test_hostile_pdfs_are_refused_with_a_french_message(
    client: httpx.AsyncClient, lea: User, settings: Settings, name: str, message: str
) -> None:
    corpus = {
        **pdf_corpus.ACTIVE,
        "many-pages": lambda: pdf_corpus.many_pages(58_000),
        "thirty-one-pages": lambda: pdf_corpus.simple_pdf(31),
        "many-objects": lambda: pdf_corpus.many_objects(25_000),
    }
    offer = await _offer()
    response = await _apply(client, offer, corpus[name]())
    assert response.status_code == 400
    assert message in response.text
    assert await Application.all().count() == 0 and await _stored(settings) == []


async def test_hostile_pdfs_are_refused_while_the_board_keeps_answering(
    client: httpx.AsyncClient, lea: User, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four heavy uploads at once: the checks run in child processes, so the event loop keeps
    answering other requests while they are in flight, and each upload is refused."""
    offer = await _offer()
    started = asyncio.Event()
    finished: list[str] = []
    inspect = pdf_check.inspect_in_child

    async def observed(data: bytes, limits: pdf_check.PdfLimits) -> str:
        started.set()
        try:
            return await inspect(data, limits)
        finally:
            finished.append("check")

    monkeypatch.setattr(pdf_check, "inspect_in_child", observed)
    hostile = [
        pdf_corpus.many_pages(58_000),
        pdf_corpus.many_objects(25_000),
        pdf_corpus.many_pages(58_000),
        pdf_corpus.many_objects(25_000),
    ]
    async with asyncio.timeout(120):  # generous: "refused, not hung"
        uploads = [asyncio.create_task(_apply(client, offer, content)) for content in hostile]
        await started.wait()
        answers = [await client.get("/sante") for _ in range(3)]
        in_flight_after_answers = len(hostile) - len(finished)
        responses = await asyncio.gather(*uploads)
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert in_flight_after_answers > 0  # the board answered while checks were running
    assert [r.status_code for r in responses] == [400] * 4
    assert await Application.all().count() == 0 and await _stored(settings) == []


async def test_application_attempts_are_limited_per_candidate_and_per_address(
    app: Starlette, client: httpx.AsyncClient, lea: User, settings: Settings
) -> None:
    offer = await _offer()
    limiter = app.state.throttle
    for _ in range(20):
        await limiter.hit(throttle.APPLY_PER_CANDIDATE, str(lea.id))
    response = await _apply(client, offer, small_pdf())
    assert response.status_code == 429 and "Trop de candidatures" in response.text
    await limiter.clear(throttle.APPLY_PER_CANDIDATE, str(lea.id))
    for _ in range(60):
        await limiter.hit(throttle.APPLY_PER_IP, "127.0.0.1")
    response = await _apply(client, offer, small_pdf())
    assert response.status_code == 429 and "Trop de candidatures" in response.text
    assert await Application.all().count() == 0 and await _stored(settings) == []
    await limiter.clear(throttle.APPLY_PER_IP, "127.0.0.1")
    assert (await _apply(client, offer, small_pdf())).status_code == 303

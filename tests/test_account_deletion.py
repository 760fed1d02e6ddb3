"""« Supprimer mon compte »: nothing personal left in any table, in the CV directory or (on
SQLite) in the database files; recruiters' pages and the journal still render."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from tortoise import connections

from jobboard import clock, mail
from jobboard.models import (
    Alert,
    Application,
    ApplicationEvent,
    DataExport,
    EmailOutbox,
    Offer,
    OfferEvent,
    User,
    UserSession,
)
from jobboard.services import account_deletion, data_export
from jobboard.services.applications import change_status
from jobboard.settings import Settings, connection_url
from tests.conftest import (
    PASSWORD,
    approve,
    is_postgres,
    log_in,
    make_user,
    migrated_test_context,
    post_form,
    stored_cvs,
)
from tests.test_applications import _apply, _offer, small_pdf
from tests.test_cli import run

EMAIL = "ines.lefort@example.fr"
NAME = "Inès Zarkowiak"
BIRTH = date(1999, 3, 17)
# Every way the birth date could be written down.
BIRTH_FORMS = ("1999-03-17", "17/03/1999", "17 mars 1999")


class Captured:
    """A mail backend that keeps what it was given."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def send(self, message: EmailMessage) -> None:
        self.messages.append(message)


async def _text_columns() -> list[tuple[str, str]]:
    """(table, column) for every column that can hold text, read from the live schema."""
    conn = connections.get("default")
    if is_postgres():
        rows = await conn.execute_query_dict(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type IN "
            "('text', 'character varying', 'character', 'json', 'jsonb') "
            "AND table_name <> 'tortoise_migrations'"
        )
        return [(r["table_name"], r["column_name"]) for r in rows]
    found: list[tuple[str, str]] = []
    tables = await conn.execute_query_dict(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name <> 'tortoise_migrations'"
    )
    for table in tables:
        for column in await conn.execute_query_dict(f"PRAGMA table_info('{table['name']}')"):
            kind = column["type"].upper()
            if any(word in kind for word in ("CHAR", "TEXT", "JSON", "CLOB")) or kind == "":
                found.append((table["name"], column["name"]))
    return found


async def _traces(needles: tuple[str, ...]) -> list[str]:
    """Where any needle appears, as « table.column = value »."""
    conn = connections.get("default")
    found = []
    for table, column in await _text_columns():
        cast = f'CAST("{column}" AS TEXT)'
        for needle in needles:
            rows = await conn.execute_query_dict(
                f'SELECT {cast} AS v FROM "{table}" WHERE LOWER({cast}) LIKE LOWER(?)'
                if not is_postgres()
                else f'SELECT {cast} AS v FROM "{table}" WHERE {cast} ILIKE $1',
                [f"%{needle}%"],
            )
            found += [f"{table}.{column} = {r['v'][:80]!r}" for r in rows]
    return found


def _files_with(directory: Path, needles: tuple[bytes, ...]) -> list[Path]:
    if not directory.exists():
        return []
    return [
        path
        for path in directory.rglob("*")
        if path.is_file() and any(n in path.read_bytes() for n in needles)
    ]


@pytest.fixture
async def world(app: Starlette, client: httpx.AsyncClient, settings: Settings) -> dict[str, object]:
    """Inès applied twice (one pending with a CV and a message, one refused with a reason that
    names her), a recruiter wrote notes about her, she built her data archive."""
    recruiter = await make_user("recruiter", "rh@espinasses.fr", commune="05050", full_name="Rémi")
    pending_offer = await _offer(title="VTA – Transition écologique")
    refused_offer = await _offer(title="VTA – Habitat")
    candidate = await make_user("candidate", EMAIL, full_name=NAME, birth_date=BIRTH)
    await log_in(client, EMAIL)
    first = await _apply(
        client, pending_offer, small_pdf(), filename=f"CV {NAME}.pdf",
        letter=f"Je suis {NAME}, née le 17/03/1999.", message=f"Écrivez-moi : {EMAIL}",
    )  # fmt: skip
    assert first.status_code == 303, first.text
    second = await _apply(client, refused_offer, small_pdf(), letter="Deuxième lettre.")
    assert second.status_code == 303, second.text
    pending = await Application.get(offer_id=pending_offer.id)
    refused = await Application.get(offer_id=refused_offer.id)
    await Application.filter(id=pending.id).update(internal_notes=f"{NAME} semble motivée.")
    await change_status(
        refused.id, "reject", recruiter, by="recruiter",
        comment=f"Merci {NAME}, le poste demande un permis.", settings=settings,
    )  # fmt: skip
    # Alerts: one made signed in, one made as a visitor with the same address.
    moment = clock.now()
    for user in (candidate, None):
        await Alert.create(
            email=EMAIL, user=user, name=f"Offres pour {NAME}", query="q=climat",
            frequency="daily", status="active", created_at=moment, confirmed_at=moment,
            watermark=moment,
        )  # fmt: skip
    backend = Captured()
    await mail.send_pending(backend, settings.email_from)  # some rows sent, kept 90 days
    await post_form(client, "/espace/compte/donnees/preparer", {}, token_from="/espace/compte")
    assert await DataExport.filter(user_id=candidate.id).exists()
    return {
        "candidate": candidate,
        "recruiter": recruiter,
        "pending": pending,
        "refused": refused,
        "backend": backend,
    }


async def _delete(client: httpx.AsyncClient, password: str = PASSWORD) -> httpx.Response:
    return await post_form(
        client, "/espace/compte/suppression", {"password": password},
        token_from="/espace/compte/suppression",
    )  # fmt: skip


async def test_the_page_explains_what_goes_and_what_stays(
    client: httpx.AsyncClient, world: dict[str, object]
) -> None:
    page = await client.get("/espace/compte/suppression")
    assert page.status_code == 200
    for said in ("Ce qui est effacé", "Ce qui est gardé, et pourquoi", "vos 2 candidatures",
                 "1 candidature en cours est retirée", "Candidature retirée : compte supprimé",
                 "téléchargez-les"):  # fmt: skip
        assert said in page.text, said
    account = await client.get("/espace/compte")
    assert 'href="/espace/compte/suppression"' in account.text
    assert 'href="/espace/compte/donnees"' in account.text


async def test_a_wrong_password_deletes_nothing(
    client: httpx.AsyncClient, world: dict[str, object], settings: Settings
) -> None:
    cvs = await stored_cvs(settings)
    response = await _delete(client, "pas le bon mot de passe")
    assert response.status_code == 400
    assert "Mot de passe incorrect" in response.text and 'aria-invalid="true"' in response.text
    assert await User.filter(email=EMAIL).exists()
    assert await UserSession.filter(user__email=EMAIL).exists()
    pending = await Application.get(id=world["pending"].id)  # type: ignore[attr-defined]
    assert pending.status == "received" and pending.candidate_id is not None
    assert cvs and await stored_cvs(settings) == cvs
    assert (await client.get("/espace/candidat")).status_code == 200  # still signed in


async def test_a_deleted_candidate_leaves_no_trace(
    app: Starlette, client: httpx.AsyncClient, world: dict[str, object], settings: Settings
) -> None:
    needles = (EMAIL, NAME, "Zarkowiak", *BIRTH_FORMS)
    assert await _traces(needles)  # the search finds them while the account exists
    assert await stored_cvs(settings)

    response = await _delete(client)
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert "Votre compte est supprimé" in (await client.get("/")).text
    assert (await client.get("/espace/candidat")).status_code == 303  # signed out
    # The last e-mail goes out, and is not kept.
    backend: Captured = world["backend"]  # type: ignore[assignment]
    backend.messages.clear()
    await mail.send_pending(backend, settings.email_from)
    last = [m for m in backend.messages if m["To"] == EMAIL]
    assert [m["Subject"] for m in last] == ["Votre compte a été supprimé"]

    assert await _traces(needles) == []
    assert not await User.filter(email=EMAIL).exists()
    assert await UserSession.all().count() == 0 and await DataExport.all().count() == 0
    leftovers = _files_with(settings.data_dir, (*(n.encode() for n in needles), b"%PDF", b"PK"))
    assert leftovers == []
    assert await stored_cvs(settings) == []

    # The applications stay, anonymised, with their status history.
    pending = await Application.get(id=world["pending"].id)  # type: ignore[attr-defined]
    refused = await Application.get(id=world["refused"].id)  # type: ignore[attr-defined]
    assert pending.status == "withdrawn" and refused.status == "rejected"
    assert pending.anonymised_reason == "account_deleted" and pending.candidate_id is None
    history = await ApplicationEvent.filter(application_id=pending.id).order_by("id")
    assert [(e.to_status, e.comment) for e in history] == [
        ("received", ""),
        ("withdrawn", "Compte supprimé par le candidat"),
    ]
    refused_history = await ApplicationEvent.filter(application_id=refused.id).order_by("id")
    assert [e.to_status for e in refused_history] == [
        "received",
        "rejected",
    ]

    # Recruiters' pages and the journal still render.
    client.cookies.clear()
    await log_in(client, "rh@espinasses.fr")
    listing = await client.get(f"/espace/recruteur/offres/{pending.offer_id}/candidatures")
    assert listing.status_code == 200
    assert "Candidature retirée : compte supprimé" in listing.text
    detail = await client.get(f"/espace/recruteur/candidatures/{pending.id}")
    assert detail.status_code == 200 and "Candidature retirée : compte supprimé" in detail.text
    assert (await client.get(f"/candidatures/{pending.id}/cv")).status_code == 404
    client.cookies.clear()
    await make_user("staff", "moderation@anct.example")
    await log_in(client, "moderation@anct.example")
    assert (await client.get("/moderation/journal")).status_code == 200
    assert (await client.get(f"/moderation/offres/{pending.offer_id}")).status_code == 200


async def test_deleting_twice_or_at_once_deletes_once(
    client: httpx.AsyncClient, world: dict[str, object], settings: Settings
) -> None:
    candidate: User = world["candidate"]  # type: ignore[assignment]
    results = await asyncio.gather(
        account_deletion.delete_account(candidate.id, settings, reason="owner"),
        account_deletion.delete_account(candidate.id, settings, reason="owner"),
    )
    assert sorted(results) == [False, True]
    assert await EmailOutbox.filter(to=EMAIL, subject="Votre compte a été supprimé").count() == 1
    # The same browser asks again: it is signed out now, nothing breaks.
    again = await client.post("/espace/compte/suppression", data={"password": PASSWORD})
    assert again.status_code in (303, 403)
    # A form sent twice by a double click: the second request deletes nothing more.
    stale = await account_deletion.request_deletion(
        candidate, PASSWORD, last_recruiter_understood=False, settings=settings
    )
    assert stale is False


async def test_a_deletion_during_an_archive_build_leaves_neither(
    client: httpx.AsyncClient,
    world: dict[str, object],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    candidate: User = world["candidate"]  # type: ignore[assignment]
    real_document = data_export.document

    async def deleted_meanwhile(user: User, settings: Settings) -> object:
        found = await real_document(user, settings)
        assert await account_deletion.delete_account(user.id, settings, reason="owner")
        return found

    monkeypatch.setattr(data_export, "document", deleted_meanwhile)
    response = await post_form(
        client, "/espace/compte/donnees/preparer", {}, token_from="/espace/compte/donnees"
    )
    assert response.status_code == 404
    assert not await User.filter(id=candidate.id).exists()
    assert not await DataExport.exists()
    exports = settings.data_dir / data_export.EXPORT_DIR
    assert list(exports.iterdir()) == []


async def test_a_recruiter_leaves_offers_and_a_nameless_journal(
    app: Starlette, client: httpx.AsyncClient, settings: Settings
) -> None:
    colleague = await make_user("recruiter", "autre@espinasses.fr", commune="05050")
    recruiter = await make_user(
        "recruiter", "rh@espinasses.fr", commune="05050", full_name="Rémi Dubreuil"
    )
    await log_in(client, "rh@espinasses.fr")
    offer = await _offer()
    await OfferEvent.filter(offer_id=offer.id).update(actor_id=recruiter.id, actor_role="recruiter")
    await Offer.filter(id=offer.id).update(created_by_id=recruiter.id)
    response = await _delete(client)
    assert response.status_code == 303
    assert not await User.filter(id=recruiter.id).exists()
    kept = await Offer.get(id=offer.id)
    assert kept.created_by_id is None and kept.organisation_id == colleague.organisation_id
    staff = await make_user("staff", "moderation@anct.example")
    await log_in(client, staff.email)
    journal = await client.get("/moderation/journal")
    assert journal.status_code == 200
    assert "recruteur, compte supprimé" in journal.text and "Rémi Dubreuil" not in journal.text
    review = await client.get(f"/moderation/offres/{offer.id}")
    assert review.status_code == 200 and "recruteur, compte supprimé" in review.text


async def test_the_last_verified_recruiter_is_warned_first(
    app: Starlette, client: httpx.AsyncClient, settings: Settings
) -> None:
    recruiter = await make_user("recruiter", "rh@espinasses.fr", commune="05050")
    await _offer()  # published, in the recruiter's collectivité
    await log_in(client, "rh@espinasses.fr")
    page = await client.get("/espace/compte/suppression")
    assert "dernier recruteur vérifié" in page.text and 'name="last_recruiter"' in page.text
    refused = await _delete(client)
    assert refused.status_code == 400 and "Cochez la case" in refused.text
    assert await User.filter(id=recruiter.id).exists()
    confirmed = await post_form(
        client, "/espace/compte/suppression", {"password": PASSWORD, "last_recruiter": "oui"},
        token_from="/espace/compte/suppression",
    )  # fmt: skip
    assert confirmed.status_code == 303
    assert not await User.filter(id=recruiter.id).exists()
    assert await Offer.filter(status="published").count() == 1


async def test_staff_are_removed_by_the_command_and_their_decisions_stay(
    app: Starlette, client: httpx.AsyncClient, settings: Settings
) -> None:
    await make_user("recruiter", "rh@espinasses.fr", commune="05050")
    offer = await _offer(status="submitted")
    await approve(offer.id, settings)
    staff = await User.get(role="staff")
    await log_in(client, staff.email)
    page = await client.get("/espace/compte/suppression")
    assert "jobboard delete-staff" in page.text and 'name="password"' not in page.text
    assert await account_deletion.delete_staff(staff.email, settings)
    assert not await account_deletion.delete_staff(staff.email, settings)
    event = await OfferEvent.get(offer_id=offer.id, to_status="published")
    assert event.actor_id is None and event.actor_role == "staff"


def test_the_delete_staff_command(tmp_path: Path) -> None:
    assert run(tmp_path, "migrate").returncode == 0
    created = run(
        tmp_path, "create-staff", "modo@anct.example", "--password-stdin",
        stdin="Une phrase de passe assez longue\n",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    deleted = run(tmp_path, "delete-staff", "modo@anct.example")
    assert deleted.returncode == 0 and "supprimé" in deleted.stdout
    again = run(tmp_path, "delete-staff", "modo@anct.example")
    assert again.returncode == 1 and "Aucun compte" in again.stderr


async def test_the_talent_pool_consent_can_be_withdrawn(
    app: Starlette, client: httpx.AsyncClient, settings: Settings
) -> None:
    await make_user("candidate", EMAIL, full_name=NAME)
    await log_in(client, EMAIL)
    offer = await _offer()
    assert (await _apply(client, offer, small_pdf(), talent_pool="oui")).status_code == 303
    application = await Application.get()
    page = await client.get(f"/espace/candidat/candidatures/{application.id}")
    assert "Retirer mon accord pour le vivier" in page.text and "2 ans" in page.text
    path = f"/espace/candidat/candidatures/{application.id}/vivier"
    response = await post_form(client, path, {}, token_from=page.url.path)
    assert response.status_code == 303
    withdrawn = await Application.get(id=application.id)
    assert not withdrawn.talent_pool_consent and withdrawn.talent_pool_withdrawn_at is not None
    page = await client.get(f"/espace/candidat/candidatures/{application.id}")
    assert "accord retiré le" in page.text and "Retirer mon accord" not in page.text
    assert (await post_form(client, path, {}, token_from=page.url.path)).status_code == 303
    # Somebody else's application, or none: 404.
    client.cookies.clear()
    await make_user("candidate", "autre@example.fr")
    await log_in(client, "autre@example.fr")
    other = await post_form(client, path, {}, token_from="/espace/candidat")
    assert other.status_code == 404
    missing = "/espace/candidat/candidatures/999999/vivier"
    assert (await post_form(client, missing, {}, token_from="/espace/candidat")).status_code == 404


@pytest.mark.skipif(is_postgres(), reason="SQLite files; PostgreSQL keeps no file of ours")
async def test_on_sqlite_the_deleted_bytes_are_gone_from_the_files(
    tmp_path: Path, settings: Settings
) -> None:
    """A file database of its own: the rows are deleted with secure_delete on and the WAL
    checkpointed, so neither file holds the e-mail address or the name any more."""
    path = tmp_path / "jobboard.sqlite3"
    async with migrated_test_context(connection_url(f"sqlite://{path}")):
        own = replace(settings, database_url=f"sqlite://{path}")
        user = await User.create(
            email=EMAIL, full_name=NAME, role="candidate", password_hash="x", birth_date=BIRTH,
            email_confirmed_at=None,
        )  # fmt: skip
        for n in range(50):  # enough rows to spread over several pages
            await EmailOutbox.create(to=EMAIL, subject=f"{NAME} {n}", body_text=NAME * 20)
        await EmailOutbox.create(to="autre@example.fr", subject="Bonjour", body_text="Rien.")
        conn = connections.get("default")
        await conn.execute_query("PRAGMA wal_checkpoint(TRUNCATE)")
        assert EMAIL.encode() in path.read_bytes()
        assert await account_deletion.delete_account(user.id, own, reason="unconfirmed")
        files = [path, path.with_name(path.name + "-wal")]
        for file in files:
            content = file.read_bytes() if file.exists() else b""
            assert EMAIL.encode() not in content, file.name
            assert NAME.encode() not in content, file.name
        assert await EmailOutbox.filter(to="autre@example.fr").exists()
    check = sqlite3.connect(path)
    assert check.execute("SELECT count(*) FROM app_user").fetchone() == (0,)
    check.close()

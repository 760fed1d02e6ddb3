"""« Télécharger mes données »: the ZIP's JSON checked field by field against the account, the
CVs inside, never cached, offered again for 24 hours to the session that asked for it only."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import httpx
from starlette.applications import Starlette
from tortoise import fields as tortoise_fields
from tortoise.models import Model

from jobboard import clock, models
from jobboard.domain.retention import DATA_EXPORT
from jobboard.models import Application, ApplicationEvent, DataExport, EmailOutbox, User
from jobboard.services.applications import change_status
from jobboard.services.personal_data import covered_models
from jobboard.settings import Settings
from tests.conftest import log_in, make_user, post_form
from tests.test_applications import _apply, _offer, small_pdf

EMAIL = "ines@example.fr"


async def _build(client: httpx.AsyncClient) -> httpx.Response:
    response = await post_form(
        client, "/espace/compte/donnees/preparer", {}, token_from="/espace/compte/donnees"
    )
    assert response.status_code == 303, response.text
    return response


def _zip(response: httpx.Response) -> tuple[dict[str, object], zipfile.ZipFile]:
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    return json.loads(archive.read("donnees.json")), archive


async def test_the_archive_holds_everything_field_by_field(
    app: Starlette, client: httpx.AsyncClient, settings: Settings
) -> None:
    recruiter = await make_user("recruiter", "rh@espinasses.fr", commune="05050")
    user = await make_user("candidate", EMAIL, full_name="Inès Lefort")
    await log_in(client, EMAIL)
    offer = await _offer(title="VTA – Habitat")
    other = await _offer(title="VTA – Commerce")
    pdf = small_pdf()
    assert (
        await _apply(client, offer, pdf, filename="Mon CV.pdf", message="Dispo.", talent_pool="oui")
    ).status_code == 303
    assert (await _apply(client, other, pdf, letter="Seconde lettre.")).status_code == 303
    second = await Application.get(offer_id=other.id)
    await change_status(
        second.id, "reject", recruiter, by="recruiter", comment="Profil éloigné.",
        settings=settings,
    )  # fmt: skip

    response = await client.get((await _build(client)).headers["location"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert "no-store" in response.headers["cache-control"]
    assert "private" in response.headers["cache-control"]
    assert response.headers["content-disposition"].startswith("attachment;")
    data, archive = _zip(response)

    user = await User.get(id=user.id)
    assert data["format"] == "bourse-pvd/donnees-personnelles/1"
    assert data["account"] == {
        "email": user.email,
        "full_name": user.full_name,
        "role": "candidate",
        "created_at": user.created_at.isoformat(),
        "email_confirmed_at": user.email_confirmed_at.isoformat()  # type: ignore[union-attr]
        if user.email_confirmed_at
        else None,
        "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
        "organisation": None,
        "verification": "none",
    }
    assert data["profile"] == {
        "birth_date": user.birth_date.isoformat(),  # type: ignore[union-attr]
        "diploma_level": user.diploma_level,
        "diploma": "Niveau 7 – bac+5 (master, diplôme d’ingénieur)",
    }
    applications = data["applications"]
    assert isinstance(applications, list) and len(applications) == 2
    for exported in applications:
        stored = await Application.get(id=exported["id"]).select_related(
            "offer__organisation", "offer__commune"
        )
        events = await ApplicationEvent.filter(application_id=stored.id).order_by("id")
        assert exported == {
            "id": stored.id,
            "offer": {
                "id": stored.offer_id,
                "title": stored.offer.title,
                "organisation": stored.offer.organisation.name,
                "commune": stored.offer.commune.name,
            },
            "status": stored.status,
            "status_label": {"received": "Reçue", "rejected": "Non retenue"}[stored.status],
            "created_at": stored.created_at.isoformat(),
            "updated_at": stored.updated_at.isoformat(),
            "cover_letter": stored.cover_letter,
            "message": stored.message,
            "cv": {
                "file": f"cv/{stored.id}-{stored.cv_filename}",
                "filename": stored.cv_filename,
                "sha256": stored.cv_sha256,
            },
            "talent_pool_consent": stored.talent_pool_consent,
            "eligibility": stored.eligibility,
            "history": [
                {
                    "at": e.created_at.isoformat(),
                    "from_status": e.from_status,
                    "to_status": e.to_status,
                    "label": {"received": "Reçue", "rejected": "Non retenue"}[e.to_status],
                    "comment": e.comment,
                }
                for e in events
            ],
        }
        assert archive.read(exported["cv"]["file"]) == pdf  # the CV itself
    first = next(a for a in applications if a["offer"]["id"] == offer.id)
    assert first["message"] == "Dispo." and first["cv"]["filename"] == "Mon CV.pdf"
    refused = next(a for a in applications if a["offer"]["id"] == other.id)
    assert [h["comment"] for h in refused["history"]] == ["", "Profil éloigné."]
    consents = {c["application_id"]: c for c in data["consents"]}  # type: ignore[attr-defined]
    assert consents[first["id"]] == {
        "kind": "talent_pool",
        "application_id": first["id"],
        "given": True,
        "given_at": first["created_at"],
        "withdrawn_at": None,
    }
    assert consents[refused["id"]]["given"] is False
    sent = await EmailOutbox.filter(to=EMAIL).order_by("id")
    assert [e["subject"] for e in data["emails"]] == [e.subject for e in sent]  # type: ignore[attr-defined]
    assert len(data["sessions"]) == 1  # type: ignore[arg-type]
    assert sorted(archive.namelist()) == sorted(
        ["donnees.json", *(a["cv"]["file"] for a in applications)]
    )


async def test_the_link_is_offered_again_to_this_session_only_for_24_hours(
    app: Starlette, client: httpx.AsyncClient, settings: Settings
) -> None:
    await make_user("candidate", EMAIL)
    await log_in(client, EMAIL)
    link = (await _build(client)).headers["location"]
    page = await client.get("/espace/compte/donnees")
    assert f'href="{link}"' in page.text and "Votre archive est prête" in page.text
    assert (await client.get(link)).status_code == 200
    assert (await client.get(link)).status_code == 200  # again

    # Another session of the same account, or another account: 404.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        await log_in(other, EMAIL)
        assert (await other.get(link)).status_code == 404
        assert f'href="{link}"' not in (await other.get("/espace/compte/donnees")).text
        other.cookies.clear()
        await make_user("candidate", "autre@example.fr")
        await log_in(other, "autre@example.fr")
        assert (await other.get(link)).status_code == 404
    assert (await client.get("/espace/compte/donnees/jeton-inconnu")).status_code == 404

    # Offered for 24 hours from its creation; after that: 404, and the page offers it no more.
    export = await DataExport.get()
    assert export.expires_at - export.created_at == timedelta(hours=24)
    assert DATA_EXPORT.after(export.created_at) == export.expires_at
    moment = clock.now()
    await DataExport.filter(id=export.id).update(expires_at=moment + timedelta(minutes=1))
    assert (await client.get(link)).status_code == 200
    await DataExport.filter(id=export.id).update(expires_at=moment - timedelta(seconds=1))
    assert (await client.get(link)).status_code == 404
    assert f'href="{link}"' not in (await client.get("/espace/compte/donnees")).text


async def test_a_new_archive_replaces_the_previous_one(
    app: Starlette, client: httpx.AsyncClient, settings: Settings
) -> None:
    await make_user("candidate", EMAIL)
    await log_in(client, EMAIL)
    first = (await _build(client)).headers["location"]
    second = (await _build(client)).headers["location"]
    assert (await client.get(first)).status_code == 404
    assert (await client.get(second)).status_code == 200
    assert await DataExport.all().count() == 1
    assert len(list((settings.data_dir / "exports").iterdir())) == 1


async def test_a_recruiter_archive_lists_their_offers(
    app: Starlette, client: httpx.AsyncClient, settings: Settings
) -> None:
    recruiter = await make_user("recruiter", "rh@espinasses.fr", commune="05050")
    offer = await _offer()
    await models.Offer.filter(id=offer.id).update(created_by_id=recruiter.id)
    await log_in(client, "rh@espinasses.fr")
    data, _ = _zip(await client.get((await _build(client)).headers["location"]))
    organisation = await models.Organisation.get(id=recruiter.organisation_id)
    assert data["account"]["organisation"] == organisation.name  # type: ignore[index]
    assert [o["id"] for o in data["offers"]] == [offer.id]  # type: ignore[attr-defined]
    assert "applications" not in data and "profile" not in data


def _points_to_user(model: type[Model]) -> bool:
    return any(
        isinstance(field, tortoise_fields.relational.ForeignKeyFieldInstance)
        and field.related_model is User
        for field in model._meta.fields_map.values()
    )


def test_every_table_pointing_to_an_account_is_in_the_registry() -> None:
    """A new table with a foreign key to User (saved offers, alerts, a saved CV…) must say what
    it exports and what deletion does with it: services/personal_data.HOLDINGS."""
    pointing = {
        value
        for value in vars(models).values()
        if isinstance(value, type) and issubclass(value, Model) and value is not Model
        if _points_to_user(value)
    }
    assert pointing  # the introspection sees them
    assert pointing - covered_models() == set()

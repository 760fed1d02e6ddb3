"""« Mon compte »: editing the profile, changing the e-mail address (re-confirmed), the password;
every bad input answers a French message on its field and a 4xx, and nothing is written."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
import time_machine

from jobboard import clock
from jobboard.models import EmailOutbox, User, UserSession
from jobboard.services import profile
from jobboard.settings import Settings
from tests.conftest import PASSWORD, csrf_token, log_in, make_user, post_form

TODAY = clock.today()


async def _post(client: httpx.AsyncClient, path: str, data: dict[str, str]) -> httpx.Response:
    return await post_form(client, path, data, token_from="/espace/compte")


def _row(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "full_name": user.full_name,
        "birth_date": user.birth_date,
        "diploma_level": user.diploma_level,
        "password_hash": user.password_hash,
        "email_confirmed_at": user.email_confirmed_at,
    }


@pytest.fixture
async def lea(client: httpx.AsyncClient) -> User:
    user = await make_user(email="lea@example.fr", birth_date=date(2001, 5, 4), diploma_level=7)
    await log_in(client, "lea@example.fr")
    return user


async def test_the_account_page_shows_every_section(client: httpx.AsyncClient, lea: User) -> None:
    page = await client.get("/espace/compte")
    assert page.status_code == 200
    for heading in ("Mes informations", "Adresse e-mail", "Changer de mot de passe"):
        assert f">{heading}</h2>" in page.text
    assert 'value="2001-05-04"' in page.text and '<option value="7" selected>' in page.text
    assert 'value="Léa Martin"' in page.text


async def test_a_candidate_edits_name_birth_date_and_diploma(
    client: httpx.AsyncClient, lea: User
) -> None:
    response = await _post(
        client,
        "/espace/compte/profil",
        {"full_name": "  Léa   Martin-Durand ", "birth_date": "12/03/1999", "diploma_level": "6"},
    )
    assert response.status_code == 303 and response.headers["location"] == "/espace/compte"
    saved = await User.get(id=lea.id)
    assert (saved.full_name, saved.birth_date, saved.diploma_level) == (
        "Léa Martin-Durand",
        date(1999, 3, 12),
        6,
    )
    assert "Vos informations sont enregistrées" in (await client.get("/espace/compte")).text


BAD_PROFILES = [
    ({"birth_date": (TODAY + timedelta(days=1)).isoformat()}, "birth_date", "dans le futur"),
    ({"birth_date": "1899-12-31"}, "birth_date", "année de naissance"),
    ({"birth_date": (TODAY - timedelta(days=15 * 365)).isoformat()}, "birth_date", "16 ans"),
    ({"birth_date": "31/02/2001"}, "birth_date", "Format attendu"),
    ({"birth_date": ""}, "birth_date", "Indiquez votre date"),
    ({"diploma_level": "9"}, "diploma_level", "niveaux 3 à 8"),
    ({"diploma_level": "2"}, "diploma_level", "niveaux 3 à 8"),
    ({"diploma_level": "bac+5"}, "diploma_level", "niveaux 3 à 8"),
    ({"diploma_level": ""}, "diploma_level", "niveaux 3 à 8"),
    ({"full_name": "   "}, "full_name", "Indiquez vos prénom et nom"),
    ({"full_name": "x" * 151}, "full_name", "150 caractères"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_PROFILES)
async def test_a_bad_profile_is_refused_on_its_field_and_nothing_is_saved(
    client: httpx.AsyncClient, lea: User, change: dict[str, str], field: str, message: str
) -> None:
    before = _row(await User.get(id=lea.id))
    data = {"full_name": "Léa Nouveau", "birth_date": "1999-03-12", "diploma_level": "6", **change}
    response = await _post(client, "/espace/compte/profil", data)
    assert response.status_code == 400
    error = re.search(rf'<p id="{field}-erreur" class="fr-error-text">([^<]*)</p>', response.text)
    assert error and message in html.unescape(error.group(1)), response.text
    assert f'aria-describedby="{field}-erreur"' in response.text
    assert _row(await User.get(id=lea.id)) == before
    # What was typed is shown again, not the stored values.
    if field != "full_name":
        assert 'value="Léa Nouveau"' in response.text


async def test_a_recruiter_edits_only_the_name(client: httpx.AsyncClient) -> None:
    recruiter = await make_user("recruiter", "rh@fumel.fr")
    await log_in(client, "rh@fumel.fr")
    page = await client.get("/espace/compte")
    assert 'id="birth_date"' not in page.text and 'id="full_name"' in page.text
    response = await _post(
        client, "/espace/compte/profil", {"full_name": "Service RH", "birth_date": "2999-01-01"}
    )
    assert response.status_code == 303
    saved = await User.get(id=recruiter.id)
    assert saved.full_name == "Service RH" and saved.birth_date is None


def _change_link(message: EmailOutbox) -> str:
    found = re.search(
        r"http://testserver(/espace/compte/adresse/confirmer\?jeton=\S+)", message.body_text
    )
    assert found, message.body_text
    return found.group(1)


async def test_an_address_changes_once_the_link_sent_to_it_is_followed(
    client: httpx.AsyncClient, lea: User, app: object
) -> None:
    asked = await _post(
        client,
        "/espace/compte/adresse",
        {"new_email": " Lea.Nouvelle@Example.FR ", "email_password": PASSWORD},
    )
    assert asked.status_code == 303
    [message] = await EmailOutbox.all()
    assert message.to == "lea.nouvelle@example.fr"
    assert message.subject == "Confirmez votre nouvelle adresse e-mail"
    # Until then the old address is the account's: it still signs in, the new one does not.
    assert (await User.get(id=lea.id)).email == "lea@example.fr"
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        refused = await post_form(
            other, "/connexion", {"email": "lea.nouvelle@example.fr", "password": PASSWORD}
        )
        assert refused.status_code == 400
        await log_in(other, "lea@example.fr")
        # Followed in another browser, signed in or not: it works there too.
        await post_form(other, "/deconnexion", {}, token_from="/espace/compte")
        followed = await other.get(_change_link(message))
        assert followed.status_code == 303 and followed.headers["location"] == "/connexion"
    saved = await User.get(id=lea.id)
    assert saved.email == "lea.nouvelle@example.fr" and saved.email_confirmed_at is not None
    notice = await EmailOutbox.get(to="lea@example.fr")
    assert notice.subject == "L’adresse e-mail de votre compte a changé"
    assert "lea.nouvelle@example.fr" in notice.body_text
    # The link works once: the address it was sent from is no longer the account's.
    again = await client.get(_change_link(message))
    assert again.status_code == 400 and "plus valable" not in again.text
    assert "pas valable" in again.text
    # This browser's session goes on under the new address; signing in again uses it.
    assert "lea.nouvelle@example.fr" in (await client.get("/espace/compte")).text
    await post_form(client, "/deconnexion", {}, token_from="/espace/compte")
    assert (await log_in(client, "lea.nouvelle@example.fr")).status_code == 303


BAD_CHANGES = [
    ({"new_email": "pas-une-adresse"}, "new_email", "Format attendu"),
    ({"new_email": ""}, "new_email", "Indiquez votre adresse"),
    ({"new_email": "LEA@example.fr"}, "new_email", "déjà l’adresse de votre compte"),
    ({"new_email": "pris@example.fr"}, "new_email", "déjà celle d’un autre compte"),
    ({"email_password": "pas le bon"}, "email_password", "incorrect"),
    ({"email_password": ""}, "email_password", "Indiquez votre mot de passe"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_CHANGES)
async def test_a_bad_address_change_is_refused_and_nothing_is_sent(
    client: httpx.AsyncClient, lea: User, change: dict[str, str], field: str, message: str
) -> None:
    await make_user(email="pris@example.fr")
    data = {"new_email": "nouvelle@example.fr", "email_password": PASSWORD, **change}
    response = await _post(client, "/espace/compte/adresse", data)
    assert response.status_code == 400
    assert f'id="{field}-erreur"' in response.text
    error = re.search(rf'id="{field}-erreur"[^>]*>([^<]*)<', response.text)
    assert error and message in html.unescape(error.group(1)), response.text
    assert not await EmailOutbox.exists()
    assert (await User.get(id=lea.id)).email == "lea@example.fr"


async def test_an_address_taken_before_the_link_is_followed(
    client: httpx.AsyncClient, lea: User
) -> None:
    await _post(
        client,
        "/espace/compte/adresse",
        {"new_email": "nouvelle@example.fr", "email_password": PASSWORD},
    )
    [message] = await EmailOutbox.all()
    await make_user(email="nouvelle@example.fr")
    followed = await client.get(_change_link(message))
    assert followed.status_code == 400 and "déjà celle d’un autre compte" in followed.text
    assert (await User.get(id=lea.id)).email == "lea@example.fr"
    assert await EmailOutbox.all().count() == 1  # the old address is told nothing


async def test_change_links_are_signed_and_expire(db: None, settings: Settings) -> None:
    user = await make_user(email="lea@example.fr")
    link = profile.email_change_link(user, "nouvelle@example.fr", settings)
    token = link.split("jeton=")[1]
    assert await profile.confirm_email_change(token + "x", settings) is None
    assert await profile.confirm_email_change("", settings) is None
    with clock_moved(profile.EMAIL_CHANGE_MAX_AGE + 60):
        assert await profile.confirm_email_change(token, settings) is None
    assert (await User.get(id=user.id)).email == "lea@example.fr"
    assert await profile.confirm_email_change(token, settings) is not None


def clock_moved(seconds: int) -> Any:
    return time_machine.travel(clock.now() + timedelta(seconds=seconds), tick=False)


async def test_address_change_requests_are_rate_limited(
    client: httpx.AsyncClient, lea: User
) -> None:
    codes = []
    for attempt in range(4):
        response = await _post(
            client,
            "/espace/compte/adresse",
            {"new_email": f"n{attempt}@example.fr", "email_password": "pas le bon"},
        )
        codes.append(response.status_code)
    assert codes == [400, 400, 400, 429]
    assert not await EmailOutbox.exists()


async def test_a_password_change_needs_the_current_one_and_ends_other_sessions(
    client: httpx.AsyncClient, lea: User, app: object
) -> None:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        await log_in(other, "lea@example.fr")
        before = _row(await User.get(id=lea.id))
        wrong = await _post(
            client,
            "/espace/compte/mot-de-passe",
            {"current_password": "pas le bon", "password": "Une toute nouvelle phrase"},
        )
        assert wrong.status_code == 400 and 'id="current_password-erreur"' in wrong.text
        assert _row(await User.get(id=lea.id)) == before
        assert await UserSession.filter(user_id=lea.id).count() == 2
        changed = await _post(
            client,
            "/espace/compte/mot-de-passe",
            {"current_password": PASSWORD, "password": "Une toute nouvelle phrase"},
        )
        assert changed.status_code == 303
        assert await UserSession.filter(user_id=lea.id).count() == 1
        assert (await other.get("/espace/compte")).status_code == 303
        assert (await client.get("/espace/compte")).status_code == 200


async def test_profile_forms_need_a_session_and_a_csrf_token(client: httpx.AsyncClient) -> None:
    for path in ("/espace/compte/profil", "/espace/compte/adresse"):
        token = await csrf_token(client)
        response = await client.post(path, data={"csrf_token": token, "full_name": "X"})
        assert response.status_code == 403
    await make_user(email="lea@example.fr")
    await log_in(client, "lea@example.fr")
    response = await client.post("/espace/compte/profil", data={"full_name": "Pirate"})
    assert response.status_code == 403
    assert (await User.get(email="lea@example.fr")).full_name == "Léa Martin"

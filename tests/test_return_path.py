"""« Never lose the offer »: the `suivant` return path from « Postuler » through login, signup
and the e-mail confirmation (opened here, in another tab, or in a browser with no session)."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import quote

import httpx
import pytest

from jobboard import clock
from jobboard.models import EmailOutbox, Offer, User
from jobboard.services import accounts
from jobboard.services.offer_import import import_offers
from jobboard.settings import Settings
from tests.conftest import PASSWORD, csrf_token, log_in, make_user, offer_row, post_form

TODAY = clock.today()
HOSTILE = [
    "//evil.example/offres",
    "https://evil.example/",
    "javascript:alert(1)",
    "/\\evil.example",
    "/\t/evil.example",
]


async def _offer() -> Offer:
    row = offer_row(start_date=(TODAY + timedelta(days=60)).isoformat())
    result = await import_offers([row], today=TODAY)
    assert not result.errors, result.errors
    return await Offer.get(id=result.created[0])


def _signup(next_path: str | None, email: str = "camille@example.fr") -> dict[str, str]:
    data = {
        "full_name": "Camille Durand",
        "email": email,
        "password": PASSWORD,
        "birth_date": "2001-09-12",
        "diploma_level": "7",
    }
    if next_path is not None:
        data["suivant"] = next_path
    return data


def _link(message: EmailOutbox) -> str:
    found = re.search(r"http://testserver(/inscription/confirmer\?jeton=\S+)", message.body_text)
    assert found, message.body_text
    return found.group(1)


def _hidden_next(page: str) -> str | None:
    found = re.search(r'<input type="hidden" name="suivant" value="([^"]*)">', page)
    return html.unescape(found.group(1)) if found else None


async def test_postuler_login_signup_confirm_lands_on_the_apply_form(
    client: httpx.AsyncClient,
) -> None:
    offer = await _offer()
    apply_path = f"/offres/{offer.id}/candidater"
    quoted = quote(apply_path, safe="")
    asked = await client.get(apply_path)
    assert asked.status_code == 303 and asked.headers["location"] == f"/connexion?suivant={quoted}"
    login = await client.get(asked.headers["location"])
    assert f'href="/inscription?suivant={quote(apply_path)}"' in login.text
    choice = await client.get("/inscription", params={"suivant": apply_path})
    assert f'href="/inscription/candidat?suivant={quote(apply_path)}"' in choice.text
    form = await client.get("/inscription/candidat", params={"suivant": apply_path})
    assert _hidden_next(form.text) == apply_path
    assert f'href="/connexion?suivant={quote(apply_path)}"' in form.text
    created = await post_form(
        client, "/inscription/candidat", _signup(apply_path), token_from="/inscription/candidat"
    )
    assert created.status_code == 303
    assert created.headers["location"] == f"/inscription/confirmation-envoyee?suivant={quoted}"
    waiting = await client.get(created.headers["location"])
    assert waiting.status_code == 200
    assert "camille@example.fr" in waiting.text and offer.title in waiting.text
    assert _hidden_next(waiting.text) == apply_path  # the resend form keeps it too
    # Browsing elsewhere meanwhile (another tab): the link alone knows the way back.
    assert (await client.get("/offres")).status_code == 200
    [welcome] = await EmailOutbox.filter(to="camille@example.fr")
    confirmed = await client.get(_link(welcome))
    assert confirmed.status_code == 303 and confirmed.headers["location"] == apply_path
    user = await User.get(email="camille@example.fr")
    assert user.email_confirmed_at is not None
    landed = await client.get(apply_path)
    assert landed.status_code == 200 and "Envoyer ma candidature" in landed.text
    assert "votre adresse e-mail est confirmée" in landed.text
    # Confirmed already: the waiting page sends straight on.
    again = await client.get(created.headers["location"])
    assert again.status_code == 303 and again.headers["location"] == apply_path


async def test_the_link_in_a_browser_with_no_session_asks_to_sign_in_then_goes_on(
    client: httpx.AsyncClient, app: object
) -> None:
    offer = await _offer()
    apply_path = f"/offres/{offer.id}/candidater"
    await post_form(
        client, "/inscription/candidat", _signup(apply_path), token_from="/inscription/candidat"
    )
    [welcome] = await EmailOutbox.filter(to="camille@example.fr")
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as phone:
        opened = await phone.get(_link(welcome))
        target = f"/connexion?suivant={quote(apply_path, safe='')}"
        assert opened.status_code == 303 and opened.headers["location"] == target
        login = await phone.get(target)
        assert "Connectez-vous pour continuer" in login.text
        assert _hidden_next(login.text) == apply_path
        signed = await post_form(
            phone,
            "/connexion",
            {"email": "camille@example.fr", "password": PASSWORD, "suivant": apply_path},
        )
        assert signed.headers["location"] == apply_path
        assert (await phone.get(apply_path)).status_code == 200
    assert (await User.get(email="camille@example.fr")).email_confirmed_at is not None


async def test_a_link_opened_while_signed_in_to_another_account(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    offer = await _offer()
    other = await make_user(email="autre@example.fr", email_confirmed_at=None)
    await make_user(email="lea@example.fr")
    await log_in(client, "lea@example.fr")
    link = accounts.confirmation_link(other, settings, f"/offres/{offer.id}/candidater")
    opened = await client.get(link.removeprefix("http://testserver"))
    assert opened.status_code == 303 and opened.headers["location"] == "/espace/candidat"
    assert (await User.get(id=other.id)).email_confirmed_at is not None


@pytest.mark.parametrize("target", HOSTILE)
async def test_a_foreign_return_path_is_ignored_at_every_step(
    client: httpx.AsyncClient, settings: Settings, target: str
) -> None:
    login = await client.get("/connexion", params={"suivant": target})
    assert 'href="/inscription"' in login.text and _hidden_next(login.text) == ""
    choice = await client.get("/inscription", params={"suivant": target})
    assert 'href="/inscription/candidat"' in choice.text and "evil" not in choice.text
    form = await client.get("/inscription/candidat", params={"suivant": target})
    assert _hidden_next(form.text) is None and "evil" not in form.text
    created = await post_form(
        client, "/inscription/candidat", _signup(target), token_from="/inscription/candidat"
    )
    assert created.status_code == 303 and created.headers["location"] == "/espace/candidat"
    [welcome] = await EmailOutbox.filter(to="camille@example.fr")
    confirmed = await client.get(_link(welcome))
    assert confirmed.headers["location"] == "/espace/candidat"
    # Even a link signed with the right key is checked again when followed.
    user = await User.get(email="camille@example.fr")
    forged = accounts.confirmation_link(user, settings, target).removeprefix("http://testserver")
    assert (await client.get(forged)).headers["location"] == "/espace/candidat"
    waiting = await client.get("/inscription/confirmation-envoyee", params={"suivant": target})
    assert waiting.headers["location"] == "/espace/candidat"


async def test_a_refused_signup_or_login_keeps_the_return_path(client: httpx.AsyncClient) -> None:
    offer = await _offer()
    apply_path = f"/offres/{offer.id}/candidater"
    refused = await post_form(
        client,
        "/inscription/candidat",
        {**_signup(apply_path), "birth_date": "2999-01-01"},
        token_from="/inscription/candidat",
    )
    assert refused.status_code == 400 and _hidden_next(refused.text) == apply_path
    assert not await User.filter(email="camille@example.fr").exists()
    assert not await EmailOutbox.exists()
    await make_user(email="lea@example.fr")
    wrong = await post_form(
        client,
        "/connexion",
        {"email": "lea@example.fr", "password": "pas le bon", "suivant": apply_path},
    )
    assert wrong.status_code == 400 and _hidden_next(wrong.text) == apply_path
    assert f'href="/inscription?suivant={quote(apply_path)}"' in wrong.text


async def test_a_new_link_from_the_waiting_page_keeps_the_return_path(
    client: httpx.AsyncClient,
) -> None:
    offer = await _offer()
    apply_path = f"/offres/{offer.id}/candidater"
    waiting = f"/inscription/confirmation-envoyee?suivant={quote(apply_path, safe='')}"
    await post_form(
        client, "/inscription/candidat", _signup(apply_path), token_from="/inscription/candidat"
    )
    resent = await client.post(
        "/espace/compte/confirmation",
        data={"suivant": apply_path, "csrf_token": await csrf_token(client, waiting)},
    )
    assert resent.status_code == 303 and resent.headers["location"] == waiting
    latest = await EmailOutbox.filter(subject="Confirmez votre adresse e-mail").get()
    assert (await client.get(_link(latest))).headers["location"] == apply_path


async def test_signed_in_signup_pages_follow_the_return_path(client: httpx.AsyncClient) -> None:
    offer = await _offer()
    apply_path = f"/offres/{offer.id}/candidater"
    await make_user(email="lea@example.fr")
    await log_in(client, "lea@example.fr")
    for page in ("/inscription", "/inscription/candidat"):
        response = await client.get(page, params={"suivant": apply_path})
        assert response.status_code == 303 and response.headers["location"] == apply_path

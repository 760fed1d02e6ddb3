"""Signup, login, logout, password reset and change, through the ASGI app."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import date, timedelta
from urllib.parse import urlsplit

import anyio
import anyio.from_thread
import anyio.to_thread
import httpx
import pytest
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st
from starlette.applications import Starlette

from jobboard import clock, mail
from jobboard.models import EmailOutbox, Organisation, User, UserSession
from jobboard.passwords import verify_password
from jobboard.services import accounts
from jobboard.settings import Settings
from jobboard.web.session import COOKIE_NAME
from jobboard.web.throttle import Throttle
from tests.conftest import (
    CSRF_META,
    PASSWORD,
    SmtpServer,
    csrf_token,
    log_in,
    make_user,
    post_form,
    smtp_settings,
    text_part,
)

CANDIDATE = {
    "full_name": "Léa Martin",
    "email": "Lea.Martin@Example.fr",
    "password": PASSWORD,
    "birth_date": "2001-05-04",
    "diploma_level": "7",
}
RECRUITER = {
    "full_name": "Paul Durand",
    "email": "paul.durand@thizy-les-bourgs.fr",
    "password": PASSWORD,
    "collectivite": "commune:69248",
}


def field_error(page: str, field: str) -> str:
    """The French message shown next to `field` (linked to it by aria-describedby)."""
    match = re.search(rf'id="{field}-erreur"[^>]*>([^<]+)<', page)
    assert match, f"no error next to {field}"
    return match.group(1)


# Candidate signup


async def test_candidate_signup_creates_account_signs_in_and_queues_welcome(
    client: httpx.AsyncClient,
) -> None:
    response = await post_form(client, "/inscription/candidat", CANDIDATE)
    assert response.status_code == 303 and response.headers["location"] == "/espace/candidat"
    user = await User.get(email="lea.martin@example.fr")
    assert user.role == "candidate" and user.diploma_level == 7
    assert user.birth_date == date(2001, 5, 4)
    assert verify_password(user.password_hash, PASSWORD) and PASSWORD not in user.password_hash
    [welcome] = await EmailOutbox.all()
    assert welcome.to == "lea.martin@example.fr" and "compte candidat" in welcome.subject
    page = await client.get("/espace/candidat")
    assert page.status_code == 200 and "Votre compte est créé" in page.text


async def test_candidate_signup_accepts_french_date_format(client: httpx.AsyncClient) -> None:
    response = await post_form(
        client, "/inscription/candidat", {**CANDIDATE, "birth_date": "04/05/2001"}
    )
    assert response.status_code == 303
    assert (await User.get()).birth_date == date(2001, 5, 4)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"full_name": "  "}, "full_name", "Indiquez vos prénom et nom."),
        ({"email": "lea.example.fr"}, "email", "Format attendu : nom@domaine.fr"),
        ({"email": '"><svg/onload=alert(1)>@x.fr'}, "email", "Format attendu : nom@domaine.fr"),
        ({"password": "court"}, "password", "au moins 12 caractères"),
        ({"password": "password1234"}, "password", "trop courant"),
        ({"birth_date": ""}, "birth_date", "Indiquez votre date de naissance."),
        ({"birth_date": "31/02/2001"}, "birth_date", "Format attendu : JJ/MM/AAAA"),
        ({"birth_date": "pas une date"}, "birth_date", "Format attendu"),
        ({"diploma_level": "9"}, "diploma_level", "plus haut niveau de diplôme"),
        ({"diploma_level": ""}, "diploma_level", "plus haut niveau de diplôme"),
    ],
)
async def test_candidate_signup_bad_input_gets_french_message_next_to_field(
    client: httpx.AsyncClient, changes: dict[str, str], field: str, message: str
) -> None:
    response = await post_form(client, "/inscription/candidat", {**CANDIDATE, **changes})
    assert response.status_code == 400
    assert message in field_error(response.text, field)
    assert f'href="#{field}"' in response.text  # the error summary links to the field
    assert await User.all().count() == 0 and await EmailOutbox.all().count() == 0


async def test_future_birth_date_is_refused(client: httpx.AsyncClient) -> None:
    tomorrow = (clock.today() + timedelta(days=2)).isoformat()
    response = await post_form(
        client, "/inscription/candidat", {**CANDIDATE, "birth_date": tomorrow}
    )
    assert response.status_code == 400
    assert field_error(response.text, "birth_date") == (
        "La date de naissance ne peut pas être dans le futur."
    )
    assert await User.all().count() == 0


async def test_duplicate_email_in_any_case_is_refused(client: httpx.AsyncClient) -> None:
    await make_user(email="lea.martin@example.fr")
    response = await post_form(
        client, "/inscription/candidat", {**CANDIDATE, "email": "LEA.MARTIN@EXAMPLE.FR"}
    )
    assert response.status_code == 400
    assert "Un compte existe déjà avec cette adresse" in field_error(response.text, "email")
    assert await User.all().count() == 1


async def test_a_failed_signup_keeps_what_was_typed_but_not_the_password(
    client: httpx.AsyncClient,
) -> None:
    response = await post_form(client, "/inscription/candidat", {**CANDIDATE, "diploma_level": ""})
    assert 'value="Léa Martin"' in response.text
    assert PASSWORD not in response.text


# Recruiter signup


async def test_recruiter_signup_ties_account_to_commune_and_waits_for_verification(
    client: httpx.AsyncClient,
) -> None:
    response = await post_form(client, "/inscription/recruteur", RECRUITER)
    assert response.status_code == 303 and response.headers["location"] == "/espace/recruteur"
    user = await User.get(email=RECRUITER["email"]).select_related("organisation")
    assert user.role == "recruiter" and user.verification == "pending"
    assert user.organisation.kind == "commune" and user.organisation.commune_id == "69248"
    page = await client.get("/espace/recruteur")
    assert "Compte en cours de vérification" in page.text
    assert "Commune de Thizy-les-Bourgs" in page.text
    [welcome] = await EmailOutbox.all()
    assert "vérification" in welcome.subject


async def test_two_recruiters_of_one_commune_share_its_organisation(
    client: httpx.AsyncClient,
) -> None:
    await make_user("recruiter", "maire@thizy.fr", commune="69248")
    assert (await post_form(client, "/inscription/recruteur", RECRUITER)).status_code == 303
    assert await Organisation.filter(commune_id="69248").count() == 1
    assert await User.filter(organisation__commune_id="69248").count() == 2


async def test_recruiter_signup_with_an_epci(client: httpx.AsyncClient) -> None:
    commune = await make_user("recruiter", "x@fumel.fr")  # to find Fumel's EPCI
    organisation = await Organisation.get(id=commune.organisation_id).select_related("commune")
    siren = organisation.commune.epci_id
    assert siren
    response = await post_form(
        client, "/inscription/recruteur", {**RECRUITER, "collectivite": f"epci:{siren}"}
    )
    assert response.status_code == 303
    user = await User.get(email=RECRUITER["email"]).select_related("organisation")
    assert user.organisation.kind == "epci" and user.organisation.epci_id == siren


@pytest.mark.parametrize(
    ("collectivite", "message"),
    [
        ("commune:99999", "Code INSEE inconnu : 99999"),
        ("epci:123456789", "SIREN inconnu : 123456789"),
        ("", "Choisissez votre collectivité dans la liste."),
        ("mairie", "Choisissez votre collectivité dans la liste."),
    ],
)
async def test_recruiter_signup_unknown_collectivite(
    client: httpx.AsyncClient, collectivite: str, message: str
) -> None:
    response = await post_form(
        client, "/inscription/recruteur", {**RECRUITER, "collectivite": collectivite}
    )
    assert response.status_code == 400
    assert message in field_error(response.text, "collectivite")
    assert await User.all().count() == 0 and await Organisation.all().count() == 0


async def test_collectivite_autocomplete_fragment_shows_departement(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(
        "/inscription/recruteur",
        params={"collectivite_q": "thizy"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and "<html" not in response.text
    assert 'value="commune:69248"' in response.text and "Rhône (69)" in response.text
    by_postcode = await client.get(
        "/inscription/recruteur",
        params={"collectivite_q": "47500"},
        headers={"HX-Request": "true"},
    )
    assert 'value="commune:47106"' in by_postcode.text  # Fumel


async def test_collectivite_search_works_without_javascript(client: httpx.AsyncClient) -> None:
    response = await client.get("/inscription/recruteur", params={"collectivite_q": "fumel"})
    assert response.status_code == 200 and "<html" in response.text
    assert 'value="commune:47106"' in response.text
    assert "HX-Request" in response.headers["vary"]


async def test_refused_recruiter_form_keeps_the_chosen_collectivite(
    client: httpx.AsyncClient,
) -> None:
    response = await post_form(client, "/inscription/recruteur", {**RECRUITER, "password": "x"})
    assert response.status_code == 400
    assert 'value="commune:69248" checked' in response.text


# Login and logout


async def test_login_then_logout(client: httpx.AsyncClient) -> None:
    await make_user(email="lea@example.fr")
    response = await log_in(client, "LEA@example.fr")
    assert response.headers["location"] == "/espace/candidat"
    home = await client.get("/espace/candidat")
    assert home.status_code == 200 and "Se déconnecter" in home.text
    assert (await User.get()).last_login_at is not None
    out = await post_form(client, "/deconnexion", {}, token_from="/espace/candidat")
    assert out.status_code == 303
    assert await UserSession.all().count() == 0
    assert (await client.get("/espace/candidat")).status_code == 303


async def test_login_failure_says_nothing_about_which_part_was_wrong(
    client: httpx.AsyncClient,
) -> None:
    await make_user(email="lea@example.fr")
    wrong_password = await post_form(
        client, "/connexion", {"email": "lea@example.fr", "password": "pas le bon mot de passe"}
    )
    unknown = await post_form(
        client, "/connexion", {"email": "personne@example.fr", "password": PASSWORD}
    )
    for response in (wrong_password, unknown):
        assert response.status_code == 400
        assert "Adresse e-mail ou mot de passe incorrect." in response.text


async def test_login_goes_back_to_the_page_asked_for_but_never_off_site(
    client: httpx.AsyncClient,
) -> None:
    await make_user(email="lea@example.fr")
    asked = await client.get("/espace/compte")
    assert asked.status_code == 303
    assert asked.headers["location"] == "/connexion?suivant=%2Fespace%2Fcompte"
    data = {"email": "lea@example.fr", "password": PASSWORD, "suivant": "/espace/compte"}
    assert (await post_form(client, "/connexion", data)).headers["location"] == "/espace/compte"
    await post_form(client, "/deconnexion", {}, token_from="/espace/compte")
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        response = await post_form(client, "/connexion", {**data, "suivant": target})
        assert response.headers["location"] == "/espace/candidat"
        await post_form(client, "/deconnexion", {}, token_from="/espace/candidat")


# Return addresses that urlsplit cannot parse, once a 500 after the session row was written.
UNPARSABLE_NEXT = ("//[", "http://[", "https://[::1", "//]", "/\t/evil.example", "/\n/evil.example")


def _is_local(location: str) -> bool:
    parts = urlsplit(location)
    return (
        location.startswith("/")
        and not location.startswith("//")
        and "\\" not in location
        and not parts.scheme
        and not parts.netloc
    )


async def test_an_unparsable_return_address_falls_back_to_the_role_home(
    client: httpx.AsyncClient,
) -> None:
    lea = await make_user(email="lea@example.fr")
    data = {"email": "lea@example.fr", "password": PASSWORD}
    for target in UNPARSABLE_NEXT:
        response = await post_form(client, "/connexion", {**data, "suivant": target})
        assert response.status_code == 303, (target, response.status_code)
        assert response.headers["location"] == "/espace/candidat"
        assert (await client.get("/espace/compte")).status_code == 200  # really signed in
        signed_in_again = await client.get("/connexion", params={"suivant": target})
        assert signed_in_again.headers["location"] == "/espace/candidat"
        await post_form(client, "/deconnexion", {}, token_from="/espace/candidat")
    assert await UserSession.filter(user_id=lea.id).count() == 0
    assert (await User.get(id=lea.id)).last_login_at is not None


async def test_a_very_long_protected_address_is_not_echoed_into_the_login_link(
    client: httpx.AsyncClient,
) -> None:
    # 60,000 characters: httpx refuses URLs over 64 KiB.
    long_query = await client.get("/espace/compte", params={"q": "x" * 60_000})
    assert long_query.status_code == 303 and long_query.headers["location"] == "/connexion"
    short = await client.get("/espace/compte", params={"q": "x" * 100})
    assert short.headers["location"].startswith("/connexion?suivant=%2Fespace%2Fcompte%3Fq%3Dx")
    await make_user(email="lea@example.fr")
    data = {"email": "lea@example.fr", "password": PASSWORD, "suivant": "/" + "x" * 100_000}
    response = await post_form(client, "/connexion", data)
    assert response.headers["location"] == "/espace/candidat"


_TARGETS = st.one_of(
    st.text(alphabet=st.characters(exclude_categories=["Cs"])),
    st.from_regex(r"\A(/|//|\\|https?:|https?://)?[\[\]:/@.%?#a-z0-9\\\t\n -]{0,20}\Z"),
    st.sampled_from(UNPARSABLE_NEXT),
)


async def test_any_return_address_gives_a_local_redirect_never_an_error(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    """Hypothesis, through the app: a signed-in GET (many targets) and a real login (fewer)."""
    await make_user(email="lea@example.fr")
    data = {"email": "lea@example.fr", "password": PASSWORD}

    async def check_login(target: str) -> None:
        app.state.throttle = Throttle()  # each example is a fresh browser, not a brute force
        client.cookies.clear()
        response = await post_form(client, "/connexion", {**data, "suivant": target})
        assert response.status_code == 303, (target, response.status_code)
        assert _is_local(response.headers["location"]), (target, response.headers["location"])

    async def check_signed_in(target: str) -> None:
        response = await client.get("/connexion", params={"suivant": target})
        assert response.status_code == 303, (target, response.status_code)
        assert _is_local(response.headers["location"]), (target, response.headers["location"])

    # Hypothesis drives a synchronous function: it runs in a thread that sends each example
    # back to this test's event loop (where the database connections live).
    @examples(max_examples=25, deadline=None, database=None)
    @given(_TARGETS)
    def logins(target: str) -> None:
        anyio.from_thread.run(check_login, target)

    @examples(max_examples=300, deadline=None, database=None)
    @given(_TARGETS)
    def signed_in_visits(target: str) -> None:
        anyio.from_thread.run(check_signed_in, target)

    await anyio.to_thread.run_sync(logins)
    await anyio.to_thread.run_sync(signed_in_visits)


async def test_lockout_after_repeated_failures(client: httpx.AsyncClient) -> None:
    await make_user(email="lea@example.fr")
    bad = {"email": "lea@example.fr", "password": "pas le bon mot de passe"}
    codes = [(await post_form(client, "/connexion", bad)).status_code for _ in range(5)]
    assert codes == [400, 400, 400, 400, 429]
    # Locked: even the right password is refused, with the French reason.
    locked = await post_form(client, "/connexion", {**bad, "password": PASSWORD})
    assert locked.status_code == 429
    assert "bloquée pendant 15 minutes" in locked.text
    assert await UserSession.all().count() == 0
    # Another account from the same address is not locked by this one.
    await make_user(email="karim@example.fr")
    assert (await log_in(client, "karim@example.fr")).status_code == 303


def _browser(app: Starlette, address: str = "127.0.0.1") -> httpx.AsyncClient:
    """Another browser (its own cookie jar), connecting from `address`."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


WRONG = "pas le bon mot de passe"


async def test_a_device_that_signed_in_before_keeps_signing_in_during_a_lockout(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    await make_user(email="lea@example.fr")
    signed_in = await log_in(client, "lea@example.fr")
    cookie = next(c for c in signed_in.headers.get_list("set-cookie") if "bpvd_appareil=" in c)
    assert "HttpOnly" in cookie and "Path=/connexion" in cookie and "SameSite=lax" in cookie
    await post_form(client, "/deconnexion", {}, token_from="/espace/candidat")

    # Five wrong passwords from five addresses lock the account for untrusted clients…
    codes = []
    for i in range(5):
        async with _browser(app, f"203.0.113.{i}") as attacker:
            bad = {"email": "lea@example.fr", "password": WRONG}
            codes.append((await post_form(attacker, "/connexion", bad)).status_code)
    assert codes == [400, 400, 400, 400, 429]
    async with _browser(app, "198.51.100.7") as elsewhere:
        refused = await post_form(
            elsewhere, "/connexion", {"email": "lea@example.fr", "password": PASSWORD}
        )
        assert refused.status_code == 429 and "bloquée pendant 15 minutes" in refused.text
    # …but not for the browser Léa signed in with before.
    assert (await log_in(client, "lea@example.fr")).status_code == 303
    await post_form(client, "/deconnexion", {}, token_from="/espace/candidat")

    # That device has its own count: five failures there lock it too, and only it.
    bad = {"email": "lea@example.fr", "password": WRONG}
    codes = [(await post_form(client, "/connexion", bad)).status_code for _ in range(5)]
    assert codes == [400, 400, 400, 400, 429]
    own = await post_form(client, "/connexion", {**bad, "password": PASSWORD})
    assert own.status_code == 429 and "depuis cet appareil" in own.text


async def test_a_device_cookie_trusts_one_account_and_only_when_signed(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    await make_user(email="lea@example.fr")
    await make_user(email="karim@example.fr")
    await log_in(client, "lea@example.fr")
    await post_form(client, "/deconnexion", {}, token_from="/espace/candidat")
    async with _browser(app, "203.0.113.9") as attacker:
        for _ in range(5):
            await post_form(
                attacker, "/connexion", {"email": "karim@example.fr", "password": WRONG}
            )
    # Léa's device cookie does not vouch for Karim's account.
    other = await post_form(
        client, "/connexion", {"email": "karim@example.fr", "password": PASSWORD}
    )
    assert other.status_code == 429
    async with _browser(app, "203.0.113.10") as forger:
        forger.cookies.set("bpvd_appareil", "forged.token", path="/connexion")
        for _ in range(5):
            await post_form(forger, "/connexion", {"email": "lea@example.fr", "password": WRONG})
        forged = await post_form(
            forger, "/connexion", {"email": "lea@example.fr", "password": PASSWORD}
        )
        assert forged.status_code == 429 and "depuis cet appareil" not in forged.text


async def test_a_trusted_device_is_not_held_by_the_per_ip_limit(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    await make_user(email="lea@example.fr")
    await log_in(client, "lea@example.fr")
    await post_form(client, "/deconnexion", {}, token_from="/espace/candidat")
    # A campus behind one address: other people's attempts use up the per-IP budget.
    async with _browser(app) as neighbour:
        for i in range(31):  # (no password: no hashing, the test stays quick)
            data = {"email": f"x{i}@example.fr", "password": ""}
            response = await post_form(neighbour, "/connexion", data)
        assert response.status_code == 429 and "Trop de tentatives" in response.text
    assert (await log_in(client, "lea@example.fr")).status_code == 303


async def test_login_rate_limited_per_ip(client: httpx.AsyncClient) -> None:
    codes = set()
    for i in range(31):
        response = await post_form(
            client, "/connexion", {"email": f"x{i}@example.fr", "password": "n’importe lequel"}
        )
        codes.add(response.status_code)
    assert codes == {400, 429}
    assert "Trop de tentatives" in response.text


async def test_signup_rate_limited_per_ip(client: httpx.AsyncClient) -> None:
    for i in range(10):
        response = await post_form(
            client, "/inscription/candidat", {**CANDIDATE, "email": f"c{i}@example.fr"}
        )
        assert response.status_code == 303
        await post_form(client, "/deconnexion", {}, token_from="/")
    response = await post_form(
        client, "/inscription/candidat", {**CANDIDATE, "email": "c10@example.fr"}
    )
    assert response.status_code == 429 and "Trop de tentatives" in response.text
    assert await User.all().count() == 10


async def test_session_is_rotated_at_login(client: httpx.AsyncClient) -> None:
    await make_user(email="lea@example.fr")
    token_before = await csrf_token(client)
    cookie_before = client.cookies[COOKIE_NAME]
    await log_in(client, "lea@example.fr")
    cookie_after = client.cookies[COOKIE_NAME]
    assert cookie_after != cookie_before
    # The pre-login session cookie does not carry the login...
    anonymous = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    anonymous.cookies.set(COOKIE_NAME, cookie_before)
    assert (await anonymous.get("/espace/candidat")).status_code == 303
    # ... and a CSRF token from before the login is no longer accepted.
    stale = await client.post(
        "/espace/compte/mot-de-passe",
        data={"csrf_token": token_before, "current_password": PASSWORD, "password": "x"},
    )
    assert stale.status_code == 403
    await anonymous.aclose()


async def test_session_ends_after_idle_timeout(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await make_user(email="lea@example.fr")
    await log_in(client, "lea@example.fr")
    assert (await client.get("/espace/candidat")).status_code == 200
    idle = timedelta(minutes=settings.session_idle_minutes + 1)
    session = await UserSession.get()
    await UserSession.filter(key_hash=session.key_hash).update(
        last_seen_at=session.last_seen_at - idle
    )
    assert (await client.get("/espace/candidat")).status_code == 303
    assert await UserSession.all().count() == 0
    login_page = await client.get("/connexion")
    assert "Votre session a expiré" in login_page.text


async def test_deactivated_user_is_signed_out(client: httpx.AsyncClient) -> None:
    user = await make_user(email="lea@example.fr")
    await log_in(client, "lea@example.fr")
    await User.filter(id=user.id).update(is_active=False)
    assert (await client.get("/espace/candidat")).status_code == 303
    response = await post_form(
        client, "/connexion", {"email": "lea@example.fr", "password": PASSWORD}
    )
    assert response.status_code == 400


# Passwords


async def test_password_change_closes_other_sessions(client: httpx.AsyncClient) -> None:
    await make_user(email="lea@example.fr")
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    await log_in(other, "lea@example.fr")
    await log_in(client, "lea@example.fr")
    new_password = "Une autre phrase de passe solide"
    response = await post_form(
        client,
        "/espace/compte/mot-de-passe",
        {"current_password": PASSWORD, "password": new_password},
        token_from="/espace/compte",
    )
    assert response.status_code == 303
    assert (await client.get("/espace/compte")).status_code == 200
    assert (await other.get("/espace/compte")).status_code == 303
    assert verify_password((await User.get()).password_hash, new_password)
    assert "modifié" in (await EmailOutbox.all().order_by("-id").first()).subject  # type: ignore[union-attr]
    await other.aclose()


async def test_password_change_with_wrong_current_password(client: httpx.AsyncClient) -> None:
    await make_user(email="lea@example.fr")
    await log_in(client, "lea@example.fr")
    response = await post_form(
        client,
        "/espace/compte/mot-de-passe",
        {"current_password": "mauvais mot de passe", "password": "Une autre phrase solide"},
        token_from="/espace/compte",
    )
    assert response.status_code == 400
    assert field_error(response.text, "current_password") == "Le mot de passe actuel est incorrect."


async def test_password_reset_end_to_end_through_smtp(
    app: Starlette, client: httpx.AsyncClient, settings: Settings, smtp_server: SmtpServer
) -> None:
    await make_user(email="lea@example.fr")
    await log_in(client, "lea@example.fr")  # a session that the reset must end
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")

    asked = await post_form(
        other,
        "/mot-de-passe-oublie",
        {"email": "Lea@Example.fr"},
        token_from="/mot-de-passe-oublie",
    )
    assert asked.status_code == 200 and "Si un compte existe" in asked.text
    unknown = await post_form(
        other,
        "/mot-de-passe-oublie",
        {"email": "nobody@example.fr"},
        token_from="/mot-de-passe-oublie",
    )
    assert unknown.status_code == 200

    # Same words whether or not the address has an account.
    def page(response: httpx.Response, email: str) -> str:
        return CSRF_META.sub("", response.text).replace(email, "X")

    assert page(asked, "lea@example.fr") == page(unknown, "nobody@example.fr")

    backend = mail.backend_for(smtp_settings(settings, smtp_server.port))
    assert await mail.send_pending(backend, settings.email_from) == (1, 0)
    [message] = smtp_server.messages
    assert message["To"] == "lea@example.fr"
    assert message["Subject"] == "Choisir un nouveau mot de passe"
    link = re.search(
        r"http://testserver(/mot-de-passe-oublie/nouveau\?jeton=\S+)", text_part(message)
    )
    assert link, text_part(message)

    opened = await other.get(link.group(1))
    assert (
        opened.status_code == 303 and opened.headers["location"] == "/mot-de-passe-oublie/nouveau"
    )
    form = await other.get("/mot-de-passe-oublie/nouveau")
    assert form.status_code == 200 and "lea@example.fr" in form.text
    weak = await post_form(
        other,
        "/mot-de-passe-oublie/nouveau",
        {"password": "azerty"},
        token_from="/mot-de-passe-oublie/nouveau",
    )
    assert weak.status_code == 400 and "au moins 12 caractères" in weak.text
    new_password = "Une nouvelle phrase de passe"
    done = await post_form(
        other,
        "/mot-de-passe-oublie/nouveau",
        {"password": new_password},
        token_from="/mot-de-passe-oublie/nouveau",
    )
    assert done.status_code == 303 and done.headers["location"] == "/connexion"

    assert (await client.get("/espace/candidat")).status_code == 303  # old session ended
    assert (await log_in(other, "lea@example.fr", new_password)).status_code == 303
    await post_form(other, "/deconnexion", {}, token_from="/espace/candidat")
    # The link works once.
    again = await other.get(link.group(1), follow_redirects=True)
    assert again.status_code == 400 and "plus valable" in again.text
    await other.aclose()


async def test_reset_link_expires(db: None, settings: Settings) -> None:
    user = await make_user()
    token = accounts.reset_token(user, settings)
    assert await accounts.user_for_reset_token(token, settings) is not None
    assert await accounts.user_for_reset_token(token + "x", settings) is None
    other_key = replace(settings, secret_key="another key")
    assert await accounts.user_for_reset_token(token, other_key) is None


async def test_reset_requests_rate_limited_per_account_silently(client: httpx.AsyncClient) -> None:
    await make_user(email="lea@example.fr")
    for _ in range(5):
        response = await post_form(
            client,
            "/mot-de-passe-oublie",
            {"email": "lea@example.fr"},
            token_from="/mot-de-passe-oublie",
        )
        assert response.status_code == 200 and "Si un compte existe" in response.text
    assert await EmailOutbox.all().count() == 3


async def test_parallel_attempts_cannot_get_past_the_lockout(client: httpx.AsyncClient) -> None:
    await make_user(email="lea@example.fr")
    token = await csrf_token(client)
    data = {"email": "lea@example.fr", "password": "pas le bon mot de passe", "csrf_token": token}
    responses = await asyncio.gather(*(client.post("/connexion", data=data) for _ in range(20)))
    codes = [r.status_code for r in responses]
    assert codes.count(400) <= 4 and codes.count(429) >= 16


async def test_email_confirmation_link_from_the_welcome_email(client: httpx.AsyncClient) -> None:
    await post_form(client, "/inscription/recruteur", RECRUITER)
    user = await User.get(email=RECRUITER["email"])
    assert user.email_confirmed_at is None
    [welcome] = await EmailOutbox.all()
    link = re.search(r"http://testserver(/inscription/confirmer\?jeton=\S+)", welcome.body_text)
    assert link, welcome.body_text
    page = await client.get("/espace/compte")
    assert "Non confirmée" in page.text
    confirmed = await client.get(link.group(1))
    assert confirmed.status_code == 303 and confirmed.headers["location"] == "/espace/recruteur"
    assert (await User.get(id=user.id)).email_confirmed_at is not None
    assert "votre adresse e-mail est confirmée" in (await client.get("/espace/recruteur")).text
    forged = await client.get("/inscription/confirmer", params={"jeton": "faux"})
    assert forged.status_code == 400 and "pas valable" in forged.text


async def test_confirmation_link_can_be_sent_again(client: httpx.AsyncClient) -> None:
    await make_user(email="lea@example.fr", email_confirmed_at=None)
    await log_in(client, "lea@example.fr")
    response = await post_form(
        client, "/espace/compte/confirmation", {}, token_from="/espace/compte"
    )
    assert response.status_code == 303
    [message] = await EmailOutbox.all()
    assert message.subject == "Confirmez votre adresse e-mail"


async def test_password_change_gives_this_browser_a_new_session(
    client: httpx.AsyncClient,
) -> None:
    await make_user(email="lea@example.fr")
    await log_in(client, "lea@example.fr")
    stolen = client.cookies[COOKIE_NAME]
    await post_form(
        client,
        "/espace/compte/mot-de-passe",
        {"current_password": PASSWORD, "password": "Une autre phrase de passe solide"},
        token_from="/espace/compte",
    )
    assert (await client.get("/espace/compte")).status_code == 200
    thief = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    thief.cookies.set(COOKIE_NAME, stolen)
    assert (await thief.get("/espace/compte")).status_code == 303
    await thief.aclose()


@pytest.mark.parametrize("value", ["²", "٣", "99999999999", "-1", "5.0"])
async def test_odd_digits_in_a_signup_field_get_a_message_not_a_500(
    client: httpx.AsyncClient, value: str
) -> None:
    response = await post_form(
        client, "/inscription/candidat", {**CANDIDATE, "diploma_level": value}
    )
    assert response.status_code == 400
    assert "plus haut niveau de diplôme" in field_error(response.text, "diploma_level")

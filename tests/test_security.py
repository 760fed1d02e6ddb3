"""CSRF, session cookie flags, security headers, body limit."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from jobboard import clock
from jobboard.app import create_app
from jobboard.models import User
from jobboard.services.offer_import import import_offers
from jobboard.settings import Settings
from jobboard.web.csrf import MULTIPART_PEEK_BYTES, token_matches
from jobboard.web.csrf import csrf_token as make_token
from jobboard.web.session import COOKIE_NAME
from tests.conftest import PASSWORD, csrf_token, index_now, log_in, make_user, offer_row

LOGIN = {"email": "lea@example.fr", "password": PASSWORD}


class _Connection:
    def __init__(self) -> None:
        self.scope: dict[str, object] = {"session": {}}


def test_masked_tokens_differ_each_time_and_all_match_the_secret() -> None:
    connection = _Connection()
    first, second = make_token(connection), make_token(connection)  # type: ignore[arg-type]
    secret = connection.scope["session"]["csrf"]  # type: ignore[index]
    assert first != second
    assert token_matches(first, secret) and token_matches(second, secret)
    assert not token_matches(first[:-2] + "AA", secret)
    assert not token_matches("", secret) and not token_matches(first, None)
    assert not token_matches("%%%", secret)


async def test_post_without_token_is_refused_in_french(client: httpx.AsyncClient) -> None:
    await make_user(email="lea@example.fr")
    await csrf_token(client)  # a session exists, but the form lacks the token
    response = await client.post("/connexion", data=LOGIN)
    assert response.status_code == 403
    assert "Accès refusé" in response.text and "Rechargez la page" in response.text
    assert '<html lang="fr"' in response.text


async def test_post_with_wrong_token_is_refused(client: httpx.AsyncClient) -> None:
    await make_user(email="lea@example.fr")
    good = await csrf_token(client)
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    foreign = await csrf_token(other)  # valid for another browser's session only
    for token in (foreign, good[::-1], "x"):
        response = await client.post("/connexion", data={**LOGIN, "csrf_token": token})
        assert response.status_code == 403
    assert (await client.post("/connexion", data={**LOGIN, "csrf_token": good})).status_code == 303
    await other.aclose()


async def test_post_without_any_session_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/connexion", data={**LOGIN, "csrf_token": "abc"})
    assert response.status_code == 403


async def test_htmx_header_carries_the_token(client: httpx.AsyncClient) -> None:
    await make_user(email="lea@example.fr")
    token = await csrf_token(client)
    ok = await client.post("/connexion", data=LOGIN, headers={"X-CSRF-Token": token})
    assert ok.status_code == 303
    await client.post("/deconnexion", headers={"X-CSRF-Token": await csrf_token(client, "/")})
    bad = await client.post("/connexion", data=LOGIN, headers={"X-CSRF-Token": "faux"})
    assert bad.status_code == 403


async def test_multipart_form_token_is_read_and_body_replayed(client: httpx.AsyncClient) -> None:
    await make_user(email="lea@example.fr")
    fields = {"csrf_token": await csrf_token(client), **LOGIN}  # the token comes first
    body = (
        "".join(
            f'--limite\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
            for k, v in fields.items()
        )
        + "--limite--\r\n"
    )
    response = await client.post(
        "/connexion",
        content=body.encode(),
        headers={"content-type": "multipart/form-data; boundary=limite"},
    )
    assert response.status_code == 303  # the route still read email and password


async def test_a_file_sent_to_a_form_without_upload_gets_a_french_400(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/connexion",
        data={"csrf_token": await csrf_token(client), **LOGIN},
        files={"piece": ("note.txt", b"bonjour", "text/plain")},
    )
    assert response.status_code == 400 and "contient trop de champs ou un fichier" in response.text


def _multipart(parts: list[tuple[str, str]], boundary: str, *, quoted: bool = True) -> bytes:
    name = '"{}"' if quoted else "{}"
    return (
        "".join(
            f"--{boundary}\r\nContent-Disposition: form-data; name={name.format(k)}\r\n\r\n{v}\r\n"
            for k, v in parts
        )
        + f"--{boundary}--\r\n"
    ).encode()


async def _chunked(body: bytes, size: int) -> Any:
    for start in range(0, len(body), size):
        yield body[start : start + size]


@pytest.mark.parametrize(
    ("boundary", "header_boundary", "order", "chunk", "quoted"),
    [
        ("limite", "limite", "first", 0, True),
        ("limite", "limite", "last", 0, True),  # any part within the first 64 KiB
        ("----WebKitFormBoundary7MA4YWxkTrZu0gW", None, "middle", 0, True),
        ("a'()+_,-./:=?", '"a\'()+_,-./:=?"', "first", 0, True),  # RFC 2046 characters, quoted
        ("limite", "limite", "first", 1, True),  # one byte per chunk: the token spans chunks
        ("limite", "limite", "last", 7, False),  # name=csrf_token without quotes
    ],
)
async def test_multipart_token_is_found_by_the_streaming_parser(
    client: httpx.AsyncClient,
    boundary: str,
    header_boundary: str | None,
    order: str,
    chunk: int,
    quoted: bool,
) -> None:
    await make_user(email="lea@example.fr")
    token = ("csrf_token", await csrf_token(client))
    fields = list(LOGIN.items())
    # A value that looks like a boundary without the CRLF before it is data, not a delimiter.
    fields.append(("note", f"--{boundary} n’est pas une limite"))
    parts = {
        "first": [token, *fields],
        "middle": [fields[0], token, *fields[1:]],
        "last": [*fields, token],
    }[order]
    body = _multipart(parts, boundary, quoted=quoted)
    response = await client.post(
        "/connexion",
        content=_chunked(body, chunk) if chunk else body,
        headers={"content-type": f"multipart/form-data; boundary={header_boundary or boundary}"},
    )
    assert response.status_code == 303, response.text  # and the route read email and password


async def test_a_token_inside_a_file_is_not_a_token(client: httpx.AsyncClient) -> None:
    token = await csrf_token(client)
    response = await client.post(
        "/connexion",
        data=LOGIN,
        files={"piece": ("x.txt", f'name="csrf_token"\r\n\r\n{token}\r\n'.encode(), "text/plain")},
    )
    assert response.status_code == 403


async def test_a_token_after_the_first_64_kib_is_not_looked_for(client: httpx.AsyncClient) -> None:
    """Uploads stream to the route: the check reads a bounded head of the body, no more."""
    token = await csrf_token(client)
    early = _multipart([("note", "x" * 1000), ("csrf_token", token)], "b")
    late = _multipart([("note", "x" * MULTIPART_PEEK_BYTES), ("csrf_token", token)], "b")
    headers = {"content-type": "multipart/form-data; boundary=b"}
    # The early one passes the check (the login route then wants its fields: 400, not 403).
    assert (await client.post("/connexion", content=early, headers=headers)).status_code == 400
    assert (await client.post("/connexion", content=late, headers=headers)).status_code == 403


async def test_only_the_first_token_field_counts(client: httpx.AsyncClient) -> None:
    await make_user(email="lea@example.fr")
    token = await csrf_token(client)
    headers = {"content-type": "multipart/form-data; boundary=b"}
    wrong_first = _multipart([("csrf_token", "faux"), ("csrf_token", token), *LOGIN.items()], "b")
    assert (
        await client.post("/connexion", content=wrong_first, headers=headers)
    ).status_code == 403
    right_first = _multipart([("csrf_token", token), ("csrf_token", "faux"), *LOGIN.items()], "b")
    assert (
        await client.post("/connexion", content=right_first, headers=headers)
    ).status_code == 303


async def test_logout_by_a_forged_cross_site_form_is_refused(client: httpx.AsyncClient) -> None:
    await make_user(email="lea@example.fr")
    await log_in(client, "lea@example.fr")
    assert (await client.post("/deconnexion")).status_code == 403
    assert (await client.get("/espace/candidat")).status_code == 200


async def test_oversized_body_gets_413(client: httpx.AsyncClient) -> None:
    await csrf_token(client)
    response = await client.post(
        "/connexion", content=b"x" * (13 * 1024 * 1024), headers={"content-type": "text/plain"}
    )
    assert response.status_code == 413 and "Contenu trop volumineux" in response.text


async def test_session_cookie_flags(client: httpx.AsyncClient) -> None:
    response = await client.get("/connexion")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http (local development)


async def test_session_cookie_is_secure_over_https(app: Starlette) -> None:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="https://bourse.example") as https:
        response = await https.get("/connexion")
    assert "; Secure" in response.headers["set-cookie"]


async def test_pages_without_forms_set_no_cookie_for_visitors(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    offer_id = (await import_offers([offer_row()], today=clock.today())).created[0]
    await index_now(app)
    paths = [
        "/",
        "/offres",
        "/offres?q=climat",
        f"/offres/{offer_id}",
        "/accessibilite",
        "/mentions-legales",
        "/donnees-personnelles",
        "/sante",
    ]
    for path in paths:
        response = await client.get(path)
        assert response.status_code == 200, path
        assert "set-cookie" not in response.headers, path
        assert 'name="csrf-token"' not in response.text, path
    assert client.cookies.get(COOKIE_NAME) is None
    # A page with a form does set one: the token in the form needs the session's secret.
    login = await client.get("/connexion")
    assert COOKIE_NAME in login.headers["set-cookie"]


async def test_tampered_session_cookie_is_ignored(client: httpx.AsyncClient) -> None:
    await make_user(email="lea@example.fr")
    await log_in(client, "lea@example.fr")
    value = client.cookies[COOKIE_NAME]
    client.cookies.set(COOKIE_NAME, value[:-3] + "abc")
    assert (await client.get("/espace/candidat")).status_code == 303


@pytest.mark.parametrize("path", ["/", "/connexion", "/inscription/candidat", "/nope"])
async def test_security_headers_everywhere(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


async def test_public_pages_keep_their_caching_private_ones_are_never_stored(
    client: httpx.AsyncClient,
) -> None:
    board = await client.get("/offres")  # a public page without a form: no cookie, cacheable
    assert "set-cookie" not in board.headers and "cache-control" not in board.headers
    login = await client.get("/connexion")  # sets the session cookie: its CSRF token is personal
    assert "set-cookie" in login.headers and login.headers["cache-control"] == "private, no-store"
    again = await client.get("/connexion")
    assert "set-cookie" not in again.headers and "cache-control" not in again.headers
    asked = await client.get("/espace/candidat")  # a private route, even its login redirect
    assert asked.status_code == 303 and asked.headers["cache-control"] == "private, no-store"
    await make_user(email="lea@example.fr")
    await log_in(client, "lea@example.fr")
    for path in ("/offres", "/", "/nope", "/espace/compte"):  # once signed in, every page
        assert (await client.get(path)).headers["cache-control"] == "private, no-store", path


async def test_private_answers_to_posts_are_never_stored(client: httpx.AsyncClient) -> None:
    await make_user("recruiter", "rh@fumel.fr")
    await log_in(client, "rh@fumel.fr")
    token = await csrf_token(client, "/espace/recruteur/offres/nouvelle")
    verdict = await client.post(
        "/espace/recruteur/offres/verifier",
        data={"kind": "vta", "duration_months": "24", "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert verdict.status_code == 200 and "Non éligible" in verdict.text
    assert verdict.headers["cache-control"] == "private, no-store"
    saved = await client.post("/espace/recruteur/offres/nouvelle", data={"csrf_token": token})
    assert saved.status_code == 303 and saved.headers["cache-control"] == "private, no-store"


async def test_hsts_only_when_the_site_address_is_https(
    settings: Settings, db: None, client: httpx.AsyncClient
) -> None:
    assert "strict-transport-security" not in (await client.get("/")).headers
    application = create_app(
        replace(settings, base_url="https://bourse.example"), with_database=False
    )
    transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="https://bourse.example") as c:
        for path in ("/", "/nope", "/static/css/app.css"):
            response = await c.get(path)
            assert response.headers["strict-transport-security"] == "max-age=31536000", path
    application.state.search.close()


async def test_pages_have_no_inline_script_or_style(client: httpx.AsyncClient) -> None:
    for path in (
        "/connexion",
        "/inscription/candidat",
        "/inscription/recruteur",
        "/mot-de-passe-oublie",
    ):
        text = (await client.get(path)).text
        assert "<script>" not in text and " style=" not in text and "<style" not in text
        assert " on" + "click=" not in text


async def test_database_errors_never_reach_the_user(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("SELECT * FROM app_user WHERE secret")

    monkeypatch.setattr(User, "get_or_none", broken)
    response = await client.post(
        "/connexion", data={**LOGIN, "csrf_token": await csrf_token(client)}
    )
    assert response.status_code == 500
    assert "SELECT" not in response.text and "Traceback" not in response.text
    assert "content-security-policy" in response.headers


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", b"no boundary here"),
        ("multipart/form-data; boundary=x", b"--x\r\nbroken"),
        ("multipart/form-data; boundary=x", b"--x\r\nbroken: header\r\n"),  # truncated
        ("multipart/form-data; boundary=x", b"garbage before any boundary\r\n--x--\r\n"),
        (
            "application/x-www-form-urlencoded",
            "&".join(f"f{i}=v" for i in range(1001)).encode(),
        ),
    ],
)
async def test_malformed_form_bodies_get_400_not_500(
    client: httpx.AsyncClient, content_type: str, body: bytes
) -> None:
    await csrf_token(client)
    response = await client.post("/connexion", content=body, headers={"content-type": content_type})
    assert response.status_code == 400


async def test_body_limit_applies_with_the_htmx_header_too(client: httpx.AsyncClient) -> None:
    token = await csrf_token(client)
    response = await client.post(
        "/connexion",
        content=b"x" * (13 * 1024 * 1024),
        headers={"content-type": "text/plain", "X-CSRF-Token": token},
    )
    assert response.status_code == 413


async def test_cookie_is_secure_when_the_site_address_is_https(
    settings: Settings, db: None
) -> None:
    application = create_app(
        replace(settings, base_url="https://bourse.example"), with_database=False
    )
    transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://behind-proxy") as c:
        response = await c.get("/connexion")
    assert "; Secure" in response.headers["set-cookie"]
    application.state.search.close()


async def test_nul_characters_in_forms_never_reach_the_database(client: httpx.AsyncClient) -> None:
    token = await csrf_token(client)
    login = await client.post(
        "/connexion", data={"email": "a\x00@b.fr", "password": "x\x00y", "csrf_token": token}
    )
    assert login.status_code == 400
    signup = await client.post(
        "/inscription/candidat",
        data={"full_name": "L\x00éa", "email": "l\x00@b.fr", "csrf_token": token},
    )
    assert signup.status_code == 400

"""Refusals and missing things become HTTP answers in one place; a bug stays a 500."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from jobboard.domain.errors import NotFound, Refused
from jobboard.models import Offer, User
from jobboard.services import accounts, offer_editing
from tests.conftest import log_in, make_user, post_form
from tests.test_recruiter_offers import VTA, _new, _offer_id


@pytest.fixture
def probes(app: Starlette) -> Starlette:
    """Routes that raise, added to this test's app only."""

    async def refuse(request: Request) -> Response:
        raise Refused("Cette période est déjà réservée.", "start_date")

    async def missing(request: Request) -> Response:
        raise NotFound("Ce dossier est introuvable.")

    async def key_error(request: Request) -> Response:
        return Response({"a": 1}["b"])

    async def lookup_error(request: Request) -> Response:
        raise LookupError("a bug, not a missing page")

    app.router.routes.extend(
        Route(f"/essai/{name}", endpoint)
        for name, endpoint in (
            ("refus", refuse),
            ("absent", missing),
            ("cle", key_error),
            ("recherche", lookup_error),
        )
    )
    return app


async def test_refused_and_not_found_are_french_pages(
    probes: Starlette, client: httpx.AsyncClient
) -> None:
    refused = await client.get("/essai/refus")
    assert refused.status_code == 400
    assert (
        "Cette période est déjà réservée." in refused.text and "Requête incorrecte" in refused.text
    )
    missing = await client.get("/essai/absent")
    assert missing.status_code == 404
    assert "Ce dossier est introuvable." in missing.text and "Page non trouvée" in missing.text


async def test_a_key_error_or_lookup_error_is_a_500_never_a_404(
    probes: Starlette, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    for path in ("/essai/cle", "/essai/recherche"):
        response = await client.get(path)
        assert response.status_code == 500, path
        assert "KeyError" not in response.text and "Traceback" not in response.text
    assert sum("unhandled error" in r.getMessage() for r in caplog.records) == 2


async def test_a_key_error_inside_a_service_is_not_taken_for_a_missing_offer(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Routes used to catch LookupError as "not found", so a KeyError bug answered 404."""
    await make_user("recruiter", "rh@espinasses.fr", commune="05050")
    await log_in(client, "rh@espinasses.fr")
    offer_id = _offer_id(await _new(client, VTA, "enregistrer"))

    async def broken(*args: object, **kwargs: object) -> Offer:
        raise KeyError("kind")

    monkeypatch.setattr(offer_editing, "close_offer", broken)
    response = await post_form(
        client, f"/espace/recruteur/offres/{offer_id}/cloturer", {"reason": "pourvu"},
        token_from="/espace/recruteur",
    )  # fmt: skip
    assert response.status_code == 500


async def test_a_key_error_while_verifying_an_account_is_not_taken_for_one_already_handled(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_user("staff", "moderation@anct.example")
    pending = await make_user(
        "recruiter", "rh@espinasses.fr", commune="05050", verification="pending"
    )
    await log_in(client, "moderation@anct.example")

    async def broken(*args: object, **kwargs: object) -> User:
        raise KeyError("organisation")

    monkeypatch.setattr(accounts, "decide_recruiter", broken)
    response = await post_form(
        client, f"/moderation/comptes/{pending.id}", {"decision": "verifier"},
        token_from="/moderation/comptes",
    )  # fmt: skip
    assert response.status_code == 500
    # The real service still tells an account already handled apart: a warning, no error.
    monkeypatch.undo()
    await User.filter(id=pending.id).update(verification="verified")
    again = await post_form(
        client, f"/moderation/comptes/{pending.id}", {"decision": "verifier"},
        token_from="/moderation/comptes",
    )  # fmt: skip
    assert again.status_code == 303 and again.headers["location"] == "/moderation/comptes"

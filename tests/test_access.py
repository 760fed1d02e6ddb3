"""Who may use which route: declared on every route, and enforced in the queries."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from jobboard import clock
from jobboard.clock import today
from jobboard.models import Application, EmailOutbox, Offer, Organisation, User
from jobboard.services.offer_editing import form_of, save_offer
from jobboard.services.offer_import import import_offers
from jobboard.web.auth import PUBLIC, access_of
from tests.conftest import log_in, make_user, offer_row, post_form

# Fumel (47106) and Thizy-les-Bourgs (69248) are PVD communes with chef de projet offers.
FUMEL = offer_row(kind="chef_de_projet", employer_insee="47106", duration_months=36,
                  title="Chef de projet PVD – Fumel")  # fmt: skip
THIZY = offer_row(kind="chef_de_projet", employer_insee="69248", duration_months=36,
                  title="Chef de projet PVD – Thizy", status="draft")  # fmt: skip


def test_every_route_declares_who_may_use_it(app: Starlette) -> None:
    undeclared = [
        route.path
        for route in app.routes
        if isinstance(route, Route) and access_of(route.endpoint) is None
    ]
    assert undeclared == []
    rules = {r.path: access_of(r.endpoint) for r in app.routes if isinstance(r, Route)}
    assert rules["/offres"] == PUBLIC and rules["/connexion"] == PUBLIC
    assert rules["/moderation/comptes"] == frozenset({"staff"})
    assert rules["/espace/recruteur/offres/{offer_id}"] == frozenset({"recruiter"})
    assert rules["/espace/candidat/candidatures/{application_id}"] == frozenset({"candidate"})
    assert all(
        isinstance(r, Mount) and r.path == "/static" for r in app.routes if not isinstance(r, Route)
    )


async def _offers() -> tuple[int, int]:
    result = await import_offers([FUMEL, THIZY], today=clock.today())
    assert not result.errors, result.errors
    fumel, thizy = result.created
    return fumel, thizy


async def test_recruiter_sees_own_collectivite_offers_and_404_on_others(
    client: httpx.AsyncClient,
) -> None:
    fumel, thizy = await _offers()
    await make_user("recruiter", "rh@fumel.fr", commune="47106")
    await make_user("recruiter", "collegue@fumel.fr", commune="47106")
    await log_in(client, "collegue@fumel.fr")
    home = await client.get("/espace/recruteur")
    assert "Chef de projet PVD – Fumel" in home.text and "Thizy" not in home.text
    assert (await client.get(f"/espace/recruteur/offres/{fumel}")).status_code == 200
    other = await client.get(f"/espace/recruteur/offres/{thizy}")
    assert other.status_code == 404 and "Page non trouvée" in other.text
    for bad in ("999999", "abc", "99999999999999999999"):
        assert (await client.get(f"/espace/recruteur/offres/{bad}")).status_code == 404


async def test_recruiter_of_the_other_commune_sees_its_draft(client: httpx.AsyncClient) -> None:
    fumel, thizy = await _offers()
    await make_user("recruiter", "rh@thizy.fr", commune="69248")
    await log_in(client, "rh@thizy.fr")
    draft = await client.get(f"/espace/recruteur/offres/{thizy}")
    assert draft.status_code == 200 and "Brouillon" in draft.text
    assert (await client.get(f"/espace/recruteur/offres/{fumel}")).status_code == 404


async def test_candidate_gets_404_on_another_candidates_application(
    client: httpx.AsyncClient,
) -> None:
    fumel, _ = await _offers()
    lea = await make_user("candidate", "lea@example.fr")
    karim = await make_user("candidate", "karim@example.fr", full_name="Karim Benali")
    mine = await Application.create(offer_id=fumel, candidate=lea, cover_letter="Ma lettre")
    theirs = await Application.create(offer_id=fumel, candidate=karim, cover_letter="Sa lettre")
    await log_in(client, "lea@example.fr")
    home = await client.get("/espace/candidat")
    assert f"/espace/candidat/candidatures/{mine.id}" in home.text
    assert f"/espace/candidat/candidatures/{theirs.id}" not in home.text
    own = await client.get(f"/espace/candidat/candidatures/{mine.id}")
    assert own.status_code == 200 and "Ma lettre" in own.text
    other = await client.get(f"/espace/candidat/candidatures/{theirs.id}")
    assert other.status_code == 404 and "Sa lettre" not in other.text


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("candidate", "/moderation/comptes"),
        ("recruiter", "/moderation/comptes"),
        ("candidate", "/espace/recruteur"),
        ("staff", "/espace/recruteur"),
        ("recruiter", "/espace/candidat"),
    ],
)
async def test_pages_of_another_role_are_refused(
    client: httpx.AsyncClient, role: str, path: str
) -> None:
    await make_user(role, "someone@example.fr")
    await log_in(client, "someone@example.fr")
    response = await client.get(path)
    assert response.status_code == 403 and "Accès refusé" in response.text


@pytest.mark.parametrize(
    "path", ["/moderation/comptes", "/espace/recruteur", "/espace/candidat", "/espace/compte"]
)
async def test_anonymous_visitors_are_sent_to_login(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 303 and response.headers["location"].startswith("/connexion")
    htmx = await client.get(path, headers={"HX-Request": "true"})
    assert htmx.status_code == 204 and htmx.headers["hx-redirect"].startswith("/connexion")


async def test_only_staff_can_verify_a_recruiter(client: httpx.AsyncClient) -> None:
    pending = await make_user("recruiter", "rh@fumel.fr", verification="pending")
    await make_user("recruiter", "autre@thizy.fr", commune="69248")
    await log_in(client, "autre@thizy.fr")
    response = await post_form(
        client, f"/moderation/comptes/{pending.id}", {"decision": "verifier"}, token_from="/"
    )
    assert response.status_code == 403
    assert (await User.get(id=pending.id)).verification == "pending"


async def test_staff_verifies_and_refuses_recruiters_with_emails(
    client: httpx.AsyncClient,
) -> None:
    fumel = await make_user(
        "recruiter", "rh@fumel.fr", verification="pending", full_name="Anne Roux"
    )
    thizy = await make_user("recruiter", "rh@thizy.fr", commune="69248", verification="pending",
                            full_name="Marc Petit")  # fmt: skip
    await make_user("staff", "moderation@anct.example")
    await log_in(client, "moderation@anct.example")
    queue = await client.get("/moderation/comptes")
    assert "Anne Roux" in queue.text and "Marc Petit" in queue.text
    assert "INSEE 47106" in queue.text and "Lot-et-Garonne (47)" in queue.text

    verified = await post_form(
        client,
        f"/moderation/comptes/{fumel.id}",
        {"decision": "verifier"},
        token_from="/moderation/comptes",
    )
    assert verified.status_code == 303
    no_reason = await post_form(
        client,
        f"/moderation/comptes/{thizy.id}",
        {"decision": "refuser", "reason": " "},
        token_from="/moderation/comptes",
    )
    assert no_reason.status_code == 400 and "Indiquez le motif du refus" in no_reason.text
    refused = await post_form(
        client,
        f"/moderation/comptes/{thizy.id}",
        {"decision": "refuser", "reason": "Adresse e-mail personnelle : écrivez depuis la mairie."},
        token_from="/moderation/comptes",
    )
    assert refused.status_code == 303
    assert (await User.get(id=fumel.id)).verification == "verified"
    thizy_after = await User.get(id=thizy.id)
    assert thizy_after.verification == "refused"
    assert thizy_after.verification_note.startswith("Adresse e-mail personnelle")
    emails = {e.to: e for e in await EmailOutbox.all()}
    assert "vérifié" in emails["rh@fumel.fr"].subject
    assert "écrivez depuis la mairie" in emails["rh@thizy.fr"].body_text
    queue = await client.get("/moderation/comptes")
    assert "Aucun compte en attente" in queue.text
    # Deciding twice changes nothing.
    again = await post_form(
        client,
        f"/moderation/comptes/{fumel.id}",
        {"decision": "refuser", "reason": "x"},
        token_from="/moderation/comptes",
    )
    assert again.status_code == 303 and (await User.get(id=fumel.id)).verification == "verified"
    assert await EmailOutbox.all().count() == 2


async def test_refused_recruiter_sees_the_reason(client: httpx.AsyncClient) -> None:
    await make_user("recruiter", "rh@fumel.fr", verification="refused",
                    verification_note="Collectivité introuvable.")  # fmt: skip
    await log_in(client, "rh@fumel.fr")
    page = await client.get("/espace/recruteur")
    assert "Compte non vérifié" in page.text and "Collectivité introuvable." in page.text


async def test_offers_are_not_leaked_by_recruiter_listing_queries(
    client: httpx.AsyncClient,
) -> None:
    await _offers()
    await make_user("recruiter", "rh@fumel.fr")
    await log_in(client, "rh@fumel.fr")
    page = await client.get("/espace/recruteur")
    shown = set(re.findall(r"/espace/recruteur/offres/(\d+)", page.text))
    own = {str(i) for i in await Offer.filter(commune_id="47106").values_list("id", flat=True)}
    assert shown == own and own


async def _submit(user: User, offer_id: int) -> tuple[Offer, str]:
    """The recruiter's « Soumettre » on the offer as it stands (services.offer_editing)."""
    offer = await Offer.get(id=offer_id)
    saved, _, refusal = await save_offer(
        user=user,
        organisation=await Organisation.get(id=offer.organisation_id),
        form=form_of(offer),
        offer_id=offer_id,
        version=offer.version,
        submit=True,
        today=today(),
    )
    return saved, refusal


async def test_pending_recruiter_cannot_submit_a_draft(db: None) -> None:
    _, thizy = await _offers()
    pending = await make_user("recruiter", "rh@thizy.fr", commune="69248", verification="pending")
    saved, refusal = await _submit(pending, thizy)
    assert "pas encore vérifié" in refusal
    assert saved.status == "draft" and (await Offer.get(id=thizy)).status == "draft"
    await User.filter(id=pending.id).update(verification="verified")
    verified = await User.get(id=pending.id)
    saved, refusal = await _submit(verified, thizy)
    assert refusal == "" and (await Offer.get(id=thizy)).status == "submitted"


async def test_unverified_recruiter_sees_only_the_offers_they_wrote(
    client: httpx.AsyncClient,
) -> None:
    _, thizy = await _offers()  # a draft of Thizy written by someone else
    impostor = await make_user("recruiter", "x@thizy.fr", commune="69248", verification="pending")
    await log_in(client, "x@thizy.fr")
    assert (await client.get(f"/espace/recruteur/offres/{thizy}")).status_code == 404
    assert "Chef de projet PVD – Thizy" not in (await client.get("/espace/recruteur")).text
    await Offer.filter(id=thizy).update(created_by_id=impostor.id)
    assert (await client.get(f"/espace/recruteur/offres/{thizy}")).status_code == 200


async def test_staff_cannot_verify_a_recruiter_whose_email_is_unconfirmed(
    client: httpx.AsyncClient,
) -> None:
    pending = await make_user(
        "recruiter", "rh@fumel.fr", verification="pending", email_confirmed_at=None
    )
    await make_user("staff", "moderation@anct.example")
    await log_in(client, "moderation@anct.example")
    assert "Non confirmée" in (await client.get("/moderation/comptes")).text
    response = await post_form(
        client,
        f"/moderation/comptes/{pending.id}",
        {"decision": "verifier"},
        token_from="/moderation/comptes",
    )
    assert response.status_code == 400 and "pas encore confirmée" in response.text
    assert (await User.get(id=pending.id)).verification == "pending"


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        ("candidate", "/espace/candidat/candidatures/²", 404),  # not an id: no such page
        ("recruiter", "/espace/recruteur/offres/²", 404),
        ("candidate", "/offres/²", 404),
        ("candidate", "/offres?page=²", 400),  # a bad parameter of a real page
    ],
)
async def test_unicode_digits_in_urls_are_handled(
    client: httpx.AsyncClient, role: str, path: str, status: int
) -> None:
    await make_user(role, "someone@example.fr")
    await log_in(client, "someone@example.fr")
    assert (await client.get(path)).status_code == status

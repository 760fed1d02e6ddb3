"""Signup and login journeys in a real browser against `jobboard serve`."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from tests.e2e.conftest import pick

AxeCheck = Callable[[Page], list[dict[str, Any]]]
PASSWORD = "Une phrase de passe pour la bourse"


def _unique_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.fr"


def _real_errors(page: Page) -> list[str]:
    """Console errors, minus the browser's notice of the 400 that a refused form returns."""
    errors: list[str] = page.console_errors  # type: ignore[attr-defined]
    return [e for e in errors if "status of 400" not in e]


def _log_out(page: Page) -> None:
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_text("Vous êtes déconnecté(e).")).to_be_visible()


def test_candidate_signs_up_fixes_errors_logs_out_and_back_in(
    page: Page, blocking_axe_violations: AxeCheck
) -> None:
    email = _unique_email("lea")
    page.goto("/")
    page.get_by_role("link", name="Créer un compte").click()
    page.get_by_role("link", name="Je suis candidat ou candidate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Créer un compte candidat")

    page.get_by_label("Prénom et nom").fill("Léa Martin")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill("azerty123456")
    page.get_by_label("Date de naissance").fill("2001-05-04")
    page.get_by_role("button", name="Créer mon compte").click()

    # Refused: the summary takes focus and each message sits next to its field.
    summary = page.get_by_role("alert").filter(has_text="Le formulaire contient")
    expect(summary).to_be_focused()
    expect(page.locator("#password-erreur")).to_contain_text("trop courant")
    expect(page.locator("#diploma_level-erreur")).to_contain_text("niveau de diplôme")
    expect(page.get_by_label("Prénom et nom")).to_have_value("Léa Martin")
    assert blocking_axe_violations(page) == []

    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_label("Plus haut diplôme obtenu").select_option("7")
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page).to_have_url("/espace/candidat")
    expect(page.get_by_text("Votre compte est créé")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Espace candidat")

    _log_out(page)
    page.goto("/espace/candidat")
    expect(page).to_have_url("/connexion?suivant=%2Fespace%2Fcandidat")
    page.get_by_label("Adresse e-mail").fill(email.upper())
    page.get_by_label("Mot de passe", exact=True).fill("pas le bon mot de passe")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_have_text("Adresse e-mail ou mot de passe incorrect.")
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url("/espace/candidat")
    expect(page.get_by_text("Bonjour Léa Martin, vous êtes connecté(e).")).to_be_visible()
    assert _real_errors(page) == []


def test_recruiter_signs_up_with_the_collectivite_autocomplete(
    page: Page, blocking_axe_violations: AxeCheck
) -> None:
    page.goto("/inscription/recruteur")
    page.get_by_label("Prénom et nom").fill("Paul Durand")
    page.get_by_label("Adresse e-mail professionnelle").fill(_unique_email("paul"))
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_label("Rechercher une commune ou une intercommunalité").press_sequentially(
        "thizy", delay=40
    )
    # Homonyms are told apart by their département.
    choice = page.get_by_role("radio", name="Thizy-les-Bourgs Rhône (69), 69240")
    expect(choice).to_be_visible()
    expect(page.get_by_role("radio", name="Thizy Yonne (89), 89420")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="collectivités trouvées")).to_be_attached()
    assert blocking_axe_violations(page) == []
    pick(page, choice)
    page.get_by_role("button", name="Créer mon compte").click()

    expect(page).to_have_url("/espace/recruteur")
    expect(page.get_by_text("Commune de Thizy-les-Bourgs", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Compte en cours de vérification")).to_be_visible()
    assert _real_errors(page) == []


def test_recruiter_signup_works_without_javascript(no_js_page: Page) -> None:
    page = no_js_page
    page.goto("/inscription/recruteur")
    # The collectivité comes first: its search reloads the page before anything secret is typed.
    page.get_by_label("Rechercher une commune ou une intercommunalité").fill("47500")
    page.get_by_role("button", name="Rechercher").click()
    pick(page, page.get_by_role("radio", name="Fumel"))
    page.get_by_label("Prénom et nom").fill("Anne Roux")
    page.get_by_label("Adresse e-mail professionnelle").fill(_unique_email("anne"))
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page).to_have_url("/espace/recruteur")
    expect(page.get_by_text("Commune de Fumel", exact=True)).to_be_visible()

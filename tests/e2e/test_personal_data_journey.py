"""From the candidate space: download my data, then delete my account, in a real browser."""

from __future__ import annotations

import json
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import CSP_RECORDER, check_both_widths

AxeCheck = Callable[[Page], list[dict[str, Any]]]
PASSWORD = "Une phrase de passe pour la bourse"


def _sign_up(page: Page, email: str) -> None:
    page.goto("/inscription/candidat")
    page.get_by_label("Prénom et nom").fill("Inès Zarkowiak")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_label("Date de naissance").fill("1999-03-17")
    page.get_by_label("Plus haut diplôme obtenu").select_option("7")
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page).to_have_url("/espace/candidat")


def test_download_then_delete_from_the_candidate_space(
    browser: Browser, live_server: str, blocking_axe_violations: AxeCheck, tmp_path: Path
) -> None:
    context = browser.new_context(base_url=live_server, locale="fr-FR", accept_downloads=True)
    context.add_init_script(CSP_RECORDER)
    page = context.new_page()
    email = f"ines-{uuid.uuid4().hex[:8]}@example.fr"
    try:
        _sign_up(page, email)
        page.goto("/espace/compte")
        expect(page.get_by_role("heading", name="Mes données personnelles")).to_be_visible()
        check_both_widths(page, blocking_axe_violations, "compte")

        page.get_by_role("link", name="Télécharger mes données").click()
        expect(page).to_have_url("/espace/compte/donnees")
        check_both_widths(page, blocking_axe_violations, "donnees")
        with page.expect_download() as download:
            page.get_by_role("button", name="Préparer et télécharger l’archive").click()
        saved = tmp_path / "archive.zip"
        download.value.save_as(saved)
        assert download.value.suggested_filename.startswith("mes-donnees-bourse-pvd-")
        with zipfile.ZipFile(saved) as archive:
            data = json.loads(archive.read("donnees.json"))
        assert data["account"]["email"] == email
        assert data["profile"]["birth_date"] == "1999-03-17"

        page.reload()
        expect(page.get_by_role("heading", name="Votre archive est prête")).to_be_visible()
        check_both_widths(page, blocking_axe_violations, "donnees-prete")

        page.goto("/espace/compte")
        page.get_by_role("link", name="Supprimer mon compte").click()
        expect(page).to_have_url("/espace/compte/suppression")
        expect(page.get_by_role("heading", name="Ce qui est effacé")).to_be_visible()
        check_both_widths(page, blocking_axe_violations, "suppression")

        page.get_by_label("Mot de passe, pour confirmer", exact=True).fill("pas le bon")
        page.get_by_role("button", name="Supprimer définitivement mon compte").click()
        expect(page.locator("#password-messages")).to_contain_text("Mot de passe incorrect")
        check_both_widths(page, blocking_axe_violations, "suppression-erreur")

        page.get_by_label("Mot de passe, pour confirmer", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Supprimer définitivement mon compte").click()
        expect(page).to_have_url("/")
        expect(page.get_by_text("Votre compte est supprimé")).to_be_visible()

        # Gone: the address and password no longer open anything.
        page.goto("/connexion")
        page.get_by_label("Adresse e-mail").fill(email)
        page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        expect(page.get_by_role("alert")).to_have_text("Adresse e-mail ou mot de passe incorrect.")
        assert page.evaluate("window.cspViolations") == []
    finally:
        context.close()

"""Proposals in a real browser: two candidates join the pool by applying with the consent; a
staff member who looks after one région finds an offer there without applications, searches
the pool, proposes it to both; one applies in one click from the proposal, the other declines,
and the offer's page shows both outcomes."""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import (
    CSP_RECORDER,
    _serve_command,
    blank_pdf,
    check_both_widths,
    log_in,
)

AxeCheck = Callable[[Page], list[dict[str, Any]]]
PASSWORD = "Une phrase de passe pour les propositions"
BRETAGNE = "53"
PAST_OFFER = "Corte"  # the offer both candidates applied to, with the consent


def _page(browser: Browser, live_server: str) -> Page:
    context = browser.new_context(base_url=live_server, locale="fr-FR")
    context.add_init_script(CSP_RECORDER)
    return context.new_page()


def _join_the_pool(page: Page, name: str, *, save_cv: bool) -> str:
    """Sign up, apply with the consent to the Corte offer; a saved CV if asked."""
    email = f"{name.split()[0].lower()}-{uuid.uuid4().hex[:6]}@example.fr"
    page.goto("/inscription/candidat")
    page.get_by_label("Prénom et nom").fill(name)
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_label("Date de naissance").fill("1999-04-12")
    page.get_by_label("Plus haut diplôme obtenu").select_option("7")
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page).to_have_url("/espace/candidat")
    if save_cv:
        page.goto("/espace/compte")
        page.get_by_label("Ajouter mon CV").set_input_files(
            {"name": "CV.pdf", "mimeType": "application/pdf", "buffer": blank_pdf()}
        )
        page.get_by_role("button", name="Enregistrer ce CV").click()
        expect(page.get_by_text("CV.pdf").first).to_be_visible()
    page.goto(f"/offres?q={PAST_OFFER}&type=chef_de_projet")
    page.locator(".offer-card h3 a").filter(has_text=PAST_OFFER).first.click()
    page.get_by_role("link", name="Postuler à cette offre").click()
    if not save_cv:
        page.get_by_label("Votre CV").set_input_files(
            {"name": "CV.pdf", "mimeType": "application/pdf", "buffer": blank_pdf()}
        )
    page.get_by_label("Lettre de motivation").fill("Je connais bien les petites villes.")
    page.locator("label[for=talent_pool]").click()
    page.get_by_role("button", name="Envoyer ma candidature").click()
    expect(page).to_have_url(re.compile(r"/espace/candidat/candidatures/\d+$"))
    return email


def _restricted_staff(live_data_dir: Path) -> tuple[str, str]:
    email = f"bretagne-{uuid.uuid4().hex[:6]}@anct-demo.fr"
    password = "Une phrase de passe pour la Bretagne"
    created = subprocess.run(
        [*_serve_command(), "create-staff", email, "--nom", "Gwenaëlle Le Goff",
         "--regions", BRETAGNE, "--password-stdin"],
        input=password + "\n",
        env={**os.environ, "JOBBOARD_DATA_DIR": str(live_data_dir)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    return email, password


def _open_proposal(page: Page, offer_title: str) -> None:
    page.goto("/espace/candidat")
    section = page.locator("#propositions")
    expect(section.get_by_text("Nouvelle")).to_be_visible()
    section.get_by_role("link", name=offer_title).click()
    expect(page.get_by_role("heading", name="Une offre vous est proposée")).to_be_visible()


def test_staff_of_one_region_propose_an_offer_one_applies_the_other_declines(
    browser: Browser,
    live_server: str,
    live_data_dir: Path,
    blocking_axe_violations: AxeCheck,
) -> None:
    yann, maelle, staff = (_page(browser, live_server) for _ in range(3))
    try:
        _join_the_pool(yann, "Yann Kerbrat", save_cv=True)
        _join_the_pool(maelle, "Maëlle Riou", save_cv=False)

        email, password = _restricted_staff(live_data_dir)
        log_in(staff, email, password)
        staff.goto("/moderation/vivier")
        expect(staff.get_by_text("Vous voyez votre territoire")).to_be_visible()
        unanswered = staff.locator("section", has_text="Offres en ligne sans aucune candidature")
        first = unanswered.get_by_role("link").first
        offer_title = first.inner_text()
        first.click()
        expect(staff).to_have_url(re.compile(r"/moderation/vivier\?offre=\d+$"))
        offer_id = staff.url.rsplit("=", 1)[1]
        staff.get_by_label("Mots des offres visées").fill(PAST_OFFER)
        staff.get_by_role("button", name="Chercher").click()
        cards = staff.locator(".pool-list > li")
        expect(cards).to_have_count(2)
        body = staff.content()
        for who in ("Yann", "Kerbrat", "Maëlle", "Riou", "1999"):
            assert who not in body
        check_both_widths(staff, blocking_axe_violations, "proposer-vivier")
        for index in range(2):
            cards.nth(index).locator("label", has_text="Proposer l’offre").click()
        staff.get_by_label(re.compile("^Message aux candidat")).fill("Une offre près de chez vous.")
        staff.get_by_role("button", name="Proposer l’offre aux candidat·es coché·es").click()
        expect(staff).to_have_url(re.compile(rf"/moderation/offres/{offer_id}#propositions$"))
        expect(staff.get_by_text("Offre proposée à 2 candidat·es du vivier")).to_be_visible()

        _open_proposal(yann, offer_title)
        expect(yann.get_by_text("Une offre près de chez vous.")).to_be_visible()
        check_both_widths(yann, blocking_axe_violations, "proposition-candidat")
        yann.get_by_role("button", name="Candidater avec mon CV enregistré").click()
        expect(yann).to_have_url(re.compile(r"/espace/candidat/candidatures/\d+$"))
        expect(yann.get_by_text("Votre candidature est envoyée")).to_be_visible()

        _open_proposal(maelle, offer_title)
        maelle.get_by_role("button", name="Ne pas donner suite").click()
        expect(
            maelle.locator("#propositions").get_by_text("Vous n’avez pas donné suite")
        ).to_be_visible()

        staff.goto(f"/moderation/offres/{offer_id}")
        outcomes = staff.locator("#propositions table")
        expect(outcomes.get_by_text(re.compile("^A candidaté le"))).to_have_count(1)
        expect(outcomes.get_by_text(re.compile("^Déclinée le"))).to_have_count(1)
        expect(staff.get_by_text("2 propositions, 1 candidature à la suite")).to_be_visible()
        check_both_widths(staff, blocking_axe_violations, "propositions-offre")
    finally:
        for page in (yann, maelle, staff):
            page.context.close()

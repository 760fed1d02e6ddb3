"""A candidate applies with a PDF; the recruiter downloads it and answers (real browser)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import CSP_RECORDER, blank_pdf, log_in, screenshot

AxeCheck = Callable[[Page], list[dict[str, Any]]]
RECRUITER = "recrutement@fumel-demo.fr"
PASSWORD = "Une phrase de passe pour candidater"


def _context_page(browser: Browser, live_server: str) -> Page:
    context = browser.new_context(base_url=live_server, locale="fr-FR", accept_downloads=True)
    context.add_init_script(CSP_RECORDER)
    return context.new_page()


def test_apply_then_review(
    browser: Browser,
    live_server: str,
    demo_passwords: dict[str, str],
    blocking_axe_violations: AxeCheck,
) -> None:
    recruiter = _context_page(browser, live_server)
    candidate = _context_page(browser, live_server)
    try:
        # The recruiter's published VTA in Fumel.
        log_in(recruiter, RECRUITER, demo_passwords[RECRUITER])
        link = recruiter.get_by_role("link", name=re.compile(r"^VTA .* Fumel$")).first
        offer_url = link.get_attribute("href")
        assert offer_url and re.fullmatch(r"/espace/recruteur/offres/\d+", offer_url)
        offer_id = offer_url.rsplit("/", 1)[1]

        # A young graduate signs up from the offer and applies.
        candidate.goto(f"/offres/{offer_id}")
        candidate.get_by_role("link", name="Postuler à cette offre").click()
        expect(candidate).to_have_url(re.compile(r"/connexion\?suivant="))
        candidate.goto("/inscription/candidat")
        email = f"camille-{uuid.uuid4().hex[:6]}@example.fr"
        candidate.get_by_label("Prénom et nom").fill("Camille Durand")
        candidate.get_by_label("Adresse e-mail").fill(email)
        candidate.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
        candidate.get_by_label("Date de naissance").fill("2001-09-12")
        candidate.get_by_label("Plus haut diplôme obtenu").select_option("7")
        candidate.get_by_role("button", name="Créer mon compte").click()
        expect(candidate).to_have_url("/espace/candidat")
        candidate.goto(f"/offres/{offer_id}/candidater")
        expect(candidate.get_by_role("heading", level=1)).to_have_text("Candidater")
        # A text file renamed .pdf is refused, by content.
        candidate.get_by_label("Votre CV").set_input_files(
            {"name": "cv.pdf", "mimeType": "application/pdf", "buffer": b"pas un PDF"}
        )
        candidate.get_by_label("Lettre de motivation").fill("Je connais bien la vallée du Lot.")
        candidate.get_by_role("button", name="Envoyer ma candidature").click()
        expect(candidate.locator("#cv-erreur")).to_have_text("Le CV doit être un fichier PDF.")
        expect(candidate.get_by_label("Lettre de motivation")).to_have_value(
            "Je connais bien la vallée du Lot."
        )
        assert blocking_axe_violations(candidate) == []
        candidate.get_by_label("Votre CV").set_input_files(
            {"name": "CV Camille.pdf", "mimeType": "application/pdf", "buffer": blank_pdf()}
        )
        candidate.get_by_role("button", name="Envoyer ma candidature").click()
        expect(candidate.get_by_text("Votre candidature est envoyée")).to_be_visible()
        expect(candidate.get_by_text("Reçue").first).to_be_visible()
        screenshot(candidate, "candidature-envoyee")

        # The recruiter finds it, downloads the CV and answers.
        recruiter.goto(f"{offer_url}/candidatures")
        recruiter.get_by_role("link", name="Camille Durand").click()
        with recruiter.expect_download() as download:
            recruiter.get_by_role("link", name=re.compile("Télécharger le CV")).click()
        assert download.value.suggested_filename == "CV Camille.pdf"
        recruiter.get_by_role("button", name="Passer en examen").click()
        expect(recruiter.locator("#suivi").get_by_role("status")).to_have_text("En cours d’examen")
        # Focus follows the swap to the new status, not down to <body>.
        expect(recruiter.locator("#suivi-statut")).to_be_focused()
        recruiter.get_by_role("button", name="Ne pas retenir").click()
        expect(recruiter.locator("#suivi")).to_contain_text("Indiquez le motif")
        expect(recruiter.locator("#suivi-erreur")).to_be_focused()
        # htmx adds no stylesheet of its own, and nothing broke the CSP along the way.
        assert recruiter.evaluate("document.adoptedStyleSheets.length") == 0
        assert recruiter.evaluate("window.cspViolations") == []
        recruiter.get_by_label("Message au candidat").fill(
            "Un profil plus expérimenté a été retenu."
        )
        recruiter.get_by_role("button", name="Ne pas retenir").click()
        expect(recruiter.locator("#suivi").get_by_role("status")).to_have_text("Non retenue")
        screenshot(recruiter, "candidature-recruteur")
        assert blocking_axe_violations(recruiter) == []

        # The candidate sees the answer and its reason.
        candidate.reload()
        expect(candidate.get_by_text("Non retenue").first).to_be_visible()
        expect(candidate.get_by_text("Un profil plus expérimenté a été retenu.")).to_be_visible()
    finally:
        recruiter.context.close()
        candidate.context.close()

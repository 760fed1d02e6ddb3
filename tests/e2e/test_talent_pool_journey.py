"""The talent pool in a real browser: a candidate applies with the consent, staff find them in
the pool without their name, the candidate leaves the pool in one click."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import CSP_RECORDER, blank_pdf, check_both_widths, log_in

AxeCheck = Callable[[Page], list[dict[str, Any]]]
STAFF = "moderation@anct-demo.fr"
PASSWORD = "Une phrase de passe pour le vivier"


def _page(browser: Browser, live_server: str) -> Page:
    context = browser.new_context(base_url=live_server, locale="fr-FR")
    context.add_init_script(CSP_RECORDER)
    return context.new_page()


def test_apply_with_consent_be_found_anonymously_then_leave_the_pool(
    browser: Browser,
    live_server: str,
    demo_passwords: dict[str, str],
    blocking_axe_violations: AxeCheck,
) -> None:
    candidate = _page(browser, live_server)
    staff = _page(browser, live_server)
    try:
        candidate.goto("/inscription/candidat")
        email = f"ambre-{uuid.uuid4().hex[:6]}@example.fr"
        candidate.get_by_label("Prénom et nom").fill("Ambre Quéméneur")
        candidate.get_by_label("Adresse e-mail").fill(email)
        candidate.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
        candidate.get_by_label("Date de naissance").fill("2000-06-21")
        candidate.get_by_label("Plus haut diplôme obtenu").select_option("7")
        candidate.get_by_role("button", name="Créer mon compte").click()
        expect(candidate).to_have_url("/espace/candidat")

        candidate.goto("/offres?type=vta")
        candidate.locator(".offer-card h3 a").first.click()
        title = candidate.get_by_role("heading", level=1).inner_text()
        candidate.get_by_role("link", name="Postuler à cette offre").click()
        candidate.get_by_label("Votre CV").set_input_files(
            {"name": "CV Ambre.pdf", "mimeType": "application/pdf", "buffer": blank_pdf()}
        )
        candidate.get_by_label("Lettre de motivation").fill("Le patrimoine me passionne.")
        candidate.locator("label[for=talent_pool]").click()  # DSFR: the label covers the box
        expect(candidate.get_by_label(re.compile("^J’accepte que l’ANCT conserve"))).to_be_checked()
        candidate.get_by_role("button", name="Envoyer ma candidature").click()
        expect(candidate).to_have_url(re.compile(r"/espace/candidat/candidatures/\d+$"))

        candidate.goto("/espace/candidat")
        expect(
            candidate.get_by_role("heading", name=re.compile("^Vous êtes dans le vivier jusqu’au"))
        ).to_be_visible()
        check_both_widths(candidate, blocking_axe_violations, "vivier-candidat")

        log_in(staff, STAFF, demo_passwords[STAFF])
        staff.goto("/moderation")
        staff.get_by_role("link", name="Vivier").click()
        expect(staff).to_have_url("/moderation/vivier")
        staff.get_by_label("Mots des offres visées").fill(title.split("–")[-1].strip()[:40])
        staff.get_by_role("button", name="Chercher").click()
        cards = staff.locator(".pool-list > li").filter(has_text=title)
        expect(cards.first).to_be_visible()
        before = cards.count()  # other journeys may have pooled candidates for this offer
        expect(
            cards.first.get_by_role("heading", name=re.compile(r"^Candidat·e n° \d+$"))
        ).to_be_visible()
        body = staff.content()
        assert "Ambre" not in body and email not in body and "2000" not in body
        check_both_widths(staff, blocking_axe_violations, "vivier-equipe")

        candidate.get_by_role("button", name="Quitter le vivier").click()
        expect(candidate.get_by_text("Vous avez quitté le vivier")).to_be_visible()
        expect(candidate.get_by_role("button", name="Quitter le vivier")).to_have_count(0)
        staff.reload()
        expect(cards).to_have_count(before - 1)
    finally:
        candidate.context.close()
        staff.context.close()

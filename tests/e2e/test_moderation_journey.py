"""Moderation in a real browser: queue → review → request changes → recruiter edits →
resubmit → approve → found on the board."""

from __future__ import annotations

import random
import string
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from playwright.sync_api import Browser, Page, expect

from jobboard import clock
from tests.e2e.conftest import log_in, pick, screenshot

AxeCheck = Callable[[Page], list[dict[str, Any]]]
RECRUITER = "rh@thizy-demo.fr"  # verified; Thizy-les-Bourgs is peu dense and PVD
STAFF = "moderation@anct-demo.fr"


def _word() -> str:
    """A made-up word the board's search can only find in this test's offer."""
    return "zy" + "".join(random.choices(string.ascii_lowercase, k=8))


def _new_page(browser: Browser, live_server: str) -> Page:
    return browser.new_context(base_url=live_server, locale="fr-FR").new_page()


def test_moderation_round_trip_ends_on_the_board(
    browser: Browser,
    live_server: str,
    demo_passwords: dict[str, str],
    blocking_axe_violations: AxeCheck,
) -> None:
    word = _word()
    title = f"VTA – Valorisation du patrimoine {word}"
    today = clock.today()
    recruiter = _new_page(browser, live_server)
    staff = _new_page(browser, live_server)
    try:
        # The recruiter submits an eligible VTA.
        log_in(recruiter, RECRUITER, demo_passwords[RECRUITER])
        recruiter.goto("/espace/recruteur/offres/nouvelle")
        pick(
            recruiter,
            recruiter.get_by_role("radio", name="Volontariat territorial en administration (VTA)"),
        )
        recruiter.get_by_label("Intitulé du poste").fill(title)
        recruiter.get_by_label("Le poste et son contexte").fill(
            f"Inventaire du patrimoine textile ({word})."
        )
        recruiter.locator("#missions").fill("- Inventorier les bâtiments\n- Monter les dossiers")
        recruiter.get_by_label("Profil recherché").fill("Bac+3 en histoire de l’art ou patrimoine.")
        pick(recruiter, recruiter.get_by_role("checkbox", name="Patrimoine"))
        recruiter.locator("#deadline").fill((today + timedelta(days=30)).isoformat())
        recruiter.locator("#start_date").fill((today + timedelta(days=60)).isoformat())
        recruiter.get_by_label("Durée du contrat, en mois").fill("12")
        recruiter.get_by_label("Durée hebdomadaire, en heures").fill("35")
        recruiter.get_by_label("Diplôme minimum").select_option("6")
        expect(recruiter.locator("#verdict-zone")).to_contain_text("Éligible")
        recruiter.get_by_role("button", name="Soumettre à l’ANCT").click()
        expect(recruiter.get_by_text("L’offre est envoyée à l’ANCT")).to_be_visible()

        # Staff find it in the queue and ask for changes.
        log_in(staff, STAFF, demo_passwords[STAFF])
        expect(staff).to_have_url("/moderation")
        staff.get_by_role("link", name=title).click()
        expect(staff.get_by_role("heading", level=1)).to_have_text(title)
        expect(staff.get_by_text("3 – peu dense")).to_be_visible()
        staff.get_by_role("button", name="Demander des modifications").click()
        expect(staff.get_by_text("Indiquez les modifications attendues")).to_be_visible()  # htmx
        staff.get_by_label("Modifications attendues (obligatoire)").fill(
            "Indiquez la rémunération, s’il vous plaît."
        )
        staff.get_by_role("button", name="Demander des modifications").click()
        expect(staff).to_have_url("/moderation")
        expect(
            staff.get_by_text("Modifications demandées : le recruteur est prévenu")
        ).to_be_visible()

        # The recruiter reads the request, edits and resubmits.
        recruiter.goto("/espace/recruteur")
        recruiter.get_by_role("link", name=title).click()
        expect(recruiter.get_by_text("Indiquez la rémunération, s’il vous plaît.")).to_be_visible()
        recruiter.get_by_role("link", name="Compléter et soumettre").click()
        recruiter.get_by_label("Rémunération ou indemnité (facultatif)").fill("SMIC + 15 %")
        recruiter.get_by_role("button", name="Soumettre à l’ANCT").click()
        expect(recruiter.get_by_text("L’offre est envoyée à l’ANCT")).to_be_visible()

        # Staff see what changed and publish.
        staff.goto("/moderation")
        staff.get_by_role("link", name=title).click()
        changes = staff.get_by_role(
            "table", name="Champs modifiés depuis la dernière décision de l’ANCT"
        )
        expect(changes).to_contain_text("Rémunération")
        expect(changes.locator("td ins")).to_have_text("SMIC + 15 %")
        screenshot(staff, "moderation-offre")
        assert blocking_axe_violations(staff) == []
        staff.get_by_role("button", name="Publier l’offre").click()
        expect(staff).to_have_url("/moderation")
        expect(staff.get_by_text("L’offre est publiée")).to_be_visible()

        # Anyone finds it on the board by a word of its title, once the background indexer
        # (every half second) has caught up: reload until then, 30 s at most.
        deadline = time.monotonic() + 30
        found = staff.locator("#resultats").get_by_role("link", name=title)
        while True:
            staff.goto(f"/offres?q={word}")
            if found.count():
                break
            assert time.monotonic() < deadline, "the approved offer never reached the index"
            staff.wait_for_timeout(500)
        expect(found).to_be_visible()
    finally:
        recruiter.context.close()
        staff.context.close()


def test_staff_pages_render_for_staff(
    page: Page, demo_passwords: dict[str, str], blocking_axe_violations: AxeCheck
) -> None:
    log_in(page, STAFF, demo_passwords[STAFF])
    for path, heading in (
        ("/moderation", "Offres à modérer"),
        ("/moderation/journal", "Journal"),
        ("/moderation/statistiques", "Statistiques"),
        ("/moderation/comptes", "Comptes recruteurs à vérifier"),
    ):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        screenshot(page, "moderation" + path.replace("/", "-"))
        assert blocking_axe_violations(page) == [], path

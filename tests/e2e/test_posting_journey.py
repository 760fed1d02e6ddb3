"""A recruiter posts an offer and watches the verdict change while typing (real browser)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from playwright.sync_api import Page, expect

from jobboard import clock
from tests.e2e.conftest import log_in, pick, screenshot

AxeCheck = Callable[[Page], list[dict[str, Any]]]
FUMEL_RECRUITER = "recrutement@fumel-demo.fr"  # verified; Fumel is rural (peu dense) and PVD


def _verdict(page: Page) -> Any:
    return page.locator("#verdict-zone")


def _fill_vta(page: Page, title: str) -> None:
    today = clock.today()
    page.get_by_label("Intitulé du poste").fill(title)
    page.get_by_label("Le poste et son contexte").fill(
        "Fumel, 4 700 habitants, engage son **plan de sobriété** avec la communauté de communes."
    )
    page.locator("#missions").fill("- Animer le plan de sobriété\n- Suivre les aides Fonds vert")
    page.get_by_label("Profil recherché").fill("Bac+3 à bac+5 en environnement ou aménagement.")
    pick(page, page.get_by_role("checkbox", name="Transition écologique"))
    page.locator("#deadline").fill((today + timedelta(days=30)).isoformat())
    page.locator("#start_date").fill((today + timedelta(days=60)).isoformat())
    page.get_by_label("Durée hebdomadaire, en heures").fill("35")
    page.get_by_label("Diplôme minimum").select_option("5")


def test_recruiter_posts_a_vta_with_the_live_verdict(
    page: Page, demo_passwords: dict[str, str], blocking_axe_violations: AxeCheck
) -> None:
    log_in(page, FUMEL_RECRUITER, demo_passwords[FUMEL_RECRUITER])
    page.get_by_role("link", name="Nouvelle offre").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouvelle offre")
    # Nothing typed yet: no red verdict, just « À compléter ».
    expect(_verdict(page)).to_contain_text("À compléter")
    expect(_verdict(page)).not_to_contain_text("Non éligible")

    # Choosing VTA shows its rules at once, under the fields they concern.
    pick(page, page.get_by_role("radio", name="Volontariat territorial en administration (VTA)"))
    expect(page.locator("#duration_months-messages")).to_contain_text(
        "VTA : mission de 12 à 18 mois."
    )
    expect(page.locator("#min_diploma_level-messages")).to_contain_text("bac+2 minimum")
    expect(_verdict(page)).to_contain_text("Règles du VTA")

    title = f"VTA – Sobriété énergétique {uuid.uuid4().hex[:6]}"
    _fill_vta(page, title)
    page.get_by_label("Durée du contrat, en mois").fill("24")
    expect(page.locator("#duration_months-messages")).to_contain_text(
        "La mission VTA dure de 12 à 18 mois."
    )
    expect(_verdict(page)).to_contain_text("Non éligible")
    expect(_verdict(page).get_by_role("link", name="Durée du contrat")).to_have_attribute(
        "href", "#duration_months"
    )
    screenshot(page, "offre-non-eligible")
    assert blocking_axe_violations(page) == []

    page.get_by_label("Durée du contrat, en mois").fill("12")
    expect(_verdict(page)).to_contain_text("Éligible")
    expect(_verdict(page)).not_to_contain_text("Non éligible")
    expect(page.locator("#duration_months-messages")).not_to_contain_text("dure de 12 à 18")
    screenshot(page, "offre-eligible")

    page.get_by_role("button", name="Enregistrer et prévisualiser").click()
    expect(page.get_by_text("telle que les candidats la verront")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("strong", has_text="plan de sobriété")).to_be_visible()
    screenshot(page, "offre-apercu")

    page.get_by_role("link", name="Revenir au formulaire").click()
    page.get_by_role("button", name="Soumettre à l’ANCT").click()
    expect(page.get_by_text("L’offre est envoyée à l’ANCT pour modération")).to_be_visible()
    expect(page.get_by_text("En attente de modération").first).to_be_visible()
    page.goto("/espace/recruteur")
    expect(page.get_by_role("link", name=title)).to_be_visible()


def test_unknown_density_shows_to_review(page: Page, blocking_axe_violations: AxeCheck) -> None:
    """Doullens has no density in the sample grid: a VTA there is « à vérifier »."""
    page.goto("/inscription/recruteur?collectivite_q=80253")
    pick(page, page.get_by_role("radio", name="Doullens"))
    page.get_by_label("Prénom et nom").fill("Nadia Leroy")
    page.get_by_label("Adresse e-mail professionnelle").fill(
        f"n-{uuid.uuid4().hex[:6]}@doullens.fr"
    )
    page.get_by_label("Mot de passe", exact=True).fill("Une phrase de passe pour Doullens")
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page).to_have_url("/espace/recruteur")
    page.get_by_role("link", name="Nouvelle offre").click()
    pick(page, page.get_by_role("radio", name="Volontariat territorial en administration (VTA)"))
    _fill_vta(page, "VTA – Revitalisation du centre-ville de Doullens")
    page.get_by_label("Durée du contrat, en mois").fill("18")
    expect(_verdict(page)).to_contain_text("À vérifier")
    expect(_verdict(page)).to_contain_text("densité de Doullens n’est pas connue")
    screenshot(page, "offre-a-verifier")
    assert blocking_axe_violations(page) == []
    # Not verified yet: the draft is kept, the submission is refused with the reason.
    page.get_by_role("button", name="Soumettre à l’ANCT").click()
    expect(page.get_by_role("alert")).to_contain_text("pas encore vérifié")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.get_by_text("Brouillon enregistré.")).to_be_visible()

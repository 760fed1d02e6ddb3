"""Every role's main pages fit a 390 px phone screen: no sideways scrolling, readable charts."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import log_in, screenshot

PHONE = {"width": 390, "height": 844}
# Each role's main pages; "first:SELECTOR" follows the first link matching SELECTOR on the
# page before (an offer, an offer to moderate), whose id the demo does not fix.
PAGES = {
    None: [
        "/",
        "/offres",
        "first:a[href^='/offres/']",
        "/connexion",
        "/mot-de-passe-oublie",
        "/inscription",
        "/inscription/candidat",
        "/inscription/recruteur",
    ],
    "moderation@anct-demo.fr": [
        "/moderation",
        "first:a[href^='/moderation/offres/']",
        "/moderation/comptes",
        "/moderation/journal",
        "/moderation/statistiques",
        "/moderation/vivier",
        "/moderation/equipe",
        "/espace/compte",
    ],
    "recrutement@fumel-demo.fr": [
        "/espace/recruteur",
        "first:td a[href^='/espace/recruteur/offres/']",
        "/espace/recruteur/offres/nouvelle",
        "/espace/compte",
    ],
    "lea.martin@exemple-demo.fr": ["/espace/candidat", "/espace/compte"],
}


def _visit(page: Page, step: str) -> str:
    if step.startswith("first:"):
        href = page.locator(step.removeprefix("first:")).first.get_attribute("href")
        assert href, step
        step = href
    response = page.goto(step)
    assert response is not None and response.status == 200, step
    return step


@pytest.mark.parametrize("email", list(PAGES), ids=lambda e: (e or "visiteur").split("@")[0])
def test_main_pages_fit_a_phone(
    browser: Browser, live_server: str, demo_passwords: dict[str, str], email: str | None
) -> None:
    context = browser.new_context(base_url=live_server, locale="fr-FR", viewport=PHONE)
    page = context.new_page()
    try:
        if email:
            log_in(page, email, demo_passwords[email])
        for step in PAGES[email]:
            path = _visit(page, step)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{path} is {width} px wide"
            screenshot(page, "390" + path.replace("/", "_"))
    finally:
        context.close()


def test_statistics_labels_stay_readable_on_a_phone(
    browser: Browser, live_server: str, demo_passwords: dict[str, str]
) -> None:
    context = browser.new_context(base_url=live_server, locale="fr-FR", viewport=PHONE)
    page = context.new_page()
    try:
        log_in(page, "moderation@anct-demo.fr", demo_passwords["moderation@anct-demo.fr"])
        page.goto("/moderation/statistiques")
        # The rendered size of each label: its font size times the drawing's scale.
        sizes = page.evaluate(
            """() => [...document.querySelectorAll('.chart__svg text')].map((text) => {
                const svg = text.ownerSVGElement;
                const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
                return parseFloat(text.getAttribute('font-size')) * scale;
            })"""
        )
        assert sizes and min(sizes) >= 12, sizes
    finally:
        context.close()


def test_the_offer_form_keeps_a_compact_verdict_in_view_on_a_phone(
    browser: Browser, live_server: str, demo_passwords: dict[str, str]
) -> None:
    recruiter = "recrutement@fumel-demo.fr"
    context = browser.new_context(base_url=live_server, locale="fr-FR", viewport=PHONE)
    page = context.new_page()
    try:
        log_in(page, recruiter, demo_passwords[recruiter])
        page.goto("/espace/recruteur/offres/nouvelle")
        compact = page.locator("#verdict-compact")
        expect(compact).to_contain_text("À compléter")
        expect(page.locator("#verdict-zone")).not_to_contain_text("Non éligible")
        hours = page.get_by_label("Durée hebdomadaire, en heures")
        hours.fill("20")
        expect(compact).to_contain_text("Non éligible")
        expect(compact).to_contain_text("points à revoir")
        expect(hours).to_be_focused()
        # Both the field being typed in and the summary are on screen; the full panel is not.
        expect(hours).to_be_in_viewport()
        box = compact.bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], box
        panel = page.locator("#verdict-zone").bounding_box()
        assert panel and panel["y"] > PHONE["height"]
        screenshot(page, "390-offre-verdict-compact")
        page.set_viewport_size({"width": 1280, "height": 900})
        expect(compact).to_be_hidden()  # the side panel is in view on a wide screen
    finally:
        context.close()

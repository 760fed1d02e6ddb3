"""The board on a phone and from the keyboard: the first offer on the first screen, the
filters behind « Filtrer », the first result a few Tab presses after the search box."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import open_filters, pick, screenshot

AxeCheck = Callable[[Page], list[dict[str, Any]]]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
MAX_TABS = 5


@pytest.fixture(params=[PHONE, DESKTOP], ids=["390", "1280"])
def sized_page(
    request: pytest.FixtureRequest, browser: Browser, live_server: str
) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server, locale="fr-FR", viewport=request.param)
    try:
        yield context.new_page()
    finally:
        context.close()


def _first_card_title(page: Page) -> Any:
    return page.locator("#resultats .offer-card").first.get_by_role("heading").get_by_role("link")


@pytest.mark.parametrize("path", ["/offres", "/offres?q=patrimoine"])
def test_the_first_result_is_on_the_first_phone_screen(
    browser: Browser, live_server: str, path: str
) -> None:
    context = browser.new_context(base_url=live_server, locale="fr-FR", viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(path)
        page.wait_for_selector('html[data-fr-js="true"]')
        card = page.locator("#resultats .offer-card").first
        expect(card).to_be_visible()
        box = card.bounding_box()
        assert box is not None and box["y"] < PHONE["height"], (path, box)
        # The filters are folded: only the « Filtrer » button stands between.
        expect(page.locator("#filtres-panneau")).to_be_hidden()
        screenshot(page, "390_board" + path.replace("/", "_").replace("?", "-"))
    finally:
        context.close()


def test_filtrer_opens_applies_and_counts_the_filters(browser: Browser, live_server: str) -> None:
    context = browser.new_context(base_url=live_server, locale="fr-FR", viewport=PHONE)
    page = context.new_page()
    try:
        page.goto("/offres")
        toggle = page.get_by_role("button", name=re.compile(r"^Filtrer"))
        expect(toggle).to_have_text("Filtrer")
        open_filters(page)
        page.get_by_label("Type d’offre").select_option(label="VTA")
        pick(page, page.get_by_label("Télétravail possible"))
        page.get_by_role("button", name="Appliquer les filtres").click()
        expect(page).to_have_url(re.compile(r"/offres\?type=vta&teletravail=1$"))
        expect(toggle).to_have_text("Filtrer(2 filtres actifs)")
        expect(page).to_have_title(re.compile(r"^Offres – VTA, Télétravail possible – "))
        for card in page.locator("#resultats .offer-card").all():
            expect(card.get_by_role("listitem").first).to_have_text("VTA")
        # A tag under « Filtres actifs » removes one filter.
        page.get_by_role("link", name="Retirer le filtre Télétravail possible").click()
        expect(page).to_have_url(re.compile(r"/offres\?type=vta$"))
    finally:
        context.close()


def test_the_first_result_is_at_most_five_tabs_after_the_search_box(sized_page: Page) -> None:
    page = sized_page
    page.goto("/offres?q=patrimoine")
    page.wait_for_selector('html[data-fr-js="true"]')
    first = _first_card_title(page)
    href = first.get_attribute("href")
    page.get_by_label("Mots-clés").focus()
    path = []
    for _press in range(MAX_TABS):
        page.keyboard.press("Tab")
        path.append(page.evaluate("document.activeElement.outerHTML.slice(0, 100)"))
        if page.evaluate("document.activeElement.getAttribute('href')") == href:
            break
    else:
        pytest.fail(f"{MAX_TABS} Tab presses went through {path}")


def test_the_skip_link_moves_the_focus_to_the_results(sized_page: Page) -> None:
    page = sized_page
    page.goto("/offres")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller aux résultats")
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.closest('.offer-card') !== null")
    assert focused, page.evaluate("document.activeElement.outerHTML.slice(0, 120)")


@pytest.mark.parametrize("state", ["ferme", "ouvert", "vide", "voir-plus"], ids=lambda state: state)
def test_the_board_states_pass_axe(
    sized_page: Page, blocking_axe_violations: AxeCheck, state: str
) -> None:
    page = sized_page
    path = "/offres?q=zzzyqx&type=vta&teletravail=1" if state == "vide" else "/offres"
    page.goto(path)
    page.wait_for_selector('html[data-fr-js="true"]')
    if state == "ouvert":
        open_filters(page)
    if state == "voir-plus":
        page.locator("#facettes summary").first.click()
        expect(page.locator("#facettes details").first).to_have_attribute("open", "")
    if state == "vide":
        expect(
            page.get_by_role("link", name="Retirer le filtre Type d’offre : VTA")
        ).to_be_visible()
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"{width}_board_{state}")
    blocking = blocking_axe_violations(page)
    assert blocking == [], json.dumps(blocking, ensure_ascii=False, indent=2)

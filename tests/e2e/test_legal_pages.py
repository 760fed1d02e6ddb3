"""The legal pages, the Plan du site, the API page and the account page in a real browser:
axe-core in the light and the dark theme at 1280 and 390 px, and « Paramètres d’affichage »
remembering the theme (issue 15)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import log_in, screenshot

AxeCheck = Callable[[Page], list[dict[str, Any]]]
PAGES = ("/mentions-legales", "/accessibilite", "/donnees-personnelles", "/plan-du-site", "/api")
CANDIDATE = "lea.martin@exemple-demo.fr"  # a demo account


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_legal_and_account_pages_have_no_axe_violation_in_either_theme_and_fit(
    page: Page,
    blocking_axe_violations: AxeCheck,
    demo_passwords: dict[str, str],
    width: int,
    theme: str,
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.add_init_script(f"window.localStorage.setItem('scheme', '{theme}')")
    for path in PAGES:
        check_page(page, blocking_axe_violations, path, theme, width)
    log_in(page, CANDIDATE, demo_passwords[CANDIDATE])
    check_page(page, blocking_axe_violations, "/espace/compte", theme, width)
    assert page.console_errors == []  # type: ignore[attr-defined]


def check_page(page: Page, axe: AxeCheck, path: str, theme: str, width: int) -> None:
    page.goto(path)
    expect(page.locator("html")).to_have_attribute("data-fr-theme", theme)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    screenshot(page, f"{path.strip('/').replace('/', '-')}-{theme}-{width}")
    assert axe(page) == [], path
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{path} is {scroll_width} px wide at {width} px"


def test_the_chosen_theme_is_kept_from_page_to_page(page: Page) -> None:
    page.goto("/mentions-legales")
    expect(page.locator("html")).to_have_attribute("data-fr-theme", "light")
    page.get_by_role("button", name="Paramètres d’affichage").click()
    dialog = page.get_by_role("dialog", name="Paramètres d’affichage")
    expect(dialog).to_be_visible()
    dialog.get_by_text("Thème sombre").click()
    expect(page.locator("html")).to_have_attribute("data-fr-theme", "dark")
    page.goto("/donnees-personnelles")
    expect(page.locator("html")).to_have_attribute("data-fr-theme", "dark")
    page.get_by_role("link", name="Plan du site").click()
    expect(page.locator("html")).to_have_attribute("data-fr-theme", "dark")
    page.get_by_role("button", name="Paramètres d’affichage").click()
    page.get_by_role("dialog", name="Paramètres d’affichage").get_by_text("Thème clair").click()
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-fr-theme", "light")
    assert page.console_errors == []  # type: ignore[attr-defined]

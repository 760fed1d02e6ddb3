"""The map of offers by département in a real browser: click a département, the board is
filtered (issue 13, « Done when » (5)); keyboard, axe-core and the phone width."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import screenshot

AxeCheck = Callable[[Page], list[dict[str, Any]]]


def _count(text: str) -> int:
    match = re.match(r"\s*([\d\s\u00a0\u202f]+?)\s*offres?\b", text)
    assert match, f"no offer count in {text!r}"
    return int(re.sub(r"\D", "", match.group(1)))


def _busiest(page: Page) -> tuple[str, int]:
    """The département with the most offers, read from the map's accessible names."""
    best = ("", 0)
    for link in page.locator("svg.departement-map a").all():
        name = link.get_attribute("aria-label") or ""
        found = re.search(r"\u202f: (\d+) offres?$", name)
        if found and int(found.group(1)) > best[1]:
            best = (name.split("\u202f:")[0], int(found.group(1)))
    assert best[1] > 0, "the demo data has offers on the map"
    return best


def test_clicking_a_departement_filters_the_board(page: Page) -> None:
    page.goto("/offres")
    page.get_by_role("link", name="Voir ces offres sur la carte").click()
    expect(page).to_have_url(re.compile(r"/offres/carte$"))
    name, count = _busiest(page)
    area = page.get_by_role("link", name=re.compile(rf"^{re.escape(name)}\s: "))
    code = area.get_attribute("data-departement")
    area.click()
    expect(page).to_have_url(re.compile(rf"/offres\?departement={code}$"))
    expect(page.get_by_label("Département")).to_have_value(code or "")
    assert _count(page.locator("#nombre-resultats").inner_text()) == count
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_the_map_follows_the_board_filters_and_keeps_them(page: Page) -> None:
    page.goto("/offres?type=vta")
    total_vta = _count(page.locator("#nombre-resultats").inner_text())
    page.get_by_role("link", name="Voir ces offres sur la carte").click()
    expect(page).to_have_url(re.compile(r"/offres/carte\?type=vta$"))
    assert _count(page.locator("#nombre-offres").inner_text()) == total_vta
    name, count = _busiest(page)
    page.get_by_role("link", name=re.compile(rf"^{re.escape(name)}\s: ")).click()
    expect(page).to_have_url(re.compile(r"/offres\?type=vta&departement=\w+$"))
    assert _count(page.locator("#nombre-resultats").inner_text()) == count


def test_keyboard_reaches_and_opens_a_departement(page: Page) -> None:
    page.goto("/offres/carte")
    first = page.locator("svg.departement-map a").first
    first.focus()
    expect(first).to_be_focused()
    page.keyboard.press("Tab")
    second = page.locator("svg.departement-map a").nth(1)
    expect(second).to_be_focused()
    target = second.get_attribute("data-departement")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/offres\?departement={target}$"))


def test_the_table_is_there_on_demand(page: Page) -> None:
    page.goto("/offres/carte")
    table = page.get_by_role("table", name=re.compile("Offres en ligne par département"))
    expect(table).to_be_hidden()
    page.get_by_text("Afficher la carte sous forme de tableau").click()
    expect(table).to_be_visible()
    expect(table.get_by_role("row")).to_have_count(110)  # a header and 109 départements


@pytest.mark.parametrize("width", [1280, 390])
def test_map_page_has_no_axe_violation_and_fits(
    page: Page, blocking_axe_violations: AxeCheck, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/offres/carte?type=vta")
    screenshot(page, f"carte-{width}")
    page.get_by_text("Afficher la carte sous forme de tableau").click()
    assert blocking_axe_violations(page) == []
    box = page.locator("svg.departement-map").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= width
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"the page is {scroll_width} px wide at {width} px"
    screenshot(page, f"carte-tableau-{width}")
    assert page.console_errors == []  # type: ignore[attr-defined]

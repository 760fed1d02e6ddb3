"""A visitor's journeys through the public board, in a real browser against `jobboard serve`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import open_filters

AxeCheck = Callable[[Page], list[dict[str, Any]]]


def _count(text: str) -> int:
    """The leading number of « 1 234 offres en ligne · page 1 sur 3 » (French grouping)."""
    match = re.match(r"\s*([\d\s\u00a0\u202f]+?)\s*offres?\b", text)
    assert match, f"no offer count in {text!r}"
    return int(re.sub(r"\D", "", match.group(1)))


def _results_count(page: Page) -> int:
    return _count(page.locator("#nombre-resultats").inner_text())


def _cards(page: Page) -> Locator:
    return page.locator("#resultats .offer-card")


def _first_offer_url(page: Page) -> str:
    page.goto("/offres")
    href = _cards(page).first.get_by_role("heading").get_by_role("link").get_attribute("href")
    assert href and re.fullmatch(r"/offres/\d+", href), href
    return href


def test_home_shows_kind_tiles_with_counts(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    tiles = page.get_by_role("list", name="Offres en ligne par type").get_by_role("listitem")
    expect(tiles).to_have_count(3)
    for tile in tiles.all():
        label = tile.get_by_role("heading", level=2).inner_text()
        assert _count(tile.get_by_role("paragraph").inner_text()) > 0, f"no offer for {label}"
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_home_search_lands_on_results(page: Page) -> None:
    page.goto("/")
    page.get_by_label("Rechercher une offre").fill("patrimoine")
    page.get_by_role("button", name="Rechercher").click()
    expect(page).to_have_url(re.compile(r"/offres\?q=patrimoine$"))
    expect(page.get_by_label("Mots-clés")).to_have_value("patrimoine")
    assert _results_count(page) >= 1
    expect(_cards(page).first).to_be_visible()
    assert page.console_errors == []  # type: ignore[attr-defined]


def _filter_by_vta(page: Page, *, submit: bool) -> None:
    """Choose « VTA »; with script the form searches on change, without it one submits."""
    page.goto("/offres")
    unfiltered = _results_count(page)
    count_text = page.locator("#nombre-resultats").inner_text()
    if submit:
        # Without JavaScript the filters are open; the form is sent with « Rechercher ».
        expect(page.locator(".board-filter-toggle")).to_be_hidden()
    else:
        open_filters(page)
    page.get_by_label("Type d’offre").select_option(label="VTA")
    if submit:
        page.get_by_role("button", name="Rechercher").click()
        # The plain GET form sends every field, empty ones included.
        expect(page).to_have_url(re.compile(r"[?&]type=vta(&|$)"))
    else:
        # htmx pushes the clean URL, without the empty fields.
        expect(page).to_have_url(re.compile(r"/offres\?type=vta$"))
    expect(page.locator("#nombre-resultats")).not_to_have_text(count_text)
    expect(page.get_by_label("Type d’offre")).to_have_value("vta")
    filtered = _results_count(page)
    assert 0 < filtered < unfiltered
    cards = _cards(page)
    assert cards.count() == min(filtered, 20)
    for card in cards.all():
        expect(card.get_by_role("listitem").first).to_have_text("VTA")


def test_filter_by_kind(page: Page) -> None:
    _filter_by_vta(page, submit=False)
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_filter_by_kind_without_javascript(no_js_page: Page) -> None:
    _filter_by_vta(no_js_page, submit=True)


def test_next_page(page: Page) -> None:
    page.goto("/offres")
    expect(page.locator("#nombre-resultats")).to_contain_text("page 1 sur")
    first_title = _cards(page).first.get_by_role("heading").inner_text()
    pagination = page.get_by_role("navigation", name="Pagination")
    pagination.get_by_role("link", name="Page suivante").click()
    expect(page).to_have_url(re.compile(r"[?&]page=2(&|$)"))
    expect(page.locator("#nombre-resultats")).to_contain_text("page 2 sur")
    expect(pagination.get_by_role("link", name="2", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    assert _cards(page).first.get_by_role("heading").inner_text() != first_title
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_open_offer_from_list(page: Page) -> None:
    page.goto("/offres")
    title_link = _cards(page).first.get_by_role("heading").get_by_role("link")
    title = title_link.inner_text().strip()
    title_link.click()
    expect(page).to_have_url(re.compile(r"/offres/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_text("Date limite de candidature", exact=True)).to_be_visible()
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_unknown_offer_is_404(page: Page) -> None:
    response = page.goto("/offres/999999")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page non trouvée")


@pytest.mark.parametrize("where", ["/", "/offres", "offer"])
def test_accessibility(page: Page, blocking_axe_violations: AxeCheck, where: str) -> None:
    path = _first_offer_url(page) if where == "offer" else where
    response = page.goto(path)
    assert response is not None and response.status == 200
    page.wait_for_load_state("load")
    blocking = blocking_axe_violations(page)
    assert blocking == [], f"axe violations on {path}:\n" + json.dumps(
        blocking, ensure_ascii=False, indent=2
    )
    assert page.console_errors == []  # type: ignore[attr-defined]

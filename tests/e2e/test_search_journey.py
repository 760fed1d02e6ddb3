"""Live search on /offres: htmx swaps results, facets and the live region; the URL follows."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import open_filters

SHOTS = Path("/tmp/shots")

AxeCheck = Callable[[Page], list[dict[str, Any]]]


def _count(text: str) -> int:
    """The leading number of « 1 234 offres en ligne · page 1 sur 3 » (French grouping)."""
    match = re.match(r"\s*([\d\s\u00a0\u202f]+?)\s*offres?\b", text)
    assert match, f"no offer count in {text!r}"
    return int(re.sub(r"\D", "", match.group(1)))


def _count_line(page: Page) -> Locator:
    return page.locator("#nombre-resultats")


def _cards(page: Page) -> Locator:
    return page.locator("#resultats .offer-card")


def _server_count_text(page: Page, url: str) -> str:
    """The count line the server renders for `url` as a whole page (no htmx headers)."""
    response = page.request.get(url)
    assert response.ok, f"{url}: HTTP {response.status}"
    match = re.search(r'id="nombre-resultats">([^<]*)<', response.text())
    assert match, f"no #nombre-resultats in {url}"
    return " ".join(html.unescape(match.group(1)).split())


def _expect_state_of(page: Page, url: str) -> str:
    """The count line shown equals what the server renders for `url`; returns it."""
    expected = _server_count_text(page, url)
    expect(_count_line(page)).to_have_text(expected)
    return expected


def _live_search(page: Page, query: str) -> None:
    """Type `query` key by key into « Mots-clés », never pressing Enter, and wait for the URL."""
    page.get_by_label("Mots-clés").press_sequentially(query, delay=50)
    clean = re.escape(query.replace(" ", "+"))
    expect(page).to_have_url(re.compile(rf"/offres\?q={clean}$"))


def _no_console_errors(page: Page) -> None:
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_live_search_swaps_results_in_place(page: Page) -> None:
    page.goto("/offres")
    unfiltered_text = _count_line(page).inner_text()
    unfiltered = _count(unfiltered_text)
    page.evaluate("window.__marker = 1")

    _live_search(page, "patrimoine")

    shown = _expect_state_of(page, "/offres?q=patrimoine")
    filtered = _count(shown)
    assert 0 < filtered < unfiltered
    marks = page.locator("#resultats mark")
    expect(marks.first).to_be_visible()
    assert any("patrimoine" in text.lower() for text in marks.all_inner_texts())
    # The visually hidden live region announces the same number.
    announcement = page.locator("#annonce-resultats")
    expect(announcement).to_have_attribute("role", "status")
    expect(announcement).to_have_text(re.compile(rf"^\s*{filtered} offres? trouvées?\s*$"))
    expect(page).to_have_title(
        re.compile(rf"^Offres «\u202fpatrimoine\u202f» – {filtered} offres? en ligne – ")
    )
    # Still the same document, and the visitor can keep typing.
    assert page.evaluate("window.__marker") == 1, "the page reloaded instead of swapping"
    assert page.evaluate("document.activeElement.id") == "q"
    expect(page.get_by_label("Mots-clés")).to_have_value("patrimoine")

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "offres-live-search-patrimoine.png"), full_page=True)
    _no_console_errors(page)


def test_live_search_ignores_accents(page: Page) -> None:
    page.goto("/offres")
    _live_search(page, "transition ecologique")

    shown = _expect_state_of(page, "/offres?q=transition+ecologique")
    assert _count(shown) >= 1
    marks = [text.lower() for text in page.locator("#resultats mark").all_inner_texts()]
    assert "écologique" in marks, marks
    for card in _cards(page).all():
        text = " ".join(card.locator(".fr-card__title, .fr-card__desc").all_inner_texts())
        assert "écologique" in text.lower(), text
    _no_console_errors(page)


def test_filter_paging_and_back_button(page: Page) -> None:
    page.goto("/offres")
    count_line = _count_line(page)
    unfiltered_text = count_line.inner_text()
    kind = page.get_by_label("Type d’offre")
    pagination = page.get_by_role("navigation", name="Pagination")

    open_filters(page)
    kind.select_option(label="VTA")
    # Only the filter in use, not the empty fields of the form.
    expect(page).to_have_url(re.compile(r"/offres\?type=vta$"))
    vta_text = _expect_state_of(page, "/offres?type=vta")
    assert "page 1 sur" in vta_text
    assert _count(vta_text) < _count(unfiltered_text)

    pagination.get_by_role("link", name="Page suivante").click()
    expect(page).to_have_url(re.compile(r"/offres\?type=vta&page=2$"))
    expect(count_line).to_contain_text("page 2 sur")
    expect(pagination.get_by_role("link", name="2", exact=True)).to_have_attribute(
        "aria-current", "page"
    )

    page.go_back()
    expect(page).to_have_url(re.compile(r"/offres\?type=vta$"))
    expect(count_line).to_have_text(vta_text)
    expect(count_line).to_contain_text("page 1 sur")
    expect(kind).to_have_value("vta")

    page.go_back()
    expect(page).to_have_url(re.compile(r"/offres$"))
    expect(count_line).to_have_text(unfiltered_text)
    expect(kind).to_have_value("")

    page.go_forward()
    expect(page).to_have_url(re.compile(r"/offres\?type=vta$"))
    expect(count_line).to_have_text(vta_text)

    page.reload()
    expect(page).to_have_url(re.compile(r"/offres\?type=vta$"))
    _expect_state_of(page, "/offres?type=vta")
    expect(kind).to_have_value("vta")
    expect(page.get_by_label("Mots-clés")).to_have_value("")
    _no_console_errors(page)


def test_did_you_mean_suggestion(page: Page) -> None:
    page.goto("/offres")
    _live_search(page, "patrimoinne")

    suggestion = page.locator("#resultats").get_by_text("Vouliez-vous dire")
    expect(suggestion).to_be_visible()
    link = suggestion.get_by_role("link", name="patrimoine", exact=True)
    expect(link).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "offres-did-you-mean-patrimoinne.png"), full_page=True)

    link.click()
    expect(page).to_have_url(re.compile(r"/offres\?q=patrimoine$"))
    expect(page.get_by_label("Mots-clés")).to_have_value("patrimoine")
    shown = _expect_state_of(page, "/offres?q=patrimoine")
    assert _count(shown) >= 1
    expect(page.locator("#resultats").get_by_text("Vouliez-vous dire")).to_have_count(0)
    expect(page.locator("#resultats mark").first).to_be_visible()
    _no_console_errors(page)


def test_facet_counts_follow_the_query(page: Page) -> None:
    page.goto("/offres")
    facets = page.locator("#facettes")
    expect(facets.get_by_role("heading", name="Affiner les résultats")).to_be_visible()
    counts = facets.locator(".facet-count")
    assert counts.count() > 0
    for text in counts.all_text_contents():
        assert re.fullmatch(r"[\d\u202f]+", text.strip()), text
    vta = facets.get_by_role("listitem").filter(
        has=page.get_by_role("link", name="VTA", exact=True)
    )
    vta_count = vta.locator(".facet-count")
    before = vta_count.inner_text()
    assert int(before) > 0

    _live_search(page, "patrimoine")

    expect(vta_count).not_to_have_text(before)
    after = int(vta_count.inner_text())
    assert 0 < after < int(before)
    # The facet links keep the query, and lead to exactly that many offers.
    vta_link = vta.get_by_role("link", name="VTA", exact=True)
    expect(vta_link).to_have_attribute("href", "/offres?q=patrimoine&type=vta")
    vta_link.click()
    expect(page).to_have_url(re.compile(r"/offres\?q=patrimoine&type=vta$"))
    assert _count(_count_line(page).inner_text()) == after
    _no_console_errors(page)


def test_accessibility_after_live_search(page: Page, blocking_axe_violations: AxeCheck) -> None:
    page.goto("/offres")
    _live_search(page, "patrimoine")
    _expect_state_of(page, "/offres?q=patrimoine")
    blocking = blocking_axe_violations(page)
    assert blocking == [], "axe violations after a live search:\n" + json.dumps(
        blocking, ensure_ascii=False, indent=2
    )
    _no_console_errors(page)


def test_repeating_a_search_adds_no_history_entry(page: Page) -> None:
    page.goto("/offres")
    _live_search(page, "patrimoine")
    _expect_state_of(page, "/offres?q=patrimoine")
    entries = page.evaluate("history.length")
    search_box = page.get_by_label("Mots-clés")
    # Leaving the box fires `change`, Enter fires `submit`: same query, same URL.
    with page.expect_response(lambda r: "/offres?q=patrimoine" in r.url):
        page.get_by_role("heading", level=1).click()
    with page.expect_response(lambda r: "/offres?q=patrimoine" in r.url):
        search_box.press("Enter")
    expect(page).to_have_url(re.compile(r"/offres\?q=patrimoine$"))
    assert page.evaluate("history.length") == entries
    page.go_back()
    expect(page).to_have_url(re.compile(r"/offres$"))

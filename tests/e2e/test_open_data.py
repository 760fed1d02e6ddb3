"""What a browser, a feed reader and a search engine find on the public pages of `serve`."""

from __future__ import annotations

import json
import re

import feedparser
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import CSP_RECORDER, screenshot


def _open_offer(page: Page) -> str:
    page.goto("/offres?tri=date")
    href = (
        page.locator("#resultats .offer-card").first.get_by_role("link").first.get_attribute("href")
    )
    assert href and re.fullmatch(r"/offres/\d+", href), href
    return href


def test_offer_page_job_posting_is_data_the_policy_lets_through(
    browser: Browser, live_server: str
) -> None:
    context = browser.new_context(base_url=live_server, locale="fr-FR")
    context.add_init_script(CSP_RECORDER)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        href = _open_offer(page)
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(href)
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            screenshot(page, f"offer-page-{width}")
        blocks = page.locator('script[type="application/ld+json"]')
        expect(blocks).to_have_count(1)
        data = json.loads(blocks.first.text_content() or "")
        assert data["@type"] == "JobPosting"
        assert data["title"] == page.get_by_role("heading", level=1).inner_text()
        assert data["url"].endswith(href)
        og_url = page.locator('meta[property="og:url"]').get_attribute("content")
        assert og_url and og_url.endswith(href)
        assert page.evaluate("window.cspViolations") == []
        assert [e for e in errors if "favicon" not in e] == []
    finally:
        context.close()


def test_the_board_advertises_a_feed_that_parses(page: Page) -> None:
    page.goto("/offres?type=vta")
    href = page.locator('link[rel="alternate"][type="application/atom+xml"]').get_attribute("href")
    assert href == "/flux.atom?type=vta"
    response = page.request.get(href)
    assert response.status == 200
    feed = feedparser.parse(response.body())
    assert not feed.bozo and feed.entries
    assert all(entry.tags[0].term == "vta" for entry in feed.entries)

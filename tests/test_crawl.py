"""/sitemap.xml checked element by element against the sitemap protocol, and /robots.txt."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import httpx
from starlette.applications import Starlette

from jobboard import clock
from jobboard.domain.offer import OfferStatus
from jobboard.models import Offer
from jobboard.services.offer_import import import_offers
from jobboard.web.crawl import SITEMAP, sitemap_xml
from tests.conftest import offer_row

BASE = "http://testserver"
# W3C Datetime (https://www.w3.org/TR/NOTE-datetime): a date, or a date and time with a zone.
W3C_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?")
SM = f"{{{SITEMAP}}}"


def read_sitemap(document: bytes) -> list[tuple[str, str | None]]:
    """(loc, lastmod) of every url, after checking each element the protocol allows."""
    assert document.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    # The protocol's namespace as the default one (some crawlers read no prefixed names).
    assert b'\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">' in document
    root = ET.fromstring(document)
    assert root.tag == f"{SM}urlset"
    assert not root.attrib and not (root.text or "").strip()
    entries = []
    for url in root:
        assert url.tag == f"{SM}url"
        children = {child.tag: child for child in url}
        assert len(children) == len(url), "an element repeated inside <url>"
        assert set(children) <= {f"{SM}loc", f"{SM}lastmod", f"{SM}changefreq", f"{SM}priority"}
        loc = children[f"{SM}loc"].text or ""
        parts = urlsplit(loc)
        assert parts.scheme in ("http", "https") and parts.netloc, loc  # absolute
        assert len(loc) < 2048 and loc == loc.strip()
        lastmod = children.get(f"{SM}lastmod")
        if lastmod is not None:
            assert lastmod.text and W3C_DATETIME.fullmatch(lastmod.text), lastmod.text
        entries.append((loc, None if lastmod is None else lastmod.text))
    assert len(entries) <= 50_000
    return entries


async def test_sitemap_lists_open_offers_and_public_pages(
    client: httpx.AsyncClient, db: None, app: Starlette
) -> None:
    rows = [offer_row(title="Ouverte"), offer_row(title="Close"), offer_row(status="draft")]
    opened, closed, _draft = (await import_offers(rows, today=clock.today())).created
    await Offer.filter(id=closed).update(status=OfferStatus.CLOSED)
    expired, *_ = (await import_offers([offer_row()], today=clock.today())).created
    await Offer.filter(id=expired).update(deadline=clock.today() - timedelta(days=1))
    response = await client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    entries = dict(read_sitemap(response.content))
    offers = {loc for loc in entries if re.search(r"/offres/\d+$", loc)}
    assert offers == {f"{BASE}/offres/{opened}"}
    offer = await Offer.get(id=opened)
    lastmod = entries[f"{BASE}/offres/{opened}"]
    assert lastmod is not None
    assert datetime.fromisoformat(lastmod) == offer.updated_at.replace(microsecond=0)
    pages = set(entries) - offers
    for page in (
        "/",
        "/offres",
        "/offres/carte",
        "/plan-du-site",
        "/accessibilite",
        "/mentions-legales",
        "/donnees-personnelles",
        "/api",
    ):
        assert f"{BASE}{page}" in pages
    for page in pages:
        path = urlsplit(page).path
        assert (await client.get(path)).status_code == 200, path
        assert not path.startswith(("/espace", "/moderation", "/candidatures", "/connexion"))


def test_sitemap_document_element_by_element() -> None:
    moment = datetime(2027, 3, 1, 8, 5, 9, 123456, tzinfo=UTC)
    document = sitemap_xml([f"{BASE}/"], [(f"{BASE}/offres/7?x=1&y=2", moment)])
    assert read_sitemap(document) == [
        (f"{BASE}/", None),
        (f"{BASE}/offres/7?x=1&y=2", "2027-03-01T08:05:09+00:00"),
    ]
    assert b"x=1&amp;y=2" in document  # entity-escaped, as the protocol requires


async def test_robots_keep_crawlers_out_of_private_areas(
    client: httpx.AsyncClient, db: None
) -> None:
    response = await client.get("/robots.txt")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    lines = response.text.splitlines()
    assert lines[0] == "User-agent: *"
    disallowed = {line.split(":", 1)[1].strip() for line in lines if line.startswith("Disallow:")}
    assert disallowed == {"/espace", "/moderation", "/candidatures"}
    assert f"Sitemap: {BASE}/sitemap.xml" in lines
    assert not any(line.startswith("Disallow: /offres") for line in lines)

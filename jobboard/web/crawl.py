"""What crawlers read first: /robots.txt (private areas kept out) and /sitemap.xml (every open
offer with its last change, and the public pages)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from xml.etree import ElementTree as ET

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from jobboard.services.offer_public import offer_url
from jobboard.services.visibility import visible_offers
from jobboard.web.auth import public

SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
SITEMAP_MAX_URLS = 50_000  # the protocol's limit for one file
# The public pages worth a search engine's visit, by route name (sign-in forms, token links
# and machine-readable addresses are not).
STATIC_PAGES = (
    "home",
    "offer_list",
    "offer_map",
    "site_map",
    "accessibility",
    "legal",
    "privacy",
    "api_page",
)
# Areas behind a sign-in, or a candidate's files: nothing there for a search engine.
DISALLOWED = ("/espace", "/moderation", "/candidatures")


def sitemap_xml(pages: Sequence[str], offers: Sequence[tuple[str, datetime]]) -> bytes:
    """A sitemap of `pages` (absolute addresses) and `offers` (address, last change)."""
    urlset = ET.Element(f"{{{SITEMAP}}}urlset")
    for loc, lastmod in [*((p, None) for p in pages), *offers]:
        url = ET.SubElement(urlset, f"{{{SITEMAP}}}url")
        ET.SubElement(url, f"{{{SITEMAP}}}loc").text = loc
        if lastmod is not None:
            # W3C Datetime with seconds and a time zone (https://www.w3.org/TR/NOTE-datetime).
            ET.SubElement(url, f"{{{SITEMAP}}}lastmod").text = lastmod.isoformat(timespec="seconds")
    document: bytes = ET.tostring(
        urlset, encoding="utf-8", xml_declaration=True, default_namespace=SITEMAP
    )
    return document


def _static_pages(request: Request, base_url: str) -> list[str]:
    return [base_url + str(request.app.url_path_for(name)) for name in STATIC_PAGES]


@public
async def sitemap(request: Request) -> Response:
    base_url: str = request.app.state.settings.base_url
    rows = await (
        visible_offers()
        .order_by("-published_at", "-id")
        .limit(SITEMAP_MAX_URLS - len(STATIC_PAGES))
        .values_list("id", "updated_at")
    )
    offers = [(offer_url(base_url, offer_id), updated) for offer_id, updated in rows]
    return Response(
        sitemap_xml(_static_pages(request, base_url), offers),
        media_type="application/xml; charset=utf-8",
    )


def robots_txt(base_url: str) -> str:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in DISALLOWED), ""]
    lines.append(f"Sitemap: {base_url}/sitemap.xml")
    return "\n".join(lines) + "\n"


@public
async def robots(request: Request) -> Response:
    return PlainTextResponse(robots_txt(request.app.state.settings.base_url))

"""/flux.atom: the board's search as an Atom 1.0 feed (RFC 4287), same filters as /offres."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from xml.etree import ElementTree as ET

from starlette.requests import Request
from starlette.responses import Response

from jobboard.clock import now
from jobboard.domain.board_query import (
    DIPLOMA_CHOICES,
    DURATION_LABELS,
    BoardQuery,
    parse_board_query,
)
from jobboard.domain.errors import Refused
from jobboard.domain.offer import KIND_SHORT_LABELS, THEMES, OfferKind
from jobboard.formats import date_fr
from jobboard.search.searcher import SearchRequest
from jobboard.services.job_posting import SITE_NAME
from jobboard.services.offer_public import PublicOffer, public_offers_by_id
from jobboard.web.auth import public
from jobboard.web.board import _choices, run_search

ATOM = "http://www.w3.org/2005/Atom"
XML = "http://www.w3.org/XML/1998/namespace"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
FEED_SIZE = 50  # entries per feed page; readers poll often, older offers are on page 2…
# The feed says who publishes it; each entry's author is the recruiting collectivité.
PUBLISHER = "Agence nationale de la cohésion des territoires (ANCT)"


@dataclass(frozen=True)
class FeedPage:
    """What the feed's head says: its id and title, and the addresses it links to."""

    id: str
    title: str
    self_url: str
    board_url: str
    next_url: str | None
    updated: datetime


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = text
    return element


def _content(offer: PublicOffer) -> str:
    """The entry's HTML: the key facts, then the offer's three texts (already sanitised)."""
    facts = [
        f"{offer.kind.label}",
        f"{offer.employer.name}, {offer.commune.name} ({offer.departement.label})",
        f"Date limite de candidature : {date_fr(offer.deadline)}",
        f"Prise de poste : {date_fr(offer.start_date)}, pour {offer.duration_months} mois",
    ]
    items = "".join(f"<li>{_escape(fact)}</li>" for fact in facts)
    parts = [f"<ul>{items}</ul>", str(offer.description.html)]
    for title, text in (("Missions", offer.missions), ("Profil recherché", offer.profile)):
        if text.markdown.strip():
            parts.append(f"<h3>{title}</h3>{text.html}")
    return "".join(parts)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def atom_feed(page: FeedPage, offers: Sequence[PublicOffer], base_url: str) -> bytes:
    """The feed document (pure: everything it says comes from `page` and `offers`)."""
    # Unqualified names under a literal xmlns: ElementTree's default_namespace refuses
    # unqualified attributes, and its global prefix registry is shared with the sitemap.
    feed = ET.Element("feed", {"xmlns": ATOM, f"{{{XML}}}lang": "fr"})
    _add(feed, "id", page.id)
    _add(feed, "title", page.title)
    _add(feed, "subtitle", "Offres de chef de projet Petites villes de demain et de VTA")
    _add(feed, "updated", _rfc3339(page.updated))
    author = _add(feed, "author")
    _add(author, "name", PUBLISHER)
    _add(author, "uri", base_url)
    _add(feed, "link", rel="self", type="application/atom+xml", href=page.self_url)
    _add(feed, "link", rel="alternate", type="text/html", href=page.board_url)
    if page.next_url:
        _add(feed, "link", rel="next", type="application/atom+xml", href=page.next_url)
    _add(feed, "generator", SITE_NAME, uri=base_url)
    _add(feed, "icon", f"{base_url}/static/vendor/dsfr/favicon/favicon.svg")
    for offer in offers:
        entry = _add(feed, "entry")
        _add(entry, "id", offer.url)  # the permanent address of the offer's page
        _add(entry, "title", offer.title)
        _add(entry, "updated", _rfc3339(offer.updated_at))
        _add(entry, "published", _rfc3339(offer.published_at))
        author = _add(entry, "author")
        _add(author, "name", offer.employer.name)
        _add(entry, "link", rel="alternate", type="text/html", href=offer.url)
        _add(
            entry,
            "category",
            term=offer.kind.code,
            label=KIND_SHORT_LABELS[OfferKind(offer.kind.code)],
            scheme=f"{base_url}/offres?type=",
        )
        for theme in offer.themes:
            _add(
                entry,
                "category",
                term=theme.code,
                label=theme.label,
                scheme=f"{base_url}/offres?theme=",
            )
        _add(entry, "summary", offer.summary(), type="text")
        _add(entry, "content", _content(offer), type="html")
    document: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return document


def feed_title(filters: BoardQuery, choices: dict[str, object]) -> str:
    """« Offres – « climat » – VTA – Hautes-Alpes – Bourse Petites villes de demain »."""
    departements = choices["departement_names"]
    regions = choices["region_names"]
    assert isinstance(departements, dict) and isinstance(regions, dict)
    parts = ["Offres"]
    if filters.q:
        parts.append(f"« {filters.q} »")
    if filters.kind:
        parts.append(KIND_SHORT_LABELS[OfferKind(filters.kind)])
    if filters.theme:
        parts.append(THEMES[filters.theme])
    if filters.departement:
        parts.append(departements[filters.departement])
    if filters.region:
        parts.append(regions[filters.region])
    if filters.duration:
        parts.append(DURATION_LABELS[filters.duration])
    if filters.diploma is not None:
        parts.append(f"accessible au {DIPLOMA_CHOICES[str(filters.diploma)].lower()}")
    if filters.remote:
        parts.append("télétravail possible")
    if filters.start_before:
        parts.append(f"début au plus tard le {date_fr(filters.start_before)}")
    return " – ".join([*parts, SITE_NAME])


@public
async def offer_feed(request: Request) -> Response:
    choices = await _choices(request)
    # No profile preset: a feed's address says all it lists, whoever opens it.
    filters, errors = parse_board_query(
        request.query_params,
        departements=choices["departement_names"],
        regions=choices["region_names"],
    )
    filters = filters.with_profile_diploma(None)
    if errors:
        raise Refused(" ".join(error.message for error in errors))
    # A feed lists the newest first unless the subscriber asked otherwise.
    ordered = filters.changed(tri=filters.sort or "date")
    result = await run_search(request, SearchRequest.from_query(ordered, page_size=FEED_SIZE))
    if filters.page > result.pages:
        raise Refused(f"La page {filters.page} du flux n’existe pas.")
    base_url: str = request.app.state.settings.base_url
    offers = await public_offers_by_id([hit.id for hit in result.hits], base_url=base_url)
    query = filters.query_string()
    first_page = filters.query_string(page=1)
    page = FeedPage(
        # One feed per search, whatever its page or the order of its parameters.
        id=f"{base_url}/flux.atom" + (f"?{first_page}" if first_page else ""),
        title=feed_title(filters, choices),
        self_url=f"{base_url}/flux.atom" + (f"?{query}" if query else ""),
        board_url=f"{base_url}/offres" + (f"?{first_page}" if first_page else ""),
        next_url=(
            f"{base_url}/flux.atom?{filters.query_string(page=filters.page + 1)}"
            if filters.page < result.pages
            else None
        ),
        updated=max((o.updated_at for o in offers), default=now()),
    )
    return Response(atom_feed(page, offers, base_url), media_type=MEDIA_TYPE)

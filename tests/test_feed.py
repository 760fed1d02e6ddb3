"""/flux.atom: the board's search as Atom 1.0, read back with feedparser."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

import feedparser
import httpx
import pytest
from starlette.applications import Starlette

from jobboard import clock
from jobboard.domain.offer import OfferStatus
from jobboard.models import Offer
from jobboard.services.offer_import import import_offers
from jobboard.services.offer_public import public_offer
from jobboard.web.feed import ATOM, FEED_SIZE, FeedPage, atom_feed
from tests.conftest import index_now, offer_row
from tests.test_offer_public import counted_queries

BASE = "http://testserver"


def parse(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(
        response.content, response_headers={"content-type": response.headers["content-type"]}
    )
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def board_ids(html: str) -> list[int]:
    """The offers a board page lists, in its order."""
    return list(dict.fromkeys(int(i) for i in re.findall(r'href="/offres/(\d+)"', html)))


def entry_id(entry: Any) -> int:
    return int(entry.id.rsplit("/", 1)[1])


async def test_the_feed_lists_the_open_offers_newest_first(
    client: httpx.AsyncClient, demo: None
) -> None:
    feed = parse(await client.get("/flux.atom"))
    published = await Offer.filter(status=OfferStatus.PUBLISHED).count()
    assert len(feed.entries) == min(published, FEED_SIZE)
    assert feed.feed.id == f"{BASE}/flux.atom"
    assert feed.feed.title == "Offres – Bourse Petites villes de demain"
    assert feed.feed.language == "fr"
    assert feed.feed.author_detail.name.startswith("Agence nationale de la cohésion")
    links = {link.rel: link.href for link in feed.feed.links}
    assert links["self"] == f"{BASE}/flux.atom" and links["alternate"] == f"{BASE}/offres"
    # 60 published demo offers: a second page, linked from the first.
    assert links["next"] == f"{BASE}/flux.atom?page=2"
    updated = [datetime(*e.updated_parsed[:6], tzinfo=UTC) for e in feed.entries]
    assert datetime(*feed.feed.updated_parsed[:6], tzinfo=UTC) == max(updated)
    second = parse(await client.get("/flux.atom?page=2"))
    assert len(second.entries) == published - FEED_SIZE
    ids = [entry_id(e) for e in feed.entries + second.entries]
    assert len(set(ids)) == published
    # The board's own order by date: the same offers, in the same order.
    board = board_ids((await client.get("/offres?tri=date")).text)
    assert ids[: len(board)] == board


async def test_each_entry_says_what_the_offer_is(
    client: httpx.AsyncClient, db: None, app: Starlette
) -> None:
    (offer_id,) = (
        await import_offers([offer_row(title="Chargé de mission climat")], today=clock.today())
    ).created
    await index_now(app)
    (entry,) = parse(await client.get("/flux.atom")).entries
    public = await public_offer(offer_id, base_url=BASE)
    assert public is not None
    assert entry.id == f"{BASE}/offres/{offer_id}" == entry.link
    assert entry.title == "Chargé de mission climat"
    assert entry.author == public.employer.name == "Commune d’Espinasses"
    assert datetime(*entry.updated_parsed[:6], tzinfo=UTC) == public.updated_at.replace(
        microsecond=0
    )
    assert datetime(*entry.published_parsed[:6], tzinfo=UTC) == public.published_at.replace(
        microsecond=0
    )
    assert entry.summary == public.summary() and entry.summary.startswith("La commune d’Espinasses")
    content = entry.content[0]
    assert content.type == "text/html"
    assert (
        "<li>Animer le plan climat</li>" in content.value
        and "Date limite de candidature" in content.value
    )
    assert {t.term for t in entry.tags} == {"vta", "transition_ecologique", "amenagement"}


async def test_filters_are_the_boards(client: httpx.AsyncClient, demo: None) -> None:
    for query in (
        "type=vta",
        "departement=47",
        "theme=patrimoine",
        "region=75",
        "q=patrimoine",
        "duree=13-18",
        "diplome=6",
        "teletravail=1",
        "tri=echeance&type=vta",
    ):
        ordered = query if "tri=" in query else f"{query}&tri=date"
        feed = parse(await client.get(f"/flux.atom?{ordered}"))
        board = board_ids((await client.get(f"/offres?{ordered}")).text)
        assert board, query
        assert [entry_id(e) for e in feed.entries][: len(board)] == board, query
    vta = parse(await client.get("/flux.atom?type=vta&departement=47"))
    assert vta.feed.title == "Offres – VTA – Lot-et-Garonne – Bourse Petites villes de demain"
    assert vta.feed.id == f"{BASE}/flux.atom?type=vta&departement=47"
    # The same search written in another order is the same feed.
    again = parse(await client.get("/flux.atom?departement=47&type=vta"))
    assert again.feed.id == vta.feed.id
    narrow = parse(await client.get("/flux.atom?duree=12&diplome=5&teletravail=1"))
    assert narrow.feed.title == (
        "Offres – 12 mois – accessible au niveau 5 (bac+2) – télétravail possible – "
        "Bourse Petites villes de demain"
    )
    words = parse(await client.get("/flux.atom?q=climat"))
    assert words.feed.title == "Offres – « climat » – Bourse Petites villes de demain"


async def test_closed_offers_leave_the_feed_and_ids_stay(
    client: httpx.AsyncClient, db: None, app: Starlette
) -> None:
    first, second = (
        await import_offers([offer_row(title="A"), offer_row(title="B")], today=clock.today())
    ).created
    await index_now(app)
    before = {e.id for e in parse(await client.get("/flux.atom")).entries}
    assert before == {f"{BASE}/offres/{first}", f"{BASE}/offres/{second}"}
    await Offer.filter(id=second).update(status=OfferStatus.CLOSED)
    await app.state.indexer.rebuild()
    after = {e.id for e in parse(await client.get("/flux.atom")).entries}
    assert after == {f"{BASE}/offres/{first}"}


async def test_an_empty_search_is_a_valid_empty_feed(client: httpx.AsyncClient, db: None) -> None:
    feed = parse(await client.get("/flux.atom?q=introuvable"))
    assert feed.entries == [] and feed.feed.updated


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("type=stage", "Le type d’offre « stage » n’existe pas."),
        ("departement=99", "Le département « 99 » n’existe pas."),
        ("duree=6", "La durée « 6 » n’existe pas (12, 13-18 ou 19-plus)."),
        ("page=abc", "Le numéro de page doit être un nombre entier positif."),
        ("page=40", "La page 40 du flux n’existe pas."),
    ],
)
async def test_bad_filters_are_refused_in_french(
    client: httpx.AsyncClient, db: None, query: str, message: str
) -> None:
    response = await client.get(f"/flux.atom?{query}")
    assert response.status_code == 400
    assert message in response.text


async def test_board_pages_advertise_their_feed(client: httpx.AsyncClient, db: None) -> None:
    html = (await client.get("/offres?type=vta&departement=05&page=1")).text
    links = re.findall(r'<link rel="alternate" type="application/atom\+xml"[^>]*>', html)
    assert len(links) == 1
    assert 'href="/flux.atom?type=vta&amp;departement=05"' in links[0]
    assert 'href="/flux.atom"' in (await client.get("/offres")).text


def test_offer_text_cannot_break_the_document() -> None:
    page = FeedPage(
        id=f"{BASE}/flux.atom",
        title="Offres & « tests » <b>",
        self_url=f"{BASE}/flux.atom?q=%3C&x=1",
        board_url=f"{BASE}/offres",
        next_url=None,
        updated=datetime(2027, 1, 1, tzinfo=UTC),
    )
    document = atom_feed(page, [], BASE)
    root = ET.fromstring(document)
    assert root.tag == f"{{{ATOM}}}feed"
    assert root.findtext(f"{{{ATOM}}}title") == "Offres & « tests » <b>"
    assert root.findtext(f"{{{ATOM}}}updated") == "2027-01-01T00:00:00+00:00"
    assert document.startswith(
        b"<?xml version='1.0' encoding='utf-8'?>\n"
        b'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr">'
    )


async def test_the_feed_costs_the_same_queries_for_one_offer_or_many(
    client: httpx.AsyncClient, db: None, app: Starlette
) -> None:
    await client.get("/flux.atom")  # the filter choices are read once per process
    counts = []
    for count in (1, 12):
        rows = [offer_row(title=f"Offre {count}-{i}") for i in range(count)]
        assert not (await import_offers(rows, today=clock.today())).errors
        await index_now(app)
        with counted_queries() as statements:
            feed = parse(await client.get("/flux.atom"))
        counts.append(len(statements))
        assert len(feed.entries) == len(await Offer.all())
    assert counts[0] == counts[1] == 2

"""French typography in what visitors read: the typographic apostrophe (’), a narrow no-break
space before « ; : ! ? » and inside « », on every public page.

Every public GET route without a path parameter is rendered (so a new page is covered the day it
is added), plus an offer page, an empty search and the 404 page, over the demo offers. Names
from the reference data (« Côtes-d'Armor », « Plœuc-L'Hermitage ») are written as the INSEE
writes them and are left out of the check; code samples (<code>, <pre>) too.
"""

# typography: skip-file (scripts/typography.py would "fix" the faults this test must find)
from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx
import pytest
from starlette.applications import Starlette

from jobboard import clock
from jobboard.models import Commune, Departement, Offer, Organisation, Region
from jobboard.services.demo import load_demo_offers
from jobboard.settings import Settings
from tests.conftest import index_now
from tests.test_smoke import get_routes

VISIBLE_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
SKIPPED_ELEMENTS = {"script", "style", "code", "pre", "kbd", "samp", "template"}
RULES = (
    (re.compile(r"[A-Za-zÀ-ÿœŒ]'[A-Za-zÀ-ÿœŒ]"), "apostrophe droite (’ attendue)"),
    (re.compile(r"[^\s][;!?](?=\s|$)"), "espace fine insécable manquante"),
    (re.compile(r"[^\s\u202f\u00a0]:(?=\s)"), "espace insécable manquante avant « : »"),
    (re.compile(r" [;:!?](?=\s|$)"), "espace ordinaire avant la ponctuation"),
    (re.compile(r"«(?![\u202f\u00a0])"), "espace fine insécable manquante après « "),
    (re.compile(r"(?<![\u202f\u00a0])»"), "espace fine insécable manquante avant »"),
)


class VisibleText(HTMLParser):
    """Text nodes and the attributes a user reads or hears, outside scripts and code."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skipping = 0
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_ELEMENTS:
            self.skipping += 1
        for name, value in attrs:
            if value and name in VISIBLE_ATTRIBUTES:
                self.texts.append(value)
        described = dict(attrs)
        if tag == "meta" and (
            described.get("name") == "description"
            or (described.get("property") or "").startswith("og:")
        ):
            self.texts.append(described.get("content") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_ELEMENTS and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping and data.strip():
            # Not str.split(): it would take the narrow no-break spaces away too.
            self.texts.append(re.sub(r"[ \t\r\n]+", " ", data).strip())


def faults(html: str, data_names: list[str]) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    found = []
    for text in parser.texts:
        for name in data_names:
            text = text.replace(name, "")
        for pattern, label in RULES:
            if match := pattern.search(text):
                start = max(match.start() - 30, 0)
                found.append(f"{label}\u202f: …{text[start : match.end() + 30]}…")
    return found


def test_the_check_finds_each_fault() -> None:
    # Escapes, not the characters: the spaces are what is being tested.
    good = "<p>Voir l’offre\u202f: c’est «\u202fici\u202f». Vraiment\u202f? Oui\u202f!</p>"
    assert faults(good, []) == []
    assert len(faults("<p>l\x27offre</p>", [])) == 1
    assert len(faults("<p>Vraiment\x20?</p><p>Statut: publié</p><p>Vite!</p>", [])) == 3
    assert len(faults("<p>«\x20ici\x20»</p>", [])) == 2
    assert len(faults('<a title="Retour à l\x27accueil">x</a>', [])) == 1
    kept = "<p>Côtes-d\x27Armor</p><code>it\x27s</code><script>a ? b : c</script><p>10:30</p>"
    assert faults(kept, ["Côtes-d\x27Armor"]) == []


async def _data_names() -> list[str]:
    names: list[str] = []
    for model in (Commune, Departement, Region, Organisation):
        names += await model.filter(name__contains="'").values_list("name", flat=True)
    return sorted(set(names), key=len, reverse=True)


@pytest.fixture
async def demo_board(app: Starlette, settings: Settings) -> Offer:
    result = await load_demo_offers(settings.fixtures_dir, clock.today())
    assert result.created and not result.errors
    await index_now(app)
    offer = await Offer.filter(status="published").order_by("id").first()
    assert offer is not None
    return offer


async def test_public_pages_use_french_typography(
    client: httpx.AsyncClient, app: Starlette, demo_board: Offer
) -> None:
    paths = [path for path, public in get_routes(app.routes) if public and "{" not in path]
    paths += [
        f"/offres/{demo_board.id}",
        "/offres?q=patrimoine",
        "/offres?q=zzzzqqqq",
        "/offres?type=vta&page=2",
        "/page-qui-n-existe-pas",
    ]
    names = await _data_names()
    report = {}
    checked = 0
    for path in paths:
        response = await client.get(path)
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        checked += 1
        if found := faults(response.text, names):
            report[path] = found[:5]
    assert checked >= 10, paths
    assert not report, "\n".join(f"{path}: {found}" for path, found in report.items())

"""Each page's title agrees with its heading, and every page but the home page says where it is."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from tests.conftest import log_in, make_user

SITE = " – Bourse Petites villes de demain"
PAGES = {
    None: [
        "/connexion",
        "/mot-de-passe-oublie",
        "/mot-de-passe-oublie/nouveau",
        "/inscription",
        "/inscription/candidat",
        "/inscription/recruteur",
        "/accessibilite",
        "/mentions-legales",
        "/donnees-personnelles",
        "/offres/carte",
    ],
    "candidate": ["/espace/candidat", "/espace/compte"],
    "recruiter": ["/espace/recruteur", "/espace/recruteur/offres/nouvelle"],
    "staff": [
        "/moderation",
        "/moderation/comptes",
        "/moderation/journal",
        "/moderation/statistiques",
        "/moderation/vivier",
        "/moderation/equipe",
    ],
}


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _breadcrumb(page: str) -> list[str]:
    match = re.search(r'<nav role="navigation" class="fr-breadcrumb".*?</nav>', page, re.S)
    assert match, "no DSFR breadcrumb"
    return [_text(item) for item in re.findall(r"<li>(.*?)</li>", match.group(0), re.S)]


@pytest.mark.parametrize("role", list(PAGES), ids=lambda role: role or "visitor")
async def test_titles_agree_with_headings_and_pages_have_a_breadcrumb(
    client: httpx.AsyncClient, role: str | None
) -> None:
    if role:
        await make_user(role, f"{role}@example.fr", commune="05050")
        await log_in(client, f"{role}@example.fr")
    for path in PAGES[role]:
        response = await client.get(path)
        assert response.status_code == 200, path
        title = _text(re.search(r"<title>(.*?)</title>", response.text, re.S).group(1))  # type: ignore[union-attr]
        heading = _text(re.search(r"<h1[^>]*>(.*?)</h1>", response.text, re.S).group(1))  # type: ignore[union-attr]
        assert title.endswith(SITE), path
        assert title.removesuffix(SITE).startswith(heading.split(" (")[0]) or heading in title, (
            f"{path} : title « {title} », heading « {heading} »"
        )
        trail = _breadcrumb(response.text)
        assert trail[0] == "Accueil" and len(trail) >= 2, (path, trail)
        if path.startswith("/moderation/"):
            assert trail[1] == "Modération", (path, trail)
            assert 'aria-label="Modération"' in response.text, f"{path}: no staff sub-navigation"

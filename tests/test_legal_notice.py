"""/mentions-legales names the publisher, the publication director and the host from settings."""

from __future__ import annotations

from dataclasses import replace

import httpx

from jobboard.app import create_app
from jobboard.settings import Settings


async def legal_notice(settings: Settings) -> str:
    app = create_app(settings, with_database=False)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        response = await c.get("/mentions-legales")
    assert response.status_code == 200
    return response.text


async def test_the_notice_names_publisher_director_and_host_from_settings(
    db: None, settings: Settings
) -> None:
    page = await legal_notice(
        replace(
            settings,
            publisher="Préfecture de test",
            publisher_address="1 place de la Mairie, 76000 Rouen",
            publication_director="Mme Camille Durand, directrice générale",
            hosting_name="Hébergeur Exemple SAS",
            hosting_address="2 rue du Serveur, 59000 Lille",
            hosting_phone="03 00 00 00 00",
            contact_email="contact@bourse.example",
        )
    )
    for heading in ("Éditeur", "Directeur de la publication", "Hébergement", "Nous contacter"):
        assert f"<h2>{heading}</h2>" in page
    for value in (
        "Préfecture de test",
        "1 place de la Mairie, 76000 Rouen",
        "Mme Camille Durand, directrice générale",
        "Hébergeur Exemple SAS",
        "2 rue du Serveur, 59000 Lille",
        "Téléphone\u202f: 03 00 00 00 00",
        'href="mailto:contact@bourse.example"',
    ):
        assert value in page, value


async def test_the_default_notice_names_the_anct_and_no_contact_address(
    db: None, settings: Settings
) -> None:
    page = await legal_notice(settings)
    assert page.count("20 avenue de Ségur, TSA 10717, 75334 Paris Cedex 07") == 2
    assert "directeur général de l’Agence nationale de la cohésion des territoires" in page
    assert "Nous contacter" not in page and "mailto:" not in page

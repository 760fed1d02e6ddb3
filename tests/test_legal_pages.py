"""The legal notice and the accessibility statement, written from settings."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import httpx

from jobboard.app import create_app
from jobboard.domain.retention import RETENTION_PERIODS
from jobboard.settings import Settings


async def page_text(settings: Settings, path: str) -> str:
    app = create_app(settings, with_database=False)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        response = await c.get(path)
    assert response.status_code == 200
    return response.text


async def legal_notice(settings: Settings) -> str:
    return await page_text(settings, "/mentions-legales")


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


async def test_without_an_audit_the_statement_says_non_conforme_and_why(
    db: None, settings: Settings
) -> None:
    page = await page_text(
        replace(settings, accessibility_statement_date=date(2026, 12, 2)), "/accessibilite"
    )
    assert "est <strong>non conforme</strong>" in page
    assert "en raison de l’absence de résultats d’audit en cours de validité" in page
    assert "établie le 2 décembre 2026" in page
    assert "Accessibilité\u202f: non conforme" in page  # the footer agrees
    assert "Défenseur des droits, Libre réponse 71120, 75342 Paris CEDEX 07" in page
    for heading in (
        "État de conformité",
        "Résultats des tests",
        "Contenus non accessibles",
        "Établissement de cette déclaration",
        "Retour d’information et contact",
        "Voies de recours",
    ):
        assert f"<h2>{heading}</h2>" in page, heading
    for heading in ("Dérogations pour charge disproportionnée", "Environnement de test"):
        assert f"<h3>{heading}</h3>" in page, heading


async def test_a_recorded_audit_gives_its_date_rate_and_status(
    db: None, settings: Settings
) -> None:
    audited = replace(
        settings,
        accessibility_audit_date=date(2026, 10, 15),
        accessibility_audit_rate=87.5,
        contact_email="accessibilite@bourse.example",
    )
    page = await page_text(audited, "/accessibilite")
    assert "est <strong>partiellement conforme</strong>" in page
    assert "L’audit de conformité réalisé le 15 octobre 2026 révèle que 87,5\u202f% des" in page
    assert "absence de résultats d’audit" not in page
    assert 'href="mailto:accessibilite@bourse.example"' in page
    assert "Accessibilité\u202f: partiellement conforme" in page
    full = await page_text(replace(audited, accessibility_audit_rate=100.0), "/accessibilite")
    assert "est <strong>totalement conforme</strong>" in full and "100\u202f% des" in full


async def test_the_privacy_page_names_controller_bases_durations_rights_and_cookies(
    db: None, settings: Settings
) -> None:
    page = await page_text(
        replace(settings, publisher="Agence de test", contact_email="dpo@bourse.example"),
        "/donnees-personnelles",
    )
    for heading in (
        "Responsable du traitement",
        "Délégué à la protection des données",
        "Finalités et bases légales",
        "Destinataires",
        "Durées de conservation",
        "Vos droits",
        "Cookies et stockage dans le navigateur",
    ):
        assert f"<h2>{heading}</h2>" in page, heading
    assert "Agence de test" in page and 'href="mailto:dpo@bourse.example"' in page
    for basis in ("article 6, 1, e du RGPD", "article 6, 1, a du RGPD", "article 6, 1, f du RGPD"):
        assert basis in page
    for period in RETENTION_PERIODS:  # the purge's own durations, not a second copy
        row = f"<td>{period.data}</td><td>{period.duration.label}</td><td>{period.starting}</td>"
        assert row in page, period.data
    for link in ('href="/espace/compte/donnees"', 'href="/espace/compte/suppression"'):
        assert link in page
    assert "cnil.fr/fr/plaintes" in page
    for cookie in (
        "<code>bpvd_session</code>",
        "<code>bpvd_appareil</code>",
        "<code>scheme</code>",
    ):
        assert cookie in page
    assert "180 jours" in page and f"{settings.session_max_hours} heures" in page


async def test_both_signup_forms_carry_the_data_protection_notice(
    client: httpx.AsyncClient, db: None
) -> None:
    for path, purpose in (
        ("/inscription/candidat", "gérer votre compte et vos candidatures"),
        ("/inscription/recruteur", "gérer votre compte et les offres de votre collectivité"),
    ):
        page = (await client.get(path)).text
        assert f"Vos données servent à {purpose}\u202f;" in page, path
        assert 'voir <a href="/donnees-personnelles">données personnelles</a>' in page, path

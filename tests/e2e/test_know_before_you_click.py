"""« Know before you click » in a real browser: the verdict on the cards (issue 13, journey 3),
saving an offer and its one reminder (journey 4), the offer page's way back and share button.

The server runs on the host's clock, so the saved offer is imported with a deadline three days
ahead of the host's today, and the reminder round is `jobboard expire` run beside the server
(what its hourly loop runs) — twice, to see it queued once.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, expect

from jobboard import clock
from tests.e2e.conftest import CSP_RECORDER, log_in, screenshot

AxeCheck = Callable[[Page], list[dict[str, Any]]]
PASSWORD = "Une phrase de passe pour savoir avant"
CANDIDATE = "lea.martin@exemple-demo.fr"
NNBSP = "\u202f"


def _page(browser: Browser, live_server: str, width: int = 1280, height: int = 900) -> Page:
    context = browser.new_context(
        base_url=live_server, locale="fr-FR", viewport={"width": width, "height": height}
    )
    context.add_init_script(CSP_RECORDER)
    return context.new_page()


def _sign_up(page: Page, born: str) -> None:
    page.goto("/inscription/candidat")
    page.get_by_label("Prénom et nom").fill("Camille Durand")
    page.get_by_label("Adresse e-mail").fill(f"camille-{uuid.uuid4().hex[:8]}@example.fr")
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_label("Date de naissance").fill(born)
    page.get_by_label("Plus haut diplôme obtenu").select_option("7")
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page).to_have_url("/espace/candidat")


def _no_violations(page: Page, axe: AxeCheck, name: str) -> None:
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"{name}-{width}")
        assert axe(page) == [], (name, width)
    assert page.evaluate("window.cspViolations") == []


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOBBOARD_")}
    env["JOBBOARD_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "jobboard.cli", *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_the_cards_say_who_may_apply(
    browser: Browser, live_server: str, blocking_axe_violations: AxeCheck
) -> None:
    """Journey (3): born in 1994, « Non éligible » on a VTA card and no « Postuler »; born in
    2001, « Vous êtes éligible » and « Postuler »."""
    older = _page(browser, live_server)
    younger = _page(browser, live_server)
    try:
        _sign_up(older, "1994-06-15")
        older.goto("/offres?type=vta")
        card = older.locator(".offer-card").first
        expect(card.locator(".offer-verdict")).to_contain_text(
            f"Non éligible{NNBSP}: vous avez eu 31 ans le 15 juin 2025, "
            "avant le début de la mission"
        )
        expect(card.get_by_role("link", name=re.compile("^Postuler"))).to_have_count(0)
        expect(older.get_by_text("Vous êtes éligible")).to_have_count(0)
        _no_violations(older, blocking_axe_violations, "verdict-non-eligible")
        # The offer page says it near the top and at the end, with no « Postuler » at all.
        older.set_viewport_size({"width": 1280, "height": 900})
        card.get_by_role("heading").get_by_role("link").click()
        own = older.locator(".offer-page-actions, .offer-end-apply")
        expect(own.locator(".offer-verdict")).to_have_count(2)
        expect(own.get_by_role("link", name=re.compile("^Postuler"))).to_have_count(0)
        expect(older.get_by_role("link", name="Retour aux résultats")).to_have_attribute(
            "href", "/offres?type=vta"
        )
        _no_violations(older, blocking_axe_violations, "offre-non-eligible")

        _sign_up(younger, "2001-09-12")
        younger.goto("/offres?type=vta")
        card = younger.locator(".offer-card").first
        expect(card.locator(".offer-verdict")).to_have_text("Vous êtes éligible")
        expect(card.get_by_role("link", name=re.compile("^Postuler"))).to_have_count(1)
        _no_violations(younger, blocking_axe_violations, "verdict-eligible")
    finally:
        older.context.close()
        younger.context.close()


def _outbox(data_dir: Path, to: str) -> list[str]:
    with sqlite3.connect(data_dir / "jobboard.sqlite3") as database:
        rows = database.execute(
            'SELECT subject FROM email_outbox WHERE "to" = ? '
            "AND subject LIKE 'Offre sauvegardée%'",
            (to,),
        ).fetchall()
    return [row[0] for row in rows]


def test_save_find_it_and_get_one_reminder(
    browser: Browser,
    live_server: str,
    live_data_dir: Path,
    demo_passwords: dict[str, str],
    blocking_axe_violations: AxeCheck,
    tmp_path: Path,
) -> None:
    """Journey (4): save an offer from the board (htmx, focus kept), find it in the space, and
    the reminder is queued once when the day is three days before its deadline."""
    today = clock.today()
    word = f"tourbieres{uuid.uuid4().hex[:6]}"
    row = {
        "kind": "vta", "title": f"VTA – Inventaire des {word}", "employer_insee": "05050",
        "description": f"Inventaire des {word} de la commune.", "missions": "- Inventorier",
        "profile": "Bac+5 en écologie.", "themes": ["transition_ecologique"],
        "start_date": (today + timedelta(days=40)).isoformat(), "duration_months": 12,
        "weekly_hours": 35, "min_diploma_level": 5,
        "deadline": (today + timedelta(days=3)).isoformat(),
    }  # fmt: skip
    rows = tmp_path / "offre.json"
    rows.write_text(json.dumps([row]), encoding="utf-8")
    imported = _cli(live_data_dir, "import-offers", str(rows))
    assert imported.returncode == 0, imported.stderr

    page = _page(browser, live_server)
    try:
        log_in(page, CANDIDATE, demo_passwords[CANDIDATE])
        deadline = time.monotonic() + 20  # the server's indexer picks the offer up
        while True:
            page.goto(f"/offres?q={word}")
            if page.locator(".offer-card").count() or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        card = page.locator(".offer-card")
        expect(card).to_have_count(1)
        button = card.get_by_role("button", name=re.compile("^Sauvegarder"))
        expect(button).to_have_attribute("aria-pressed", "false")
        button.focus()
        page.keyboard.press("Enter")
        expect(button).to_have_attribute("aria-pressed", "true")
        # Swapped by htmx (no reload: the URL and the flash are unchanged), focus kept.
        expect(page).to_have_url(re.compile(rf"/offres\?q={word}$"))
        assert page.evaluate("document.activeElement.getAttribute('aria-pressed')") == "true"
        expect(page.get_by_text("L’offre est sauvegardée")).to_have_count(0)
        _no_violations(page, blocking_axe_violations, "carte-sauvegardee")

        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto("/espace/candidat")
        page.get_by_role("link", name="Mes offres sauvegardées").click()
        expect(page).to_have_url("/espace/candidat/sauvegardes")
        item = page.locator(".saved-item")
        expect(item).to_have_count(1)
        expect(item).to_contain_text(row["title"])
        expect(item).to_contain_text("Ouverte")
        expect(item.locator(".offer-verdict")).to_have_text("Vous êtes éligible")
        _no_violations(page, blocking_axe_violations, "offres-sauvegardees")

        assert _outbox(live_data_dir, CANDIDATE) == []
        for _ in range(2):  # the periodic round, twice: one reminder
            expired = _cli(live_data_dir, "expire")
            assert expired.returncode == 0, expired.stderr
        assert _outbox(live_data_dir, CANDIDATE) == [
            f"Offre sauvegardée{NNBSP}: plus que 3 jours pour candidater"
        ]
    finally:
        page.context.close()


def test_save_without_javascript_and_share_link(
    browser: Browser, live_server: str, demo_passwords: dict[str, str]
) -> None:
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in_no_js = "karim.benali@exemple-demo.fr"
        page.goto("/connexion")
        page.get_by_label("Adresse e-mail").fill(log_in_no_js)
        page.get_by_label("Mot de passe", exact=True).fill(demo_passwords[log_in_no_js])
        page.get_by_role("button", name="Se connecter").click()
        page.goto("/offres?type=chef_de_projet")
        page.locator(".offer-card").first.get_by_role("heading").get_by_role("link").click()
        offer_path = page.url.split(live_server, 1)[1]
        page.get_by_role("button", name=re.compile("^Sauvegarder")).first.click()
        expect(page).to_have_url(re.compile(re.escape(offer_path) + "$"))
        expect(page.get_by_text("L’offre est sauvegardée")).to_be_visible()
        expect(page.get_by_role("button", name=re.compile("^Sauvegarder")).first).to_have_attribute(
            "aria-pressed", "true"
        )
        # Without script the copy button is a plain link to the offer's address.
        share = page.get_by_role("link", name="Copier l’adresse de l’offre")
        expect(share).to_have_attribute("href", re.compile(r"^http://127\.0\.0\.1:\d+/offres/\d+$"))
    finally:
        context.close()


def test_copy_button_copies_the_address(browser: Browser, live_server: str) -> None:
    context = browser.new_context(base_url=live_server, locale="fr-FR")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page = context.new_page()
    try:
        page.goto("/offres")
        page.locator(".offer-card").first.get_by_role("heading").get_by_role("link").click()
        url = page.url.split("?", 1)[0]
        page.get_by_role("button", name="Copier l’adresse de l’offre").click()
        expect(page.locator("#partage-statut")).to_have_text(
            "Adresse de l’offre copiée dans le presse-papiers."
        )
        assert page.evaluate("navigator.clipboard.readText()") == url
    finally:
        context.close()

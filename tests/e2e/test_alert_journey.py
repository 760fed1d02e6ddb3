"""Issue 14 journey, real browser: a visitor saves a search as an alert from the board, confirms
it from the e-mail (read from the console backend's data/outbox/*.eml), a new matching offer is
published (`jobboard import-offers`), `jobboard send-alerts` runs, the digest lists it and its
unsubscribe link stops the alert (then « Annuler » resumes it). A demo candidate creates one in
one click and finds it in « Mes alertes ». axe-core on every new page at 1280 and 390 px."""

from __future__ import annotations

import email
import email.message
import email.policy
import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, expect

from tests.conftest import offer_row
from tests.e2e.conftest import CSP_RECORDER, log_in, screenshot

AxeCheck = Callable[[Page], list[dict[str, Any]]]
MAIL_TIMEOUT = 45.0
WORD = "héliciculture"  # in no demo offer: the new offer is the only match
CANDIDATE = "karim.benali@exemple-demo.fr"


def _mail(outbox: Path, address: str, subject: str) -> email.message.EmailMessage:
    """The first e-mail to `address` whose subject contains `subject`, once the mail loop of
    `serve` has written it."""
    deadline = time.monotonic() + MAIL_TIMEOUT
    while time.monotonic() < deadline:
        for path in sorted(outbox.glob("*.eml")) if outbox.exists() else []:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(message, email.message.EmailMessage)
            if message["To"] == address and subject in str(message["Subject"]):
                return message
        time.sleep(0.5)
    raise AssertionError(f"no e-mail « {subject} » to {address} in {outbox}")


def _text(message: email.message.EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    content: str = part.get_content()
    return content


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def _cli(data_dir: Path, live_server: str, *args: str) -> str:
    env = {
        **os.environ,
        "JOBBOARD_DATA_DIR": str(data_dir),
        "JOBBOARD_BASE_URL": live_server,
        "JOBBOARD_ALERT_SETTLE_SECONDS": "0",
    }
    env.pop("JOBBOARD_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "jobboard.cli", *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def _no_axe_violation(page: Page, check: AxeCheck, name: str) -> None:
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        assert check(page) == [], (name, width)
        screenshot(page, f"{width}-{name}")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_visitor_alert_from_search_to_digest_and_unsubscribe(
    browser: Browser,
    live_server: str,
    live_data_dir: Path,
    blocking_axe_violations: AxeCheck,
    tmp_path: Path,
) -> None:
    context = browser.new_context(base_url=live_server, locale="fr-FR")
    context.add_init_script(CSP_RECORDER)
    page = context.new_page()
    try:
        page.goto(f"/offres?q={WORD}&type=vta")
        box = page.locator(".alert-box")
        expect(box.get_by_role("heading", name="Créer une alerte")).to_be_visible()
        expect(box.get_by_role("link", name="Suivre en flux Atom")).to_have_attribute(
            "href", re.compile(r"^/flux\.atom\?q=")
        )
        _no_axe_violation(page, blocking_axe_violations, "offres-boite-alerte")
        box.get_by_label("Fréquence").select_option("quotidienne")
        box.get_by_role("button", name="Créer l’alerte").click()
        expect(page).to_have_url(re.compile(r"/alertes/nouvelle\?recherche="))
        expect(page.get_by_role("heading", level=1)).to_have_text("Créer une alerte")
        expect(page.get_by_label("Chaque jour")).to_be_checked()
        _no_axe_violation(page, blocking_axe_violations, "alerte-nouvelle")
        address = f"visiteur-{uuid.uuid4().hex[:6]}@example.fr"
        page.get_by_label("Votre adresse e-mail").fill("visiteur@exemple")
        page.get_by_role("button", name="Créer l’alerte").click()
        expect(page.locator("#email-erreur")).to_be_visible()
        _no_axe_violation(page, blocking_axe_violations, "alerte-nouvelle-erreur")
        page.get_by_label("Votre adresse e-mail").fill(address)
        page.get_by_role("button", name="Créer l’alerte").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Confirmez votre alerte")
        _no_axe_violation(page, blocking_axe_violations, "alerte-envoyee")

        # The confirmation e-mail, opened in another tab.
        confirmation = _mail(live_data_dir / "outbox", address, "Confirmez votre alerte")
        link = re.search(r"https?://\S+(/alertes/confirmer/\S+)", _text(confirmation))
        assert link, _text(confirmation)
        tab = context.new_page()
        tab.goto(link.group(1))
        expect(tab.get_by_role("heading", level=1)).to_have_text("Alerte confirmée")
        _no_axe_violation(tab, blocking_axe_violations, "alerte-confirmee")

        # A new matching offer is published, and reaches the board's index.
        title = f"VTA – Filière {WORD} {uuid.uuid4().hex[:4]}"
        offers = tmp_path / "offre.json"
        row = offer_row(title=title, description=f"Un projet d’{WORD} pour le bourg.")
        offers.write_text(json.dumps([row]), encoding="utf-8")
        assert "1 offres importées" in _cli(
            live_data_dir, live_server, "import-offers", str(offers)
        )
        deadline = time.monotonic() + MAIL_TIMEOUT
        while title not in page.content() and time.monotonic() < deadline:
            page.goto(f"/offres?q={WORD}&type=vta")
        expect(page.get_by_role("link", name=title).first).to_be_visible()

        # The digest: the run queues it, the mail loop of `serve` sends it.
        assert "1 e-mail(s) mis en file" in _cli(live_data_dir, live_server, "send-alerts")
        digest = _mail(live_data_dir / "outbox", address, "nouvelle offre")
        body = _text(digest)
        assert title in body
        assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        unsubscribe = _path(str(digest["List-Unsubscribe"]).strip("<>"))
        assert unsubscribe in body
        tab.goto(unsubscribe)
        expect(tab.get_by_role("heading", level=1)).to_have_text("Alerte arrêtée")
        _no_axe_violation(tab, blocking_axe_violations, "alerte-arretee")
        tab.get_by_role("button", name=re.compile("^Annuler")).click()
        expect(tab.get_by_role("heading", level=1)).to_have_text("Alerte reprise")
        _no_axe_violation(tab, blocking_axe_violations, "alerte-reprise")
        tab.goto(unsubscribe)  # used again after « Annuler »: it stops the alert again
        expect(tab.get_by_role("heading", level=1)).to_have_text("Alerte arrêtée")
        tab.goto(unsubscribe)
        expect(tab.get_by_text("est déjà arrêtée")).to_be_visible()
        assert page.evaluate("window.cspViolations") == []
    finally:
        context.close()


def test_a_candidate_creates_an_alert_in_one_click_and_manages_it(
    page: Page, demo_passwords: dict[str, str], blocking_axe_violations: AxeCheck
) -> None:
    log_in(page, CANDIDATE, demo_passwords[CANDIDATE])
    page.goto("/offres?q=climat")
    box = page.locator(".alert-box")
    box.get_by_role("button", name="Créer l’alerte").click()
    expect(page).to_have_url(re.compile(r"/espace/candidat/alertes$"))
    expect(page.get_by_text("est créée")).to_be_visible()
    expect(page.get_by_text("Aucun envoi pour l’instant").first).to_be_visible()
    _no_axe_violation(page, blocking_axe_violations, "mes-alertes")
    item = page.locator(".alert-item").first
    item.get_by_text("Modifier").click()
    item.get_by_label("Nom de l’alerte").fill("Climat, partout")
    item.get_by_role("button", name="Renommer").click()
    expect(page.get_by_role("heading", name=re.compile("Climat, partout"))).to_be_visible()
    item = page.locator(".alert-item").first
    item.get_by_role("button", name=re.compile("^Mettre en pause")).click()
    expect(page.locator(".alert-item").first.get_by_text("En pause")).to_be_visible()
    _no_axe_violation(page, blocking_axe_violations, "mes-alertes-pause")
    page.locator(".alert-item").first.get_by_role("button", name=re.compile("^Supprimer")).click()
    expect(page.get_by_text("est supprimée")).to_be_visible()

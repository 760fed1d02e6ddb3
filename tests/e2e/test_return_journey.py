"""Issue 13 journey (1), real browser: a visitor clicks « Postuler », creates an account, confirms
it from the e-mail (read from the console backend's data/outbox/*.eml) in another tab, lands
on that offer's apply form, saves a CV on the account page and applies with it. axe-core on the
account page's states at 1280 and 390 px."""

from __future__ import annotations

import email
import email.message
import email.policy
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import CSP_RECORDER, blank_pdf, pick, screenshot

AxeCheck = Callable[[Page], list[dict[str, Any]]]
PASSWORD = "Une phrase de passe pour revenir à l’offre"
MAIL_TIMEOUT = 45.0


def _confirmation_link(outbox: Path, address: str) -> str:
    """The link of the welcome e-mail sent to `address`, once the mail loop has written it."""
    deadline = time.monotonic() + MAIL_TIMEOUT
    while time.monotonic() < deadline:
        for path in sorted(outbox.glob("*.eml")) if outbox.exists() else []:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if message["To"] != address:
                continue
            assert isinstance(message, email.message.EmailMessage)
            part = message.get_body(preferencelist=("plain",))
            assert part is not None
            found = re.search(
                r"https?://\S+(/inscription/confirmer\?jeton=\S+)", part.get_content()
            )
            assert found, part.get_content()
            return found.group(1)
        time.sleep(0.5)
    raise AssertionError(f"no e-mail to {address} in {outbox} after {MAIL_TIMEOUT:.0f} s")


def _no_axe_violation(page: Page, check: AxeCheck, name: str) -> None:
    """No serious or critical violation at 1280 then 390 px (screenshots when asked)."""
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        assert check(page) == [], (name, width)
        screenshot(page, f"{width}-{name}")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_postuler_signup_confirm_then_apply_with_the_saved_cv(
    browser: Browser,
    live_server: str,
    live_data_dir: Path,
    blocking_axe_violations: AxeCheck,
) -> None:
    context = browser.new_context(base_url=live_server, locale="fr-FR")
    context.add_init_script(CSP_RECORDER)
    page = context.new_page()
    try:
        # A visitor reads an offer from the board and clicks « Postuler ».
        page.goto("/offres")
        page.locator(".fr-card__title a").first.click()
        expect(page).to_have_url(re.compile(r"/offres/\d+(\?.*)?$"))
        offer_path = urlpath(page.url)
        title = page.get_by_role("heading", level=1).inner_text()
        page.get_by_role("link", name=re.compile(r"^Postuler")).first.click()
        expect(page).to_have_url(re.compile(r"/connexion\?suivant="))
        page.locator("#contenu").get_by_role("link", name="Créer un compte").click()
        expect(page).to_have_url(re.compile(r"/inscription\?suivant="))
        page.get_by_role("link", name="Je suis candidat ou candidate").click()
        expect(page).to_have_url(re.compile(r"/inscription/candidat\?suivant="))
        address = f"camille-{uuid.uuid4().hex[:6]}@example.fr"
        page.get_by_label("Prénom et nom").fill("Camille Durand")
        page.get_by_label("Adresse e-mail").fill(address)
        page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
        page.get_by_label("Date de naissance").fill("2001-09-12")
        page.get_by_label("Plus haut diplôme obtenu").select_option("7")
        page.get_by_role("button", name="Créer mon compte").click()
        expect(page).to_have_url(re.compile(r"/inscription/confirmation-envoyee\?suivant="))
        expect(page.get_by_role("heading", level=1)).to_have_text("Confirmez votre adresse e-mail")
        expect(page.get_by_text(title, exact=False).first).to_be_visible()
        _no_axe_violation(page, blocking_axe_violations, "confirmation-envoyee")

        # The e-mail is opened in another tab: that tab lands on the offer's apply form.
        link = _confirmation_link(live_data_dir / "outbox", address)
        tab = context.new_page()
        tab.goto(link)
        expect(tab).to_have_url(re.compile(re.escape(offer_path) + r"/candidater$"))
        expect(tab.get_by_role("heading", level=1)).to_have_text("Candidater")
        expect(tab.get_by_text("votre adresse e-mail est confirmée")).to_be_visible()
        apply_url = tab.url

        # A CV saved on the account page; a file that is not a PDF is refused first.
        tab.goto("/espace/compte")
        expect(tab.get_by_text("Aucun CV enregistré")).to_be_visible()
        _no_axe_violation(tab, blocking_axe_violations, "compte-sans-cv")
        tab.get_by_label("Ajouter mon CV").set_input_files(
            {"name": "cv.pdf", "mimeType": "application/pdf", "buffer": b"pas un PDF"}
        )
        tab.get_by_role("button", name="Enregistrer ce CV").click()
        expect(tab.locator("#saved_cv-erreur")).to_have_text("Le CV doit être un fichier PDF.")
        _no_axe_violation(tab, blocking_axe_violations, "compte-cv-refuse")
        tab.get_by_label("Ajouter mon CV").set_input_files(
            {"name": "CV Camille.pdf", "mimeType": "application/pdf", "buffer": blank_pdf()}
        )
        tab.get_by_role("button", name="Enregistrer ce CV").click()
        expect(tab.get_by_text("Votre CV est enregistré")).to_be_visible()
        expect(tab.get_by_role("link", name=re.compile("CV Camille.pdf"))).to_be_visible()
        _no_axe_violation(tab, blocking_axe_violations, "compte-avec-cv")
        # A refused profile edit (birth date in the future), then a valid one.
        tab.get_by_label("Date de naissance").fill("2999-01-01")
        tab.get_by_role("button", name="Enregistrer mes informations").click()
        expect(tab.locator("#birth_date-erreur")).to_contain_text("futur")
        _no_axe_violation(tab, blocking_axe_violations, "compte-profil-refuse")

        # Back on the apply form: the saved CV is offered and chosen.
        tab.goto(apply_url)
        saved = tab.get_by_label(re.compile(r"^Utiliser mon CV enregistré \(CV Camille\.pdf, "))
        expect(saved).to_be_checked()
        expect(tab.locator("#cv")).to_be_hidden()  # folds away while the saved CV is chosen
        pick(tab, tab.get_by_label("Envoyer un autre CV"))
        expect(tab.locator("#cv")).to_be_visible()
        pick(tab, saved)
        assert blocking_axe_violations(tab) == []
        tab.get_by_label("Lettre de motivation").fill("Je connais bien le territoire.")
        tab.get_by_role("button", name="Envoyer ma candidature").click()
        expect(tab).to_have_url(re.compile(r"/espace/candidat/candidatures/\d+$"))
        expect(tab.get_by_text("Votre candidature est envoyée")).to_be_visible()
        expect(tab.get_by_text("CV Camille.pdf").first).to_be_visible()
        screenshot(tab, "1280-candidature-cv-enregistre")
        assert tab.evaluate("window.cspViolations") == []
        assert page.evaluate("window.cspViolations") == []
    finally:
        context.close()


def test_the_link_in_a_browser_with_no_session(
    browser: Browser, live_server: str, live_data_dir: Path
) -> None:
    """Signed up on one browser, confirmed on another: sign in there, then the apply form."""
    first = browser.new_context(base_url=live_server, locale="fr-FR")
    other = browser.new_context(base_url=live_server, locale="fr-FR")
    try:
        page = first.new_page()
        page.goto("/offres")
        page.locator(".fr-card__title a").first.click()
        apply_path = urlpath(page.url) + "/candidater"
        page.goto(apply_path)
        page.locator("#contenu").get_by_role("link", name="Créer un compte").click()
        page.get_by_role("link", name="Je suis candidat ou candidate").click()
        address = f"sacha-{uuid.uuid4().hex[:6]}@example.fr"
        page.get_by_label("Prénom et nom").fill("Sacha Petit")
        page.get_by_label("Adresse e-mail").fill(address)
        page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
        page.get_by_label("Date de naissance").fill("2000-02-29")
        page.get_by_label("Plus haut diplôme obtenu").select_option("6")
        page.get_by_role("button", name="Créer mon compte").click()
        expect(page).to_have_url(re.compile(r"/inscription/confirmation-envoyee"))
        phone = other.new_page()
        phone.goto(_confirmation_link(live_data_dir / "outbox", address))
        expect(phone).to_have_url(re.compile(r"/connexion\?suivant="))
        expect(phone.get_by_text("Connectez-vous pour continuer")).to_be_visible()
        phone.get_by_label("Adresse e-mail").fill(address)
        phone.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
        phone.get_by_role("button", name="Se connecter").click()
        expect(phone).to_have_url(re.compile(re.escape(apply_path) + "$"))
        expect(phone.get_by_role("heading", level=1)).to_have_text("Candidater")
    finally:
        first.close()
        other.close()


def urlpath(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url).split("?")[0]

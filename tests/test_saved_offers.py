"""« Sauvegarder » (with and without htmx), « Mes offres sauvegardées », and the one reminder
three days before a saved offer's deadline."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import time_machine
from starlette.applications import Starlette

from jobboard import clock
from jobboard.models import Application, EmailOutbox, Offer, SavedOffer, User
from jobboard.services.expiry import run_expiry
from jobboard.services.offer_import import import_offers
from jobboard.services.saved_offers import remind_saved_deadlines
from jobboard.settings import Settings
from tests.conftest import csrf_token, index_now, log_in, make_user, offer_row

TODAY = clock.today()
S = "\u202f"


async def _offer(
    app: Starlette | None = None, title: str = "VTA – Espinasses", **changes: Any
) -> Offer:
    row = offer_row(
        title=title,
        deadline=(TODAY + timedelta(days=20)).isoformat(),
        start_date=(TODAY + timedelta(days=60)).isoformat(),
        **changes,
    )
    [offer_id] = (await import_offers([row], today=TODAY)).created
    if app is not None:
        await index_now(app)
    return await Offer.get(id=offer_id)


async def _save(
    client: httpx.AsyncClient, offer_id: int, state: str = "oui", **headers: str
) -> httpx.Response:
    token = await csrf_token(client, f"/offres/{offer_id}")
    return await client.post(
        f"/offres/{offer_id}/sauvegarde",
        data={"csrf_token": token, "etat": state, "suivant": "/offres?q=climat"},
        headers=headers,
    )


async def test_save_without_javascript_redirects_back_and_lists_it(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    offer = await _offer(app)
    lea = await make_user("candidate", "lea@example.fr")
    await log_in(client, "lea@example.fr")
    response = await _save(client, offer.id)
    assert response.status_code == 303 and response.headers["location"] == "/offres?q=climat"
    assert "L’offre est sauvegardée" in (await client.get("/offres?q=climat")).text
    assert await SavedOffer.filter(user=lea, offer=offer).count() == 1
    again = await _save(client, offer.id)  # the same form twice: still one row
    assert again.status_code == 303 and await SavedOffer.filter(user=lea).count() == 1
    page = (await client.get(f"/offres/{offer.id}")).text
    assert 'aria-pressed="true"' in page and 'name="etat" value="non"' in page
    saved = await client.get("/espace/candidat/sauvegardes")
    assert saved.status_code == 200
    assert offer.title in saved.text and "Ouverte" in saved.text
    assert "Vous êtes éligible" in saved.text
    home = (await client.get("/espace/candidat")).text
    assert home.count('href="/espace/candidat/sauvegardes"') == 1
    dropped = await _save(client, offer.id, "non")
    assert dropped.status_code == 303 and not await SavedOffer.filter(user=lea).exists()


async def test_save_with_htmx_swaps_only_the_button(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    offer = await _offer(app)
    await make_user("candidate", "lea@example.fr")
    await log_in(client, "lea@example.fr")
    response = await _save(client, offer.id, **{"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith("<form") and "<html" not in response.text
    assert 'aria-pressed="true"' in response.text and 'value="non"' in response.text
    assert (
        f'id="sauvegarde-{offer.id}"' in response.text and 'hx-swap="outerMorph"' in response.text
    )
    assert "HX-Request" in response.headers["vary"]
    assert await SavedOffer.filter(offer=offer).exists()
    off = await _save(client, offer.id, "non", **{"HX-Request": "true"})
    assert 'aria-pressed="false"' in off.text and not await SavedOffer.filter(offer=offer).exists()


async def test_bad_saves_answer_in_french_and_write_nothing(
    app: Starlette, client: httpx.AsyncClient, settings: Settings
) -> None:
    offer = await _offer(app)
    expired = await _offer(app, "VTA – Passée")
    await Offer.filter(id=expired.id).update(deadline=TODAY - timedelta(days=1))
    await make_user("candidate", "lea@example.fr")
    await log_in(client, "lea@example.fr")
    token = await csrf_token(client, f"/offres/{offer.id}")
    unknown = await client.post(
        f"/offres/{offer.id}/sauvegarde", data={"csrf_token": token, "etat": "peut-être"}
    )
    assert unknown.status_code == 400 and "Choix de sauvegarde inconnu" in unknown.text
    missing = await _save(client, 999_999)
    assert missing.status_code == 404
    late = await _save(client, expired.id, **{"HX-Request": "true"})
    assert late.status_code == 400 and "ne peut plus être sauvegardée" in late.text
    assert 'aria-pressed="false"' in late.text and "aria-describedby" in late.text
    no_token = await client.post(f"/offres/{offer.id}/sauvegarde", data={"etat": "oui"})
    assert no_token.status_code == 403
    # A return address elsewhere is ignored: back to the offer.
    evil = await client.post(
        f"/offres/{offer.id}/sauvegarde",
        data={"csrf_token": token, "etat": "oui", "suivant": "//evil.example/"},
    )
    assert evil.status_code == 303 and evil.headers["location"] == f"/offres/{offer.id}"
    assert await SavedOffer.all().count() == 1


async def test_visitors_are_sent_to_the_login_and_recruiters_refused(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    offer = await _offer(app)
    page = (await client.get(f"/offres/{offer.id}")).text
    assert f'href="/connexion?suivant=/offres/{offer.id}"' in page
    token = await csrf_token(client, "/connexion")
    posted = await client.post(
        f"/offres/{offer.id}/sauvegarde", data={"csrf_token": token, "etat": "oui"}
    )
    assert posted.status_code == 403
    await make_user("recruiter", "rh@fumel.fr")
    await log_in(client, "rh@fumel.fr")
    assert (await _save(client, offer.id)).status_code == 403
    assert not await SavedOffer.exists()


async def test_saved_list_shows_each_state(
    app: Starlette, client: httpx.AsyncClient, settings: Settings
) -> None:
    lea = await make_user("candidate", "lea@example.fr")
    open_, expired, closed, hidden = [
        await _offer(app, f"VTA – {n}") for n in ("Ouverte", "Passée", "Close", "Retirée")
    ]
    for offer in (open_, expired, closed, hidden):
        await SavedOffer.create(user=lea, offer=offer)
    await Offer.filter(id=expired.id).update(deadline=TODAY - timedelta(days=2), status="expired")
    await Offer.filter(id=closed.id).update(status="closed")
    await Offer.filter(id=hidden.id).update(status="changes_requested")
    await log_in(client, "lea@example.fr")
    text = (await client.get("/espace/candidat/sauvegardes")).text
    for label in ("Ouverte", "Expirée", "Close", "Retirée"):
        assert f'fr-badge--no-icon">{label}</span>' in text, label
    assert f'href="/offres/{hidden.id}"' not in text and f'href="/offres/{closed.id}"' in text
    assert text.index("VTA – Ouverte") < text.index("VTA – Passée")
    assert text.count("Vous êtes éligible") == 1  # verdicts on open offers only


# The reminder


async def _saved_by(
    email: str, deadline_in_days: int, title: str = "VTA – Espinasses"
) -> tuple[User, Offer]:
    user = await User.get_or_none(email=email) or await make_user("candidate", email)
    offer = await _offer(None, title)
    await Offer.filter(id=offer.id).update(deadline=TODAY + timedelta(days=deadline_in_days))
    await SavedOffer.create(user=user, offer=offer)
    return user, await Offer.get(id=offer.id)


async def test_reminder_three_days_before_the_deadline_once(db: None, settings: Settings) -> None:
    lea, offer = await _saved_by("lea@example.fr", 10)
    # Clock moved to four days before: nothing yet.
    deadline = offer.deadline
    with time_machine.travel(
        clock.start_of_day(deadline - timedelta(days=4)) + timedelta(hours=9), tick=False
    ):
        assert (await run_expiry(settings)).saved_reminders == 0
    with time_machine.travel(
        clock.start_of_day(deadline - timedelta(days=3)) + timedelta(hours=9), tick=False
    ):
        report = await run_expiry(settings)
        again = await run_expiry(settings)
    assert (report.saved_reminders, again.saved_reminders) == (1, 0)
    [mail] = await EmailOutbox.filter(to="lea@example.fr")
    assert mail.subject == f"Offre sauvegardée{S}: plus que 3 jours pour candidater"
    assert offer.title in mail.body_text and f"/offres/{offer.id}" in mail.body_text
    assert "/espace/candidat/sauvegardes" in mail.body_html
    assert (await SavedOffer.get(user=lea, offer=offer)).reminder_sent_at is not None
    # Later rounds, up to the deadline, do not send it again.
    with time_machine.travel(clock.start_of_day(deadline) + timedelta(hours=9), tick=False):
        assert (await run_expiry(settings)).saved_reminders == 0
    assert await EmailOutbox.filter(to="lea@example.fr").count() == 1


async def test_two_rounds_at_once_queue_one_reminder(db: None, settings: Settings) -> None:
    await _saved_by("lea@example.fr", 3)
    counts = await asyncio.gather(*(remind_saved_deadlines(TODAY, settings) for _ in range(3)))
    assert sum(counts) == 1
    assert await EmailOutbox.filter(to="lea@example.fr").count() == 1


async def test_no_reminder_once_applied_nor_for_an_expired_or_closed_offer(
    db: None, settings: Settings
) -> None:
    lea, applied = await _saved_by("lea@example.fr", 3, "VTA – Candidatée")
    await Application.create(offer=applied, candidate=lea)
    _, _expired = await _saved_by("lea@example.fr", -1, "VTA – Expirée")
    _, closed = await _saved_by("lea@example.fr", 2, "VTA – Close")
    await Offer.filter(id=closed.id).update(status="closed")
    _, _later = await _saved_by("lea@example.fr", 4, "VTA – Plus tard")
    karim, _shared = await _saved_by("karim@example.fr", 3, "VTA – Karim")
    await User.filter(id=karim.id).update(is_active=False)
    assert await remind_saved_deadlines(TODAY, settings) == 0
    assert not await EmailOutbox.exists()
    # The one that failed to apply in time is not the one applied to: the last day still counts.
    _, _last_day = await _saved_by("lea@example.fr", 0, "VTA – Dernier jour")
    assert await remind_saved_deadlines(TODAY, settings) == 1
    [mail] = await EmailOutbox.all()
    assert "VTA – Dernier jour" in mail.body_text and "dernier jour" in mail.subject

"""Expiry of offers past their deadline, obsolete applications, 7-day reminders; idempotent."""

from __future__ import annotations

from datetime import timedelta

import httpx
from starlette.applications import Starlette

from jobboard import clock
from jobboard.models import Application, ApplicationEvent, EmailOutbox, Offer, OfferEvent
from jobboard.services.expiry import run_expiry
from jobboard.services.offer_import import import_offers
from jobboard.settings import Settings
from tests.conftest import index_now, make_user, offer_row

TODAY = clock.today()


async def _published(deadline_in_days: int, title: str = "VTA – Espinasses") -> Offer:
    row = offer_row(
        title=title,
        deadline=(TODAY + timedelta(days=5)).isoformat(),
        start_date=(TODAY + timedelta(days=60)).isoformat(),
    )
    [offer_id] = (await import_offers([row], today=TODAY)).created
    deadline = TODAY + timedelta(days=deadline_in_days)
    await Offer.filter(id=offer_id).update(deadline=deadline)
    return await Offer.get(id=offer_id)


async def test_expire_moves_past_offers_and_makes_applications_obsolete(
    app: Starlette, client: httpx.AsyncClient, settings: Settings
) -> None:
    past = await _published(-1, "VTA – Offre passée")
    today = await _published(0, "VTA – Dernier jour")
    lea = await make_user("candidate", "lea@example.fr")
    karim = await make_user("candidate", "karim@example.fr")
    pending = await Application.create(offer_id=past.id, candidate=lea)
    decided = await Application.create(offer_id=past.id, candidate=karim, status="rejected")
    await index_now(app)

    report = await run_expiry(settings)
    assert (report.expired, report.obsolete_applications) == (1, 1)
    assert (await Offer.get(id=past.id)).status == "expired"
    assert (await Offer.get(id=today.id)).status == "published"  # the deadline day counts
    assert (await Application.get(id=pending.id)).status == "obsolete"
    assert (await Application.get(id=decided.id)).status == "rejected"
    assert await ApplicationEvent.filter(application_id=pending.id, to_status="obsolete").exists()
    event = await OfferEvent.filter(offer_id=past.id).order_by("-id").first()
    assert event and event.to_status == "expired" and event.actor_id is None
    told = await EmailOutbox.filter(to="lea@example.fr")
    assert len(told) == 1 and "VTA – Offre passée" in told[0].subject
    # Off the board, still reachable and marked.
    await index_now(app)
    board = await client.get("/offres", params={"q": "passée"})
    assert f"/offres/{past.id}" not in board.text
    page = await client.get(f"/offres/{past.id}")
    assert page.status_code == 200 and "Offre expirée" in page.text

    again = await run_expiry(settings)
    assert (again.expired, again.obsolete_applications) == (0, 0)
    assert await EmailOutbox.filter(to="lea@example.fr").count() == 1
    assert await OfferEvent.filter(offer_id=past.id, to_status="expired").count() == 1


async def test_recruiters_are_reminded_once_a_week_before_the_deadline(
    db: None, settings: Settings
) -> None:
    await make_user("recruiter", "rh@espinasses.fr", commune="05050")
    await make_user("recruiter", "maire@espinasses.fr", commune="05050")
    soon = await _published(7, "VTA – Bientôt")
    await _published(8, "VTA – Pas encore")
    report = await run_expiry(settings)
    assert report.reminders == 1
    emails = await EmailOutbox.all()
    assert {e.to for e in emails} == {"rh@espinasses.fr", "maire@espinasses.fr"}
    assert all("dans 7 jours" in e.subject and "VTA – Bientôt" in e.body_text for e in emails)
    assert (await Offer.get(id=soon.id)).deadline_reminder_sent_at is not None
    assert (await run_expiry(settings)).reminders == 0
    assert await EmailOutbox.all().count() == 2


async def test_closing_an_offer_makes_its_applications_obsolete(
    db: None, settings: Settings
) -> None:
    from jobboard.services.offer_editing import close_offer

    offer = await _published(10)
    recruiter = await make_user("recruiter", "rh@espinasses.fr", commune="05050")
    lea = await make_user("candidate", "lea@example.fr")
    application = await Application.create(offer_id=offer.id, candidate=lea, status="in_review")
    await close_offer(recruiter, offer.id, "pourvu", settings)
    assert (await Application.get(id=application.id)).status == "obsolete"
    [event] = await ApplicationEvent.filter(application_id=application.id)
    assert (event.from_status, event.to_status, event.actor_id, event.comment) == (
        "in_review", "obsolete", None, "poste pourvu",
    )  # fmt: skip
    [email] = await EmailOutbox.filter(to="lea@example.fr")
    assert "poste pourvu" in email.body_text

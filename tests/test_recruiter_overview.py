"""The recruiter space: applications per offer, « nouvelles » since the recruiter last opened
them, a next step by state, and all of it in a constant number of queries."""

from __future__ import annotations

import logging
import re
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from jobboard import clock
from jobboard.domain.application import ApplicationStatus
from jobboard.models import Application, ApplicationsSeen, Offer, User
from jobboard.services import recruiter_overview
from jobboard.services.moderation import decide
from jobboard.services.offer_import import import_offers
from jobboard.settings import Settings
from tests.conftest import log_in, make_user, offer_row

TODAY = clock.today()


@pytest.fixture
async def recruiter(client: httpx.AsyncClient) -> User:
    user = await make_user("recruiter", "rh@espinasses.fr", commune="05050")
    await log_in(client, "rh@espinasses.fr")
    return user


async def _offers(*statuses: str, **changes: Any) -> list[Offer]:
    rows = [
        offer_row(status=status, title=f"Offre {i} {status}", **changes)
        for i, status in enumerate(statuses)
    ]
    result = await import_offers(rows, today=TODAY)
    assert not result.errors, result.errors
    return [await Offer.get(id=i) for i in result.created]


async def _apply(offer: Offer, count: int, *, first: int = 0, **fields: Any) -> list[Application]:
    made = []
    for n in range(first, first + count):
        candidate = await make_user(
            "candidate", f"candidat{offer.id}-{n}@example.fr", birth_date=date(2001, 5, 4)
        )
        made.append(await Application.create(offer=offer, candidate=candidate, **fields))
    return made


def _row(page: str, title: str) -> str:
    """The table row of the offer titled `title`."""
    for row in re.findall(r"<tr>.*?</tr>", page, re.S):
        if f">{title}</a>" in row:
            return row
    raise AssertionError(f"no row for {title}")


async def test_counts_and_new_since_last_looked(client: httpx.AsyncClient, recruiter: User) -> None:
    (offer,) = await _offers("published")
    await _apply(offer, 3)
    page = (await client.get("/espace/recruteur")).text
    row = _row(page, offer.title)
    assert "3 candidatures" in row and "3 nouvelles" in row
    assert f'href="/espace/recruteur/offres/{offer.id}/candidatures">Voir les 3 nouvelles' in row

    opened = await client.get(f"/espace/recruteur/offres/{offer.id}/candidatures")
    assert opened.status_code == 200
    row = _row((await client.get("/espace/recruteur")).text, offer.title)
    assert "3 candidatures" in row and "nouvelle" not in row
    assert f'<a href="/offres/{offer.id}">Partager l’offre</a>' in row

    await _apply(offer, 1, first=3)
    row = _row((await client.get("/espace/recruteur")).text, offer.title)
    assert "4 candidatures" in row and "1 nouvelle<" in row
    assert "Voir la nouvelle candidature" in row


async def test_new_is_per_recruiter(client: httpx.AsyncClient, recruiter: User) -> None:
    (offer,) = await _offers("published")
    await _apply(offer, 2)
    colleague = await make_user("recruiter", "dgs@espinasses.fr", commune="05050")
    await recruiter_overview.mark_seen(colleague.id, offer.id, clock.now())
    row = _row((await client.get("/espace/recruteur")).text, offer.title)
    assert "2 nouvelles" in row
    counts = await recruiter_overview.application_counts(colleague.id, [offer.id])
    assert counts[offer.id] == recruiter_overview.ApplicationCounts(total=2, new=0)


async def test_the_boundary_of_new(db: None) -> None:
    """An application received exactly when the recruiter looked was on the page: not new;
    one a microsecond later is; a withdrawn one never is."""
    user = await make_user("recruiter", "rh@espinasses.fr", commune="05050")
    (offer,) = await _offers("published")
    looked = clock.now().replace(microsecond=500_000) - timedelta(hours=1)
    at_the_look, after, withdrawn, before = await _apply(offer, 4)
    moments = {
        at_the_look: looked,
        after: looked + timedelta(microseconds=1),
        withdrawn: looked + timedelta(minutes=5),
        before: looked - timedelta(days=1),
    }
    for application, moment in moments.items():
        await Application.filter(id=application.id).update(created_at=moment)
    await Application.filter(id=withdrawn.id).update(status=ApplicationStatus.WITHDRAWN)

    never = await recruiter_overview.application_counts(user.id, [offer.id])
    assert never[offer.id] == recruiter_overview.ApplicationCounts(total=4, new=3)
    await recruiter_overview.mark_seen(user.id, offer.id, looked)
    counts = await recruiter_overview.application_counts(user.id, [offer.id])
    assert counts[offer.id] == recruiter_overview.ApplicationCounts(total=4, new=1)
    # Looking again moves the same row (one per recruiter and offer).
    await recruiter_overview.mark_seen(user.id, offer.id, looked + timedelta(hours=1))
    assert await ApplicationsSeen.filter(user_id=user.id, offer_id=offer.id).count() == 1
    counts = await recruiter_overview.application_counts(user.id, [offer.id])
    assert counts[offer.id].new == 0


async def test_opening_the_page_records_the_look_before_reading(
    client: httpx.AsyncClient, recruiter: User
) -> None:
    (offer,) = await _offers("published")
    (first,) = await _apply(offer, 1)
    before = clock.now()
    await client.get(f"/espace/recruteur/offres/{offer.id}/candidatures")
    seen = await ApplicationsSeen.get(user_id=recruiter.id, offer_id=offer.id)
    assert first.created_at <= seen.seen_at and before <= seen.seen_at <= clock.now()


async def test_an_unverified_recruiter_sees_no_counts(client: httpx.AsyncClient) -> None:
    await make_user("recruiter", "rh@espinasses.fr", commune="05050", verification="pending")
    await log_in(client, "rh@espinasses.fr")
    page = await client.get("/espace/recruteur")
    assert page.status_code == 200 and "Candidatures</th>" not in page.text


async def test_each_state_shows_its_next_step(
    client: httpx.AsyncClient, recruiter: User, settings: Settings
) -> None:
    draft, submitted, changes, refused, published, closed, expired = await _offers(
        "draft", "submitted", "submitted", "submitted", "published", "closed", "published"
    )
    staff = await make_user("staff", "moderation@anct.example")
    for offer, action, comment in (
        (changes, "request_changes", "Précisez la rémunération."),
        (refused, "reject", "Cette commune n’est pas dans le programme."),
    ):
        await decide(
            offer.id, action, staff, comment=comment, version=offer.version, settings=settings,
            today=TODAY,
        )  # fmt: skip
    await Offer.filter(id=expired.id).update(status="expired")
    page = (await client.get("/espace/recruteur")).text
    base = "/espace/recruteur/offres"
    expected = {
        draft: f'<a href="{base}/{draft.id}/modifier">Compléter et soumettre</a>',
        submitted: "En attente de modération",
        changes: f'<a href="{base}/{changes.id}/modifier">Corriger l’offre</a>',
        refused: f'<a href="{base}/{refused.id}">Voir le motif du refus</a>',
        published: f'<a href="/offres/{published.id}">Partager l’offre</a>',
        closed: f'<a href="{base}/nouvelle?modele={closed.id}">Republier',
        expired: f'<a href="{base}/nouvelle?modele={expired.id}">Republier',
    }
    for offer, step in expected.items():
        assert step in _row(page, offer.title), offer.status
    assert "Modifier ou clore" not in page
    assert "« Précisez la rémunération. »" in _row(page, changes.title)
    assert "« Cette commune n’est pas dans le programme. »" in _row(page, refused.title)


async def test_republish_prefills_a_new_offer_without_its_dates(
    client: httpx.AsyncClient, recruiter: User
) -> None:
    (closed,) = await _offers("closed")
    form = await client.get(f"/espace/recruteur/offres/nouvelle?modele={closed.id}")
    assert form.status_code == 200
    assert f'value="{closed.title}"' in form.text
    assert f'value="{closed.deadline.isoformat()}"' not in form.text
    other = await make_user("recruiter", "rh@fumel.fr", commune="47106")
    assert other.organisation_id != recruiter.organisation_id
    (foreign,) = await _offers("closed", employer_insee="47106")
    for model in (str(foreign.id), "abc"):
        refused = await client.get(f"/espace/recruteur/offres/nouvelle?modele={model}")
        assert refused.status_code == 404


class _Queries(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


async def _queries_for_home(client: httpx.AsyncClient) -> int:
    logger = logging.getLogger("tortoise.db_client")
    handler, level = _Queries(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        response = await client.get("/espace/recruteur")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert response.status_code == 200
    return handler.count


async def test_counts_take_the_same_queries_for_2_or_14_offers(
    client: httpx.AsyncClient, recruiter: User, app: Starlette
) -> None:
    few = await _offers("published", "changes_requested")
    for offer in few:
        await _apply(offer, 1)
    await client.get(f"/espace/recruteur/offres/{few[0].id}/candidatures")
    await client.get("/espace/recruteur")  # warm any per-process cache
    small = await _queries_for_home(client)
    many = await _offers(*["published"] * 6, *["changes_requested"] * 6)
    for n, offer in enumerate(many):
        await _apply(offer, 2, first=n * 2)
        if n % 2:
            await client.get(f"/espace/recruteur/offres/{offer.id}/candidatures")
    large = await _queries_for_home(client)
    assert small == large
    assert small > 3  # the counter does see the page's queries

"""The board's clock: deadlines are Paris dates, whatever the host's time zone or hour.

At 23:30 UTC in winter Paris is already the next day (00:30); in summer 00:30 in Paris is
22:30 UTC. A host that took "today" from UTC would keep an offer one evening too long, or
close it one evening too early. The whole suite also runs with the clock moved to both
instants (JOBBOARD_TEST_NOW, see tests/conftest.py and .ci/run).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import httpx
import time_machine
from starlette.applications import Starlette

from jobboard import clock
from jobboard.models import Offer, OfferEvent
from jobboard.services.expiry import run_expiry
from jobboard.services.offer_import import import_offers
from jobboard.settings import Settings
from tests.conftest import index_now, log_in, make_user, offer_row

WINTER_DAY = date(2026, 12, 15)
# 23:30 UTC on 15 December is 00:30 on the 16th in Paris (UTC+1).
WINTER_2330_UTC = datetime(2026, 12, 15, 23, 30, tzinfo=UTC)
# 00:30 in Paris on 16 June is 22:30 UTC on the 15th (UTC+2).
SUMMER_0030_PARIS = datetime(2026, 6, 16, 0, 30, tzinfo=clock.PARIS)


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    with time_machine.travel(moment, tick=True):
        yield


def test_today_is_the_paris_date_and_now_an_aware_utc_instant() -> None:
    with at(WINTER_2330_UTC):
        assert clock.today() == date(2026, 12, 16)
        assert clock.now().tzinfo is UTC and clock.now().date() == date(2026, 12, 15)
    with at(SUMMER_0030_PARIS):
        assert clock.today() == date(2026, 6, 16)
        assert clock.now().date() == date(2026, 6, 15)
    with at(datetime(2026, 12, 15, 22, 59, tzinfo=UTC)):
        assert clock.today() == WINTER_DAY  # 23:59 in Paris


def test_a_paris_day_starts_at_its_midnight_in_utc() -> None:
    assert clock.start_of_day(WINTER_DAY) == datetime(2026, 12, 14, 23, 0, tzinfo=UTC)
    assert clock.start_of_day(date(2026, 6, 16)) == datetime(2026, 6, 15, 22, 0, tzinfo=UTC)
    assert clock.start_of_day(WINTER_DAY).tzinfo is UTC


async def _offers_ending(days: list[date]) -> list[int]:
    rows = [
        offer_row(title=f"Offre close le {day:%d/%m}", deadline=day.isoformat(),
                  start_date=(day + timedelta(days=30)).isoformat())
        for day in days
    ]  # fmt: skip
    result = await import_offers(rows, today=min(days) - timedelta(days=10))
    assert result.errors == [] and len(result.created) == len(days)
    return result.created


async def test_at_2330_utc_the_offer_ending_that_utc_day_is_over_and_the_next_is_open(
    client: httpx.AsyncClient, app: Starlette, settings: Settings
) -> None:
    ending_15, ending_16 = await _offers_ending([WINTER_DAY, WINTER_DAY + timedelta(days=1)])
    with at(WINTER_2330_UTC):
        await index_now(app)
        await app.state.indexer.sweep_expired()
        board = (await client.get("/offres")).text
        assert "Offre close le 16/12" in board  # its last day in Paris: still open
        assert "Offre close le 15/12" not in board  # the host's UTC date, but over in Paris
        assert "Postuler à cette offre" in (await client.get(f"/offres/{ending_16}")).text
        assert "Offre expirée" in (await client.get(f"/offres/{ending_15}")).text
        report = await run_expiry(settings)
        assert report.expired == 1
    assert (await Offer.get(id=ending_15)).status == "expired"
    assert (await Offer.get(id=ending_16)).status == "published"


async def test_at_0030_paris_in_summer_yesterdays_offer_is_over_and_todays_is_open(
    client: httpx.AsyncClient, app: Starlette, settings: Settings
) -> None:
    day = SUMMER_0030_PARIS.date()
    ending_yesterday, ending_today = await _offers_ending([day - timedelta(days=1), day])
    with at(SUMMER_0030_PARIS):
        assert SUMMER_0030_PARIS.astimezone(UTC).date() == day - timedelta(days=1)  # UTC: yesterday
        await index_now(app)
        await app.state.indexer.sweep_expired()
        board = (await client.get("/offres")).text
        assert f"Offre close le {day:%d/%m}" in board
        assert f"Offre close le {day - timedelta(days=1):%d/%m}" not in board
        assert (await run_expiry(settings)).expired == 1
    assert (await Offer.get(id=ending_yesterday)).status == "expired"
    assert (await Offer.get(id=ending_today)).status == "published"
    # 23:30 in Paris on its last day: still open; half an hour later, over.
    with at(datetime.combine(day, datetime.min.time(), clock.PARIS) + timedelta(hours=23.5)):
        assert (await run_expiry(settings)).expired == 0
        assert "Postuler à cette offre" in (await client.get(f"/offres/{ending_today}")).text
    with at(datetime.combine(day, datetime.min.time(), clock.PARIS) + timedelta(hours=24.5)):
        assert (await run_expiry(settings)).expired == 1
        assert "Offre expirée" in (await client.get(f"/offres/{ending_today}")).text


async def test_the_journal_of_a_paris_day_includes_its_first_hour(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    """An event at 00:30 in Paris (23:30 UTC the day before) belongs to the Paris day."""
    [offer_id] = await _offers_ending([WINTER_DAY + timedelta(days=20)])
    with at(WINTER_2330_UTC):
        await make_user("staff", "moderation@anct.example")
        await log_in(client, "moderation@anct.example")  # the session is as old as the clock
        await OfferEvent.create(
            offer_id=offer_id, from_status="published", to_status="published", comment="minuit"
        )
        paris_day = clock.today().isoformat()
        utc_day = WINTER_2330_UTC.date().isoformat()
        journal = await client.get("/moderation/journal", params={"du": paris_day, "au": paris_day})
        assert journal.status_code == 200 and "minuit" in journal.text
        eve = await client.get("/moderation/journal", params={"du": utc_day, "au": utc_day})
        assert "minuit" not in eve.text

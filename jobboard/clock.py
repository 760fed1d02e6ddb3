"""The board's notion of "today" and "now": the only place that reads the host's clock.

Dates are French civil dates (Europe/Paris): an offer's deadline is a Paris date, so at
23:30 UTC in winter it is already the next day here. Instants are aware datetimes in UTC,
the form the database hands back. Tests move this clock with time-machine
(see tests/conftest.py), never by reading the host's date themselves.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def now() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)


def today() -> date:
    """Today's date in Paris."""
    return datetime.now(PARIS).date()


def start_of_day(day: date) -> datetime:
    """The instant a Paris day begins, in UTC. Filters compare instants in UTC: SQLite keeps
    them as text, where 00:00+01:00 sorts after 23:30+00:00 of the same instant's eve."""
    return datetime.combine(day, time.min, tzinfo=PARIS).astimezone(UTC)

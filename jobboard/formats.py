"""French formats shared by pages and e-mails."""

from __future__ import annotations

from datetime import date, datetime

from jobboard.clock import PARIS
from jobboard.domain.french import day_fr


def date_fr(value: date | datetime | None) -> str:
    """« 3 mars 2027 »; datetimes are shown in Paris time."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(PARIS).date()
    return day_fr(value)


def datetime_fr(value: datetime | None) -> str:
    """« 3 mars 2027 à 14 h 05 », in Paris time."""
    if value is None:
        return ""
    local = value.astimezone(PARIS)
    return f"{date_fr(local.date())} à {local.hour} h {local.minute:02d}"

"""French formats shared by pages and e-mails."""

from __future__ import annotations

from datetime import date, datetime

from jobboard.clock import PARIS

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def date_fr(value: date | datetime | None) -> str:
    """« 3 mars 2027 »; datetimes are shown in Paris time."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(PARIS).date()
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS[value.month - 1]} {value.year}"


def datetime_fr(value: datetime | None) -> str:
    """« 3 mars 2027 à 14 h 05 », in Paris time."""
    if value is None:
        return ""
    local = value.astimezone(PARIS)
    return f"{date_fr(local.date())} à {local.hour} h {local.minute:02d}"

"""E-mail alerts on a board search (pure): frequencies, states, periods and limits.

An alert is a saved `/offres` query string plus an address and a frequency. A run of
`jobboard send-alerts` sends each active alert at most one digest per period: a Paris day for
daily alerts, an ISO week for weekly ones. Periods start at `SEND_HOUR` (Paris) rather than at
midnight, so nobody gets a digest at 00:05.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from jobboard.domain.board_query import BoardQuery, parse_board_query
from jobboard.domain.errors import Refused

PARIS = ZoneInfo("Europe/Paris")  # periods are Paris days and weeks (as jobboard.clock)
MAX_ALERTS_PER_ADDRESS = 20
MAX_NAME_LENGTH = 100
MAX_QUERY_STRING = 1000
DIGEST_SIZE = 20  # offers listed in one digest; a link leads to the rest
SEND_HOUR = 7  # a period (day or week) starts at 07:00 Paris time
UNCONFIRMED_DAYS = 7  # the confirmation link's life (domain/retention.py deletes the alert)


class AlertFrequency(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"

    @property
    def label(self) -> str:
        return FREQUENCY_LABELS[self]


FREQUENCY_LABELS = {AlertFrequency.DAILY: "Chaque jour", AlertFrequency.WEEKLY: "Chaque semaine"}
# The form's French values.
FREQUENCY_WORDS = {"quotidienne": AlertFrequency.DAILY, "hebdomadaire": AlertFrequency.WEEKLY}
FREQUENCY_SLUGS = {value: word for word, value in FREQUENCY_WORDS.items()}


class AlertStatus(StrEnum):
    PENDING = "pending"  # a visitor's alert waiting for its address to be confirmed
    ACTIVE = "active"
    PAUSED = "paused"  # by its owner or by the unsubscribe link

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    AlertStatus.PENDING: "En attente de confirmation",
    AlertStatus.ACTIVE: "Active",
    AlertStatus.PAUSED: "En pause",
}


def period_key(frequency: str, moment: datetime) -> str:
    """The period `moment` falls in: « 2026-12-03 » for a daily alert, « 2026-W49 » weekly."""
    local = (moment.astimezone(PARIS) - timedelta(hours=SEND_HOUR)).date()
    if frequency == AlertFrequency.DAILY:
        return local.isoformat()
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def parse_frequency(value: str | None) -> AlertFrequency:
    frequency = FREQUENCY_WORDS.get((value or "").strip())
    if frequency is None:
        raise Refused("Choisissez la fréquence de l’alerte : chaque jour ou chaque semaine.")
    return frequency


def clean_name(value: str | None, fallback: str) -> str:
    name = " ".join((value or "").split())
    if len(name) > MAX_NAME_LENGTH:
        raise Refused(f"Le nom de l’alerte tient en {MAX_NAME_LENGTH} caractères au plus.", "nom")
    return name or fallback[:MAX_NAME_LENGTH]


def saved_search(query: BoardQuery) -> str:
    """The canonical query string an alert keeps: the filters and words, without the page or
    the order (a digest lists the newest first). A level preset from the profile is written
    out: the alert keeps the search the candidate saw."""
    if not query.diploma_preset and not query.diploma_cleared:
        return query.query_string(page=1, sort="")  # on every board page: the short way
    kept = query.changed(page=1, sort="")
    if query.diploma_preset:
        kept = kept.changed(diploma=query.diploma)
    params = kept.params()
    if params.get("diplome") == "":
        del params["diplome"]
    return urlencode(params)


def parse_saved_search(
    params: dict[str, str], *, departements: Collection[str], regions: Collection[str]
) -> BoardQuery:
    """The board's parser on a search to save: refused, with the board's own message, when the
    board would refuse it."""
    query, errors = parse_board_query(params, departements=departements, regions=regions)
    if errors:
        raise Refused(errors[0].message, errors[0].param)
    return query


def describe(
    query: BoardQuery, names: Mapping[str, Mapping[str, str]] | None = None, *, quoted: bool = True
) -> str:
    """« « climat » · VTA · Lot-et-Garonne » : the search in a few words (`quoted=False` for an
    alert's default name, which texts quote themselves). `names` gives the départements' and
    régions' names by code (« departement », « region »)."""
    words = (f"«\u202f{query.q}\u202f»" if quoted else query.q) if query.q else ""
    parts = [words] if words else []
    for spec, label in query.active_filters():
        parts.append((names or {}).get(spec.name, {}).get(label, label))
    return " · ".join(parts) or "Toutes les offres"

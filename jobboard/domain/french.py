"""French typography for numbers and dates: « 15 000 », « 26,25 », « 18 mois », « 1er mars 2027 »
(pure)."""

from __future__ import annotations

import re
from datetime import date

NARROW_NO_BREAK_SPACE = "\u202f"  # between thousands
NO_BREAK_SPACE = "\u00a0"  # before a unit sign: « 75 % », « 15 000 € »


_LAYOUT_SPACES = re.compile(r"[ \t\r\n\f\v]+")


def squash_spaces(text: str) -> str:
    """Runs of layout whitespace as one space, ends trimmed; the no-break spaces French
    typography puts before « : ; ! ? » and inside « » stay (``str.split()`` would drop them)."""
    return _LAYOUT_SPACES.sub(" ", text).strip()


def number_fr(value: int | float) -> str:
    """Thousands separated by a narrow no-break space, as French typography wants."""
    return f"{value:,}".replace(",", NARROW_NO_BREAK_SPACE).replace(".", ",")


def hours_fr(value: object) -> str:
    """A decimal without trailing zeros and with a comma: 26.50 → « 26,5 », 35.00 → « 35 »."""
    text = f"{value}".rstrip("0").rstrip(".") if "." in f"{value}" else f"{value}"
    return text.replace(".", ",")


def months_fr(value: int) -> str:
    return f"{value} mois"


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


def day_fr(value: date) -> str:
    """« 1er mars 2027 », « 3 mars 2027 »."""
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS[value.month - 1]} {value.year}"


_ELIDED = frozenset("AEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜŒÆ")


def commune_organisation_name(commune: str) -> str:
    """A commune as an employer, with French elision and contraction: « Commune de Fumel »,
    « Commune d’Espinasses », « Commune du Havre » (Le Havre), « Commune des Andelys » (Les
    Andelys); « Commune de La Rochelle » and « Commune de L’Isle-Adam » keep their article."""
    if commune.startswith("Le "):
        return "Commune du " + commune.removeprefix("Le ")
    if commune.startswith("Les "):
        return "Commune des " + commune.removeprefix("Les ")
    if commune[:1].upper() in _ELIDED:
        return "Commune d’" + commune
    return "Commune de " + commune

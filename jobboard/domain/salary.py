"""Read the euro amounts out of an offer's free-text salary (« Entre 2 600 € et 3 200 € brut
mensuels ») so feeds and structured data can state them as numbers; pure, never raises."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class SalaryPeriod(StrEnum):
    """What an amount is paid for, named as schema.org's QuantitativeValue.unitText does."""

    HOUR = "HOUR"
    MONTH = "MONTH"
    YEAR = "YEAR"


@dataclass(frozen=True)
class SalaryRange:
    minimum: Decimal
    maximum: Decimal
    period: SalaryPeriod
    currency: str = "EUR"


# An amount followed by a euro sign or word: « 2 600 € », « 2600,50 euros », « 32 k€ ».
# Thousands may be separated by a space, a no-break space or a narrow no-break space.
_AMOUNT = re.compile(
    r"(?<![\d,.])(\d{1,3}(?:[ \u00a0\u202f.]\d{3})+|\d+)(?:,(\d{1,2}))?\s*(k)?\s*(?:€|euros?\b)",
    re.IGNORECASE,
)
_PERIODS = (
    (SalaryPeriod.HOUR, re.compile(r"\b(?:horaires?|de l['’]heure|par heure|/\s*h)\b", re.I)),
    (SalaryPeriod.MONTH, re.compile(r"\b(?:mensuel(?:le)?s?|par mois|/\s*mois)\b", re.I)),
    (SalaryPeriod.YEAR, re.compile(r"\b(?:annuel(?:le)?s?|par an|/\s*an)\b", re.I)),
)
# When the text names no period, the size of the amount says it: nobody is paid 35 € a month
# or 2 600 € a year. Below the first bound an hourly rate, below the second a monthly salary.
_HOURLY_BELOW = Decimal(200)
_MONTHLY_BELOW = Decimal(12_000)


# What joins the two ends of a range: « 2 600 € et 3 200 € », « 2 600 € à 3 200 € », « – ».
_RANGE_JOINER = re.compile(r"\s*(?:et|à|a|-|–|—)\s*", re.IGNORECASE)


_BARE_LOW_END = re.compile(
    r"(?<![\d,.])(\d{1,3}(?:[ \u00a0\u202f.]\d{3})+|\d+)(?:,(\d{1,2}))?\s*(k)?"
    r"\s*(?:et|à|a|-|–|—)\s*$",
    re.IGNORECASE,
)


def _value(match: re.Match[str]) -> Decimal:
    whole, cents, thousands = match.groups()
    value = Decimal(re.sub(r"[ \u00a0\u202f.]", "", whole) + (f".{cents}" if cents else ""))
    return value * 1000 if thousands else value


def _amounts(text: str) -> list[Decimal]:
    """The first amount, and the second when the text joins them as a range; a later amount
    is an extra (« prime de 500 € »), not the other end of the salary."""
    matches = list(_AMOUNT.finditer(text))
    if not matches:
        return []
    first = matches[0]
    values = [_value(first)]
    # « 2 600 à 3 200 € »: the low end may come without its euro sign.
    if low := _BARE_LOW_END.search(text[: first.start()]):
        # « 32 à 36 k€ »: the thousands of the high end are the low end's too.
        shared_thousands = first.group(3) and not low.group(3)
        values.append(_value(low) * (1000 if shared_thousands else 1))
    if len(matches) > 1 and _RANGE_JOINER.fullmatch(text[first.end() : matches[1].start()]):
        values.append(_value(matches[1]))
    return [v for v in values if v > 0]


def _period(text: str, amount: Decimal) -> SalaryPeriod:
    for period, pattern in _PERIODS:
        if pattern.search(text):
            return period
    if amount < _HOURLY_BELOW:
        return SalaryPeriod.HOUR
    return SalaryPeriod.MONTH if amount < _MONTHLY_BELOW else SalaryPeriod.YEAR


def parse_salary(text: str) -> SalaryRange | None:
    """The range the text states in euros, or None when it gives no amount (« selon grille »,
    « SMIC + 15 % »: the SMIC moves every year, so no figure is made up from it)."""
    amounts = _amounts(text or "")
    if not amounts:
        return None
    low, high = min(amounts), max(amounts)
    return SalaryRange(minimum=low, maximum=high, period=_period(text, low))

"""French public holidays (jours fériés of metropolitan France) and working days.

The eleven holidays of the Code du travail (art. L3133-1): 1 January, Easter Monday, 1 May,
8 May, Ascension, Whit Monday, 14 July, 15 August, 1 November, 11 November, 25 December.
Good Friday and 26 December (Alsace-Moselle only) are left out: staff work nationally. Easter
is computed with the anonymous Gregorian algorithm (Meeus/Jones/Butcher).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

_FIXED = ((1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25))
_SATURDAY = 5


def easter_sunday(year: int) -> date:
    """Easter Sunday of `year` in the Gregorian calendar."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return date(year, month, day + 1)


@cache
def public_holidays(year: int) -> frozenset[date]:
    """The French public holidays of `year`."""
    easter = easter_sunday(year)
    movable = (
        easter + timedelta(days=1),  # lundi de Pâques
        easter + timedelta(days=39),  # Ascension
        easter + timedelta(days=50),  # lundi de Pentecôte
    )
    return frozenset({date(year, month, day) for month, day in _FIXED} | set(movable))


def is_working_day(day: date) -> bool:
    """Monday to Friday, and not a public holiday."""
    return day.weekday() < _SATURDAY and day not in public_holidays(day.year)


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to `end` included: what something dated `start` has
    waited by the end of `end` (0 when `end` is not after `start`)."""
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        count += is_working_day(day)
        day += timedelta(days=1)
    return count


def latest_day_waited_more_than(today: date, working_days: int) -> date:
    """The latest day such that what is dated then has waited more than `working_days`
    working days by `today` (`working_days_between(that_day, today) > working_days`)."""
    counted = 0
    day = today
    while counted <= working_days:
        counted += is_working_day(day)
        day -= timedelta(days=1)
    return day

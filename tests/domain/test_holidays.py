"""French public holidays and working days, without the database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from jobboard.domain.holidays import (
    easter_sunday,
    is_working_day,
    latest_day_waited_more_than,
    public_holidays,
    working_days_between,
)


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2019, date(2019, 4, 21)),
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2027, date(2027, 3, 28)),
        (2038, date(2038, 4, 25)),  # the latest possible
        (2285, date(2285, 3, 22)),  # the earliest possible
    ],
)
def test_easter_by_the_anonymous_gregorian_algorithm(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter


def test_the_eleven_holidays_of_2027() -> None:
    assert sorted(public_holidays(2027)) == [
        date(2027, 1, 1),
        date(2027, 3, 29),  # lundi de Pâques
        date(2027, 5, 1),
        date(2027, 5, 6),  # Ascension
        date(2027, 5, 8),
        date(2027, 5, 17),  # lundi de Pentecôte
        date(2027, 7, 14),
        date(2027, 8, 15),
        date(2027, 11, 1),
        date(2027, 11, 11),
        date(2027, 12, 25),
    ]


def test_weekends_and_holidays_are_not_working_days() -> None:
    assert is_working_day(date(2027, 3, 26))  # a Friday
    assert not is_working_day(date(2027, 3, 27))  # Saturday
    assert not is_working_day(date(2027, 3, 28))  # Easter Sunday
    assert not is_working_day(date(2027, 3, 29))  # Easter Monday
    assert not is_working_day(date(2027, 5, 6))  # Ascension, a Thursday
    assert is_working_day(date(2027, 5, 7))


def test_working_days_across_a_weekend_and_a_holiday() -> None:
    friday = date(2027, 3, 26)
    # Saturday, Sunday and Easter Monday do not count: Tuesday is the first working day after.
    assert working_days_between(friday, date(2027, 3, 29)) == 0
    assert working_days_between(friday, date(2027, 3, 30)) == 1
    assert working_days_between(friday, date(2027, 4, 1)) == 3
    assert working_days_between(friday, date(2027, 4, 2)) == 4
    assert working_days_between(friday, friday) == 0
    assert working_days_between(date(2027, 4, 2), friday) == 0
    # Around Ascension (Thursday 6 May 2027): Wednesday to the next Monday is two working days.
    assert working_days_between(date(2027, 5, 5), date(2027, 5, 10)) == 2


def test_the_latest_day_that_waited_more_than_three_working_days() -> None:
    # On Friday 2 April 2027: Tuesday 30 March has waited 3 working days, Easter Monday 4.
    assert latest_day_waited_more_than(date(2027, 4, 2), 3) == date(2027, 3, 29)
    assert latest_day_waited_more_than(date(2027, 4, 1), 3) == date(2027, 3, 25)


def test_the_cutoff_agrees_with_the_count_over_a_whole_year() -> None:
    for offset in range(366):
        today = date(2027, 1, 1) + timedelta(days=offset)
        cutoff = latest_day_waited_more_than(today, 3)
        assert working_days_between(cutoff, today) > 3, today
        assert working_days_between(cutoff + timedelta(days=1), today) <= 3, today

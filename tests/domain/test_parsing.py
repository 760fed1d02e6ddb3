"""The one parsing module, without a database: tables of cases, then properties."""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobboard.domain.parsing import (
    DB_INT_MAX,
    age_on,
    fold,
    is_email,
    parse_date,
    parse_decimal,
    parse_int,
    parse_iso_date,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-03-01", date(2027, 3, 1)),
        ("01/03/2027", date(2027, 3, 1)),
        ("1/3/2027", date(2027, 3, 1)),
        (" 15/03/2021 ", date(2021, 3, 15)),  # the PVD file pads some cells
        ("29/02/2028", date(2028, 2, 29)),
        ("29/02/2027", None),
        ("31/02/2027", None),
        ("2027-13-01", None),
        ("2027-3-1", None),
        ("20270301", None),
        ("01-03-2027", None),
        ("01/03/27", None),
        ("٠١/٠٣/٢٠٢٧", None),  # Arabic-Indic digits
        ("demain", None),
        ("", None),
    ],
)
def test_dates_in_iso_or_french_format(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


def test_iso_dates_only_where_a_machine_writes_them() -> None:
    assert parse_iso_date("2027-03-01") == date(2027, 3, 1)
    assert parse_iso_date("01/03/2027") is None
    assert parse_iso_date("2027-02-30") is None


@given(st.dates(min_value=date(1000, 1, 1)))
def test_every_date_reads_back_from_both_formats(day: date) -> None:
    assert parse_date(day.isoformat()) == day
    assert parse_date(f"{day.day:02d}/{day.month:02d}/{day.year}") == day
    assert parse_date(f"{day.day}/{day.month}/{day.year}") == day


@given(st.text(max_size=30))
def test_any_text_is_a_date_or_none(text: str) -> None:
    assert parse_date(text) is None or isinstance(parse_date(text), date)


@pytest.mark.parametrize(
    "address",
    [
        "lea@example.fr",
        "jean-pierre.dupont@mairie-fumel.fr",
        "prenom.nom+candidatures@gmail.com",
        "o'brien@example.ie",
        "élodie@orange.fr",
        "contact@besançon.fr",
        "rh@cc-val-de-garonne.fr",
        "a@b.co",
    ],
)
def test_addresses_people_have(address: str) -> None:
    assert is_email(address)


@pytest.mark.parametrize(
    "text",
    [
        '"><svg/onload=alert(1)>@x.fr',
        "<lea@example.fr>",
        "Léa <lea@example.fr>",
        "lea@example.fr\n",
        "lea @example.fr",
        "lea.example.fr",
        "lea@example",
        "lea@@example.fr",
        "lea@ex@ample.fr",
        ".lea@example.fr",
        "lea.@example.fr",
        "le..a@example.fr",
        "lea@-example.fr",
        "lea@example-.fr",
        "lea@example..fr",
        "lea@example.f",
        "lea@example.123",
        "lea@[127.0.0.1]",
        "lea,paul@example.fr",
        "lea(x)@example.fr",
        "lea\\@example.fr",
        "lea@exa_mple.fr",
        "a" * 245 + "@example.fr",
        "",
    ],
)
def test_text_that_is_not_an_address(text: str) -> None:
    assert not is_email(text)


@given(st.emails())
def test_every_dot_atom_address_is_accepted(address: str) -> None:
    assert is_email(address)


@given(st.text(max_size=60))
def test_an_accepted_address_holds_no_markup_nor_space(text: str) -> None:
    if is_email(text):
        assert text.count("@") == 1
        assert not set(text) & set('"<>()[]\\,;: \t\r\n')


@pytest.mark.parametrize(
    ("text", "bounds", "expected"),
    [
        ("12", {}, 12),
        ("0012", {}, 12),
        ("0", {}, 0),
        ("0", {"minimum": 1}, None),
        ("120", {"maximum": 120}, 120),
        ("121", {"maximum": 120}, None),
        (str(DB_INT_MAX), {}, DB_INT_MAX),
        (str(DB_INT_MAX + 1), {}, None),
        ("9" * 5000, {"maximum": None}, None),  # more digits than Python converts: no error
        ("10000000000000", {"maximum": None}, 10_000_000_000_000),
        ("٣", {}, None),  # Arabic-Indic three
        ("³", {}, None),  # superscript three
        ("１２", {}, None),  # fullwidth digits
        ("+1", {}, None),
        ("-1", {}, None),
        (" 1", {}, None),
        ("1_000", {}, None),
        ("1.0", {}, None),
        ("", {}, None),
    ],
)
def test_integers_are_ascii_digits_within_bounds(
    text: str, bounds: dict[str, int | None], expected: int | None
) -> None:
    assert parse_int(text, **bounds) == expected  # type: ignore[arg-type]


@given(st.integers(min_value=0, max_value=DB_INT_MAX))
def test_every_integer_in_range_reads_back(number: int) -> None:
    assert parse_int(str(number)) == number


@given(st.text(max_size=20), st.integers(0, 100), st.integers(0, 10_000))
def test_any_text_is_an_integer_in_bounds_or_none(text: str, low: int, high: int) -> None:
    number = parse_int(text, minimum=low, maximum=high)
    assert number is None or (low <= number <= high and text.isascii() and text.isdigit())


@pytest.mark.parametrize(
    ("text", "expected"),
    [("35", Decimal(35)), ("26,25", Decimal("26.25")), ("26.25", Decimal("26.25")),
     ("26,255", None), ("-3", None), ("trente", None), ("1e3", None), ("٣٥", None)],
)  # fmt: skip
def test_short_decimals_with_a_comma_or_a_point(text: str, expected: Decimal | None) -> None:
    assert parse_decimal(text) == expected


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (date(2004, 2, 29), date(2022, 2, 28), 17),
        (date(2004, 2, 29), date(2022, 3, 1), 18),
        (date(2004, 2, 29), date(2024, 2, 29), 20),
        (date(2000, 7, 14), date(2030, 7, 13), 29),
        (date(2000, 7, 14), date(2030, 7, 14), 30),
        (date(2000, 12, 31), date(2001, 1, 1), 0),
    ],
)
def test_age_counts_completed_years(birth: date, day: date, age: int) -> None:
    assert age_on(birth, day) == age


def _birthdays_passed(birth: date, day: date) -> int:
    """Reference: count anniversaries one by one (a 29 February one falls on 1 March)."""
    years = 0
    while True:
        year = birth.year + years + 1
        try:
            anniversary = birth.replace(year=year)
        except ValueError:
            anniversary = date(year, 3, 1)
        if anniversary > day:
            return years
        years += 1


@given(st.dates(min_value=date(1940, 1, 1), max_value=date(2030, 12, 31)), st.integers(0, 40_000))
def test_age_is_the_number_of_birthdays_passed(birth: date, days: int) -> None:
    day = birth + timedelta(days=days)
    assert age_on(birth, day) == _birthdays_passed(birth, day)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Écologie", "ecologie"),
        ("transition ÉCOLOGIQUE", "transition ecologique"),
        ("Plœuc-L’Hermitage", "ploeuc-l’hermitage"),
        ("ÆSOPE", "aesope"),
        ("Ça coûte", "ca coute"),
        ("infirmière", "infirmiere"),
        ("Straße", "strasse"),
        ("Søren Łukasz", "soren lukasz"),
        ("m²", "m2"),
        ("İstanbul", "istanbul"),  # case folding gives i + a combining dot
        ("𝞐", "α"),  # the compatibility form is a capital
        ("ASCII", "ascii"),
    ],
)
def test_fold_drops_case_accents_and_ligatures(text: str, expected: str) -> None:
    assert fold(text) == expected


@settings(max_examples=500)
@given(st.text(max_size=40))
def test_folding_is_stable_and_leaves_no_accent(text: str) -> None:
    folded = fold(text)
    assert fold(folded) == folded
    assert not any(unicodedata.combining(c) for c in folded)

"""Euro amounts read from an offer's free-text salary."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jobboard.domain.salary import SalaryPeriod, SalaryRange, parse_salary


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Entre 2 600 € et 3 200 € brut mensuels selon expérience + RIFSEEP",
            SalaryRange(Decimal(2600), Decimal(3200), SalaryPeriod.MONTH),
        ),
        (
            "2 700 € à 3 300 € par mois",
            SalaryRange(Decimal(2700), Decimal(3300), "MONTH"),
        ),
        ("32 k€ brut annuel", SalaryRange(Decimal(32000), Decimal(32000), SalaryPeriod.YEAR)),
        ("12,50 € de l’heure", SalaryRange(Decimal("12.50"), Decimal("12.50"), "HOUR")),
        # The low end without its euro sign.
        ("2 600 – 3 000 €", SalaryRange(Decimal(2600), Decimal(3000), SalaryPeriod.MONTH)),
        ("de 32 à 36 k€ par an", SalaryRange(Decimal(32000), Decimal(36000), "YEAR")),
        # No period said: the size of the amount tells it.
        ("2600 euros brut", SalaryRange(Decimal(2600), Decimal(2600), SalaryPeriod.MONTH)),
        ("35 000 €", SalaryRange(Decimal(35000), Decimal(35000), SalaryPeriod.YEAR)),
        ("11,88 €", SalaryRange(Decimal("11.88"), Decimal("11.88"), SalaryPeriod.HOUR)),
        # A later amount is an extra, not the top of a range.
        (
            "3 000 € par mois, prime annuelle de 500 €",
            SalaryRange(Decimal(3000), Decimal(3000), "MONTH"),
        ),
    ],
)
def test_amounts_and_period_are_read(text: str, expected: SalaryRange) -> None:
    assert parse_salary(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "SMIC + 15 %", "Selon expérience", "Catégorie A, grille des attachés", "0 €", "15 %"],
)
def test_no_amount_no_range(text: str) -> None:
    assert parse_salary(text) is None

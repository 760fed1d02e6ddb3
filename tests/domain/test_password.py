"""The password policy, without a database."""

from __future__ import annotations

import pytest

from jobboard.domain.password import MIN_LENGTH, common_passwords, password_problem


def test_the_list_holds_ten_thousand_passwords() -> None:
    passwords = common_passwords()
    assert len(passwords) == 10_000
    assert {"123456", "password", "azerty", "soleil"} & passwords


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("court", "au moins 12 caractères"),
        ("x" * (MIN_LENGTH - 1), "au moins 12 caractères"),
        ("password1234", "trop courant"),
        ("Password!!2024", "trop courant"),
        ("123456789012", "trop courant"),
        ("azertyuiopqs", "trop courant"),
        ("aaaaaaaaaaaaaaa", "trop courant"),
        ("abababababababab", "trop courant"),
        ("lea.martin2001", "votre nom ou votre adresse"),
        ("x" * 300, "ne peut pas dépasser"),
    ],
)
def test_weak_passwords_are_refused_in_french(password: str, expected: str) -> None:
    problem = password_problem(password, email="lea.martin@example.fr", full_name="Léa Martin")
    assert problem is not None and expected in problem


@pytest.mark.parametrize(
    "password",
    [
        "Marianne et ses 36 000 communes",
        "correct horse battery staple",
        "Thizy-2027-bourg!",
        "é" * 6 + "ç" * 6 + "1",
    ],
)
def test_long_uncommon_passwords_pass(password: str) -> None:
    assert password_problem(password, email="lea.martin@example.fr", full_name="Léa Martin") is None


def test_exactly_the_minimum_length_is_enough() -> None:
    assert password_problem("Tq7#vL2!pZ9x") is None
    assert len("Tq7#vL2!pZ9x") == MIN_LENGTH

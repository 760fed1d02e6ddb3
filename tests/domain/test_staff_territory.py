"""A staff member's territory without the database: parsing, stored form, description."""

from __future__ import annotations

from jobboard.domain.staff_territory import (
    NATIONAL,
    StaffTerritory,
    TerritoryErrors,
    describe,
    parse_territory,
    split_codes,
)

S = "\u202f"
DEPARTEMENTS = {"05": "Hautes-Alpes", "11": "Aude", "2A": "Corse-du-Sud", "76": "Seine-Maritime",
                "971": "Guadeloupe", "31": "Haute-Garonne"}  # fmt: skip
REGIONS = {"11": "Île-de-France", "76": "Occitanie", "84": "Auvergne-Rhône-Alpes"}


def test_codes_are_split_on_commas_semicolons_or_spaces() -> None:
    assert split_codes(" 76,31 ; 2a  5,,") == ["76", "31", "2A", "05"]
    assert split_codes("") == []


def test_departements_and_regions_are_told_apart_though_their_codes_collide() -> None:
    parsed = parse_territory("76, 11", "11", DEPARTEMENTS, REGIONS)
    assert parsed == StaffTerritory(regions=frozenset({"11"}), departements=frozenset({"76", "11"}))
    assert isinstance(parsed, StaffTerritory)
    assert parsed.stored() == "r:11,d:11,d:76"
    assert StaffTerritory.from_stored(parsed.stored()) == parsed
    assert describe(parsed, DEPARTEMENTS, REGIONS) == (
        "Île-de-France (région), Aude (11), Seine-Maritime (76)"
    )


def test_empty_is_national() -> None:
    parsed = parse_territory(" ", "", DEPARTEMENTS, REGIONS)
    assert parsed == NATIONAL and isinstance(parsed, StaffTerritory) and parsed.is_national
    assert parsed.stored() == "" and StaffTerritory.from_stored("") == NATIONAL
    assert describe(NATIONAL, DEPARTEMENTS, REGIONS) == "Tout le territoire national"


def test_unknown_codes_are_each_named_in_french() -> None:
    parsed = parse_territory("76, 99, 2C, 99", "31", DEPARTEMENTS, REGIONS)
    assert isinstance(parsed, TerritoryErrors)
    assert parsed.errors["departements"].startswith(
        f"Codes de département inconnus{S}: «{S}99{S}», «{S}2C{S}»."
    )
    # 31 is a département (Haute-Garonne), not a région.
    assert parsed.errors["regions"].startswith(f"Code de région inconnu{S}: «{S}31{S}».")


def test_a_stored_value_ignores_untagged_pieces() -> None:
    assert StaffTerritory.from_stored("d:76, 84, r:, r:84") == StaffTerritory(
        regions=frozenset({"84"}), departements=frozenset({"76"})
    )

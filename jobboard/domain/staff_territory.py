"""The territory a staff account looks after: régions and départements, none for national.

Région and département codes collide (« 11 » is Île-de-France and Aude, « 76 » Occitanie and
Seine-Maritime), so the two lists are typed apart everywhere: the CLI has `--territoire`
(départements) and `--regions`, the staff page two fields, and the stored form tags each code,
`r:76,d:31` (régions first, then départements, each sorted).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_SEPARATORS = re.compile(r"[\s,;]+")
_CODE = re.compile(r"^(?:\d{1,3}|2[AB])$")
_REGION_TAG = "r:"
_DEPARTEMENT_TAG = "d:"


@dataclass(frozen=True)
class StaffTerritory:
    regions: frozenset[str] = frozenset()
    departements: frozenset[str] = frozenset()

    @property
    def is_national(self) -> bool:
        return not self.regions and not self.departements

    def stored(self) -> str:
        """The value of `User.territory`: "" when national."""
        return ",".join(
            [_REGION_TAG + code for code in sorted(self.regions)]
            + [_DEPARTEMENT_TAG + code for code in sorted(self.departements)]
        )

    @classmethod
    def from_stored(cls, value: str) -> StaffTerritory:
        """Read `User.territory`; an untagged or empty piece is ignored."""
        pieces = [p.strip() for p in value.split(",")]
        return cls(
            regions=frozenset(p[2:] for p in pieces if p.startswith(_REGION_TAG) and p[2:]),
            departements=frozenset(
                p[2:] for p in pieces if p.startswith(_DEPARTEMENT_TAG) and p[2:]
            ),
        )


NATIONAL = StaffTerritory()


def split_codes(text: str) -> list[str]:
    """« 76, 31 ; 2a » → ["76", "31", "2A"]: commas, semicolons or spaces between codes;
    a one-digit département is written with its zero (« 5 » is « 05 »)."""
    codes = [piece.upper() for piece in _SEPARATORS.split(text) if piece]
    return [code.zfill(2) if code.isdigit() and len(code) == 1 else code for code in codes]


def _unknown(codes: list[str], known: Mapping[str, str]) -> list[str]:
    return list(dict.fromkeys(code for code in codes if not _CODE.match(code) or code not in known))


def _listed(codes: list[str]) -> str:
    return ", ".join(f"« {code} »" for code in codes)


@dataclass(frozen=True)
class TerritoryErrors:
    """French messages by field (`departements`, `regions`)."""

    errors: dict[str, str]


def parse_territory(
    departements: str,
    regions: str,
    known_departements: Mapping[str, str],
    known_regions: Mapping[str, str],
) -> StaffTerritory | TerritoryErrors:
    """The territory typed as two lists of codes, checked against the reference data
    (code → name); every unknown code is named in the message of its field."""
    departement_codes = split_codes(departements)
    region_codes = split_codes(regions)
    errors: dict[str, str] = {}
    if unknown := _unknown(departement_codes, known_departements):
        plural = len(unknown) > 1
        errors["departements"] = (
            f"{'Codes de département inconnus' if plural else 'Code de département inconnu'} : "
            f"{_listed(unknown)}. Écrivez des codes comme « 76 », « 2A » ou « 971 », "
            "séparés par des virgules."
        )
    if unknown := _unknown(region_codes, known_regions):
        plural = len(unknown) > 1
        errors["regions"] = (
            f"{'Codes de région inconnus' if plural else 'Code de région inconnu'} : "
            f"{_listed(unknown)}. Écrivez des codes INSEE de région comme « 84 » "
            "(Auvergne-Rhône-Alpes) ou « 76 » (Occitanie)."
        )
    if errors:
        return TerritoryErrors(errors)
    return StaffTerritory(
        regions=frozenset(region_codes), departements=frozenset(departement_codes)
    )


def describe(
    territory: StaffTerritory,
    departement_names: Mapping[str, str],
    region_names: Mapping[str, str],
) -> str:
    """« Occitanie (région), Seine-Maritime (76) », or « Tout le territoire national »."""
    if territory.is_national:
        return "Tout le territoire national"
    parts = [f"{region_names.get(code, code)} (région)" for code in sorted(territory.regions)]
    parts += [
        f"{departement_names.get(code, code)} ({code})" for code in sorted(territory.departements)
    ]
    return ", ".join(parts)

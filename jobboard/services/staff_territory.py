"""Staff by territory: which offers, recruiter accounts and journal entries lie in a staff
member's territory (domain/staff_territory), and the national staff's edit of territories.

An offer lies where its commune of work is (its département or région). A recruiter account
lies where its collectivité is: a commune's département or région, or for an EPCI any of its
member communes' (an intercommunalité may straddle two départements).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Q, Subquery

from jobboard.domain.account import Role
from jobboard.domain.errors import NotFound
from jobboard.domain.staff_territory import (
    StaffTerritory,
    TerritoryErrors,
    describe,
    parse_territory,
)
from jobboard.models import Commune, Departement, Region, User


@dataclass(frozen=True)
class Reference:
    """Names by code, from the reference data."""

    departements: dict[str, str]
    regions: dict[str, str]

    def describe(self, territory: StaffTerritory) -> str:
        return describe(territory, self.departements, self.regions)


async def reference() -> Reference:
    departements = await Departement.all().order_by("code").values_list("code", "name")
    regions = await Region.all().order_by("code").values_list("code", "name")
    return Reference(
        departements={str(code): str(name) for code, name in departements},
        regions={str(code): str(name) for code, name in regions},
    )


def territory_of(user: User) -> StaffTerritory:
    return StaffTerritory.from_stored(user.territory)


def _commune_q(territory: StaffTerritory, path: str) -> Q:
    """Communes (reached from the filtered model through `path`) inside `territory`."""
    departements: dict[str, Any] = {f"{path}departement_id__in": sorted(territory.departements)}
    regions: dict[str, Any] = {f"{path}region_id__in": sorted(territory.regions)}
    return Q(**departements) | Q(**regions)


def offer_q(territory: StaffTerritory, path: str = "") -> Q:
    """Offers (reached through `path`, e.g. "offer__") whose commune lies in `territory`;
    everything when national."""
    return Q() if territory.is_national else _commune_q(territory, f"{path}commune__")


def recruiter_q(territory: StaffTerritory) -> Q:
    """Users whose organisation (a commune, or an EPCI with a member commune) lies in it."""
    if territory.is_national:
        return Q()
    epcis = Commune.filter(_commune_q(territory, ""), epci_id__isnull=False).values("epci_id")
    return _commune_q(territory, "organisation__commune__") | Q(
        organisation__epci_id__in=Subquery(epcis)
    )


@dataclass(frozen=True)
class StaffMember:
    user: User
    territory: StaffTerritory
    label: str


async def staff_members() -> list[StaffMember]:
    """Every active staff account, by name, with its territory spelt out."""
    names = await reference()
    users = await User.filter(role=Role.STAFF, is_active=True).order_by("full_name", "id")
    return [StaffMember(u, territory_of(u), names.describe(territory_of(u))) for u in users]


class OwnAccount(Exception):
    """A staff member may not restrict their own account (they would lose this page)."""


async def set_territory(
    staff_id: int, departements: str, regions: str, *, by: User
) -> StaffTerritory | TerritoryErrors:
    """Give a staff account the territory typed; nothing is written when a code is unknown."""
    user = await User.get_or_none(id=staff_id, role=Role.STAFF, is_active=True)
    if user is None:
        raise NotFound("Ce compte de l’équipe n’existe pas.")
    names = await reference()
    parsed = parse_territory(departements, regions, names.departements, names.regions)
    if isinstance(parsed, TerritoryErrors):
        return parsed
    if user.id == by.id and not parsed.is_national:
        raise OwnAccount()
    await User.filter(id=user.id).update(territory=parsed.stored())
    return parsed

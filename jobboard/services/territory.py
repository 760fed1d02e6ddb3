"""Territory facts the eligibility rules need, read from the reference data."""

from __future__ import annotations

from jobboard.domain.eligibility import Territory
from jobboard.domain.french import commune_organisation_name
from jobboard.models import Commune, Organisation


async def territory_for(commune: Commune, organisation: Organisation | None) -> Territory:
    """The offer's commune of work for density; the employer (commune or EPCI) for PVD."""
    employer_is_epci = organisation is not None and organisation.kind == "epci"
    epci_has_pvd_member = False
    if employer_is_epci and organisation is not None:
        epci_has_pvd_member = await Commune.filter(
            epci_id=organisation.epci_id, pvd_id__isnull=False
        ).exists()
    return Territory(
        commune_name=commune.name,
        population=commune.population,
        density_level=commune.density_level,
        is_pvd=commune.is_pvd if not employer_is_epci else False,
        employer_is_epci=employer_is_epci,
        epci_has_pvd_member=epci_has_pvd_member,
    )


async def commune_organisation(commune: Commune) -> Organisation:
    """The employer organisation of a commune, created on first use."""
    organisation, _ = await Organisation.get_or_create(
        kind="commune", commune=commune, defaults={"name": commune_organisation_name(commune.name)}
    )
    return organisation

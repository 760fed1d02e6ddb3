"""Reference data: communes, PVD list and density grid imports."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from jobboard.models import Commune, Departement, Epci
from jobboard.services.reference import import_density, import_pvd


async def test_communes_keep_string_codes_and_their_epci(db: None) -> None:
    ajaccio = await Commune.get(insee="2A004").prefetch_related("departement", "region")
    assert ajaccio.departement.code == "2A"
    assert ajaccio.name == "Ajaccio"
    thizy = await Commune.get(insee="69248")
    assert thizy.name == "Thizy-les-Bourgs"
    assert thizy.epci_id is not None and await Epci.exists(siren=thizy.epci_id)
    assert await Departement.all().count() >= 101
    assert not await Commune.exists(insee="75101")  # arrondissements are not communes


async def test_pvd_samples_mark_the_seed_communes(db: None) -> None:
    for code in ("69248", "22203", "47106", "62215", "05050", "05017"):
        assert (await Commune.get(insee=code)).is_pvd, code
    carvin = await Commune.get(insee="62215")
    assert carvin.density_level == 2


async def test_pvd_import_reads_both_date_formats_and_reports_unknown_codes(
    db: None, tmp_path: Path
) -> None:
    path = tmp_path / "pvd.csv"
    path.write_text(
        "insee_com;lib_com;id_pvd;date_signature\n"
        "47106;Fumel;pvd-47-01-1;15/03/2021\n"
        "69248;Thizy-les-Bourgs;pvd-69-01-1;2021-04-02\n"
        "99999;Nulle part;pvd-99-01-1;2021-04-02\n"
        "05050;Espinasses;pvd-05-01-1;31/02/2021\n"
    )
    report = await import_pvd(path)
    assert report.loaded == 2 and report.unknown == ["99999"]
    assert report.errors == ["ligne 5 : date illisible : '31/02/2021'"]
    assert (await Commune.get(insee="47106")).pvd_signed_on == date(2021, 3, 15)
    # The list replaces the previous one.
    assert not (await Commune.get(insee="05050")).is_pvd


async def test_density_import_validates_levels(db: None, tmp_path: Path) -> None:
    path = tmp_path / "dens.csv"
    path.write_text("CODGEO,LIBGEO,DENS\n05050,Espinasses,3\n47106,Fumel,9\n")
    report = await import_density(path)
    assert report.loaded == 1
    assert len(report.errors) == 1
    assert (await Commune.get(insee="05050")).density_level == 3

"""Load reference data: communes, EPCI, départements, régions, the PVD list, the density grid."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from tortoise.transactions import in_transaction

from jobboard.domain.parsing import parse_date, parse_int
from jobboard.models import Commune, Departement, Epci, Region

BATCH = 2_000


@dataclass
class ImportReport:
    loaded: int = 0
    unknown: list[str] = field(default_factory=list)  # codes not in the communes reference
    errors: list[str] = field(default_factory=list)


def _rows(path: Path) -> Iterator[dict[str, str]]:
    """CSV rows as dicts whatever the delimiter (the official files use ',' or ';')."""
    text = path.read_text(encoding="utf-8-sig")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    for row in csv.DictReader(io.StringIO(text), delimiter=delimiter):
        yield {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}


async def import_communes(fixtures_dir: Path) -> int:
    """Upsert régions, départements, EPCI and communes from the derived CSV files.

    PVD membership and density are kept: they come from their own imports.
    """
    regions = [Region(code=r["code"], name=r["name"]) for r in _rows(fixtures_dir / "regions.csv")]
    departements = [
        Departement(code=r["code"], name=r["name"], region_id=r["region"])
        for r in _rows(fixtures_dir / "departements.csv")
    ]
    epcis = [
        Epci(siren=r["siren"], name=r["name"], nature=r["nature"])
        for r in _rows(fixtures_dir / "epci.csv")
    ]
    communes = [
        Commune(
            insee=r["insee"],
            name=r["name"],
            departement_id=r["departement"],
            region_id=r["region"],
            population=int(r["population"]) if r["population"] else None,
            siren=r["siren"] or None,
            postal_codes=r["postal_codes"],
            epci_id=r["epci_siren"] or None,
        )
        for r in _rows(fixtures_dir / "communes.csv")
    ]
    async with in_transaction():
        await Region.bulk_create(regions, on_conflict=["code"], update_fields=["name"])
        await Departement.bulk_create(
            departements, on_conflict=["code"], update_fields=["name", "region_id"]
        )
        await Epci.bulk_create(
            epcis, batch_size=BATCH, on_conflict=["siren"], update_fields=["name", "nature"]
        )
        await Commune.bulk_create(
            communes,
            batch_size=BATCH,
            on_conflict=["insee"],
            update_fields=[
                "name",
                "departement_id",
                "region_id",
                "population",
                "siren",
                "postal_codes",
                "epci_id",
            ],
        )
    return len(communes)


async def _known_codes(codes: Iterable[str]) -> set[str]:
    wanted = list(set(codes))
    known: set[str] = set()
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start : start + BATCH]
        rows = await Commune.filter(insee__in=chunk).values_list("insee", flat=True)
        known.update(str(code) for code in rows)
    return known


async def import_pvd(path: Path) -> ImportReport:
    """Replace PVD membership with the list in `path` (data.gouv.fr format)."""
    report = ImportReport()
    entries: dict[str, tuple[str, date | None]] = {}
    for line, row in enumerate(_rows(path), start=2):
        code = row.get("insee_com", "").zfill(5) if row.get("insee_com") else ""
        if not code or not row.get("id_pvd"):
            report.errors.append(f"ligne {line} : insee_com ou id_pvd manquant")
            continue
        # ISO (2021-03-15) or French (15/03/2021): the PVD file switched format in 2026.
        signed = parse_date(row["date_signature"]) if row.get("date_signature") else None
        if row.get("date_signature") and signed is None:
            report.errors.append(f"ligne {line} : date illisible : {row['date_signature']!r}")
            continue
        entries[code] = (row["id_pvd"], signed)
    known = await _known_codes(entries)
    report.unknown = sorted(set(entries) - known)
    async with in_transaction():
        await Commune.filter(pvd_id__isnull=False).update(pvd_id=None, pvd_signed_on=None)
        for code in sorted(known):
            pvd_id, signed = entries[code]
            await Commune.filter(insee=code).update(pvd_id=pvd_id, pvd_signed_on=signed)
    report.loaded = len(known)
    return report


_DENSITY_COLUMNS = ("dens", "densite", "degre_densite", "niveau_densite", "typo_degre_densite")


async def import_density(path: Path) -> ImportReport:
    """Set each commune's level on INSEE's 4-level density grid (CODGEO + DENS columns)."""
    report = ImportReport()
    levels: dict[str, int] = {}
    for line, row in enumerate(_rows(path), start=2):
        code = row.get("codgeo", "")
        raw = next((row[c] for c in _DENSITY_COLUMNS if row.get(c)), "")
        level = parse_int(raw, minimum=1, maximum=4)
        if not code or level is None:
            report.errors.append(f"ligne {line} : CODGEO ou niveau de densité (1 à 4) invalide")
            continue
        levels[code.zfill(5)] = level
    known = await _known_codes(levels)
    report.unknown = sorted(set(levels) - known)
    async with in_transaction():
        for level in (1, 2, 3, 4):
            codes = [c for c in known if levels[c] == level]
            for start in range(0, len(codes), BATCH):
                await Commune.filter(insee__in=codes[start : start + BATCH]).update(
                    density_level=level
                )
    report.loaded = len(known)
    return report

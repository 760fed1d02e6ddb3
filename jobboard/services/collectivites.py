"""Find a collectivité (commune or EPCI) by name, postal code, INSEE code or SIREN.

Used by the recruiter signup autocomplete. The ~35,000 communes and ~1,250 EPCI fit in memory
as a few folded strings each, which beats SQL LIKE for accent- and case-insensitive prefixes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import anyio

from jobboard.domain import parsing
from jobboard.models import Commune, Departement, Epci

_ABBREVIATIONS = {"st": "saint", "ste": "sainte"}
MAX_RESULTS = 8


def fold(text: str) -> str:
    """A name as the autocomplete compares it: « Plœuc-L'Hermitage » → « ploeuc l hermitage »,
    « St-Jean » → « saint jean »."""
    words = re.sub(r"[^a-z0-9]+", " ", parsing.fold(text)).split()
    return " ".join(_ABBREVIATIONS.get(w, w) for w in words)


@dataclass(frozen=True)
class Collectivite:
    value: str  # "commune:69248" or "epci:200070035", the form value
    name: str
    detail: str  # what tells homonyms apart: département and postal code, or SIREN
    folded: str
    codes: tuple[str, ...]  # INSEE, postal codes or SIREN a user may type
    population: int

    @property
    def label(self) -> str:
        return f"{self.name} – {self.detail}"


class Directory:
    def __init__(self, entries: list[Collectivite]) -> None:
        self.entries = entries
        self._by_value = {entry.value: entry for entry in entries}

    def get(self, value: str) -> Collectivite | None:
        return self._by_value.get(value)

    def search(self, query: str, limit: int = MAX_RESULTS) -> list[Collectivite]:
        query = query.strip()
        compact = query.replace(" ", "").upper()
        if re.fullmatch(r"\d{2,9}|2[AB]\d{0,3}", compact):
            hits = [e for e in self.entries if any(c.startswith(compact) for c in e.codes)]
            return sorted(hits, key=lambda e: (compact not in e.codes, -e.population))[:limit]
        words = fold(query).split()
        if not words or len(" ".join(words)) < 2:
            return []
        phrase = " ".join(words)
        ranked: list[tuple[int, int, Collectivite]] = []
        for entry in self.entries:
            name_words = entry.folded.split()
            if not all(any(n.startswith(w) for n in name_words) for w in words):
                continue
            rank = 0 if entry.folded == phrase else 1 if entry.folded.startswith(phrase) else 2
            ranked.append((rank, -entry.population, entry))
        ranked.sort(key=lambda t: (t[0], t[1], t[2].name))
        return [entry for _, _, entry in ranked[:limit]]


async def load_directory() -> Directory:
    departements = dict(await Departement.all().values_list("code", "name"))
    rows = await Commune.all().values_list(
        "insee", "name", "departement_id", "postal_codes", "population"
    )
    epcis = await Epci.all().values_list("siren", "name")
    epci_population = {siren: 0 for siren, _ in epcis}
    for epci_id, population in await Commune.filter(epci_id__isnull=False).values_list(
        "epci_id", "population"
    ):
        epci_population[epci_id] = epci_population.get(epci_id, 0) + (population or 0)

    def build() -> list[Collectivite]:
        entries = []
        for insee, name, dep, postal_codes, population in rows:
            postal = postal_codes.split()
            detail = f"{departements.get(dep, dep)} ({dep})"
            if postal:
                detail += f", {postal[0]}" if len(postal) == 1 else f", {postal[0]}…"
            entries.append(
                Collectivite(
                    value=f"commune:{insee}",
                    name=name,
                    detail=detail,
                    folded=fold(name),
                    codes=(insee, *postal),
                    population=population or 0,
                )
            )
        for siren, name in epcis:
            entries.append(
                Collectivite(
                    value=f"epci:{siren}",
                    name=name,
                    detail=f"intercommunalité, SIREN {siren}",
                    folded=fold(name),
                    codes=(siren,),
                    population=epci_population.get(siren, 0),
                )
            )
        return entries

    return Directory(await anyio.to_thread.run_sync(build))

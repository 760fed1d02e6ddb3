"""Diploma levels on the 2019 national scale (décret 2019-14), stored as integers."""

from __future__ import annotations

DIPLOMA_LEVELS: dict[int, str] = {
    3: "Niveau 3 – CAP, BEP",
    4: "Niveau 4 – baccalauréat",
    5: "Niveau 5 – bac+2 (BTS, DUT)",
    6: "Niveau 6 – bac+3/4 (licence, BUT, master 1)",
    7: "Niveau 7 – bac+5 (master, diplôme d'ingénieur)",
    8: "Niveau 8 – doctorat",
}

BAC_PLUS_2 = 5


def diploma_label(level: int | None) -> str:
    """The French label of a level; unknown levels are said plainly rather than hidden."""
    if level is None:
        return "Non précisé"
    return DIPLOMA_LEVELS.get(level, f"Niveau {level}")

"""Diploma levels on the 2019 national scale (décret 2019-14), stored as integers."""

from __future__ import annotations

# What each level is called in a sentence (« bac+2 minimum »).
DIPLOMA_NAMES: dict[int, str] = {
    3: "CAP, BEP",
    4: "baccalauréat",
    5: "bac+2",
    6: "bac+3/4",
    7: "bac+5",
    8: "doctorat",
}
_EXAMPLES = {5: "BTS, DUT", 6: "licence, BUT, master 1", 7: "master, diplôme d’ingénieur"}

# « Niveau 5 – bac+2 (BTS, DUT) », as lists and pages show a level.
DIPLOMA_LEVELS: dict[int, str] = {
    level: f"Niveau {level} – {name}" + (f" ({_EXAMPLES[level]})" if level in _EXAMPLES else "")
    for level, name in DIPLOMA_NAMES.items()
}

BAC_PLUS_2 = 5


def diploma_label(level: int | None) -> str:
    """The French label of a level; unknown levels are said plainly rather than hidden."""
    if level is None:
        return "Non précisé"
    return DIPLOMA_LEVELS.get(level, f"Niveau {level}")

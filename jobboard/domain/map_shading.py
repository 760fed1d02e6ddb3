"""Shades of the map of offers by département: four steps of equal width up to the largest
count, and a fifth for none. Pure arithmetic, so the legend always matches the colours."""

from __future__ import annotations

from dataclasses import dataclass

STEPS = 4


@dataclass(frozen=True)
class Shade:
    step: int  # 0 for no offer, else 1 (fewest) … STEPS (most)
    low: int
    high: int

    @property
    def label(self) -> str:
        if self.step == 0:
            return "Aucune offre"
        if self.low == self.high:
            return f"{self.low} offre{'s' if self.low > 1 else ''}"
        return f"De {self.low} à {self.high} offres"


def step_of(count: int, maximum: int) -> int:
    """The shade of a département with `count` offers when the busiest has `maximum`."""
    if count <= 0 or maximum <= 0:
        return 0
    return min(STEPS, -(-count * STEPS // maximum))  # ceil(count × STEPS / maximum)


def legend(maximum: int) -> list[Shade]:
    """Every shade in use for counts up to `maximum`, with the counts each covers
    (a step no whole number falls into is left out: with 2 offers at most, two steps)."""
    shades = [Shade(0, 0, 0)]
    for step in range(1, STEPS + 1):
        low = (step - 1) * maximum // STEPS + 1
        high = step * maximum // STEPS
        if low <= high:
            shades.append(Shade(step, low, high))
    return shades


def offers_label(count: int) -> str:
    """« 3 offres », « 1 offre », « aucune offre »."""
    if count == 0:
        return "aucune offre"
    return f"{count:_} offre{'s' if count > 1 else ''}".replace("_", "\u202f")

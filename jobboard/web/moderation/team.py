"""The staff team and each member's territory (« Équipe »): national staff edit them; staff
with a territory get the 403 page here (they may still browse the national views)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from jobboard.domain.account import Role
from jobboard.domain.errors import NotFound
from jobboard.domain.parsing import parse_int
from jobboard.domain.staff_territory import TerritoryErrors
from jobboard.services import staff_territory
from jobboard.web.auth import signed_in, user_of
from jobboard.web.forms import form_fields
from jobboard.web.session import flash
from jobboard.web.state import templates


def _national_only(request: Request) -> None:
    if not staff_territory.territory_of(user_of(request)).is_national:
        raise HTTPException(403)


async def _team_page(
    request: Request,
    *,
    editing: int | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return templates().page(
        request,
        "moderation/team.html",
        {
            "members": await staff_territory.staff_members(),
            "me": user_of(request),
            "editing": editing,
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status_code,
    )


@signed_in(Role.STAFF)
async def team(request: Request) -> Response:
    _national_only(request)
    return await _team_page(request)


@signed_in(Role.STAFF)
async def team_territory(request: Request) -> Response:
    """Set one staff member's territory; an unknown code answers 400 and writes nothing."""
    _national_only(request)
    staff_id = parse_int(str(request.path_params["user_id"]))
    if staff_id is None:
        raise NotFound()
    form = await form_fields(request)
    departements = str(form.get("departements", ""))[:500]
    regions = str(form.get("regions", ""))[:500]
    values = {"departements": departements, "regions": regions}
    try:
        result = await staff_territory.set_territory(
            staff_id, departements, regions, by=user_of(request)
        )
    except staff_territory.OwnAccount:
        errors = {
            "departements": "Vous ne pouvez pas restreindre votre propre compte : vous perdriez "
            "cette page. Demandez-le à un autre membre national de l’équipe."
        }
        return await _team_page(
            request, editing=staff_id, errors=errors, values=values, status_code=400
        )
    if isinstance(result, TerritoryErrors):
        return await _team_page(
            request, editing=staff_id, errors=result.errors, values=values, status_code=400
        )
    label = (await staff_territory.reference()).describe(result)
    flash(request, f"Territoire enregistré : {label}.")
    return RedirectResponse("/moderation/equipe", status_code=303)

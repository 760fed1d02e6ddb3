"""Staff verify or refuse the recruiter accounts waiting for it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from jobboard.domain.account import Role, Verification
from jobboard.domain.errors import NotFound, Refused
from jobboard.domain.parsing import parse_int
from jobboard.services import accounts
from jobboard.services.staff_territory import recruiter_q
from jobboard.settings import Settings
from jobboard.web.auth import signed_in, user_of
from jobboard.web.forms import form_fields
from jobboard.web.moderation.territory import territory_view
from jobboard.web.session import flash
from jobboard.web.state import templates


async def _accounts_page(
    request: Request,
    errors: dict[int, str] | None = None,
    reasons: dict[int, str] | None = None,
    status_code: int = 200,
) -> Response:
    view = await territory_view(request, "/moderation/comptes")
    where = recruiter_q(view.territory)
    return templates().page(
        request,
        "moderation/accounts.html",
        {
            "recruiters": await accounts.pending_recruiters(where),
            "recent": await accounts.recently_decided_recruiters(where=where),
            "territory_view": view,
            "errors": errors or {},
            "reasons": reasons or {},
        },
        status_code=status_code,
    )


@signed_in(Role.STAFF)
async def account_queue(request: Request) -> Response:
    return await _accounts_page(request)


@signed_in(Role.STAFF)
async def account_decide(request: Request) -> Response:
    recruiter_id = parse_int(str(request.path_params["user_id"]))
    if recruiter_id is None:
        raise NotFound()
    form = await form_fields(request)
    decision = form.get("decision")
    reason = str(form.get("reason", ""))
    if decision not in ("verifier", "refuser"):
        raise Refused("Choisissez « Vérifier » ou « Refuser ».")
    settings: Settings = request.app.state.settings
    back = "/moderation/comptes" + (await territory_view(request)).query
    try:
        recruiter = await accounts.decide_recruiter(
            recruiter_id,
            user_of(request),
            verify=decision == "verifier",
            reason=reason,
            settings=settings,
        )
    except accounts.FormInvalid as invalid:
        return await _accounts_page(
            request, {recruiter_id: invalid.errors["reason"]}, {recruiter_id: reason}, 400
        )
    except NotFound:
        flash(request, "Ce compte a déjà été traité ou n’existe pas.", "warning")
        return RedirectResponse(back, status_code=303)
    if recruiter.verification == Verification.VERIFIED:
        flash(request, f"Le compte de {recruiter.full_name} est vérifié ; un e-mail l’en informe.")
    else:
        flash(
            request,
            f"Le compte de {recruiter.full_name} est refusé ; le motif lui est envoyé.",
            "info",
        )
    return RedirectResponse(back, status_code=303)

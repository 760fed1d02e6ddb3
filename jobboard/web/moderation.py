"""ANCT staff: recruiter accounts waiting for verification."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from jobboard.models import User
from jobboard.services import accounts
from jobboard.settings import Settings
from jobboard.web.auth import signed_in, user_of
from jobboard.web.forms import form_fields
from jobboard.web.session import flash
from jobboard.web.state import templates


async def _accounts_page(
    request: Request,
    errors: dict[int, str] | None = None,
    reasons: dict[int, str] | None = None,
    status_code: int = 200,
) -> Response:
    recruiters = await accounts.pending_recruiters()
    recent = (
        await User.filter(role="recruiter", verification__in=("verified", "refused"))
        .select_related("organisation")
        .order_by("-id")
        .limit(20)
    )
    return templates().page(
        request,
        "moderation/accounts.html",
        {
            "recruiters": recruiters,
            "recent": recent,
            "errors": errors or {},
            "reasons": reasons or {},
        },
        status_code=status_code,
    )


@signed_in("staff")
async def account_queue(request: Request) -> Response:
    return await _accounts_page(request)


@signed_in("staff")
async def account_decide(request: Request) -> Response:
    recruiter_id = accounts.parse_int(str(request.path_params["user_id"]))
    if recruiter_id is None:
        raise HTTPException(404)
    form = await form_fields(request)
    decision = form.get("decision")
    reason = str(form.get("reason", ""))
    if decision not in ("verifier", "refuser"):
        raise HTTPException(400, "Choisissez « Vérifier » ou « Refuser ».")
    settings: Settings = request.app.state.settings
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
    except LookupError:
        flash(request, "Ce compte a déjà été traité ou n'existe pas.", "warning")
        return RedirectResponse("/moderation/comptes", status_code=303)
    if recruiter.verification == "verified":
        flash(request, f"Le compte de {recruiter.full_name} est vérifié ; un e-mail l'en informe.")
    else:
        flash(
            request,
            f"Le compte de {recruiter.full_name} est refusé ; le motif lui est envoyé.",
            "info",
        )
    return RedirectResponse("/moderation/comptes", status_code=303)

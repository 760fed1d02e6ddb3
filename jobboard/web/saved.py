"""« Sauvegarder » on offers, and the candidate's « Mes offres sauvegardées ».

The toggle is a plain POST form (CSRF field, `suivant` to come back to); htmx posts the same
form and swaps only the form it came from (a morph, so the button keeps the focus).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from jobboard.clock import today
from jobboard.domain.account import Role
from jobboard.domain.errors import NotFound, Refused
from jobboard.domain.parsing import parse_int
from jobboard.models import Offer
from jobboard.services import saved_offers
from jobboard.services.offer_marks import marks_for
from jobboard.web import htmx
from jobboard.web.accounts import safe_next
from jobboard.web.auth import signed_in, user_of
from jobboard.web.forms import form_fields
from jobboard.web.session import flash
from jobboard.web.state import templates

SAVED_PAGE = "/espace/candidat/sauvegardes"
STATES = {"oui": True, "non": False}


@signed_in(Role.CANDIDATE)
async def offer_save(request: Request) -> Response:
    user = user_of(request)
    offer_id = parse_int(str(request.path_params["offer_id"]))
    fields = await form_fields(request)
    wanted = STATES.get(fields.get("etat", ""))
    back = safe_next(fields.get("suivant"), f"/offres/{offer_id}" if offer_id else "/offres")
    error = ""
    saved = False
    status_code = 200
    try:
        if offer_id is None:
            raise NotFound("Cette offre n’existe pas ou n’est plus en ligne.")
        if wanted is None:
            raise Refused("Choix de sauvegarde inconnu (oui ou non).")
        saved = await saved_offers.set_saved(user, offer_id, wanted, today())
    except (NotFound, Refused) as refused:
        if not htmx.wants_fragment(request):
            raise
        error, saved = refused.message, not wanted if wanted is not None else False
        status_code = 404 if isinstance(refused, NotFound) else 400
    if not htmx.wants_fragment(request):
        flash(
            request,
            "L’offre est sauvegardée : retrouvez-la dans « Mes offres sauvegardées »."
            if saved
            else "L’offre est retirée de vos offres sauvegardées.",
            "info",
        )
        return htmx.vary(RedirectResponse(back, status_code=303))
    offer = await Offer.get_or_none(id=offer_id) if offer_id is not None else None
    return htmx.vary(
        templates().page(
            request,
            "offers/_save_button.html",
            {
                "save_offer_id": offer_id,
                "save_title": offer.title if offer else "",
                "saved": saved,
                "save_back": back,
                "save_error": error,
            },
            status_code=status_code,
        )
    )


@signed_in(Role.CANDIDATE)
async def saved_list(request: Request) -> Response:
    user = user_of(request)
    day = today()
    entries = await saved_offers.saved_list(user, day)
    marks = await marks_for(user, [entry.offer for entry in entries], day)
    return templates().page(
        request,
        "candidate/saved.html",
        {"user": user, "entries": entries, "marks": marks, "today": day},
    )

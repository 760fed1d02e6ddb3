"""The talent pool (« vivier »): the staff search, and the candidate's one-click withdrawal.

The search page shows no name, e-mail address or birth date (`services.talent_pool`); its
filters come from the query string, and a value it cannot read is named in French with a 400.
"""

from __future__ import annotations

from collections.abc import Container
from datetime import date
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from jobboard.clock import today
from jobboard.domain.account import Role
from jobboard.domain.diploma import DIPLOMA_NAMES
from jobboard.domain.errors import NotFound, Refused
from jobboard.domain.parsing import parse_int
from jobboard.domain.talent_pool import (
    MAX_CANDIDATES_PER_PROPOSAL,
    PROPOSAL_MESSAGE_MAX_LENGTH,
    WITHIN_VTA_AGES,
)
from jobboard.formats import date_fr
from jobboard.models import Offer
from jobboard.services import proposals, staff_territory, talent_pool
from jobboard.services.visibility import is_visible
from jobboard.web.auth import signed_in, user_of
from jobboard.web.board import _choices
from jobboard.web.forms import day_param, form_fields
from jobboard.web.moderation.territory import territory_view
from jobboard.web.session import flash
from jobboard.web.state import templates

Q_MAX_LENGTH = 200


def _several(
    request: Request, name: str, allowed: Container[str], unknown: str, errors: list[str]
) -> tuple[str, ...]:
    """The values of a repeated parameter; `unknown` names a value not in `allowed`."""
    values = tuple(v for v in request.query_params.getlist(name) if v)
    strangers = [v for v in values if v not in allowed]
    if strangers:
        errors.append(f"{unknown}\u202f: {', '.join(strangers[:5])[:80]}.")
    return tuple(v for v in values if v in allowed)


def _day(request: Request, name: str, label: str, errors: list[str]) -> date | None:
    raw = request.query_params.get(name, "")
    if not raw:
        return None
    parsed = day_param(raw)
    if parsed is None:
        errors.append(f"{label} invalide : format attendu JJ/MM/AAAA.")
    return parsed


async def _filters(
    request: Request, choices: dict[str, Any], fixed_offer: Offer | None = None
) -> tuple[talent_pool.PoolFilters, Offer | None, list[str]]:
    """The filters of the query string; the offer is `fixed_offer` when the page has one (a
    recruiter's), else `?offre=`."""
    errors: list[str] = []
    params = request.query_params
    min_diploma = None
    if params.get("diplome"):
        min_diploma = parse_int(params["diplome"])
        if min_diploma not in DIPLOMA_NAMES:
            errors.append("Niveau de diplôme inconnu.")
            min_diploma = None
    start = _day(request, "du", "Date de début", errors)
    end = _day(request, "au", "Date de fin", errors)
    if start and end and start > end:
        errors.append("La date de début est après la date de fin : elles ont été inversées.")
        start, end = end, start
    q = params.get("q", "").strip()
    if len(q) > Q_MAX_LENGTH:
        errors.append(f"La recherche est limitée à {Q_MAX_LENGTH} caractères.")
        q = q[:Q_MAX_LENGTH]
    offer = fixed_offer
    if fixed_offer is None and params.get("offre"):
        offer_id = parse_int(params["offre"])
        offer = await Offer.get_or_none(id=offer_id) if offer_id is not None else None
        if offer is None:
            errors.append("Offre inconnue : l’âge au début de la mission n’est pas calculé.")
    filters = talent_pool.PoolFilters(
        min_diploma=min_diploma,
        themes=_several(request, "theme", choices["themes"], "Thématique inconnue", errors),
        kinds=_several(request, "type", choices["kinds"], "Type d’offre inconnu", errors),
        departements=_several(
            request, "departement", choices["departement_names"], "Département inconnu", errors
        ),
        regions=_several(request, "region", choices["region_names"], "Région inconnue", errors),
        available_from=start,
        available_until=end,
        q=q,
    )
    return filters, offer, errors


def _facts(candidate: talent_pool.PoolCandidate, choices: dict[str, Any]) -> list[tuple[str, str]]:
    """What the page says of a pooled candidate, in French, labels rather than codes."""

    def names(values: set[str], labels: dict[Any, str]) -> str:
        return ", ".join(sorted(labels.get(v, v) for v in values)) or "–"

    facts = [("Diplôme", DIPLOMA_NAMES.get(candidate.diploma_level or 0, "non renseigné"))]
    if candidate.age_band:
        facts.append(("Âge", candidate.age_band))
    facts += [
        ("Types d’offres visées", names(candidate.kinds, choices["kinds"])),
        ("Thématiques", names(candidate.themes, choices["themes"])),
        ("Départements", names(candidate.departements, choices["departement_names"])),
        ("Régions", names(candidate.regions, choices["region_names"])),
        (
            "Débuts de mission demandés",
            ", ".join(date_fr(d) for d in sorted(candidate.start_dates)),
        ),
        ("Dans le vivier jusqu’au", date_fr(candidate.until)),
    ]
    return facts


async def _pool_page(
    request: Request,
    *,
    recruiter_offer: Offer | None = None,
    proposal_error: str = "",
    typed_message: str = "",
    ticked: Container[int] = (),
) -> Response:
    """The pool search; with an offer that takes applications, each candidate's standing for
    it and the form that proposes it to those ticked. Staff choose the offer (`?offre=`); a
    recruiter with access searches for one offer of theirs, `recruiter_offer`."""
    choices = await _choices(request)
    filters, offer, errors = await _filters(request, choices, recruiter_offer)
    found = await talent_pool.search(
        filters,
        offer=offer,
        hide_organisation=recruiter_offer.organisation_id if recruiter_offer else None,
    )
    proposable = offer is not None and is_visible(offer, today())
    standings = (
        await proposals.standing_by_number(offer, [c.number for c in found])
        if offer is not None and proposable
        else {}
    )
    context: dict[str, Any] = {
        **choices,
        "space": "recruiter" if recruiter_offer is not None else "staff",
        "filters": filters,
        "offer": offer,
        "proposable": proposable,
        "standings": standings,
        "found": [(candidate, _facts(candidate, choices)) for candidate in found],
        "errors": errors,
        "proposal_error": proposal_error,
        "typed_message": typed_message,
        "ticked": ticked,
        "page_size": talent_pool.PAGE_SIZE,
        "diploma_names": DIPLOMA_NAMES,
        "within_vta_ages": WITHIN_VTA_AGES,
        "max_candidates": MAX_CANDIDATES_PER_PROPOSAL,
        "message_max_length": PROPOSAL_MESSAGE_MAX_LENGTH,
        "unanswered": [],
        "accesses": [],
        "openable": [],
    }
    if recruiter_offer is not None:
        base = f"/espace/recruteur/offres/{recruiter_offer.id}"
        context.update(search_url=f"{base}/vivier", propose_url=f"{base}/propositions")
    else:
        view = await territory_view(request)
        context.update(
            search_url="/moderation/vivier",
            propose_url=f"/moderation/offres/{offer.id}/propositions" if offer else "",
            territory=view,
        )
        if offer is None:
            openable = await proposals.departements_of(
                staff_territory.territory_of(user_of(request))
            )
            context.update(
                unanswered=await proposals.offers_without_applications(
                    Offer.filter(staff_territory.offer_q(view.territory))
                ),
                accesses=await proposals.open_accesses(),
                openable=openable,
                openable_codes={d.code for d in openable},
            )
    return templates().page(
        request,
        "moderation/talent_pool.html",
        context,
        status_code=400 if errors or proposal_error else 200,
    )


async def _propose(request: Request, offer: Offer, recruiter_offer: Offer | None) -> Response:
    fields = await form_fields(request)
    numbers = fields.getlist("candidats")
    message = fields.get("message", "")
    try:
        made = await proposals.propose(
            offer, numbers, message, user_of(request), request.app.state.settings
        )
    except Refused as refused:
        return await _pool_page(
            request,
            recruiter_offer=recruiter_offer,
            proposal_error=refused.message,
            typed_message=message,
            ticked={int(n) for n in numbers if n.isascii() and n.isdigit() and len(n) < 10},
        )
    flash(
        request,
        f"Offre proposée à {len(made)} candidat·e{'s' if len(made) > 1 else ''} du vivier\u202f: "
        "chacun·e reçoit un e-mail.",
    )
    back = (
        f"/espace/recruteur/offres/{offer.id}/candidatures#propositions"
        if recruiter_offer is not None
        else f"/moderation/offres/{offer.id}#propositions"
    )
    return RedirectResponse(back, status_code=303)


@signed_in(Role.STAFF)
async def pool_search(request: Request) -> Response:
    return await _pool_page(request)


@signed_in(Role.STAFF)
async def pool_propose(request: Request) -> Response:
    """« Proposer cette offre » to the candidates ticked on the pool page (its filters ride in
    the query string, so a refusal shows the same page again with the reasons)."""
    offer_id = parse_int(str(request.path_params["offer_id"]))
    offer = await Offer.get_or_none(id=offer_id) if offer_id is not None else None
    if offer is None:
        raise NotFound("Cette offre n’existe pas.")
    return await _propose(request, offer, None)


@signed_in(Role.STAFF)
async def pool_access(request: Request) -> Response:
    """Open (or close) the pool to a département's verified recruiters."""
    fields = await form_fields(request)
    code = fields.get("departement", "")
    opened = fields.get("ouvrir") == "oui"
    try:
        await proposals.set_access(code, opened, user_of(request))
    except proposals.OutsideTerritory:
        raise HTTPException(403, "Ce département n’est pas dans votre territoire.") from None
    flash(
        request,
        f"Vivier ouvert aux recruteurs vérifiés du département {code}."
        if opened
        else f"Vivier fermé aux recruteurs du département {code}.",
    )
    return RedirectResponse("/moderation/vivier#acces", status_code=303)


async def _recruiter_offer(request: Request) -> Offer:
    """The recruiter's own offer of the URL, if staff opened the pool to its département."""
    user = user_of(request)
    offer_id = parse_int(str(request.path_params["offer_id"]))
    offer = await Offer.get_or_none(id=offer_id) if offer_id is not None else None
    if offer is None or offer.organisation_id != user.organisation_id:
        raise NotFound()
    if not await proposals.recruiter_may_propose(user, offer):
        raise HTTPException(
            403, "L’ANCT n’a pas ouvert son vivier aux recruteurs de votre département."
        )
    return offer


@signed_in(Role.RECRUITER)
async def recruiter_pool(request: Request) -> Response:
    return await _pool_page(request, recruiter_offer=await _recruiter_offer(request))


@signed_in(Role.RECRUITER)
async def recruiter_propose(request: Request) -> Response:
    offer = await _recruiter_offer(request)
    return await _propose(request, offer, offer)


@signed_in(Role.CANDIDATE)
async def pool_withdraw(request: Request) -> Response:
    """Leave the pool in one click: the consent is cleared on every application."""
    if await talent_pool.withdraw(user_of(request)):
        flash(
            request,
            "Vous avez quitté le vivier : plus aucune offre ne vous sera proposée, et vos "
            "candidatures ne seront pas gardées pour d’autres recrutements.",
        )
    return RedirectResponse("/espace/candidat", status_code=303)

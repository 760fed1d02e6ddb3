"""The talent pool (« vivier »): the staff search, and the candidate's one-click withdrawal.

The search page shows no name, e-mail address or birth date (`services.talent_pool`); its
filters come from the query string, and a value it cannot read is named in French with a 400.
"""

from __future__ import annotations

from collections.abc import Container
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from jobboard.domain.account import Role
from jobboard.domain.diploma import DIPLOMA_NAMES
from jobboard.domain.parsing import parse_int
from jobboard.domain.talent_pool import WITHIN_VTA_AGES
from jobboard.formats import date_fr
from jobboard.models import Offer
from jobboard.services import talent_pool
from jobboard.web.auth import signed_in, user_of
from jobboard.web.board import _choices
from jobboard.web.forms import day_param
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
    request: Request, choices: dict[str, Any]
) -> tuple[talent_pool.PoolFilters, Offer | None, list[str]]:
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
    offer = None
    if params.get("offre"):
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


@signed_in(Role.STAFF)
async def pool_search(request: Request) -> Response:
    choices = await _choices(request)
    filters, offer, errors = await _filters(request, choices)
    found = await talent_pool.search(filters, offer=offer)
    return templates().page(
        request,
        "moderation/talent_pool.html",
        {
            **choices,
            "filters": filters,
            "offer": offer,
            "found": [(candidate, _facts(candidate, choices)) for candidate in found],
            "errors": errors,
            "page_size": talent_pool.PAGE_SIZE,
            "diploma_names": DIPLOMA_NAMES,
            "within_vta_ages": WITHIN_VTA_AGES,
        },
        status_code=400 if errors else 200,
    )


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

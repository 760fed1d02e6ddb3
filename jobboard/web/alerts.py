"""E-mail alerts: « Créer une alerte » from the board, the signed links, « Mes alertes ».

The board's box is a GET form (a visitor's board page carries no session, so no CSRF form)
leading to `/alertes/nouvelle`, where a visitor gives an address; a signed-in candidate's box
posts straight to it (one click). The unsubscribe link answers a plain GET from the e-mail and
RFC 8058's one-click POST, which comes without a session or CSRF token (the CSRF middleware
lets exactly that route through).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from jobboard.domain.account import Role
from jobboard.domain.alerts import (
    FREQUENCY_LABELS,
    FREQUENCY_SLUGS,
    MAX_ALERTS_PER_ADDRESS,
    STATUS_LABELS,
    AlertFrequency,
    describe,
    parse_frequency,
)
from jobboard.domain.board_query import BoardQuery, parse_board_query
from jobboard.domain.errors import Refused
from jobboard.domain.parsing import parse_int
from jobboard.domain.retention import UNSUBSCRIBED_ALERT
from jobboard.services import alerts
from jobboard.settings import Settings
from jobboard.web.auth import current_user, public, signed_in, user_of
from jobboard.web.board import _choices
from jobboard.web.errors import render_error
from jobboard.web.forms import form_fields
from jobboard.web.session import flash
from jobboard.web.state import templates

MAX_SEARCH_LENGTH = 1000


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _search_params(raw: str) -> dict[str, str]:
    if len(raw) > MAX_SEARCH_LENGTH:
        raise Refused("Cette recherche est trop longue pour être enregistrée en alerte.")
    return dict(parse_qsl(raw, keep_blank_values=True))


def _summary(params: dict[str, str], choices: dict[str, object]) -> tuple[BoardQuery, str]:
    query, _ = parse_board_query(
        params,
        departements=choices["departement_names"],  # type: ignore[arg-type]
        regions=choices["region_names"],  # type: ignore[arg-type]
    )
    return query, describe(query, _names(choices))


def _names(choices: dict[str, object]) -> dict[str, dict[str, str]]:
    return {
        "departement": choices["departement_names"],  # type: ignore[dict-item]
        "region": choices["region_names"],  # type: ignore[dict-item]
    }


def _form(
    request: Request,
    *,
    search: str,
    summary: str,
    frequency: str,
    name: str = "",
    email: str = "",
    error: str = "",
    field: str = "",
    status_code: int = 200,
) -> Response:
    return templates().page(
        request,
        "alerts/new.html",
        {
            "search": search,
            "summary": summary,
            "frequency": frequency,
            "frequencies": FREQUENCY_LABELS,
            "slugs": FREQUENCY_SLUGS,
            "name": name,
            "email": email,
            "error": error,
            "field": field,
            "maximum": MAX_ALERTS_PER_ADDRESS,
            "user": current_user(request),
        },
        status_code=status_code,
    )


@public
async def alert_new(request: Request) -> Response:
    """GET: the form for the search in `recherche`; POST: the alert is created."""
    choices = await _choices(request)
    user = current_user(request)
    candidate = user if user is not None and user.role == Role.CANDIDATE else None
    if request.method == "GET":
        raw = request.query_params.get("recherche", "")
        frequency = request.query_params.get("frequence", FREQUENCY_SLUGS[AlertFrequency.WEEKLY])
        params = _search_params(raw)
        query, errors = parse_board_query(
            params,
            departements=choices["departement_names"],
            regions=choices["region_names"],
        )
        if errors:
            raise Refused(errors[0].message)
        return _form(
            request, search=raw, summary=describe(query, _names(choices)), frequency=frequency
        )
    fields = await form_fields(request)
    raw = fields.get("recherche", "")
    frequency_slug = fields.get("frequence", "")
    name = fields.get("nom", "")
    email = fields.get("email", "").strip()
    params = _search_params(raw)
    _, summary = _summary(params, choices)
    try:
        alert = await alerts.create_alert(
            params,
            frequency=parse_frequency(frequency_slug),
            name=name,
            user=candidate,
            email=email,
            settings=_settings(request),
            departements=choices["departement_names"],
            regions=choices["region_names"],
            names=_names(choices),
        )
    except Refused as refused:
        return _form(
            request,
            search=raw,
            summary=summary,
            frequency=frequency_slug,
            name=name,
            email=email,
            error=refused.message,
            field=refused.field,
            status_code=400,
        )
    if candidate is not None:
        flash(
            request,
            f"L’alerte « {alert.name} » est créée : "
            f"{FREQUENCY_LABELS[AlertFrequency(alert.frequency)].lower()}, les nouvelles offres "
            "de cette recherche vous seront envoyées par e-mail.",
        )
        return RedirectResponse(alerts.ALERTS_PAGE, status_code=303)
    return templates().page(request, "alerts/sent.html", {"alert": alert, "summary": summary})


def _link_error(request: Request, error: alerts.AlertLinkError) -> Response:
    return render_error(request, error.status_code, error.message)


@public
async def alert_confirm(request: Request) -> Response:
    try:
        alert = await alerts.confirm(str(request.path_params["token"]), _settings(request))
    except alerts.AlertLinkError as error:
        return _link_error(request, error)
    return templates().page(
        request,
        "alerts/confirmed.html",
        {"alert": alert, "frequency": FREQUENCY_LABELS[AlertFrequency(alert.frequency)]},
    )


@public
async def alert_unsubscribe(request: Request) -> Response:
    """The digest's link (GET) and the mail client's one-click POST (RFC 8058) both stop it."""
    token = str(request.path_params["token"])
    try:
        alert = await alerts.unsubscribe(token, _settings(request))
    except alerts.AlertLinkError as error:
        return _link_error(request, error)
    return templates().page(
        request,
        "alerts/unsubscribed.html",
        {"alert": alert, "link_token": token, "keep_for": UNSUBSCRIBED_ALERT.label},
    )


@public
async def alert_undo(request: Request) -> Response:
    token = str(request.path_params["token"])
    try:
        alert = await alerts.undo_unsubscribe(token, _settings(request))
    except alerts.AlertLinkError as error:
        return _link_error(request, error)
    return templates().page(
        request,
        "alerts/resumed.html",
        {"alert": alert, "frequency": FREQUENCY_LABELS[AlertFrequency(alert.frequency)]},
    )


@signed_in(Role.CANDIDATE)
async def alert_list(request: Request) -> Response:
    user = user_of(request)
    rows = await alerts.alerts_of(user)
    choices = await _choices(request)
    entries = []
    for alert in rows:
        params = dict(parse_qsl(alert.query, keep_blank_values=True))
        _, summary = _summary(params, choices)
        entries.append((alert, summary))
    return templates().page(
        request,
        "alerts/list.html",
        {
            "user": user,
            "entries": entries,
            "frequencies": FREQUENCY_LABELS,
            "slugs": FREQUENCY_SLUGS,
            "statuses": STATUS_LABELS,
            "maximum": MAX_ALERTS_PER_ADDRESS,
        },
    )


@signed_in(Role.CANDIDATE)
async def alert_change(request: Request) -> Response:
    user = user_of(request)
    fields = await form_fields(request)
    alert_id = parse_int(str(request.path_params["alert_id"]))
    message = await alerts.change(user, alert_id, fields.get("action", ""), fields)
    flash(request, message, "info")
    return RedirectResponse(alerts.ALERTS_PAGE, status_code=303)

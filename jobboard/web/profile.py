"""« Mon compte »: a user edits their profile and changes their e-mail address."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from jobboard.clock import today
from jobboard.domain.errors import Refused
from jobboard.services import profile
from jobboard.services.accounts import FormInvalid
from jobboard.settings import Settings
from jobboard.web import throttle
from jobboard.web.accounts import MAX_TOKEN_LENGTH, account_page
from jobboard.web.auth import current_user, public, signed_in, user_of
from jobboard.web.forms import form_fields
from jobboard.web.session import flash

_LINK_INVALID = (
    "Ce lien de changement d’adresse n’est pas valable : il a déjà servi, il a expiré ou "
    "une autre demande l’a remplacé. Refaites la demande depuis la page « Mon compte »."
)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _back() -> Response:
    return RedirectResponse("/espace/compte", status_code=303)


@signed_in()
async def profile_update(request: Request) -> Response:
    user = user_of(request)
    form = await form_fields(request)
    typed = {name: str(form.get(name, ""))[:200] for name in profile.ProfileForm.FIELDS}
    try:
        await profile.update_profile(user, profile.ProfileForm(**typed), today())
    except FormInvalid as invalid:
        return await account_page(request, user, invalid.errors, 400, typed=typed)
    flash(request, "Vos informations sont enregistrées.")
    return _back()


@signed_in()
async def email_change(request: Request) -> Response:
    """Sends the link to the new address; the account keeps its address until it is followed.
    Counted before the password is checked, so the form cannot be used to guess it."""
    user = user_of(request)
    form = await form_fields(request)
    new_email = str(form.get("new_email", "")).strip()[:254]
    typed = {"new_email": new_email}
    limiter: throttle.Throttle = request.app.state.throttle
    if not await limiter.hit(throttle.RESET_PER_ACCOUNT, f"email-change-{user.id}"):
        errors = {"new_email": throttle.RESET_PER_ACCOUNT.message}
        return await account_page(request, user, errors, 429, typed=typed)
    try:
        address = await profile.request_email_change(
            user, new_email, str(form.get("email_password", "")), _settings(request)
        )
    except FormInvalid as invalid:
        return await account_page(request, user, invalid.errors, 400, typed=typed)
    flash(
        request,
        f"Un lien de confirmation a été envoyé à {address}. Votre adresse actuelle reste celle "
        "du compte jusqu’à ce que vous l’ouvriez.",
        "info",
    )
    return _back()


@public
async def email_change_confirm(request: Request) -> Response:
    """The link sent to the new address: works in any browser, signed in or not (it signs
    nobody in)."""
    token = request.query_params.get("jeton", "")[:MAX_TOKEN_LENGTH]
    try:
        user = await profile.confirm_email_change(token, _settings(request))
    except FormInvalid as invalid:
        raise Refused(invalid.errors["new_email"]) from None
    if user is None:
        raise Refused(_LINK_INVALID)
    flash(
        request,
        f"Votre adresse e-mail est désormais {user.email} : utilisez-la pour vous connecter.",
    )
    signed = current_user(request)
    return RedirectResponse(
        "/espace/compte" if signed and signed.id == user.id else "/connexion", status_code=303
    )

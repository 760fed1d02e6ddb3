"""Account pages: signup (candidate or recruiter), login, logout, password reset and change."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from jobboard.clock import today
from jobboard.domain.account import Role
from jobboard.domain.diploma import DIPLOMA_LEVELS
from jobboard.domain.errors import Refused
from jobboard.domain.password import MIN_LENGTH, password_problem
from jobboard.models import Offer, User
from jobboard.services import accounts, profile, saved_cv
from jobboard.services.collectivites import Directory, load_directory
from jobboard.services.visibility import Publicity, publicity
from jobboard.settings import Settings
from jobboard.web import throttle
from jobboard.web.auth import (
    MAX_NEXT_LENGTH,
    current_user,
    end_other_sessions,
    end_session,
    public,
    signed_in,
    start_session,
    user_of,
)
from jobboard.web.device import remember_device, trusted_device
from jobboard.web.forms import form_fields
from jobboard.web.session import flash
from jobboard.web.state import templates

HOME_BY_ROLE: dict[str, str] = {
    Role.CANDIDATE: "/espace/candidat",
    Role.RECRUITER: "/espace/recruteur",
    Role.STAFF: "/moderation",
}
SIGNUP_TEMPLATES: dict[str, str] = {
    Role.CANDIDATE: "accounts/signup_candidate.html",
    Role.RECRUITER: "accounts/signup_recruiter.html",
}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _throttle(request: Request) -> throttle.Throttle:
    limiter: throttle.Throttle = request.app.state.throttle
    return limiter


async def _directory(request: Request) -> Directory:
    state = request.app.state
    if getattr(state, "directory", None) is None:
        state.directory = await load_directory()
    directory: Directory = state.directory
    return directory


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site: never `//evil.example` or `https://…` (open redirect).

    Anything else, including what `urlsplit` cannot parse (`//[`), a control character or a
    target longer than `MAX_NEXT_LENGTH`, falls back to `default`: this never raises.
    """
    if not target or len(target) > MAX_NEXT_LENGTH:
        return default
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    # Browsers drop tabs and newlines from URLs: "/\t/evil.example" would become "//evil…".
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return default
    try:
        parts = urlsplit(target)
    except ValueError:
        return default
    if parts.scheme or parts.netloc:
        return default
    return target


def _redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def _next_of(value: object) -> str:
    """The `suivant` return path of a query or form, "" unless it is a path on this site."""
    return safe_next(value if isinstance(value, str) else None, "")


def _with_next(path: str, next_path: str) -> str:
    return f"{path}?suivant={quote(next_path, safe='')}" if next_path else path


# Signup


@public
async def signup_choice(request: Request) -> Response:
    next_path = _next_of(request.query_params.get("suivant"))
    if (user := current_user(request)) is not None:
        return _redirect(next_path or HOME_BY_ROLE[user.role])
    return templates().page(request, "accounts/signup_choice.html", {"next": next_path})


def _signup_page(
    request: Request,
    signup: accounts.Signup,
    *,
    status_code: int = 200,
    choices: list[Any] | None = None,
    query: str = "",
    alert: str = "",
    next_path: str = "",
    fragment_blocks: Sequence[str] = (),
) -> Response:
    return templates().page(
        request,
        SIGNUP_TEMPLATES[signup.role],
        {
            "form": signup,
            "errors": signup.errors,
            "diploma_levels": list(DIPLOMA_LEVELS.items()),
            "choices": choices or [],
            "query": query,
            "searched": bool(query),
            "alert": alert,
            "min_length": MIN_LENGTH,
            "next": next_path,
        },
        status_code=status_code,
        fragment_blocks=fragment_blocks,
    )


async def _signup(request: Request, role: Role) -> Response:
    """A candidate's signup keeps the `suivant` path it came with (an offer's apply form): in
    the form, then in the confirmation link, so the new account lands back there."""
    next_path = _next_of(request.query_params.get("suivant")) if role == Role.CANDIDATE else ""
    if (signed := current_user(request)) is not None:
        return _redirect(next_path or HOME_BY_ROLE[signed.role])
    if request.method == "GET":
        query = request.query_params.get("collectivite_q", "").strip()[:100]
        choices = (
            (await _directory(request)).search(query) if query and role == Role.RECRUITER else []
        )
        return _signup_page(
            request,
            accounts.Signup(role=role),
            choices=choices,
            query=query,
            next_path=next_path,
            fragment_blocks=["collectivites"] if role == Role.RECRUITER else [],
        )
    form = await form_fields(request)
    if role == Role.CANDIDATE:
        next_path = _next_of(form.get("suivant"))
    signup = accounts.Signup.from_form(role, form)
    # A refused form shows the collectivité that was picked, still checked.
    picked = (await _directory(request)).get(signup.collectivite) if signup.collectivite else None
    choices = [picked] if picked else []
    if not await _throttle(request).hit(throttle.SIGNUP_PER_IP, throttle.client_ip(request)):
        return _signup_page(
            request, signup, status_code=429, choices=choices,
            alert=throttle.SIGNUP_PER_IP.message, next_path=next_path,
        )  # fmt: skip
    try:
        user = await accounts.sign_up(signup, _settings(request), today(), next_path=next_path)
    except accounts.FormInvalid as invalid:
        signup.errors = invalid.errors
        signup.password = ""
        return _signup_page(request, signup, status_code=400, choices=choices, next_path=next_path)
    await start_session(request, user)
    if next_path:
        flash(request, "Votre compte est créé. Bienvenue sur la Bourse Petites villes de demain !")
        return _redirect(_with_next("/inscription/confirmation-envoyee", next_path))
    if user.role == Role.RECRUITER:
        flash(
            request,
            "Votre compte est créé. Confirmez votre adresse e-mail grâce au lien que nous venons "
            "de vous envoyer : l’ANCT vérifiera ensuite votre compte. Vous pouvez déjà préparer "
            "vos brouillons.",
            "info",
        )
    else:
        flash(request, "Votre compte est créé. Bienvenue sur la Bourse Petites villes de demain !")
    return _redirect(HOME_BY_ROLE[user.role])


@public
async def signup_candidate(request: Request) -> Response:
    return await _signup(request, Role.CANDIDATE)


@public
async def signup_recruiter(request: Request) -> Response:
    """The recruiter form; `?collectivite_q=` searches collectivités (the htmx autocomplete asks
    for the `collectivites` block only, a browser without JavaScript gets the whole page)."""
    return await _signup(request, Role.RECRUITER)


# Login and logout


def _login_page(
    request: Request, email: str = "", error: str = "", status_code: int = 200, next_path: str = ""
) -> Response:
    """`next_path` (checked by `safe_next`) rides in the form and in « Créer un compte »."""
    return templates().page(
        request,
        "accounts/login.html",
        {"email": email, "error": error, "next": next_path},
        status_code=status_code,
    )


@public
async def login(request: Request) -> Response:
    user = current_user(request)
    default = HOME_BY_ROLE[user.role] if user else "/"
    if request.method == "GET":
        if user is not None:
            return _redirect(safe_next(request.query_params.get("suivant"), default))
        return _login_page(request, next_path=_next_of(request.query_params.get("suivant")))
    form = await form_fields(request)
    # A refused attempt shows the form again with the same return path.
    next_path = _next_of(form.get("suivant"))
    email = accounts.normalise_email(str(form.get("email", "")))[:254]
    password = str(form.get("password", ""))
    limiter = _throttle(request)
    settings = _settings(request)
    account = throttle.account_key(email)
    # A browser that signed in to this account before is not subject to the account's lockout
    # nor to the per-IP limit (a campus behind one address): its failures count on their own.
    device = trusted_device(request, account, settings.secret_key) if email else None
    if device is None and not await limiter.hit(throttle.LOGIN_PER_IP, throttle.client_ip(request)):
        return _login_page(request, email, throttle.LOGIN_PER_IP.message, 429, next_path)
    if not email or not password:
        return _login_page(
            request, email, "Indiquez votre adresse e-mail et votre mot de passe.", 400, next_path
        )
    rule, key = (
        (throttle.LOGIN_FAILURES_PER_DEVICE, f"{account}:{device}")
        if device
        else (throttle.LOGIN_FAILURES_PER_ACCOUNT, account)
    )
    # Counted before the password is checked, so parallel attempts cannot all slip through;
    # a successful login clears the count (a trusted device's own count only: the lockout of
    # untrusted clients runs its course).
    if not await limiter.hit(rule, key):
        return _login_page(request, email, rule.message, 429, next_path)
    user = await accounts.authenticate(email, password)
    if user is None:
        if not await limiter.allows(rule, key):
            return _login_page(request, email, rule.message, 429, next_path)
        return _login_page(
            request, email, "Adresse e-mail ou mot de passe incorrect.", 400, next_path
        )
    # Everything the response depends on is settled before the session row is written.
    response = _redirect(safe_next(str(form.get("suivant", "")), HOME_BY_ROLE[user.role]))
    secure = settings.base_url.startswith("https://") or request.url.scheme == "https"
    await limiter.clear(rule, key)
    await start_session(request, user)
    flash(request, f"Bonjour {user.full_name}, vous êtes connecté(e).")
    remember_device(response, account, settings.secret_key, secure=secure, device=device)
    return response


@public
async def logout(request: Request) -> Response:
    if current_user(request) is not None:
        await end_session(request)
        flash(request, "Vous êtes déconnecté(e).", "info")
    return _redirect("/")


# Password reset


@public
async def password_forgot(request: Request) -> Response:
    if request.method == "GET":
        return templates().page(
            request, "accounts/password_forgot.html", {"email": "", "error": "", "sent": False}
        )
    form = await form_fields(request)
    email = accounts.normalise_email(str(form.get("email", "")))[:254]
    if problem := accounts.email_problem(email):
        return templates().page(
            request,
            "accounts/password_forgot.html",
            {"email": email, "error": problem, "sent": False},
            status_code=400,
        )
    limiter = _throttle(request)
    if not await limiter.hit(throttle.RESET_PER_IP, throttle.client_ip(request)):
        return templates().page(
            request,
            "accounts/password_forgot.html",
            {"email": email, "error": throttle.RESET_PER_IP.message, "sent": False},
            status_code=429,
        )
    # Past the per-account limit nothing is sent, and the page says the same as always.
    if await limiter.hit(throttle.RESET_PER_ACCOUNT, throttle.account_key(email)):
        await accounts.request_password_reset(email, _settings(request))
    return templates().page(
        request, "accounts/password_forgot.html", {"email": email, "error": "", "sent": True}
    )


_RESET_SESSION_KEY = "reset_token"
_LINK_INVALID = (
    "Ce lien de réinitialisation n’est plus valable : il a déjà servi ou a expiré. "
    "Demandez-en un nouveau."
)


@public
async def password_reset(request: Request) -> Response:
    """The link from the e-mail. The token moves from the URL to the session at once, so it
    never reaches the page's Referer header, history or logs of later requests."""
    settings = _settings(request)
    token = request.query_params.get("jeton")
    if request.method == "GET" and token:
        request.session[_RESET_SESSION_KEY] = token[:500]
        return _redirect("/mot-de-passe-oublie/nouveau")
    token = request.session.get(_RESET_SESSION_KEY, "")
    user = await accounts.user_for_reset_token(token, settings) if token else None
    if user is None:
        request.session.pop(_RESET_SESSION_KEY, None)
        return templates().page(
            request,
            "accounts/password_reset.html",
            {"invalid": _LINK_INVALID, "error": "", "user": None},
            status_code=400 if token else 200,
        )
    if request.method == "GET":
        return templates().page(
            request,
            "accounts/password_reset.html",
            {"invalid": "", "error": "", "user": user, "min_length": MIN_LENGTH},
        )
    form = await form_fields(request)
    password = str(form.get("password", ""))
    if problem := password_problem(password, email=user.email, full_name=user.full_name):
        return templates().page(
            request,
            "accounts/password_reset.html",
            {"invalid": "", "error": problem, "user": user, "min_length": MIN_LENGTH},
            status_code=400,
        )
    await accounts.set_password(user, password, settings)
    await end_other_sessions(user)
    request.session.pop(_RESET_SESSION_KEY, None)
    if current_user(request) is not None:
        await end_session(request)
    flash(request, "Votre mot de passe a été modifié. Vous pouvez vous connecter.")
    return _redirect("/connexion")


# Account page


@signed_in()
async def account(request: Request) -> Response:
    user = user_of(request)
    return await account_page(request, user)


async def account_page(
    request: Request,
    user: User,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    *,
    typed: Mapping[str, str] | None = None,
) -> Response:
    """« Mon compte »: every section (profile, address, saved CV, password) with the errors and
    the values typed into the one form that was refused."""
    return templates().page(
        request,
        "accounts/account.html",
        {
            "user": user,
            "errors": errors or {},
            "typed": typed or {},
            "profile": profile.ProfileForm.of(user),
            "diploma_levels": list(DIPLOMA_LEVELS.items()),
            "saved_cv": await saved_cv.saved_cv_of(user) if user.role == Role.CANDIDATE else None,
            "max_mb": _settings(request).cv_max_bytes // (1024 * 1024),
            "min_length": MIN_LENGTH,
            "home": HOME_BY_ROLE[user.role],
        },
        status_code=status_code,
    )


@signed_in()
async def password_change(request: Request) -> Response:
    user = user_of(request)
    form = await form_fields(request)
    try:
        await accounts.change_password(
            user,
            str(form.get("current_password", "")),
            str(form.get("password", "")),
            _settings(request),
        )
    except accounts.FormInvalid as invalid:
        return await account_page(request, user, invalid.errors, status_code=400)
    await end_other_sessions(user)
    await start_session(request, user)  # a new key: a stolen copy of this session dies too
    flash(request, "Votre mot de passe a été modifié. Vos autres sessions ont été fermées.")
    return _redirect("/espace/compte")


@public
async def email_confirm(request: Request) -> Response:
    """The link e-mailed at signup, carrying the path the account was created on the way to.

    Opened in the browser (or another tab of it) signed in to this account: straight to that
    path. Opened where nobody is signed in (another browser, a phone's mail app): the address
    is confirmed, and the sign-in page keeps the path, so signing in lands there. A link is
    never a sign-in by itself. Signed in to another account: that account's home."""
    confirmed = await accounts.confirm_email(
        request.query_params.get("jeton", "")[:MAX_TOKEN_LENGTH], _settings(request)
    )
    if confirmed is None:
        raise Refused(
            "Ce lien de confirmation n’est pas valable ou a expiré. Connectez-vous : la page "
            "« Mon compte » permet d’en recevoir un nouveau.",
        )
    next_path = _next_of(confirmed.next_path)
    signed = current_user(request)
    if signed is None:
        flash(
            request,
            "Merci, votre adresse e-mail est confirmée. Connectez-vous pour continuer.",
        )
        return _redirect(_with_next("/connexion", next_path))
    if signed.id != confirmed.user.id:
        flash(request, f"L’adresse {confirmed.user.email} est confirmée.", "info")
        return _redirect(HOME_BY_ROLE[signed.role])
    flash(request, "Merci, votre adresse e-mail est confirmée.")
    return _redirect(next_path or HOME_BY_ROLE[signed.role])


# Tokens longer than this are not read (a signed return path fits well within it).
MAX_TOKEN_LENGTH = 4000
_APPLY_PATH = re.compile(r"/offres/(\d{1,9})/candidater")


@signed_in()
async def email_sent(request: Request) -> Response:
    """After a signup on the way somewhere: « check your mailbox », the way back in the link."""
    user = user_of(request)
    next_path = _next_of(request.query_params.get("suivant"))
    if user.email_confirmed_at is not None:
        return _redirect(next_path or HOME_BY_ROLE[user.role])
    offer = None
    if match := _APPLY_PATH.fullmatch(urlsplit(next_path).path):
        candidate_offer = await Offer.get_or_none(id=int(match.group(1)))
        if candidate_offer is not None and publicity(candidate_offer) is not Publicity.HIDDEN:
            offer = candidate_offer
    return templates().page(
        request,
        "accounts/email_sent.html",
        {"user": user, "next": next_path, "offer": offer},
    )


@signed_in()
async def email_confirm_resend(request: Request) -> Response:
    user = user_of(request)
    next_path = _next_of((await form_fields(request)).get("suivant"))
    if user.email_confirmed_at is None:
        if await _throttle(request).hit(throttle.RESET_PER_ACCOUNT, "confirm-" + str(user.id)):
            await accounts.resend_confirmation(user, _settings(request), next_path)
        flash(request, f"Un nouveau lien de confirmation a été envoyé à {user.email}.", "info")
    if next_path:
        return _redirect(_with_next("/inscription/confirmation-envoyee", next_path))
    return _redirect("/espace/compte")


@signed_in()
async def space(request: Request) -> Response:
    return _redirect(HOME_BY_ROLE[user_of(request).role])

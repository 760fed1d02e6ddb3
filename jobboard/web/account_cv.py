"""« Mon CV enregistré » on the account page: upload or replace, download, delete."""

from __future__ import annotations

from starlette.requests import ClientDisconnect, Request
from starlette.responses import RedirectResponse, Response

from jobboard.domain.account import Role
from jobboard.domain.errors import NotFound, Refused
from jobboard.services import saved_cv
from jobboard.settings import Settings
from jobboard.web import throttle, uploads
from jobboard.web.accounts import account_page
from jobboard.web.auth import signed_in, user_of
from jobboard.web.cv_response import cv_response
from jobboard.web.forms import form_fields
from jobboard.web.session import flash


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _back() -> Response:
    return RedirectResponse("/espace/compte#cv-enregistre", status_code=303)


@signed_in(Role.CANDIDATE)
async def cv_upload(request: Request) -> Response:
    """Each upload costs a PDF check, as an application does: limited per candidate, and per
    address within the applications' own budget."""
    user = user_of(request)
    limiter: throttle.Throttle = request.app.state.throttle
    if not (
        await limiter.hit(throttle.SAVED_CV_PER_CANDIDATE, str(user.id))
        and await limiter.hit(throttle.APPLY_PER_IP, throttle.client_ip(request))
    ):
        errors = {saved_cv.FIELD: throttle.SAVED_CV_PER_CANDIDATE.message}
        return await account_page(request, user, errors, 429)
    settings = _settings(request)
    try:
        async with uploads.cv_form(request, settings, saved_cv.FIELD) as form:
            if form.file is None:
                errors = {saved_cv.FIELD: "Choisissez votre CV au format PDF."}
                return await account_page(request, user, errors, 400)
            try:
                await saved_cv.save_cv(user, form.file.file, form.file.filename or "", settings)
            except Refused as refused:
                return await account_page(request, user, {saved_cv.FIELD: refused.message}, 400)
    except uploads.TooLarge:
        errors = {saved_cv.FIELD: uploads.too_large_message(settings)}
        return await account_page(request, user, errors, 413)
    except ClientDisconnect:
        return Response(status_code=400)  # nobody is listening; nothing was stored
    flash(request, "Votre CV est enregistré : vous pourrez le choisir en candidatant.")
    return _back()


@signed_in(Role.CANDIDATE)
async def cv_delete(request: Request) -> Response:
    user = user_of(request)
    await form_fields(request)  # the CSRF middleware read the token; nothing else is expected
    if await saved_cv.delete_saved_cv(user, _settings(request)):
        flash(
            request,
            "Votre CV enregistré est supprimé. Vos candidatures déjà envoyées gardent le leur.",
        )
    return _back()


@signed_in(Role.CANDIDATE)
async def cv_file(request: Request) -> Response:
    saved = await saved_cv.saved_cv_of(user_of(request))
    if saved is None:
        raise NotFound("Vous n’avez pas de CV enregistré.")
    return await cv_response(request, saved.cv_path, saved.cv_sha256, saved.cv_filename)

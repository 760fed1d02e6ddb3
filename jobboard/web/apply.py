"""Candidates apply to an offer with their CV; everyone allowed downloads a CV."""

from __future__ import annotations

from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import RedirectResponse, Response

from jobboard.clock import today
from jobboard.domain.account import Role, Verification
from jobboard.domain.application import COVER_LETTER_MAX_LENGTH, MESSAGE_MAX_LENGTH
from jobboard.domain.errors import NotFound, Refused
from jobboard.domain.parsing import parse_int
from jobboard.models import Application, Offer, SavedCV, User
from jobboard.services import applications, saved_cv
from jobboard.services.visibility import Publicity, publicity
from jobboard.settings import Settings
from jobboard.web import throttle, uploads
from jobboard.web.auth import signed_in, user_of
from jobboard.web.cv_response import cv_response
from jobboard.web.session import flash
from jobboard.web.state import templates

# The apply form's radio: the account's saved CV, or a file sent with the form.
SAVED_CHOICE = "enregistre"
OTHER_CHOICE = "autre"


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _open_offer(raw_id: str) -> Offer:
    offer_id = parse_int(raw_id)
    offer = (
        await Offer.filter(id=offer_id).select_related("commune", "organisation").first()
        if offer_id is not None
        else None
    )
    if offer is None or publicity(offer) is Publicity.HIDDEN:
        raise NotFound("Cette offre n’existe pas ou n’est plus en ligne.")
    return offer


def _page(
    request: Request,
    offer: Offer,
    user: User,
    *,
    errors: dict[str, str] | None = None,
    alert: str = "",
    typed: dict[str, Any] | None = None,
    existing: int | None = None,
    saved: SavedCV | None = None,
    status_code: int = 200,
) -> Response:
    settings = _settings(request)
    return templates().page(
        request,
        "apply/form.html",
        {
            "offer": offer,
            "user": user,
            "errors": errors or {},
            "alert": alert,
            "typed": typed or {},
            "existing": existing,
            "saved_cv": saved,
            "max_mb": settings.cv_max_bytes // (1024 * 1024),
            "cover_max": COVER_LETTER_MAX_LENGTH,
            "message_max": MESSAGE_MAX_LENGTH,
        },
        status_code=status_code,
    )


@signed_in(Role.CANDIDATE)
async def offer_apply(request: Request) -> Response:
    user = user_of(request)
    offer = await _open_offer(str(request.path_params["offer_id"]))
    if request.method == "GET":
        try:
            await applications.check_can_apply(offer, user, today())
        except applications.AlreadyApplied as applied:
            return _page(request, offer, user, existing=applied.application_id)
        except Refused as refused:
            return _page(request, offer, user, alert=refused.message)
        return _page(request, offer, user, saved=await saved_cv.saved_cv_of(user))
    limiter: throttle.Throttle = request.app.state.throttle
    if not (
        await limiter.hit(throttle.APPLY_PER_CANDIDATE, str(user.id))
        and await limiter.hit(throttle.APPLY_PER_IP, throttle.client_ip(request))
    ):
        return _page(request, offer, user, alert=throttle.APPLY_PER_IP.message, status_code=429)
    settings = _settings(request)
    saved = await saved_cv.saved_cv_of(user)
    try:
        async with uploads.cv_form(request, settings, "cv") as form:
            fields = form.fields
            choice = fields.get("cv_choice", "")
            typed = {
                "cover_letter": fields.get("cover_letter", ""),
                "message": fields.get("message", ""),
                "talent_pool": fields.get("talent_pool") == "oui",
                "cv_choice": choice,
            }
            # « Utiliser mon CV enregistré » unless « Envoyer un autre CV » is chosen; without a
            # choice (an older page), a file sent wins.
            use_saved = saved is not None and (
                choice == SAVED_CHOICE or (choice != OTHER_CHOICE and form.file is None)
            )
            upload = None if use_saved else form.file
            if not use_saved and upload is None:
                return _page(
                    request, offer, user, errors={"cv": "Joignez votre CV au format PDF."},
                    typed=typed, saved=saved, status_code=400,
                )  # fmt: skip
            try:
                application = await applications.apply(
                    offer,
                    user,
                    cv=upload.file if upload else None,
                    cv_filename=(upload.filename or "") if upload else "",
                    saved_cv=saved if use_saved else None,
                    cover_letter=fields.get("cover_letter", ""),
                    message=fields.get("message", ""),
                    talent_pool=fields.get("talent_pool") == "oui",
                    settings=settings,
                    today=today(),
                )
            except applications.AlreadyApplied as applied:
                return _page(request, offer, user, existing=applied.application_id, status_code=409)
            except Refused as refused:
                errors = {refused.field: refused.message} if refused.field else {}
                alert = "" if refused.field else refused.message
                return _page(
                    request, offer, user, errors=errors, alert=alert, typed=typed, saved=saved,
                    status_code=400,
                )  # fmt: skip
    except uploads.TooLarge:
        errors = {"cv": uploads.too_large_message(settings)}
        return _page(request, offer, user, errors=errors, saved=saved, status_code=413)
    except ClientDisconnect:
        return Response(status_code=400)  # nobody is listening; nothing was stored
    flash(request, "Votre candidature est envoyée. Vous recevrez un e-mail de confirmation.")
    return RedirectResponse(f"/espace/candidat/candidatures/{application.id}", status_code=303)


async def _readable_application(user: User, raw_id: str) -> Application | None:
    """The application if `user` may read its CV: its candidate, a verified recruiter of the
    offer's collectivité, or staff."""
    application_id = parse_int(raw_id)
    if application_id is None:
        return None
    query = Application.filter(id=application_id)
    if user.role == Role.CANDIDATE:
        query = query.filter(candidate_id=user.id)
    elif user.role == Role.RECRUITER:
        if user.verification != Verification.VERIFIED:
            return None
        query = query.filter(offer__organisation_id=user.organisation_id)
    return await query.first()


@signed_in()
async def cv_download(request: Request) -> Response:
    user = user_of(request)
    application = await _readable_application(user, str(request.path_params["application_id"]))
    if application is None or not application.cv_path:
        raise NotFound()
    return await cv_response(
        request, application.cv_path, application.cv_sha256, application.cv_filename or "cv.pdf"
    )

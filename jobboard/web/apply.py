"""Candidates apply to an offer with their CV; everyone allowed downloads a CV."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, RedirectResponse, Response

from jobboard.clock import today
from jobboard.domain.account import Role, Verification
from jobboard.domain.application import COVER_LETTER_MAX_LENGTH, MESSAGE_MAX_LENGTH
from jobboard.domain.errors import NotFound, Refused
from jobboard.domain.parsing import parse_int
from jobboard.models import Application, Offer, User
from jobboard.services import applications
from jobboard.services.visibility import Publicity, publicity
from jobboard.settings import Settings
from jobboard.web import throttle
from jobboard.web.auth import signed_in, user_of
from jobboard.web.csrf import limited_receive
from jobboard.web.forms import clean_text
from jobboard.web.session import flash
from jobboard.web.state import templates

# Room for the letter, the message and the multipart envelope around the CV.
FORM_OVERHEAD_BYTES = 256 * 1024


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
        raise NotFound("Cette offre n'existe pas ou n'est plus en ligne.")
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
        return _page(request, offer, user)
    limiter: throttle.Throttle = request.app.state.throttle
    if not (
        await limiter.hit(throttle.APPLY_PER_CANDIDATE, str(user.id))
        and await limiter.hit(throttle.APPLY_PER_IP, throttle.client_ip(request))
    ):
        return _page(request, offer, user, alert=throttle.APPLY_PER_IP.message, status_code=429)
    settings = _settings(request)
    limit = settings.cv_max_bytes + FORM_OVERHEAD_BYTES
    declared = request.headers.get("content-length", "")
    too_big = f"Le CV dépasse {settings.cv_max_bytes // (1024 * 1024)} Mo."
    if (length := parse_int(declared, maximum=None)) is not None and length > limit:
        # Refused before reading the body; the connection is closed rather than drained.
        return _page(
            request, offer, user, errors={"cv": too_big}, status_code=413
        )  # nothing stored
    limited = Request(request.scope, limited_receive(request.receive, limit))
    try:
        async with limited.form(max_files=1, max_fields=20) as form:
            fields = {k: clean_text(v) for k, v in form.multi_items() if isinstance(v, str)}
            upload = form.get("cv")
            typed = {
                "cover_letter": fields.get("cover_letter", ""),
                "message": fields.get("message", ""),
                "talent_pool": fields.get("talent_pool") == "oui",
            }
            if not isinstance(upload, UploadFile) or not upload.filename:
                return _page(
                    request, offer, user, errors={"cv": "Joignez votre CV au format PDF."},
                    typed=typed, status_code=400,
                )  # fmt: skip
            try:
                application = await applications.apply(
                    offer,
                    user,
                    cv=upload.file,
                    cv_filename=upload.filename,
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
                    request, offer, user, errors=errors, alert=alert, typed=typed,
                    status_code=400,
                )  # fmt: skip
    except HTTPException as exc:
        if exc.status_code == 413:
            return _page(request, offer, user, errors={"cv": too_big}, status_code=413)
        raise Refused("Le formulaire n'a pas pu être lu. Réessayez.") from exc
    except MultiPartException as exc:
        raise Refused("Le formulaire n'a pas pu être lu. Réessayez.") from exc
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
    path = _settings(request).data_dir / application.cv_path
    if not path.is_file():
        raise NotFound("Ce CV n'est plus disponible.")
    return FileResponse(
        path,
        media_type="application/pdf",
        filename=application.cv_filename or "cv.pdf",
        content_disposition_type="attachment",
        headers={"Cache-Control": "private, no-store"},
    )

"""Rights in self-service: « Télécharger mes données », « Supprimer mon compte », and
withdrawing the talent-pool consent given when applying."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from jobboard.clock import today
from jobboard.domain.account import Role
from jobboard.domain.errors import NotFound
from jobboard.domain.parsing import parse_int
from jobboard.domain.retention import (
    ACCEPTED_APPLICATION,
    DATA_EXPORT,
    TALENT_POOL,
    UNSUCCESSFUL_APPLICATION,
)
from jobboard.services import account_deletion, applications, data_export
from jobboard.services.accounts import FormInvalid
from jobboard.settings import Settings
from jobboard.web.auth import end_session, session_hash, signed_in, user_of
from jobboard.web.forms import form_fields
from jobboard.web.session import flash
from jobboard.web.state import templates

NO_STORE = {"Cache-Control": "no-store, private"}
_TOKEN_KEY = "data_export"  # noqa: S105 (a session key name, not a secret)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@signed_in()
async def data_page(request: Request) -> Response:
    """What the archive holds, the one this session may download again, and a button."""
    user = user_of(request)
    archive = await data_export.current(user, session_hash(request))
    token = request.session.get(_TOKEN_KEY, "")
    if archive is not None and (
        not isinstance(token, str) or data_export.token_hash(token) != archive.token_hash
    ):
        archive = None
    return templates().page(
        request,
        "accounts/data.html",
        {
            "user": user,
            "archive": archive,
            "archive_token": token if archive else "",
            "archive_size": data_export.file_size_fr(archive.size) if archive else "",
            "lifetime": DATA_EXPORT.label,
        },
    )


@signed_in()
async def data_export_build(request: Request) -> Response:
    """Build the ZIP now and send the browser to it (it downloads; the page stays)."""
    user = user_of(request)
    archive = await data_export.build(user, session_hash(request), _settings(request))
    request.session[_TOKEN_KEY] = archive.token  # the page links to it again, in this session
    return _see_other(f"/espace/compte/donnees/{archive.token}")


@signed_in()
async def data_download(request: Request) -> Response:
    user = user_of(request)
    path = await data_export.for_download(
        str(request.path_params["token"]), user, session_hash(request), _settings(request)
    )
    return FileResponse(
        path,
        media_type="application/zip",
        filename=f"mes-donnees-bourse-pvd-{today().isoformat()}.zip",
        headers=NO_STORE,
    )


def _deletion_page(
    request: Request,
    preview: account_deletion.DeletionPreview,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return templates().page(
        request,
        "accounts/delete.html",
        {
            "user": user_of(request),
            "preview": preview,
            "errors": errors or {},
            "unsuccessful": UNSUCCESSFUL_APPLICATION.label,
            "accepted": ACCEPTED_APPLICATION.label,
            "talent_pool": TALENT_POOL.label,
        },
        status_code=status_code,
    )


@signed_in()
async def account_delete(request: Request) -> Response:
    """GET explains what goes and what stays; POST deletes, confirmed with the password."""
    user = user_of(request)
    preview = await account_deletion.preview(user)
    if request.method == "GET":
        return _deletion_page(request, preview)
    form = await form_fields(request)
    password = form.get("password", "")
    try:
        await account_deletion.request_deletion(
            user,
            password if isinstance(password, str) else "",
            last_recruiter_understood=form.get("last_recruiter") == "oui",
            settings=_settings(request),
        )
    except FormInvalid as invalid:
        return _deletion_page(request, preview, invalid.errors, status_code=400)
    await end_session(request)  # its row went with the account; the cookie goes too
    flash(
        request,
        "Votre compte est supprimé. Un dernier e-mail vous le confirme ; il ne sera pas conservé.",
    )
    return _see_other("/")


@signed_in(Role.CANDIDATE)
async def talent_pool_withdraw(request: Request) -> Response:
    user = user_of(request)
    application_id = parse_int(str(request.path_params["application_id"]))
    if application_id is None:
        raise NotFound()
    if await applications.withdraw_talent_pool_consent(application_id, user):
        flash(
            request,
            "Votre accord est retiré : la collectivité ne gardera pas votre candidature pour "
            "d’autres recrutements.",
        )
    elif not await applications.owns(user, application_id):
        raise NotFound()
    return _see_other(f"/espace/candidat/candidatures/{application_id}")

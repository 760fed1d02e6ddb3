"""Reading a form that carries one CV (PDF): bounded before and while the body is read, with
French refusals. Used by the apply form and by the account's « CV enregistré »."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from jobboard.domain.errors import Refused
from jobboard.domain.parsing import parse_int
from jobboard.settings import Settings
from jobboard.web.csrf import limited_receive
from jobboard.web.forms import clean_text

# Room for the letter, the message and the multipart envelope around the CV.
FORM_OVERHEAD_BYTES = 256 * 1024
_UNREADABLE = "Le formulaire n’a pas pu être lu. Réessayez."


class TooLarge(Exception):
    """The body is larger than a CV and its form may be (answer 413, nothing stored)."""


@dataclass(frozen=True)
class CVForm:
    fields: dict[str, str]
    file: UploadFile | None  # None when no file was chosen


def too_large_message(settings: Settings) -> str:
    return f"Le CV dépasse {settings.cv_max_bytes // (1024 * 1024)} Mo."


@asynccontextmanager
async def cv_form(request: Request, settings: Settings, name: str) -> AsyncIterator[CVForm]:
    """The text fields and the file `name` of a multipart form; the file is readable inside the
    block only. TooLarge past the bound (declared or read), Refused when unreadable."""
    limit = settings.cv_max_bytes + FORM_OVERHEAD_BYTES
    declared = parse_int(request.headers.get("content-length", ""), maximum=None)
    if declared is not None and declared > limit:
        # Refused before reading the body; the connection is closed rather than drained.
        raise TooLarge()
    limited = Request(request.scope, limited_receive(request.receive, limit))
    try:
        async with limited.form(max_files=1, max_fields=20) as form:
            fields = {k: clean_text(v) for k, v in form.multi_items() if isinstance(v, str)}
            upload = form.get(name)
            chosen = upload if isinstance(upload, UploadFile) and upload.filename else None
            yield CVForm(fields, chosen)
    except HTTPException as exc:
        if exc.status_code == 413:
            raise TooLarge() from exc
        raise Refused(_UNREADABLE) from exc
    except MultiPartException as exc:
        raise Refused(_UNREADABLE) from exc

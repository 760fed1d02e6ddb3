"""Reading submitted forms: text fields only, bounded, with French errors."""

from __future__ import annotations

from datetime import date

from starlette.datastructures import ImmutableMultiDict
from starlette.exceptions import HTTPException
from starlette.requests import Request

from jobboard.domain.errors import Refused
from jobboard.domain.parsing import parse_date

MAX_FIELDS = 100


def clean_text(value: str) -> str:
    """Without NUL characters, which PostgreSQL text and JSON columns refuse."""
    return value.replace("\x00", "")


async def form_fields(
    request: Request, *, too_large: str = "Ce formulaire est trop long."
) -> ImmutableMultiDict[str, str]:
    """The text fields of a form that takes no file (`getlist` for repeated ones, such as
    checkboxes); a file upload gets a French 400, a body past a `limited_receive` bound a 413."""
    try:
        async with request.form(max_files=0, max_fields=MAX_FIELDS) as form:
            return ImmutableMultiDict(
                [(key, clean_text(value)) for key, value in form.multi_items()
                 if isinstance(value, str)]
            )  # fmt: skip
    except HTTPException as exc:  # Starlette's multipart limits, in English
        if exc.status_code == 413:
            raise HTTPException(413, too_large) from exc
        raise Refused(
            "Ce formulaire ne peut pas être traité : il contient trop de champs ou un fichier."
        ) from exc


def day_param(value: str) -> date | None:
    """A date from a query string (JJ/MM/AAAA or ISO), within years the app can mean."""
    parsed = parse_date(clean_text(value).strip()) if value else None
    return parsed if parsed is not None and 2000 <= parsed.year <= 2100 else None

"""Sending a stored CV to whoever may read it: checked against its SHA-256 before the first
byte leaves, streamed from the CV store, or a French error page (never the wrong bytes)."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from jobboard.domain.errors import NotFound
from jobboard.services.cv_store import CVCorrupted, CVMissing, cv_store
from jobboard.settings import Settings
from jobboard.web.errors import render_error

CORRUPTED = (
    "Ce CV est endommagé : son contenu ne correspond plus à celui qui a été envoyé, il n’est "
    "donc pas transmis. L’incident est enregistré ; l’équipe technique de la Bourse le traite."
)


def _disposition(filename: str) -> str:
    """`attachment`, with the name the browser saves (RFC 6266, as Starlette's FileResponse)."""
    quoted = quote(filename)
    if quoted != filename:
        return f"attachment; filename*=utf-8''{quoted}"
    return f'attachment; filename="{filename}"'


async def cv_response(request: Request, key: str, sha256: str, filename: str) -> Response:
    settings: Settings = request.app.state.settings
    try:
        chunks = await cv_store(settings).open(key, sha256)
    except CVMissing:
        raise NotFound("Ce CV n’est plus disponible.") from None
    except CVCorrupted:  # logged by the store, with the key
        return render_error(request, 500, CORRUPTED)
    return StreamingResponse(
        chunks,
        media_type="application/pdf",
        headers={
            "Content-Disposition": _disposition(filename),
            "Cache-Control": "private, no-store",
        },
    )

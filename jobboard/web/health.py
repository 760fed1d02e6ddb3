"""`/sante`: is the database reachable (and, later, the search index)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from tortoise import connections


async def health(request: Request) -> JSONResponse:
    try:
        await connections.get("default").execute_query("SELECT 1")
        database = "ok"
    except Exception:  # any failure means "not reachable" for a probe
        database = "injoignable"
    healthy = database == "ok"
    return JSONResponse(
        {"statut": "ok" if healthy else "dégradé", "base_de_donnees": database},
        status_code=200 if healthy else 503,
        headers={"Cache-Control": "no-store"},
    )

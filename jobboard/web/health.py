"""`/sante`: database and search index reachable, and how far the index lags."""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse
from tortoise import connections

from jobboard.search.indexer import Indexer
from jobboard.web.auth import public


@public
async def health(request: Request) -> JSONResponse:
    body: dict[str, object] = {}
    try:
        await connections.get("default").execute_query("SELECT 1")
        body["base_de_donnees"] = "ok"
    except Exception:  # any failure means "not reachable" for a probe
        body["base_de_donnees"] = "injoignable"
    indexer: Indexer = request.app.state.indexer
    usable = await anyio.to_thread.run_sync(indexer.store.is_usable)
    body["index"] = "ok" if usable else "indisponible"
    if body["base_de_donnees"] == "ok":
        body["offres_en_attente_d_indexation"] = await indexer.pending()
    healthy = body["base_de_donnees"] == "ok" and usable
    body = {"statut": "ok" if healthy else "dégradé", **body}
    return JSONResponse(
        body, status_code=200 if healthy else 503, headers={"Cache-Control": "no-store"}
    )

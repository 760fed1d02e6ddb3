"""`/sante`: database and search index reachable, and how far the index lags."""

from __future__ import annotations

import warnings

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse
from tortoise import connections

from jobboard.search.indexer import Indexer
from jobboard.search.searcher import SearchService
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
    usable = await anyio.to_thread.run_sync(_searchable, request.app.state.search)
    body["index"] = "ok" if usable else "indisponible"
    if body["base_de_donnees"] == "ok":
        body["offres_en_attente_d_indexation"] = await indexer.pending()
    healthy = body["base_de_donnees"] == "ok" and usable
    body = {"statut": "ok" if healthy else "dégradé", **body}
    return JSONResponse(
        body, status_code=200 if healthy else 503, headers={"Cache-Control": "no-store"}
    )


def _searchable(search: SearchService) -> bool:
    """Whether this process can search the current index: its snapshot is up to date (as a
    search finds it: opened at most once per index change, not once per probe) and follows
    the current schema."""
    if search.store.is_outdated():
        return False
    # Whoosh leaves a damaged table-of-contents file open when it fails to read it: the file
    # is closed when the exception is dropped, with a ResourceWarning we silence.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            with search.snapshot():
                return True
        except Exception:  # whoosh raises many types on damaged or missing files
            return False

"""`/sante`: database and search index reachable, this host's index generation and lag."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse
from tortoise import connections

from jobboard.search.indexer import Indexer
from jobboard.search.searcher import SearchService
from jobboard.web.auth import public


@public
async def health(request: Request) -> JSONResponse:
    """The answer of the last check if it is younger than `health_ttl_seconds`; else one probe
    checks (the others wait for its answer) and the answer is kept."""
    state = request.app.state
    ttl = state.settings.health_ttl_seconds
    answer: _Answer | None = getattr(state, "health_answer", None)
    if _stale(answer, ttl):
        async with state.health_lock:
            answer = getattr(state, "health_answer", None)
            if _stale(answer, ttl):  # no other probe checked while this one waited
                body, healthy = await _check(request)
                answer = _Answer(time.monotonic(), body, 200 if healthy else 503)
                state.health_answer = answer
    assert answer is not None
    return JSONResponse(
        answer.body, status_code=answer.status_code, headers={"Cache-Control": "no-store"}
    )


@dataclass(frozen=True)
class _Answer:
    at: float  # time.monotonic() of the check
    body: dict[str, object]
    status_code: int


def _stale(answer: _Answer | None, ttl: float) -> bool:
    return answer is None or time.monotonic() - answer.at >= ttl


async def _check(request: Request) -> tuple[dict[str, object], bool]:
    body: dict[str, object] = {}
    try:
        await connections.get("default").execute_query("SELECT 1")
        body["base_de_donnees"] = "ok"
    except Exception:  # any failure means "not reachable" for a probe
        body["base_de_donnees"] = "injoignable"
    indexer: Indexer = request.app.state.indexer
    usable = await anyio.to_thread.run_sync(_searchable, request.app.state.search)
    body["index"] = "ok" if usable else "indisponible"
    # This host's replica: which generation it serves, how far behind the database it is.
    body["replique_index"] = indexer.replica
    body["generation_index"] = indexer.store.generation()
    if body["base_de_donnees"] == "ok":
        waiting, seconds = await indexer.lag()
        body["offres_en_attente_d_indexation"] = waiting
        body["retard_index_secondes"] = round(seconds, 1)
    healthy = body["base_de_donnees"] == "ok" and usable
    return {"statut": "ok" if healthy else "dégradé", **body}, healthy


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
            with search.snapshot(recent=False):
                return True
        except Exception:  # whoosh raises many types on damaged or missing files
            return False

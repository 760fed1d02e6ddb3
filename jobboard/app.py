"""The ASGI application: declared routes, middleware and lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from tortoise.contrib.starlette import RegisterTortoise

from jobboard.search.indexer import Indexer
from jobboard.search.searcher import SearchService
from jobboard.search.store import IndexStore
from jobboard.settings import Settings, tortoise_config
from jobboard.web import board, health, pages
from jobboard.web.errors import http_error, server_error
from jobboard.web.security_headers import SecurityHeadersMiddleware


async def _favicon(request: object) -> Response:
    return RedirectResponse("/static/vendor/dsfr/favicon/favicon.ico", status_code=301)


def create_app(settings: Settings | None = None, *, with_database: bool = True) -> Starlette:
    """Build the app; `with_database=False` lets tests provide their own Tortoise context."""
    settings = settings or Settings.from_env()

    store = IndexStore(settings.index_dir)
    search = SearchService(store)
    indexer = Indexer(store)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if not with_database:
            yield
            return
        async with RegisterTortoise(app, config=tortoise_config(settings.database_url)):
            await indexer.ensure_ready()
            async with anyio.create_task_group() as background:
                background.start_soon(indexer.run_forever)
                yield
                background.cancel_scope.cancel()
        search.close()

    routes = [
        Route("/", board.home, name="home"),
        Route("/offres", board.offer_list, name="offer_list"),
        Route("/offres/{offer_id}", board.offer_detail, name="offer_detail"),
        Route("/sante", health.health, name="health"),
        Route("/accessibilite", pages.accessibility, name="accessibility"),
        Route("/mentions-legales", pages.legal, name="legal"),
        Route("/donnees-personnelles", pages.privacy, name="privacy"),
        Route("/favicon.ico", _favicon, name="favicon"),
        Mount("/static", StaticFiles(directory=settings.static_dir), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeadersMiddleware),
        Middleware(GZipMiddleware, minimum_size=1000),
    ]
    app = Starlette(
        debug=False,
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={HTTPException: http_error, 500: server_error},
    )
    app.state.settings = settings
    app.state.search = search
    app.state.indexer = indexer
    return app

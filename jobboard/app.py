"""The ASGI application: declared routes, middleware and lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from tortoise.contrib.starlette import RegisterTortoise

from jobboard import mail
from jobboard.domain.errors import NotFound, Refused
from jobboard.search.indexer import Indexer
from jobboard.search.searcher import SearchService
from jobboard.search.store import IndexStore
from jobboard.services import alerts as alerts_service
from jobboard.services import expiry, purge, staff_digest
from jobboard.services.visibility import visible_offers
from jobboard.settings import Settings, tortoise_config
from jobboard.web import (
    account_cv,
    accounts,
    alerts,
    api,
    apply,
    board,
    board_map,
    candidate,
    crawl,
    feed,
    health,
    openapi,
    pages,
    personal_data,
    pipeline,
    profile,
    proposals,
    recruiter,
    saved,
    talent_pool,
)
from jobboard.web.api import ApiMiddleware
from jobboard.web.auth import AuthMiddleware, public
from jobboard.web.csrf import CSRFMiddleware
from jobboard.web.disconnect import ClientDisconnectMiddleware
from jobboard.web.errors import (
    http_error,
    not_found_error,
    refused_error,
    render_error,
    server_error,
)
from jobboard.web.moderation import accounts as staff_accounts
from jobboard.web.moderation import export, journal, queue, review, statistics, team
from jobboard.web.observability import ObservabilityMiddleware, metrics_page
from jobboard.web.page_cache import PageCache
from jobboard.web.security_headers import SecurityHeadersMiddleware
from jobboard.web.session import SessionMiddleware
from jobboard.web.throttle import Throttle
from jobboard.web.unavailable import DatabaseUnavailableMiddleware

# The largest request body accepted (a CV upload plus its form); larger ones get a 413.
MAX_BODY_BYTES = 12 * 1024 * 1024


@public
async def _favicon(request: object) -> Response:
    return RedirectResponse("/static/vendor/dsfr/favicon/favicon.ico", status_code=301)


def create_app(settings: Settings | None = None, *, with_database: bool = True) -> Starlette:
    """Build the app; `with_database=False` lets tests provide their own Tortoise context."""
    settings = settings or Settings.from_env()

    store = IndexStore(settings.index_dir)
    search = SearchService(store)
    indexer = Indexer(store, visible_offers, replica=settings.index_replica)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if not with_database:
            yield
            return
        async with RegisterTortoise(app, config=tortoise_config(settings.database_url)):
            if settings.background == "worker":
                yield  # a `jobboard worker` process builds the index and runs the loops
            else:
                # Several workers may start at once: one builds, the others wait for it.
                await indexer.ensure_ready()
                async with anyio.create_task_group() as background:
                    background.start_soon(indexer.run_forever)  # in one process per directory
                    background.start_soon(mail.run_forever, settings)
                    background.start_soon(expiry.run_forever, settings)
                    background.start_soon(purge.run_forever, settings)
                    background.start_soon(alerts_service.run_forever, settings, search)
                    background.start_soon(staff_digest.run_forever, settings)
                    yield
                    background.cancel_scope.cancel()
        search.close()
        await app.state.throttle.aclose()

    routes = [
        Route("/", board.home, name="home"),
        Route("/offres", board.offer_list, name="offer_list"),
        Route("/offres/carte", board_map.offer_map, name="offer_map"),
        Route("/offres/{offer_id}", board.offer_detail, name="offer_detail"),
        Route(
            "/offres/{offer_id}/candidater",
            apply.offer_apply,
            methods=["GET", "POST"],
            name="offer_apply",
        ),
        Route(
            "/offres/{offer_id}/sauvegarde",
            saved.offer_save,
            methods=["POST"],
            name="offer_save",
        ),
        Route("/candidatures/{application_id}/cv", apply.cv_download, name="cv_download"),
        Route("/inscription", accounts.signup_choice, name="signup"),
        Route(
            "/inscription/candidat",
            accounts.signup_candidate,
            methods=["GET", "POST"],
            name="signup_candidate",
        ),
        Route(
            "/inscription/recruteur",
            accounts.signup_recruiter,
            methods=["GET", "POST"],
            name="signup_recruiter",
        ),
        Route("/inscription/confirmer", accounts.email_confirm, name="email_confirm"),
        Route("/inscription/confirmation-envoyee", accounts.email_sent, name="email_sent"),
        Route(
            "/espace/compte/confirmation",
            accounts.email_confirm_resend,
            methods=["POST"],
            name="email_confirm_resend",
        ),
        Route("/connexion", accounts.login, methods=["GET", "POST"], name="login"),
        Route("/deconnexion", accounts.logout, methods=["POST"], name="logout"),
        Route(
            "/mot-de-passe-oublie",
            accounts.password_forgot,
            methods=["GET", "POST"],
            name="password_forgot",
        ),
        Route(
            "/mot-de-passe-oublie/nouveau",
            accounts.password_reset,
            methods=["GET", "POST"],
            name="password_reset",
        ),
        Route("/espace", accounts.space, name="space"),
        Route("/espace/compte", accounts.account, name="account"),
        Route(
            "/espace/compte/mot-de-passe",
            accounts.password_change,
            methods=["POST"],
            name="password_change",
        ),
        Route("/espace/compte/donnees", personal_data.data_page, name="account_data"),
        Route(
            "/espace/compte/donnees/preparer",
            personal_data.data_export_build,
            methods=["POST"],
            name="account_data_build",
        ),
        Route(
            "/espace/compte/donnees/{token}",
            personal_data.data_download,
            name="account_data_download",
        ),
        Route(
            "/espace/compte/suppression",
            personal_data.account_delete,
            methods=["GET", "POST"],
            name="account_delete",
        ),
        Route(
            "/espace/candidat/vivier/retrait",
            talent_pool.pool_withdraw,
            methods=["POST"],
            name="candidate_pool_withdraw",
        ),
        Route(
            "/espace/candidat/candidatures/{application_id}/vivier",
            personal_data.talent_pool_withdraw,
            methods=["POST"],
            name="candidate_talent_pool_withdraw",
        ),
        Route(
            "/espace/compte/profil",
            profile.profile_update,
            methods=["POST"],
            name="profile_update",
        ),
        Route(
            "/espace/compte/adresse", profile.email_change, methods=["POST"], name="email_change"
        ),
        Route(
            "/espace/compte/adresse/confirmer",
            profile.email_change_confirm,
            name="email_change_confirm",
        ),
        Route("/espace/compte/cv", account_cv.cv_file, name="saved_cv_file"),
        Route(
            "/espace/compte/cv/envoyer",
            account_cv.cv_upload,
            methods=["POST"],
            name="saved_cv_upload",
        ),
        Route(
            "/espace/compte/cv/supprimer",
            account_cv.cv_delete,
            methods=["POST"],
            name="saved_cv_delete",
        ),
        Route("/espace/candidat", candidate.candidate_home, name="candidate_home"),
        Route(
            "/espace/candidat/propositions/{proposal_id}",
            proposals.proposal_page,
            name="candidate_proposal",
        ),
        Route(
            "/espace/candidat/propositions/{proposal_id}/candidater",
            proposals.proposal_apply,
            methods=["POST"],
            name="candidate_proposal_apply",
        ),
        Route(
            "/espace/candidat/propositions/{proposal_id}/decliner",
            proposals.proposal_decline,
            methods=["POST"],
            name="candidate_proposal_decline",
        ),
        Route(
            "/vivier/quitter/{token}",
            proposals.pool_leave,
            methods=["GET", "POST"],
            name="pool_leave",
        ),
        Route("/espace/candidat/sauvegardes", saved.saved_list, name="candidate_saved"),
        Route(
            "/espace/candidat/candidatures/{application_id}",
            candidate.candidate_application,
            name="candidate_application",
        ),
        Route(
            "/espace/candidat/candidatures/{application_id}/retirer",
            candidate.candidate_withdraw,
            methods=["POST"],
            name="candidate_withdraw",
        ),
        Route("/espace/candidat/alertes", alerts.alert_list, name="candidate_alerts"),
        Route(
            "/espace/candidat/alertes/{alert_id}",
            alerts.alert_change,
            methods=["POST"],
            name="candidate_alert_change",
        ),
        Route("/alertes/nouvelle", alerts.alert_new, methods=["GET", "POST"], name="alert_new"),
        Route("/alertes/confirmer/{token}", alerts.alert_confirm, name="alert_confirm"),
        Route(
            "/alertes/desabonnement/{token}",
            alerts.alert_unsubscribe,
            methods=["GET", "POST"],
            name="alert_unsubscribe",
        ),
        Route(
            "/alertes/desabonnement/{token}/annuler",
            alerts.alert_undo,
            methods=["POST"],
            name="alert_undo",
        ),
        Route("/espace/recruteur", recruiter.recruiter_home, name="recruiter_home"),
        Route(
            "/espace/recruteur/offres/{offer_id}/candidatures",
            pipeline.application_list,
            name="recruiter_applications",
        ),
        Route(
            "/espace/recruteur/candidatures/{application_id}",
            pipeline.application_detail,
            name="recruiter_application",
        ),
        Route(
            "/espace/recruteur/candidatures/{application_id}/statut",
            pipeline.application_move,
            methods=["POST"],
            name="recruiter_application_move",
        ),
        Route(
            "/espace/recruteur/candidatures/{application_id}/notes",
            pipeline.application_notes,
            methods=["POST"],
            name="recruiter_application_notes",
        ),
        Route(
            "/espace/recruteur/offres/nouvelle",
            recruiter.offer_new,
            methods=["GET", "POST"],
            name="recruiter_offer_new",
        ),
        Route(
            "/espace/recruteur/offres/verifier",
            recruiter.offer_check,
            methods=["POST"],
            name="recruiter_offer_check",
        ),
        Route(
            "/espace/recruteur/offres/{offer_id}",
            recruiter.recruiter_offer,
            name="recruiter_offer",
        ),
        Route(
            "/espace/recruteur/offres/{offer_id}/modifier",
            recruiter.offer_edit,
            methods=["GET", "POST"],
            name="recruiter_offer_edit",
        ),
        Route(
            "/espace/recruteur/offres/{offer_id}/apercu",
            recruiter.offer_preview,
            name="recruiter_offer_preview",
        ),
        Route(
            "/espace/recruteur/offres/{offer_id}/cloturer",
            recruiter.offer_close,
            methods=["POST"],
            name="recruiter_offer_close",
        ),
        Route("/moderation", queue.offer_queue, name="moderation"),
        Route("/moderation/offres/{offer_id}", review.offer_review, name="moderation_offer"),
        Route(
            "/moderation/offres/{offer_id}/decision",
            review.offer_decide,
            methods=["POST"],
            name="moderation_offer_decide",
        ),
        Route(
            "/moderation/offres/{offer_id}/derogation",
            review.offer_override,
            methods=["POST"],
            name="moderation_offer_override",
        ),
        Route("/moderation/journal", journal.journal, name="moderation_journal"),
        Route("/moderation/vivier", talent_pool.pool_search, name="moderation_talent_pool"),
        Route(
            "/moderation/vivier/acces",
            talent_pool.pool_access,
            methods=["POST"],
            name="moderation_pool_access",
        ),
        Route(
            "/espace/recruteur/offres/{offer_id}/vivier",
            talent_pool.recruiter_pool,
            name="recruiter_talent_pool",
        ),
        Route(
            "/espace/recruteur/offres/{offer_id}/propositions",
            talent_pool.recruiter_propose,
            methods=["POST"],
            name="recruiter_propose",
        ),
        Route(
            "/moderation/offres/{offer_id}/propositions",
            talent_pool.pool_propose,
            methods=["POST"],
            name="moderation_propose",
        ),
        Route("/moderation/statistiques", statistics.stats_page, name="moderation_stats"),
        Route("/moderation/export.csv", export.export_csv, name="moderation_export"),
        Route("/moderation/comptes", staff_accounts.account_queue, name="moderation_accounts"),
        Route("/moderation/equipe", team.team, name="moderation_team"),
        Route(
            "/moderation/equipe/{user_id}",
            team.team_territory,
            methods=["POST"],
            name="moderation_team_territory",
        ),
        Route(
            "/moderation/comptes/{user_id}",
            staff_accounts.account_decide,
            methods=["POST"],
            name="moderation_account_decide",
        ),
        Route("/sante", health.health, name="health"),
        Route("/metriques", metrics_page, name="metrics"),
        Route("/accessibilite", pages.accessibility, name="accessibility"),
        Route("/mentions-legales", pages.legal, name="legal"),
        Route("/donnees-personnelles", pages.privacy, name="privacy"),
        Route("/plan-du-site", pages.site_map, name="site_map"),
        Route("/favicon.ico", _favicon, name="favicon"),
        Route("/flux.atom", feed.offer_feed, name="offer_feed"),
        Route("/sitemap.xml", crawl.sitemap, name="sitemap"),
        Route("/robots.txt", crawl.robots, name="robots"),
        Route("/api", pages.api_page, name="api_page"),
        Route("/api/v1/offres", api.offers, name="api_offers"),
        Route("/api/v1/offres/{offer_id}", api.offer, name="api_offer"),
        Route("/api/v1/openapi.json", openapi.openapi, name="api_openapi"),
        Mount("/static", StaticFiles(directory=settings.static_dir), name="static"),
    ]
    middleware = [
        Middleware(ObservabilityMiddleware, access_lines=settings.log_format == "json"),
        Middleware(ClientDisconnectMiddleware),
        Middleware(SecurityHeadersMiddleware, hsts=settings.base_url.startswith("https://")),
        Middleware(DatabaseUnavailableMiddleware),
        # Level 6 (zlib’s default) rather than Starlette’s 9: a board page compresses in
        # half the time for 0.5 % more bytes (1.4 against 2.6 ms for 61 kB).
        Middleware(GZipMiddleware, minimum_size=1000, compresslevel=6),
        Middleware(ApiMiddleware, rate_limit=settings.api_rate_limit),
        Middleware(
            SessionMiddleware,
            secret_key=settings.secret_key,
            max_age_seconds=settings.session_max_hours * 3600,
            always_secure=settings.base_url.startswith("https://"),
        ),
        Middleware(
            AuthMiddleware,
            idle=timedelta(minutes=settings.session_idle_minutes),
            max_age=timedelta(hours=settings.session_max_hours),
        ),
        Middleware(CSRFMiddleware, max_body_bytes=MAX_BODY_BYTES, render_error=render_error),
    ]
    app = Starlette(
        debug=False,
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        # The one place where refusals and missing things become HTTP answers.
        exception_handlers={
            Refused: refused_error,
            NotFound: not_found_error,
            HTTPException: http_error,
            500: server_error,
        },
    )
    app.state.settings = settings
    app.state.search = search
    app.state.indexer = indexer
    app.state.page_cache = PageCache()
    app.state.index_look = asyncio.Lock()  # one look at the index's state at a time (board)
    app.state.searching = {}  # words being read in a thread, for the requests waiting (board)
    app.state.health_lock = asyncio.Lock()  # one `/sante` check at a time (jobboard.web.health)
    app.state.throttle = Throttle(settings.redis_url)
    app.state.directory = None  # the collectivité directory, loaded on first use
    return app

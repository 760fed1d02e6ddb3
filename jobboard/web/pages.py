"""Static legal pages every French public site must have."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from jobboard.domain.accessibility import RGAA_VERSION
from jobboard.domain.api_query import API_PARAMS, DEFAULT_LIMIT, MAX_LIMIT
from jobboard.domain.board_query import ParamKind
from jobboard.domain.offer import KIND_SHORT_LABELS
from jobboard.domain.retention import RETENTION_PERIODS
from jobboard.web import device, session
from jobboard.web.api import CURSOR_MAX_AGE
from jobboard.web.auth import public
from jobboard.web.problem import PROBLEM_TYPES, TITLES
from jobboard.web.state import templates

# The « Plan du site » page: every page a visitor can reach, by section (title, links).
SITE_MAP: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Les offres",
        (
            ("/", "Accueil"),
            ("/offres", "Toutes les offres"),
            *(
                (f"/offres?type={kind}", f"Offres {label}")
                for kind, label in KIND_SHORT_LABELS.items()
            ),
        ),
    ),
    (
        "Votre compte",
        (
            ("/connexion", "Se connecter"),
            ("/inscription", "Créer un compte"),
            ("/mot-de-passe-oublie", "Mot de passe oublié"),
            ("/espace/candidat", "Espace candidat : mes candidatures"),
            ("/espace/recruteur", "Espace recruteur : mes offres"),
            ("/espace/compte", "Mon compte"),
        ),
    ),
    (
        "Informations",
        (
            ("/accessibilite", "Déclaration d’accessibilité"),
            ("/mentions-legales", "Mentions légales"),
            ("/donnees-personnelles", "Données personnelles"),
            ("/api", "API des offres (données ouvertes)"),
            ("/plan-du-site", "Plan du site"),
        ),
    ),
)


@public
async def accessibility(request: Request) -> Response:
    context = {"site": request.app.state.settings, "rgaa_version": RGAA_VERSION}
    return templates().page(request, "pages/accessibilite.html", context)


@public
async def legal(request: Request) -> Response:
    site = request.app.state.settings
    return templates().page(request, "pages/mentions_legales.html", {"site": site})


@public
async def privacy(request: Request) -> Response:
    context = {
        "site": request.app.state.settings,
        "periods": RETENTION_PERIODS,
        "session_cookie": session.COOKIE_NAME,
        "device_cookie": device.COOKIE_NAME,
        "device_days": device.MAX_AGE.days,
    }
    return templates().page(request, "pages/donnees_personnelles.html", context)


@public
async def site_map(request: Request) -> Response:
    return templates().page(request, "pages/plan_du_site.html", {"sections": SITE_MAP})


def _api_parameters() -> list[dict[str, str]]:
    """The /api page's table, one row per parameter, from the declaration the API reads."""
    rows = []
    for spec in API_PARAMS:
        schema = spec.json_schema()
        if spec.reference:
            values = "codes INSEE (voir la liste dans le document OpenAPI)"
        elif spec.choices and spec.kind is not ParamKind.INTEGER:
            values = ", ".join(spec.choices)
        elif spec.kind is ParamKind.INTEGER:
            values = f"{spec.minimum} à {spec.maximum}"
        elif spec.kind is ParamKind.BOOLEAN:
            values = "true ou false"
        elif spec.kind is ParamKind.DATE:
            values = "AAAA-MM-JJ"
        else:
            values = f"texte, {spec.max_length} caractères au plus"
        rows.append(
            {
                "name": spec.name,
                "type": str(schema.get("format", schema["type"])),
                "allowed": values,
                "description": spec.description,
            }
        )
    return rows


@public
async def api_page(request: Request) -> Response:
    settings = request.app.state.settings
    context = {
        "base_url": settings.base_url,
        "parameters": _api_parameters(),
        "default_limit": DEFAULT_LIMIT,
        "max_limit": MAX_LIMIT,
        "rate_limit": settings.api_rate_limit,
        "cursor_hours": CURSOR_MAX_AGE // 3600,
        "problem_types": PROBLEM_TYPES,
        "titles": TITLES,
    }
    return templates().page(request, "pages/api.html", context)

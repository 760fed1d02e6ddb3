"""Every GET route of the app, for every role, with ids that role may see, answers no 5xx,
and no cache may keep what it answers to a signed-in user or on a non-public route.

Routes are read from `app.routes` (mounts included), so a new route is covered the day it is
added; a new path parameter makes the test fail until it says which ids to try.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route

from jobboard import clock
from jobboard.models import Application, Offer, User
from jobboard.services import proposals
from jobboard.services.offer_import import import_offers
from jobboard.settings import Settings
from jobboard.web.auth import PUBLIC, access_of
from jobboard.web.session import BYPASS_PREFIXES
from tests.conftest import csrf_token, index_now, log_in, make_user, offer_row
from tests.test_applications import small_pdf

TODAY = clock.today()
ROLES = ("visitor", "candidate", "recruiter_pending", "recruiter_verified", "staff")


def get_routes(routes: Sequence[BaseRoute], prefix: str = "") -> Iterator[tuple[str, bool]]:
    """(path template, is public) of every route answering GET, mounts flattened."""
    for route in routes:
        if isinstance(route, Route):
            if route.methods is None or "GET" in route.methods:
                yield prefix + route.path, access_of(route.endpoint) == PUBLIC
        elif isinstance(route, Mount):
            if route.routes:
                yield from get_routes(route.routes, prefix + route.path)
            else:  # an ASGI app mounted whole (static files): any path below it
                yield prefix + route.path + "/{path}", True


@dataclass
class World:
    """The objects each role may see, by path parameter name."""

    ids: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)


def _row(title: str, insee: str, **changes: object) -> dict[str, object]:
    return offer_row(
        kind="chef_de_projet",
        employer_insee=insee,
        duration_months=36,
        title=title,
        start_date=(TODAY + timedelta(days=60)).isoformat(),
        **changes,
    )


async def _world(client: httpx.AsyncClient, settings: Settings, app: Starlette) -> World:
    rows = [
        _row("Chef de projet PVD – Fumel", "47106"),
        _row("Brouillon – Fumel", "47106", status="draft"),
        _row("À modérer – Fumel", "47106", status="submitted"),
        offer_row(title="VTA – Espinasses", start_date=(TODAY + timedelta(days=60)).isoformat()),
    ]
    result = await import_offers(rows, today=TODAY)
    assert not result.errors, result.errors
    published, draft, submitted, vta = (str(i) for i in result.created)
    await index_now(app)
    await make_user("recruiter", "rh@fumel.fr", commune="47106")
    pending = await make_user("recruiter", "attente@thizy.fr", commune="69248",
                              verification="pending")  # fmt: skip
    await make_user("staff", "moderation@anct.example")
    await make_user("candidate", "lea@example.fr")
    # A real application with a stored CV, through the apply form.
    await log_in(client, "lea@example.fr")
    token = await csrf_token(client, f"/offres/{published}/candidater")
    applied = await client.post(
        f"/offres/{published}/candidater",
        data={
            "csrf_token": token,
            "cover_letter": "Je souhaite rejoindre Fumel.",
            "talent_pool": "oui",
        },
        files={"cv": ("cv.pdf", small_pdf(), "application/pdf")},
    )
    assert applied.status_code == 303, applied.text
    # In the pool, so staff propose the VTA offer: the proposal's page and the leave link.
    [proposal] = await proposals.propose(
        await Offer.get(id=int(vta)),
        [str((await User.get(email="lea@example.fr")).id)],
        "",
        await User.get(email="moderation@anct.example"),
        settings,
    )
    # And a « CV enregistré », so its download answers a file.
    token = await csrf_token(client, "/espace/compte")
    saved = await client.post(
        "/espace/compte/cv/envoyer",
        data={"csrf_token": token},
        files={"saved_cv": ("cv.pdf", small_pdf(), "application/pdf")},
    )
    assert saved.status_code == 303, saved.text
    client.cookies.clear()
    application = str((await Application.get()).id)
    assert await Offer.filter(status="submitted").exists()  # the staff header shows counters
    static_file = next(p for p in sorted(settings.static_dir.rglob("*")) if p.is_file())
    common = {
        "offer_id": [published, vta, "0"],
        "application_id": [application],
        "user_id": [str(pending.id)],
        "path": [static_file.relative_to(settings.static_dir).as_posix(), "absent.css"],
        "proposal_id": [str(proposal.id), "0"],
        "token": [
            "jeton-inconnu",
            proposals.leave_link(await User.get(email="lea@example.fr"), settings).rsplit("/")[-1],
        ],  # a data archive link (tests/test_data_export.py has real ones)
    }
    world = World(
        emails={
            "candidate": "lea@example.fr",
            "recruiter_pending": "attente@thizy.fr",
            "recruiter_verified": "rh@fumel.fr",
            "staff": "moderation@anct.example",
        }
    )
    for role in ROLES:
        world.ids[role] = {name: list(values) for name, values in common.items()}
    world.ids["recruiter_verified"]["offer_id"] += [draft, submitted]
    world.ids["staff"]["offer_id"] += [submitted, draft]
    return world


def _concrete(template: str, ids: dict[str, list[str]]) -> list[str]:
    names = [part[1:-1].split(":")[0] for part in template.split("/") if part.startswith("{")]
    unknown = [name for name in names if name not in ids]
    assert not unknown, f"{template}: say which ids to try for {unknown} in tests/test_smoke.py"
    paths = []
    for values in itertools.product(*(ids[name] for name in names)):
        path = template
        for name, value in zip(names, values, strict=True):
            start = path.index("{" + name)
            path = path[:start] + value + path[path.index("}", start) + 1 :]
        paths.append(path)
    return paths


@pytest.mark.parametrize("role", ROLES)
async def test_every_get_route_answers_without_a_server_error_nor_a_cacheable_private_page(
    app: Starlette, client: httpx.AsyncClient, settings: Settings, role: str
) -> None:
    world = await _world(client, settings, app)
    if role != "visitor":
        await log_in(client, world.emails[role])
        assert (await client.get("/espace/compte")).status_code == 200  # really signed in
    templates = sorted(set(get_routes(app.routes)))
    assert ("/", True) in templates and ("/static/{path}", True) in templates
    for machine_readable in (
        "/flux.atom",
        "/sitemap.xml",
        "/robots.txt",
        "/api",
        "/api/v1/offres",
        "/api/v1/offres/{offer_id}",
        "/api/v1/openapi.json",
    ):
        assert (machine_readable, True) in templates
    failures = []
    answered = private = 0
    for template, is_public in templates:
        for path in _concrete(template, world.ids[role]):
            for headers in ({}, {"HX-Request": "true"}):
                response = await client.get(path, headers=headers)
                answered += 1
                if response.status_code >= 500:
                    failures.append(f"{role} GET {path} {headers}: {response.status_code}")
                # Assets and probes bypass the session: the same for everyone, cacheable.
                if (role != "visitor" and not path.startswith(BYPASS_PREFIXES)) or not is_public:
                    private += 1
                    if response.headers.get("cache-control") != "private, no-store":
                        failures.append(f"{role} GET {path} {headers}: cacheable")
    assert failures == []
    assert answered >= 2 * len(templates) and private > 0

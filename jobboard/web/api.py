"""The open-data API: `/api/v1/offres` (the board's search, cursor-paginated) and
`/api/v1/offres/{id}`, JSON; errors as RFC 9457 problem details, in French.

Order and pagination: the matching offers are the board's (the same search code path,
`SearchRequest.from_query`); they are ordered by a unique key (jobboard.domain.api_query.
sort_key) and a page holds the `limit` offers whose key follows the cursor's. The cursor is the
last key of the previous page, signed with the site's secret and bound to the page's filters, so
walking the `next` links returns each offer once, whatever is published meanwhile.

Around every `/api/v1/` route, `ApiMiddleware` counts requests per IP address (429 with
`Retry-After`), answers CORS preflights for GET and marks GET answers readable from any origin.
The paths bypass the session middleware: no cookie is read or set, no CSRF token is asked.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from limits import parse
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jobboard.clock import now, today
from jobboard.domain.api_query import ApiQuery, InvalidParam, page_after, parse_api_query, sort_key
from jobboard.domain.parsing import parse_int
from jobboard.search.searcher import SearchRequest
from jobboard.services.offer_public import as_json, public_offer, public_offers_by_id
from jobboard.services.visibility import visible_offers
from jobboard.settings import Settings
from jobboard.web import throttle
from jobboard.web.auth import public
from jobboard.web.board import _choices, run_search
from jobboard.web.problem import PROBLEM, TITLES, dumps, problem, problem_type

PREFIX = "/api/v1/"
JSON = "application/json"
CURSOR_MAX_AGE = 24 * 3600  # seconds a `next` link stays valid
CACHE_CONTROL = "public, max-age=60"
DOCUMENT_CACHE_CONTROL = "public, max-age=300"
ALLOWED = "GET, HEAD, OPTIONS"
# Every matching offer is ranked to cut a page (the board's search returns them all).
MAX_MATCHES = 1_000_000


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 §13.1.2: weak comparison, `*` matches any current representation."""
    tags = [t.strip() for t in if_none_match.split(",")]
    return "*" in tags or any(t.removeprefix("W/") == etag for t in tags)


def cached_json(
    request: Request,
    data: Any,
    *,
    status_code: int = 200,
    media_type: str = JSON,
    cache_control: str = CACHE_CONTROL,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """JSON with a strong ETag (a digest of the body) and Cache-Control; 304 when the client's
    `If-None-Match` names it."""
    body = dumps(data)
    etag = _etag(body)
    common = {"ETag": etag, "Cache-Control": cache_control, **(headers or {})}
    if _matches(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=common)
    return Response(body, status_code=status_code, media_type=media_type, headers=common)


# -- the cursor: the last key of a page, signed, bound to the page's filters and order --


def _cursor_serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="bourse-pvd.api-cursor")


def _fingerprint(api: ApiQuery) -> str:
    canonical = json.dumps(sorted(api.filter_params().items()), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def make_cursor(settings: Settings, api: ApiQuery, key: tuple[int, ...]) -> str:
    cursor: str = _cursor_serializer(settings).dumps({"f": _fingerprint(api), "k": list(key)})
    return cursor


def read_cursor(settings: Settings, api: ApiQuery) -> tuple[tuple[int, ...] | None, str]:
    """The key to continue after (None: the first page), or an error message."""
    if not api.cursor:
        return None, ""
    try:
        data = _cursor_serializer(settings).loads(api.cursor, max_age=CURSOR_MAX_AGE)
    except SignatureExpired:
        return None, (
            "Ce curseur a expiré (il vaut 24 heures) : recommencez depuis la première page."
        )
    except BadSignature:
        return None, "Ce curseur n’est pas valide : recopiez le lien « next » tel quel."
    key = data.get("k") if isinstance(data, dict) else None
    if not isinstance(key, list) or not all(isinstance(k, int) for k in key):
        return None, "Ce curseur n’est pas valide : recopiez le lien « next » tel quel."
    if data.get("f") != _fingerprint(api):
        return None, (
            "Ce curseur appartient à une autre recherche : gardez les mêmes filtres et le même "
            "tri que la page précédente."
        )
    return tuple(key), ""


# -- routes --


def _base(request: Request) -> str:
    settings: Settings = request.app.state.settings
    return settings.base_url


@public
async def offers(request: Request) -> Response:
    choices = await _choices(request)
    api, errors = parse_api_query(
        request.query_params.multi_items(),
        departements=choices["departement_names"],
        regions=choices["region_names"],
    )
    if errors:
        names = ", ".join(dict.fromkeys(e.name for e in errors))
        return problem(request, 400, f"Paramètre refusé : {names}.", invalid_params=errors)
    settings: Settings = request.app.state.settings
    after, cursor_error = read_cursor(settings, api)
    if cursor_error:
        return problem(
            request, 400, cursor_error, invalid_params=[InvalidParam("cursor", cursor_error)]
        )
    result = await run_search(request, SearchRequest.from_query(api.query, page_size=MAX_MATCHES))
    matching = {hit.id for hit in result.hits}
    rows = await visible_offers().values_list("id", "published_at", "created_at", "deadline")
    keyed = [
        (sort_key(api.sort, offer_id, published or created, deadline), offer_id)
        for offer_id, published, created, deadline in rows
        if offer_id in matching
    ]
    page_ids, last = page_after(keyed, after, api.limit)
    items = await public_offers_by_id(page_ids, base_url=settings.base_url, on=today())
    next_url = None
    headers = {}
    if last is not None:
        params = {**api.filter_params(), "limit": str(api.limit)}
        params["cursor"] = make_cursor(settings, api, last)
        next_url = f"{settings.base_url}{PREFIX}offres?{urlencode(params)}"
        headers["Link"] = f'<{next_url}>; rel="next"'
    data = {
        "total": len(keyed),
        "limit": api.limit,
        "items": [as_json(offer) for offer in items],
        "next": next_url,
    }
    return cached_json(request, data, headers=headers)


@public
async def offer(request: Request) -> Response:
    raw = request.path_params["offer_id"]
    offer_id = parse_int(raw, minimum=1)
    if offer_id is None:
        reason = "L’identifiant d’une offre est un nombre entier positif."
        return problem(request, 400, reason, invalid_params=[InvalidParam("id", reason)])
    found = await public_offer(offer_id, base_url=_base(request), on=today())
    if found is None:
        return problem(request, 404, f"Aucune offre publiée ne porte le numéro {offer_id}.")
    data = as_json(found)
    if not found.is_open:
        detail = (
            "Cette offre a été pourvue ou annulée : elle ne prend plus de candidatures."
            if found.standing.code == "closed"
            else "La date limite de candidature de cette offre est passée."
        )
        body = {
            "type": problem_type(_base(request), 410),
            "title": TITLES[410],
            "status": 410,
            "detail": detail,
            "instance": request.url.path,
            "offer": data,
        }
        return cached_json(request, body, status_code=410, media_type=PROBLEM)
    return cached_json(request, data)


# -- rate limit and CORS around every /api/v1/ route --


def api_rule(limit: str) -> throttle.Rule:
    return throttle.Rule(
        "api-ip", parse(limit), "Trop de requêtes depuis votre adresse : réessayez plus tard."
    )


class ApiMiddleware:
    def __init__(self, app: ASGIApp, rate_limit: str) -> None:
        self.app = app
        self.rule = api_rule(rate_limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        limiter: throttle.Throttle = scope["app"].state.throttle
        key = throttle.client_ip(request)
        method = scope["method"]
        readable = method in ("GET", "HEAD") or method == "OPTIONS"
        cors = {"Access-Control-Allow-Origin": "*"} if readable else {}
        if not await limiter.hit(self.rule, key):
            reset = await limiter.reset_at(self.rule, key)
            retry = str(max(1, math.ceil(reset - now().timestamp())))
            response = problem(
                request,
                429,
                f"Vous avez dépassé la limite de {self.rule.item} requêtes par adresse IP : "
                f"réessayez dans {retry} secondes.",
                headers={"Retry-After": retry, "Cache-Control": "no-store", **cors},
            )
            await response(scope, receive, send)
            return
        if method == "OPTIONS":
            await self._options(request)(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start" and cors:
                headers = message.setdefault("headers", [])
                headers.append((b"access-control-allow-origin", b"*"))
                headers.append((b"access-control-expose-headers", b"ETag, Link, Retry-After"))
            await send(message)

        await self.app(scope, receive, send_with_cors)

    @staticmethod
    def _options(request: Request) -> Response:
        """A CORS preflight is answered for GET and HEAD only: for any other method the
        browser finds no permission and does not send the request."""
        headers = {"Allow": ALLOWED}
        asked = request.headers.get("access-control-request-method", "").upper()
        if asked in ("GET", "HEAD"):
            headers.update(
                {
                    "Access-Control-Allow-Origin": "*",
                    "Access-Control-Allow-Methods": "GET, HEAD",
                    "Access-Control-Allow-Headers": "If-None-Match",
                    "Access-Control-Max-Age": "86400",
                }
            )
        return Response(status_code=204, headers=headers)

"""Each request's id and duration; `/metriques` for Prometheus; JSON log lines.

- Every response carries `X-Request-ID`: the one the reverse proxy sent (letters, digits,
  `.`, `_`, `-`, at most 64), else a new one. Log lines written while the request runs carry
  it, so a user's report (« erreur, référence … ») leads to its lines on any host.
- Its duration goes to the latency histogram under the route's address template
  (`/offres/{offer_id}`), never the address itself: a bounded set of series.
- `/metriques` answers with a bearer token (`JOBBOARD_METRICS_TOKEN`) or, without one, only
  to this machine (a scraper on the host, or through a tunnel); anyone else gets a 404.
- With `JOBBOARD_LOG_FORMAT=json`, the app's and uvicorn's lines are JSON objects, and one
  access line per request is written here (method, route, status, duration, id).
"""

from __future__ import annotations

import contextvars
import hmac
import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any, cast

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jobboard import metrics
from jobboard.clock import now
from jobboard.models import EmailOutbox
from jobboard.web.auth import public

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
HEADER = "X-Request-ID"
_VALID_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
LOCAL_CLIENTS = frozenset({"127.0.0.1", "::1"})
access_log = logging.getLogger("jobboard.access")


def route_template(scope: Scope) -> str:
    """The matched route's address template, « autre » when none matched (a 404)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "autre"


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, access_lines: bool = False) -> None:
        self.app = app
        self.access_lines = access_lines

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = sent if _VALID_ID.fullmatch(sent) else uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)
        status = 500  # unless a response starts
        start = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                MutableHeaders(scope=message).append(HEADER, request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - start
            route = route_template(scope)
            metrics.REQUESTS.labels(route, scope["method"], f"{status // 100}xx").observe(elapsed)
            if self.access_lines:
                access_log.info(
                    "%s %s %d",
                    scope["method"],
                    route,
                    status,
                    extra={
                        "method": scope["method"],
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 1),
                    },
                )
            REQUEST_ID.reset(token)


@public
async def metrics_page(request: Request) -> Response:
    token = request.app.state.settings.metrics_token
    if token:
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return Response(
                "Jeton requis.\n",
                status_code=401,
                media_type="text/plain; charset=utf-8",
                headers={"WWW-Authenticate": "Bearer"},
            )
    elif request.client is None or request.client.host not in LOCAL_CLIENTS:
        return Response("Page introuvable.\n", 404, media_type="text/plain; charset=utf-8")
    await _read_gauges(request)
    return Response(
        metrics.exposition(), media_type=metrics.CONTENT_TYPE, headers={"Cache-Control": "no-store"}
    )


async def _read_gauges(request: Request) -> None:
    """The e-mail backlog and this host's index lag, read now (left as they were when the
    database does not answer: the scrape still shows the rest)."""
    try:
        waiting = EmailOutbox.filter(status__in=("pending", "sending"))
        oldest = await waiting.order_by("created_at").limit(1).values_list("created_at", flat=True)
        metrics.OUTBOX_PENDING.set(await waiting.count())
        age = (now() - cast(datetime, oldest[0])).total_seconds() if oldest else 0.0
        metrics.OUTBOX_OLDEST.set(max(0.0, age))
        changes, lag = await request.app.state.indexer.lag()
        metrics.INDEX_PENDING.set(changes)
        metrics.INDEX_LAG.set(lag)
    except Exception:  # noqa: S110 (a probe of the database, reported by /sante)
        pass


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, the request id if any, the
    record's extra fields, and the traceback of an exception."""

    _STANDARD = frozenset([*vars(logging.makeLogRecord({})), "message", "asctime"])

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = REQUEST_ID.get()
        if request_id:
            line["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in self._STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def log_config(level: str) -> dict[str, Any]:
    """`logging.config.dictConfig` for JSON lines: the app's loggers and uvicorn's (whose own
    access lines are replaced by the middleware's, which carry the request id)."""
    logger = {"handlers": ["json"], "level": level, "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {
            "json": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {"jobboard": logger, "uvicorn": logger, "uvicorn.error": logger},
    }

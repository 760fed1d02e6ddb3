"""Request ids, `/metriques` for Prometheus, JSON log lines (jobboard.web.observability)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette

from jobboard import clock, metrics
from jobboard.app import create_app
from jobboard.models import EmailOutbox
from jobboard.services.offer_import import import_offers
from jobboard.settings import Settings
from jobboard.web.observability import REQUEST_ID, JsonFormatter
from tests.conftest import offer_row


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _count(route: str, status: str = "2xx") -> float:
    labels = {"route": route, "method": "GET", "status": status}
    return (
        metrics.REGISTRY.get_sample_value("bourse_http_request_duration_seconds_count", labels)
        or 0.0
    )


async def test_every_answer_carries_a_request_id(client: httpx.AsyncClient, db: None) -> None:
    generated = (await client.get("/offres")).headers["x-request-id"]
    assert len(generated) == 32 and int(generated, 16) >= 0
    assert (await client.get("/offres")).headers["x-request-id"] != generated
    sent = await client.get("/sante", headers={"X-Request-ID": "proxy-1234.abc_d"})
    assert sent.headers["x-request-id"] == "proxy-1234.abc_d"
    for forged in ("a b", "x" * 65, "<script>", "é".encode("latin-1")):
        answered = (await client.get("/", headers={"X-Request-ID": forged})).headers
        assert answered["x-request-id"] != forged and len(answered["x-request-id"]) == 32
    missing = await client.get("/nulle-part")
    assert missing.status_code == 404 and "x-request-id" in missing.headers


async def test_latencies_are_counted_by_route_template_not_address(
    client: httpx.AsyncClient, db: None
) -> None:
    before = (_count("/offres"), _count("/offres/{offer_id}", "4xx"), _count("autre", "4xx"))
    await client.get("/offres")
    await client.get("/offres/987654")  # no such offer: 404, under the route's template
    await client.get("/nulle-part/123")  # no route at all
    after = (_count("/offres"), _count("/offres/{offer_id}", "4xx"), _count("autre", "4xx"))
    assert [b + 1 for b in before] == list(after)
    text = (await client.get("/metriques")).text
    assert "/offres/987654" not in text and "/nulle-part" not in text
    assert "bourse_search_duration_seconds_count" in text


async def test_metrics_tell_the_outbox_backlog_and_the_index_lag(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    await EmailOutbox.create(to="lea@example.fr", subject="Votre candidature", body_text="…")
    await import_offers([offer_row()], today=clock.today())
    found = _samples((await client.get("/metriques")).text)
    assert found[("bourse_outbox_pending", ())] == 1
    assert found[("bourse_outbox_oldest_pending_seconds", ())] >= 0
    assert found[("bourse_index_pending_changes", ())] == 1
    assert found[("bourse_index_lag_seconds", ())] >= 0


async def test_metrics_answer_this_machine_or_the_token_only(
    settings: Settings, app: Starlette, db: None
) -> None:
    async def get(application: Starlette, client: tuple[str, int], **headers: str) -> int:
        transport = httpx.ASGITransport(app=application, client=client)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return (await c.get("/metriques", headers=headers)).status_code

    remote, local = ("203.0.113.7", 40000), ("127.0.0.1", 40000)
    assert await get(app, local) == 200
    assert await get(app, remote) == 404
    guarded = create_app(replace(settings, metrics_token="s3cret"), with_database=False)
    try:
        assert await get(guarded, remote) == 401
        assert await get(guarded, local) == 401  # a token, once set, is asked of everyone
        assert await get(guarded, remote, authorization="Bearer nope") == 401
        assert await get(guarded, remote, authorization="Bearer s3cret") == 200
    finally:
        guarded.state.search.close()


def test_job_rounds_and_their_failures_are_counted() -> None:
    def value(name: str) -> float:
        return metrics.REGISTRY.get_sample_value(name, {"job": "essai"}) or 0.0

    with metrics.job_round("essai"):
        pass
    with pytest.raises(RuntimeError), metrics.job_round("essai"):
        raise RuntimeError("base absente")
    assert value("bourse_job_runs_total") == 2
    assert value("bourse_job_failures_total") == 1


def test_several_processes_are_added_up(tmp_path: Path) -> None:
    """Under `serve --workers N`, whichever worker answers the scrape reports every worker's
    counts; the files of processes that are gone are dropped at the next start."""
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    count = "from jobboard import metrics; metrics.JOB_RUNS.labels('essai').inc()"
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count], env=env, check=True)
    show = (
        "from jobboard import metrics; import sys; sys.stdout.write(metrics.exposition().decode())"
    )
    out = subprocess.run(
        [sys.executable, "-c", show], env=env, check=True, capture_output=True, text=True
    ).stdout
    assert _samples(out)[("bourse_job_runs_total", (("job", "essai"),))] == 2
    (tmp_path / f"counter_{os.getpid()}.db").write_bytes(b"")  # a live process's file
    metrics.prepare_directory(tmp_path)
    assert [p.name for p in tmp_path.glob("*.db")] == [f"counter_{os.getpid()}.db"]


async def test_json_lines_carry_the_request_id(
    settings: Settings, db: None, caplog: pytest.LogCaptureFixture
) -> None:
    application = create_app(replace(settings, log_format="json"), with_database=False)
    await application.state.indexer.rebuild()
    caplog.set_level(logging.INFO, logger="jobboard.access")
    transport = httpx.ASGITransport(app=application)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            answer = await c.get("/offres", headers={"X-Request-ID": "req-42"})
    finally:
        application.state.search.close()
    (record,) = [r for r in caplog.records if r.name == "jobboard.access"]
    token = REQUEST_ID.set("req-42")
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        REQUEST_ID.reset(token)
    assert answer.headers["x-request-id"] == "req-42"
    assert line["request_id"] == "req-42" and line["logger"] == "jobboard.access"
    assert (line["method"], line["route"], line["status"]) == ("GET", "/offres", 200)
    assert line["duration_ms"] >= 0 and line["level"] == "info"
    try:
        raise ValueError("é")
    except ValueError:
        failure = logging.LogRecord("jobboard", logging.ERROR, __file__, 1, "échec", None, None)
        failure.exc_info = sys.exc_info()
    assert "ValueError: é" in json.loads(JsonFormatter().format(failure))["exception"]


def test_serve_writes_json_lines(tmp_path: Path) -> None:
    """The log configuration `serve` hands uvicorn, applied: one JSON object per line."""
    script = textwrap.dedent(
        """
        import logging, logging.config
        from jobboard.web.observability import log_config
        logging.config.dictConfig(log_config("INFO"))
        logging.getLogger("uvicorn.error").info("Started server process")
        logging.getLogger("jobboard").warning("index à reconstruire")
        """
    )
    err = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stderr
    lines = [json.loads(line) for line in err.splitlines()]
    assert [(x["logger"], x["message"]) for x in lines] == [
        ("uvicorn.error", "Started server process"),
        ("jobboard", "index à reconstruire"),
    ]

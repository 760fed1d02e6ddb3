"""What `/metriques` tells Prometheus: request and search latencies, background job rounds,
the e-mail outbox backlog and this host's index lag.

Counters and histograms are kept by the process that observes them. Under `serve --workers N`
each web worker is a process of its own, so `serve` gives them a shared directory
(`PROMETHEUS_MULTIPROC_DIR`, prometheus-client's multiprocess mode) and a scrape adds them up,
whichever worker answers it. The backlog and lag gauges are read from the database at scrape
time: they are the same for every process.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client import multiprocess as prometheus_multiprocess

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST
# Board pages answer in milliseconds, an application with a CV upload in a second or so.
_LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# The board's own registry (not prometheus-client's global one), with the process's memory and
# CPU; one process, one registry, even when a test imports the module afresh.
REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)

REQUESTS = Histogram(
    "bourse_http_request_duration_seconds",
    "Durée des réponses HTTP, par route (modèle d’adresse), méthode et classe de statut.",
    ["route", "method", "status"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
SEARCHES = Histogram(
    "bourse_search_duration_seconds",
    "Durée d’une recherche dans l’index (tableaux, facettes et surlignage compris).",
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
JOB_RUNS = Counter(
    "bourse_job_runs_total",
    "Tours des tâches de fond commencés, par tâche.",
    ["job"],
    registry=REGISTRY,
)
JOB_FAILURES = Counter(
    "bourse_job_failures_total",
    "Tours des tâches de fond en échec, par tâche.",
    ["job"],
    registry=REGISTRY,
)
# Read from the database at each scrape: the latest reading counts, whichever process made it.
OUTBOX_PENDING = Gauge(
    "bourse_outbox_pending",
    "E-mails en attente d’envoi.",
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
OUTBOX_OLDEST = Gauge(
    "bourse_outbox_oldest_pending_seconds",
    "Âge du plus ancien e-mail en attente d’envoi (0 : aucun).",
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
INDEX_PENDING = Gauge(
    "bourse_index_pending_changes",
    "Offres modifiées que l’index de cet hôte n’a pas encore prises en compte.",
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
INDEX_LAG = Gauge(
    "bourse_index_lag_seconds",
    "Âge de la plus ancienne modification que l’index de cet hôte attend (0 : à jour).",
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)


@contextmanager
def job_round(job: str) -> Iterator[None]:
    """Counts one round of a background job, and its failure if it raises."""
    JOB_RUNS.labels(job).inc()
    try:
        yield
    except Exception:
        JOB_FAILURES.labels(job).inc()
        raise


_PROCESS_FILE = re.compile(r"_(\d+)\.db$")


def prepare_directory(path: Path) -> None:
    """The shared directory of `serve --workers N`, without the files of processes that are
    gone (a restart must not add the previous run's counts to the new ones)."""
    path.mkdir(parents=True, exist_ok=True)
    for file in path.glob("*.db"):
        found = _PROCESS_FILE.search(file.name)
        if found and not _alive(int(found.group(1))):
            file.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def exposition() -> bytes:
    """The text Prometheus scrapes: this process's metrics, or every worker's added up."""
    if os.environ.get(MULTIPROCESS_DIR):
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return bytes(generate_latest(registry))
    return bytes(generate_latest(REGISTRY))

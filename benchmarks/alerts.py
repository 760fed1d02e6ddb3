"""Alerts benchmark: N alerts over M published offers of which K are new, on a fresh SQLite
database built by the migrations. Times `send_alerts` (compute and queue every digest) and
counts its SQL statements, beside two references measured in the same run on the same index:

- one plain board search (`SearchService.search`, a page of 20) per distinct saved search;
- a naive per-alert loop (a full board search per alert, then the new offers kept), timed on a
  sample of alerts and scaled to N.

    .venv/bin/python benchmarks/alerts.py                      # 10,000 / 2,000 / 100
    .venv/bin/python benchmarks/alerts.py --alerts 300 --offers 200 --new 20   # smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tortoise import Tortoise

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from search import MULTI_WORD, ONE_WORD, generate, load_geography

from jobboard import clock
from jobboard.db import migrate
from jobboard.domain.alerts import AlertFrequency, AlertStatus
from jobboard.domain.board_query import BoardQuery
from jobboard.domain.offer import THEMES, OfferKind, OfferStatus
from jobboard.models import Alert, Commune, EmailOutbox, Offer
from jobboard.search.indexer import Indexer
from jobboard.search.searcher import SearchRequest, SearchService
from jobboard.search.store import IndexStore
from jobboard.services import alerts as alert_service
from jobboard.services.reference import import_communes
from jobboard.services.territory import commune_organisation
from jobboard.services.visibility import visible_offers
from jobboard.settings import Settings, tortoise_config

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
THEME_CODES = list(THEMES)
KINDS = [k.value for k in OfferKind]


class StatementCounter:
    """Counts the SQL statements sent through Tortoise's client (every execute_* method)."""

    METHODS = ("execute_query", "execute_query_dict", "execute_insert", "execute_many",
               "execute_script")  # fmt: skip

    def __init__(self) -> None:
        self.count = 0
        self._saved: list[tuple[type, str, Callable[..., Any]]] = []

    def __enter__(self) -> StatementCounter:
        from tortoise.backends.sqlite.client import SqliteClient, SqliteTransactionWrapper

        for cls in (SqliteClient, SqliteTransactionWrapper):
            for name in self.METHODS:
                if name not in cls.__dict__:  # inherited: counted once, on the parent
                    continue
                original = cls.__dict__[name]
                self._saved.append((cls, name, original))
                setattr(cls, name, self._counted(original))
        return self

    def _counted(self, original: Callable[..., Any]) -> Callable[..., Any]:
        async def counted(client: Any, *args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return await original(client, *args, **kwargs)

        return counted

    def __exit__(self, *exc: object) -> None:
        for cls, name, original in reversed(self._saved):
            setattr(cls, name, original)


def saved_searches(count: int, rng: random.Random, departements: list[str], regions: list[str]):
    """`count` distinct board query strings, shaped like what people save: words, a type, a
    place, a theme, alone or together."""
    found: dict[str, None] = {}
    while len(found) < count:
        params: dict[str, str] = {}
        if rng.random() < 0.6:
            params["q"] = rng.choice(ONE_WORD + MULTI_WORD)
        if rng.random() < 0.4:
            params["type"] = rng.choice(KINDS)
        place = rng.random()
        if place < 0.35:
            params["departement"] = rng.choice(departements)
        elif place < 0.6:
            params["region"] = rng.choice(regions)
        if rng.random() < 0.3:
            params["theme"] = rng.choice(THEME_CODES)
        found[urlencode(params)] = None
    return list(found)


async def build(args: argparse.Namespace, settings: Settings) -> tuple[list[str], list[int]]:
    rng = random.Random(args.seed)
    print("Base et référentiel…", flush=True)
    await import_communes(FIXTURES)
    communes = await Commune.filter(population__gte=1500, population__lte=20000).limit(4000)
    chosen = rng.sample(communes, min(300, len(communes)))
    organisations = {c.insee: await commune_organisation(c) for c in chosen}
    now = clock.now()
    today = clock.today()
    print(f"{args.offers} offres, dont {args.new} nouvelles…", flush=True)
    geo = load_geography()
    offers = []
    for number, doc in enumerate(generate(args.offers, args.seed, geo, today)):
        commune = chosen[number % len(chosen)]
        is_new = number >= args.offers - args.new
        first = now - (timedelta(hours=2) if is_new else timedelta(days=rng.randint(2, 300)))
        kind = doc["kind"]
        offers.append(
            Offer(
                kind=kind,
                status=OfferStatus.PUBLISHED,
                title=doc["title"],
                organisation=organisations[commune.insee],
                commune=commune,
                description=doc["body"],
                themes=doc["themes"].split(",") if isinstance(doc["themes"], str) else [],
                start_date=today + timedelta(days=60),
                duration_months=12 if kind != "chef_de_projet" else 36,
                weekly_hours=Decimal(35),
                min_diploma_level=rng.randint(5, 7),
                deadline=today + timedelta(days=rng.randint(7, 120)),
                published_at=first,
                first_published_at=first,
                remote=rng.choice(("no", "no", "partial", "full")),
            )
        )
    await Offer.bulk_create(offers, batch_size=500)
    await Indexer(IndexStore(settings.index_dir), visible_offers).rebuild()
    departements = sorted({c.departement_id for c in chosen})
    regions = sorted({c.region_id for c in chosen})
    searches = saved_searches(args.searches, rng, departements, regions)
    print(f"{args.alerts} alertes sur {len(searches)} recherches distinctes…", flush=True)
    watermark = now - timedelta(days=1)
    rows = [
        Alert(
            email=f"personne{n}@example.fr",
            name=f"Alerte {n}",
            query=rng.choice(searches),
            frequency=AlertFrequency.DAILY,
            status=AlertStatus.ACTIVE,
            created_at=watermark,
            confirmed_at=watermark,
            watermark=watermark,
        )
        for n in range(args.alerts)
    ]
    await Alert.bulk_create(rows, batch_size=1000)
    new_ids = await Offer.filter(first_published_at__gt=watermark).values_list("id", flat=True)
    return searches, [int(i) for i in new_ids]


async def run(args: argparse.Namespace, directory: Path) -> int:
    base = Settings.from_env({"JOBBOARD_DATA_DIR": str(directory), "JOBBOARD_SECRET_KEY": "b"})
    settings = replace(base, base_url="http://localhost:8000")
    await migrate(settings.database_url)
    await Tortoise.init(config=tortoise_config(settings.database_url))
    try:
        searches, new_ids = await build(args, settings)
        search = SearchService(IndexStore(settings.index_dir))
        ref = await alert_service.reference()
        queries = [alert_service.parse_stored(q, ref) or BoardQuery() for q in searches]

        # Reference 1: one plain board search per distinct saved search.
        start = time.perf_counter()
        for query in queries:
            search.search(SearchRequest.from_query(query))
        plain = time.perf_counter() - start

        # Reference 2: a naive loop, one full board search per alert, on a sample.
        sample = await Alert.all().order_by("id").limit(args.sample).values_list("query", flat=True)
        new = set(new_ids)
        start = time.perf_counter()
        for stored in sample:
            query = alert_service.parse_stored(stored, ref) or BoardQuery()
            result = search.search(replace(SearchRequest.from_query(query), page_size=100_000))
            _ = [h.id for h in result.hits if h.id in new]
        naive = (time.perf_counter() - start) * args.alerts / max(len(sample), 1)

        with StatementCounter() as counter:
            start = time.perf_counter()
            report = await alert_service.send_alerts(settings, search)
            elapsed = time.perf_counter() - start
        queued = await EmailOutbox.all().count()
        search.close()
    finally:
        await Tortoise.close_connections()

    print()
    print(f"Alertes : {args.alerts:,} · offres : {args.offers:,} · nouvelles : {len(new_ids)} · "
          f"recherches distinctes : {report.searches:,}".replace(",", " "))  # fmt: skip
    print(f"E-mails mis en file : {queued:,} · alertes sans nouveauté : {report.empty:,}"
          .replace(",", " "))  # fmt: skip
    print()
    print(f"{'':44} {'temps':>10}")
    print(f"{'send_alerts (calcul + mise en file)':44} {elapsed:>9.2f} s")
    per_alert = counter.count / args.alerts
    print(f"{'  requêtes SQL':44} {counter.count:>7} ({per_alert:.2f} / alerte)")
    print(f"{'référence : 1 recherche du site × distinctes':44} {plain:>9.2f} s")
    print(f"{'référence : boucle naïve par alerte (extrap.)':44} {naive:>9.2f} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--offers", type=int, default=2_000)
    parser.add_argument("--new", type=int, default=100)
    parser.add_argument("--searches", type=int, default=1_000, help="distinct saved searches")
    parser.add_argument("--sample", type=int, default=500, help="alerts timed in the naive loop")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    args.searches = min(args.searches, args.alerts)
    with tempfile.TemporaryDirectory(prefix="bench-alerts-") as directory:
        return asyncio.run(run(args, Path(directory)))


if __name__ == "__main__":
    sys.exit(main())

"""Index latency: time from publishing an offer (its transaction included) to its first hit.

The background loop of `serve` polls the change table every half second; this measures what a
recruiter waits for once staff approve, on a fresh SQLite database migrated by the real
migrations. The tests only wait for the event (tests/search/test_indexer.py); the figures are
here. Run: python benchmarks/index_latency.py --rounds 20
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import anyio
from tortoise import Tortoise

from jobboard import PROJECT_ROOT, clock
from jobboard.app import create_app
from jobboard.db import migrate
from jobboard.search.searcher import SearchRequest
from jobboard.services.offer_import import import_offers
from jobboard.services.reference import import_communes, import_density, import_pvd
from jobboard.settings import Settings, tortoise_config

FIXTURES = PROJECT_ROOT / "fixtures"
LOOP_INTERVAL = 0.5  # what `serve` uses
TIMEOUT = 30.0


def _row(word: str) -> dict[str, object]:
    today = clock.today()
    return {
        "kind": "vta",
        "title": f"VTA – Mission {word}",
        "employer_insee": "05050",
        "description": "La commune accueille un volontaire pour son plan climat.",
        "missions": "- Animer le plan climat",
        "profile": "Bac+5 en environnement.",
        "themes": ["transition_ecologique"],
        "start_date": (today + timedelta(days=60)).isoformat(),
        "duration_months": 12,
        "weekly_hours": 35,
        "min_diploma_level": 5,
        "deadline": (today + timedelta(days=30)).isoformat(),
        "contact_email": "mairie@espinasses.fr",
        "status": "published",
    }


async def measure(rounds: int, data_dir: Path) -> list[float]:
    settings = Settings.from_env({"JOBBOARD_DATA_DIR": str(data_dir), "JOBBOARD_SECRET_KEY": "x"})
    await migrate(settings.database_url)
    await Tortoise.init(config=tortoise_config(settings.database_url))
    try:
        await import_communes(FIXTURES)
        await import_pvd(FIXTURES / "pvd_sample.csv")
        await import_density(FIXTURES / "density_sample.csv")
        app = create_app(settings, with_database=False)
        await app.state.indexer.rebuild()
        delays: list[float] = []
        async with anyio.create_task_group() as loop:
            loop.start_soon(app.state.indexer.run_forever, LOOP_INTERVAL)
            for n in range(rounds):
                word = f"latence{n:04d}x"
                committed = time.monotonic()  # the import's own time is counted in
                result = await import_offers([_row(word)], today=clock.today())
                assert result.created, result.errors
                while not app.state.search.search(SearchRequest(q=word)).hits:
                    if time.monotonic() - committed > TIMEOUT:
                        raise SystemExit(f"offer {word} not searchable after {TIMEOUT} s")
                    await anyio.sleep(0.005)
                delays.append(time.monotonic() - committed)
            loop.cancel_scope.cancel()
        app.state.search.close()
        return delays
    finally:
        await Tortoise.close_connections()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        delays = asyncio.run(measure(args.rounds, Path(tmp)))
    ordered = sorted(delays)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(
        f"index latency over {len(delays)} offers (loop every {LOOP_INTERVAL} s): "
        f"median {statistics.median(delays) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"max {max(delays) * 1000:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

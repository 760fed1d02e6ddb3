"""Expired login sessions are deleted by the periodic round (`jobboard expire`, serve's loop)."""

from __future__ import annotations

from datetime import timedelta

import httpx

from jobboard.clock import now
from jobboard.models import UserSession
from jobboard.services.expiry import run_expiry
from jobboard.settings import Settings
from tests.conftest import log_in, make_user


async def test_the_periodic_round_deletes_idle_and_too_old_sessions_only(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    lea = await make_user(email="lea@example.fr")
    await log_in(client, "lea@example.fr")  # this browser's session stays
    moment = now()
    idle = timedelta(minutes=settings.session_idle_minutes)
    too_old = timedelta(hours=settings.session_max_hours)
    rows = {
        "idle": (moment - idle, moment - idle - timedelta(minutes=1)),
        "too-old": (moment - too_old - timedelta(minutes=1), moment),
        "almost-idle": (moment - idle, moment - idle + timedelta(minutes=5)),
    }
    for key, (created_at, last_seen_at) in rows.items():
        await UserSession.create(
            key_hash=key, user=lea, created_at=created_at, last_seen_at=last_seen_at
        )
    report = await run_expiry(settings)
    assert report.sessions == 2
    left = set(await UserSession.all().values_list("key_hash", flat=True))
    assert "almost-idle" in left and "idle" not in left and "too-old" not in left
    assert len(left) == 2
    assert (await client.get("/espace/compte")).status_code == 200
    assert (await run_expiry(settings)).sessions == 0

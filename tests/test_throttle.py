"""Rate-limit counters: in memory by default, shared through Redis when configured."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from jobboard.cli import proxy_options
from jobboard.settings import Settings
from jobboard.web.throttle import (
    LOGIN_FAILURES_PER_ACCOUNT,
    LOGIN_PER_IP,
    RaceFreeMemoryStorage,
    Throttle,
    account_key,
)
from tests.conftest import csrf_token

REDIS_URL = os.environ.get("JOBBOARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


async def test_memory_counters_lock_after_five_failures() -> None:
    throttle = Throttle()
    key = account_key("Lea@Example.fr")
    assert key == account_key(" lea@example.fr") and "lea" not in key
    assert [await throttle.hit(LOGIN_FAILURES_PER_ACCOUNT, key) for _ in range(6)] == [
        True, True, True, True, True, False,
    ]  # fmt: skip
    assert not await throttle.allows(LOGIN_FAILURES_PER_ACCOUNT, key)
    await throttle.clear(LOGIN_FAILURES_PER_ACCOUNT, key)
    assert await throttle.allows(LOGIN_FAILURES_PER_ACCOUNT, key)


@pytest.mark.skipif(not _redis_reachable(), reason="needs Redis on 127.0.0.1:6379 (.ci/run has it)")
async def test_redis_counters_are_shared_between_workers() -> None:
    first, second = Throttle(REDIS_URL), Throttle(REDIS_URL)  # two web workers
    key = f"test-{uuid.uuid4()}"
    for _ in range(3):
        assert await first.hit(LOGIN_FAILURES_PER_ACCOUNT, key)
    for _ in range(2):
        assert await second.hit(LOGIN_FAILURES_PER_ACCOUNT, key)
    assert not await first.allows(LOGIN_FAILURES_PER_ACCOUNT, key)
    assert not await second.allows(LOGIN_FAILURES_PER_ACCOUNT, key)
    await second.clear(LOGIN_FAILURES_PER_ACCOUNT, key)
    assert await first.allows(LOGIN_FAILURES_PER_ACCOUNT, key)
    await first.aclose()
    await second.aclose()


async def test_unreachable_redis_falls_back_to_limits_in_memory_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    throttle = Throttle("redis://127.0.0.1:1/0")
    throttle.RETRY_SHARED_AFTER = 0  # try Redis again on every call: still one log line
    key = account_key("lea@example.fr")
    assert [await throttle.hit(LOGIN_FAILURES_PER_ACCOUNT, key) for _ in range(6)] == [
        True, True, True, True, True, False,
    ]  # fmt: skip
    assert not await throttle.allows(LOGIN_FAILURES_PER_ACCOUNT, key)
    await throttle.clear(LOGIN_FAILURES_PER_ACCOUNT, key)
    assert await throttle.allows(LOGIN_FAILURES_PER_ACCOUNT, key)
    assert caplog.text.count("rate-limit storage unavailable") == 1
    assert "counted in this process" in caplog.text
    await throttle.aclose()


async def _login_statuses(application: Starlette, settings: Settings) -> list[int]:
    """31 login attempts through uvicorn's app stack as `serve` configures it, each claiming
    another address in X-Forwarded-For, all from one process on loopback."""
    config = uvicorn.Config(application, log_config=None, **proxy_options(settings))
    config.load()
    transport = httpx.ASGITransport(app=config.loaded_app, client=("127.0.0.1", 40000))
    statuses = []
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for i in range(LOGIN_PER_IP.item.amount + 1):
            response = await client.post(
                "/connexion",
                data={"email": "", "password": "", "csrf_token": await csrf_token(client)},
                headers={"X-Forwarded-For": f"203.0.113.{i}"},
            )
            statuses.append(response.status_code)
    return statuses


async def test_forwarded_for_from_loopback_is_ignored_unless_trusted(
    app: Starlette, settings: Settings
) -> None:
    assert settings.trusted_proxies == ()
    statuses = await _login_statuses(app, settings)
    assert statuses[-1] == 429 and set(statuses[:-1]) == {400}  # all counted on 127.0.0.1


async def test_forwarded_for_from_a_trusted_proxy_is_the_client(
    app: Starlette, settings: Settings
) -> None:
    trusted = replace(settings, trusted_proxies=("127.0.0.1",))
    assert set(await _login_statuses(app, trusted)) == {400}  # one attempt per address


def test_trusted_proxies_from_environment(tmp_path: Path) -> None:
    env = {"JOBBOARD_DATA_DIR": str(tmp_path), "JOBBOARD_SECRET_KEY": "k"}
    settings = Settings.from_env({**env, "JOBBOARD_TRUSTED_PROXIES": "10.0.0.5, 192.168.0.0/24"})
    assert settings.trusted_proxies == ("10.0.0.5", "192.168.0.0/24")
    assert proxy_options(settings) == {
        "proxy_headers": True,
        "forwarded_allow_ips": ["10.0.0.5", "192.168.0.0/24"],
    }
    with pytest.raises(ValueError, match="ni une adresse IP ni un réseau"):
        Settings.from_env({**env, "JOBBOARD_TRUSTED_PROXIES": "proxy.example.fr"})


async def test_clearing_a_counter_during_the_expiry_sweep_does_not_kill_it() -> None:
    throttle = Throttle()
    await throttle.hit(LOGIN_PER_IP, "192.0.2.1")  # schedules the sweep (not started yet)
    await throttle.hit(LOGIN_FAILURES_PER_ACCOUNT, "lea")
    sweep = throttle.storage.timer
    assert sweep is not None
    await asyncio.sleep(0)  # the sweep lists both keys and waits on its thread for the first
    await throttle.clear(LOGIN_FAILURES_PER_ACCOUNT, "lea")  # a successful login meanwhile
    await sweep  # raised KeyError with limits' own clear()
    assert await throttle.allows(LOGIN_FAILURES_PER_ACCOUNT, "lea")
    assert [await throttle.hit(LOGIN_FAILURES_PER_ACCOUNT, "lea") for _ in range(6)][-1] is False
    assert isinstance(throttle.storage, RaceFreeMemoryStorage)

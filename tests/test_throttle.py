"""Rate-limit counters: in memory by default, shared through Redis when configured."""

from __future__ import annotations

import os
import socket
import uuid

import pytest

from jobboard.web.throttle import LOGIN_FAILURES_PER_ACCOUNT, Throttle, account_key

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


async def test_unreachable_redis_fails_open_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    throttle = Throttle("redis://127.0.0.1:1/0")
    assert await throttle.hit(LOGIN_FAILURES_PER_ACCOUNT, "k")
    assert "rate-limit storage unavailable" in caplog.text
    await throttle.aclose()

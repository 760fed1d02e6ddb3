"""Rate limits on login, signup and password reset, per IP address and per account.

Counters live in memory (one process) or in Redis when JOBBOARD_REDIS_URL is set, so every web
worker shares them; while Redis is unreachable they fall back to memory. Moving windows from the
`limits` library.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar, cast

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from starlette.requests import Request

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Rule:
    name: str
    item: RateLimitItem
    message: str


_RETRY_LATER = "Trop de tentatives. Réessayez dans quelques minutes."
LOGIN_PER_IP = Rule("login-ip", parse("30/15 minutes"), _RETRY_LATER)
LOGIN_FAILURES_PER_ACCOUNT = Rule(
    "login-account",
    parse("5/15 minutes"),
    "Après 5 essais infructueux, la connexion à ce compte est bloquée pendant 15 minutes. "
    "Vous pouvez aussi réinitialiser votre mot de passe.",
)
# A trusted device (jobboard.web.device) is counted on its own, per account and device.
LOGIN_FAILURES_PER_DEVICE = Rule(
    "login-device",
    parse("5/15 minutes"),
    "Après 5 essais infructueux depuis cet appareil, la connexion à ce compte y est bloquée "
    "pendant 15 minutes. Vous pouvez aussi réinitialiser votre mot de passe.",
)
SIGNUP_PER_IP = Rule("signup-ip", parse("10/hour"), _RETRY_LATER)
RESET_PER_IP = Rule("reset-ip", parse("10/hour"), _RETRY_LATER)
RESET_PER_ACCOUNT = Rule("reset-account", parse("3/hour"), _RETRY_LATER)
# Each application attempt costs a PDF check in a child process (about 0.2 s of CPU).
_APPLY_LATER = "Trop de candidatures envoyées en peu de temps. Réessayez dans une heure."
APPLY_PER_CANDIDATE = Rule("apply-candidate", parse("20/hour"), _APPLY_LATER)
APPLY_PER_IP = Rule("apply-ip", parse("60/hour"), _APPLY_LATER)
SAVED_CV_PER_CANDIDATE = Rule(
    "saved-cv-candidate",
    parse("20/hour"),
    "Trop d’envois de CV en peu de temps. Réessayez dans une heure.",
)


def account_key(email: str) -> str:
    """Counters are keyed by a digest, so no e-mail address is written to Redis."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def client_ip(request: Request) -> str:
    # Rewritten from X-Forwarded-For by uvicorn only for JOBBOARD_TRUSTED_PROXIES (cli.serve).
    return request.client.host if request.client else "inconnu"


class RaceFreeMemoryStorage(MemoryStorage):
    """`limits`' in-process storage whose `clear` cannot break its background expiry sweep.

    The sweep (limits 5.8) lists the keys, then reads `events[key]` after an await; a login
    clearing its counter in between deleted the key and the sweep task died with a KeyError
    (« Task exception was never retrieved »). Emptying the window instead leaves the key for
    the sweep to drop.
    """

    async def clear(self, key: str) -> None:
        self.storage.pop(key, None)
        self.expirations.pop(key, None)
        if key in self.events:
            self.events[key] = []


class Throttle:
    """The limiter of every login, signup and reset attempt.

    With Redis configured and unreachable, counting carries on in this process (limits per
    worker rather than none) and says so once in the log; Redis is tried again every
    `RETRY_SHARED_AFTER` seconds, and its return is logged too.
    """

    RETRY_SHARED_AFTER = 30.0

    def __init__(self, redis_url: str = "") -> None:
        self.storage: Storage = (
            cast(
                Storage,
                storage_from_string(
                    f"async+{redis_url}",
                    implementation="redispy",
                    key_prefix="bourse-pvd",
                    # A Redis that stops answering costs a login 2 s, not the OS's TCP timeout.
                    socket_connect_timeout=2.0,
                    socket_timeout=2.0,
                ),
            )
            if redis_url
            else RaceFreeMemoryStorage()
        )
        self.limiter = MovingWindowRateLimiter(self.storage)
        self._fallback = MovingWindowRateLimiter(RaceFreeMemoryStorage()) if redis_url else None
        self._shared_down_until: float | None = None  # monotonic time of the next Redis try

    async def _limiter(self, call: Callable[[MovingWindowRateLimiter], Awaitable[T]]) -> T:
        if self._fallback is None:
            return await call(self.limiter)
        down_until = self._shared_down_until
        if down_until is None or time.monotonic() >= down_until:
            try:
                result = await call(self.limiter)
            except Exception:
                if down_until is None:
                    log.exception(
                        "rate-limit storage unavailable: limits counted in this process until "
                        "it answers again"
                    )
                self._shared_down_until = time.monotonic() + self.RETRY_SHARED_AFTER
            else:
                if down_until is not None:
                    log.warning("rate-limit storage reachable again: limits shared again")
                    self._shared_down_until = None
                return result
        return await call(self._fallback)

    async def allows(self, rule: Rule, key: str) -> bool:
        """Whether one more attempt fits, without counting it."""
        return await self._limiter(lambda limiter: limiter.test(rule.item, rule.name, key))

    async def hit(self, rule: Rule, key: str) -> bool:
        """Count one attempt; False when the limit was already reached."""
        return await self._limiter(lambda limiter: limiter.hit(rule.item, rule.name, key))

    async def reset_at(self, rule: Rule, key: str) -> float:
        """When (Unix time) the oldest counted attempt leaves the window: `Retry-After`."""
        stats = await self._limiter(
            lambda limiter: limiter.get_window_stats(rule.item, rule.name, key)
        )
        return float(stats.reset_time)

    async def clear(self, rule: Rule, key: str) -> None:
        await self._limiter(lambda limiter: limiter.clear(rule.item, rule.name, key))

    async def aclose(self) -> None:
        """Close the Redis connections (nothing to do in memory)."""
        client = getattr(getattr(self.storage, "bridge", None), "storage", None)
        if client is not None:
            await client.aclose()

"""Login sessions past their idle or absolute limit: the rows are deleted, not only refused."""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from jobboard.clock import now
from jobboard.models import UserSession
from jobboard.settings import Settings


def expired_sessions(settings: Settings, moment: datetime) -> QuerySet[UserSession]:
    """The sessions the auth middleware would refuse at `moment`."""
    idle_since = moment - timedelta(minutes=settings.session_idle_minutes)
    started_before = moment - timedelta(hours=settings.session_max_hours)
    return UserSession.filter(Q(last_seen_at__lt=idle_since) | Q(created_at__lt=started_before))


async def delete_expired_sessions(settings: Settings, moment: datetime | None = None) -> int:
    """Delete the sessions the auth middleware would refuse at `moment`; how many went."""
    deleted: int = await expired_sessions(settings, moment or now()).delete()
    return deleted

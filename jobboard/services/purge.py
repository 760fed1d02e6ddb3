"""The retention purge (`jobboard purge`, daily in `serve` and `worker`): every rule of
domain/retention.py applied, idempotent (a second run finds nothing), with a count per rule.

`dry_run` counts what would go and writes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from jobboard import metrics
from jobboard.clock import now
from jobboard.db import erase_deleted_pages
from jobboard.domain.account import Role
from jobboard.domain.retention import (
    ACCEPTED,
    ENDED_UNSUCCESSFULLY,
    INACTIVITY_GRACE,
    INACTIVITY_WARNING,
    SENT_EMAIL,
    UNCONFIRMED_ACCOUNT,
    UNCONFIRMED_ALERT,
    UNSUBSCRIBED_ALERT,
    application_purge_due,
    inactive_deletion_due,
)
from jobboard.formats import date_fr
from jobboard.mail import queue_email
from jobboard.models import Alert, Application, ApplicationEvent, EmailOutbox, User
from jobboard.services import data_export
from jobboard.services.account_deletion import INACTIVE, UNCONFIRMED, delete_account
from jobboard.services.applications import RETENTION, anonymise, remove_cv, sweep_cv_orphans
from jobboard.services.sessions import expired_sessions
from jobboard.settings import Settings

log = logging.getLogger(__name__)

# The report's lines, in order, in French.
RULE_LABELS: dict[str, str] = {
    "applications_unsuccessful": "candidatures non retenues, retirées ou sans objet anonymisées",
    "applications_talent_pool": "candidatures du vivier anonymisées (accord échu)",
    "applications_accepted": "candidatures retenues anonymisées",
    "inactive_warned": "comptes inactifs avertis",
    "inactive_deleted": "comptes inactifs supprimés",
    "unconfirmed_deleted": "comptes jamais confirmés supprimés",
    "unconfirmed_alerts": "alertes e-mail jamais confirmées supprimées",
    "unsubscribed_alerts": "alertes e-mail désabonnées supprimées",
    "sessions": "sessions expirées supprimées",
    "data_exports": "archives « Télécharger mes données » expirées supprimées",
    "emails": "e-mails envoyés effacés",
    "orphan_cvs": "CV orphelins supprimés",
}


@dataclass
class PurgeReport:
    dry_run: bool = False
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RULE_LABELS, 0))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def lines(self) -> list[str]:
        verb = " (à supprimer, rien n’a été modifié)" if self.dry_run else ""
        return [f"{RULE_LABELS[k]}\u202f: {n}{verb}" for k, n in self.counts.items()]


def _rule_for(status: str, talent_pool: bool) -> str:
    if status == ACCEPTED:
        return "applications_accepted"
    return "applications_talent_pool" if talent_pool else "applications_unsuccessful"


async def _due_applications(moment: datetime) -> list[tuple[Application, str]]:
    """Applications whose time is up, with the rule that says so."""
    candidates = (
        await Application.filter(
            anonymised_at__isnull=True, status__in=sorted(ENDED_UNSUCCESSFULLY | {ACCEPTED})
        )
        .select_related("offer")
        .order_by("id")
    )
    if not candidates:
        return []
    ended: dict[int, datetime] = {}
    events = await ApplicationEvent.filter(
        application_id__in=[a.id for a in candidates]
    ).values_list("application_id", "to_status", "created_at")
    current = {a.id: a.status for a in candidates}
    for application_id, to_status, created_at in events:
        if to_status == current[application_id]:
            ended[application_id] = max(created_at, ended.get(application_id, created_at))
    due: list[tuple[Application, str]] = []
    for a in candidates:
        when = application_purge_due(
            a.status,
            applied_at=a.created_at,
            ended_at=ended.get(a.id) or a.updated_at,
            offer_status=a.offer.status,
            offer_ended_at=a.offer.closed_at,
            talent_pool=a.talent_pool_consent,
        )
        if when is not None and when <= moment:
            due.append((a, _rule_for(a.status, a.talent_pool_consent)))
    return due


async def purge_applications(report: PurgeReport, settings: Settings, moment: datetime) -> None:
    for application, rule in await _due_applications(moment):
        report.counts[rule] += 1
        if report.dry_run:
            continue
        async with in_transaction():
            locked = await Application.select_for_update().get_or_none(
                id=application.id, anonymised_at__isnull=True
            )
            cv_path = await anonymise(locked, RETENTION) if locked is not None else ""
        await remove_cv(cv_path, settings)


async def warn_inactive(report: PurgeReport, settings: Settings, moment: datetime) -> None:
    """Accounts nobody signed in to for INACTIVITY_WARNING (staff excepted: the CLI removes
    them) are told the date of their deletion, once per period of inactivity."""
    limit = INACTIVITY_WARNING.before(moment)
    idle = await User.filter(
        Q(last_login_at__lte=limit) | Q(last_login_at__isnull=True, created_at__lte=limit),
        is_active=True,
    ).exclude(role=Role.STAFF)
    for user in idle:
        last = user.last_login_at or user.created_at
        if user.inactivity_warned_at is not None and user.inactivity_warned_at >= last:
            continue  # warned already since the last sign-in
        if user.email_confirmed_at is None:
            continue  # the unconfirmed-account rule deletes it; never write to such an address
        report.counts["inactive_warned"] += 1
        if report.dry_run:
            continue
        async with in_transaction():
            claimed = await User.filter(
                Q(inactivity_warned_at__isnull=True) | Q(inactivity_warned_at__lt=last),
                id=user.id,
            ).update(inactivity_warned_at=moment)
            if claimed:
                await queue_email(
                    user.email,
                    "account_inactive",
                    {
                        "user": user,
                        "last_activity": date_fr(last),
                        "deletion_date": date_fr(inactive_deletion_due(moment)),
                    },
                    settings,
                )


async def delete_inactive(report: PurgeReport, settings: Settings, moment: datetime) -> None:
    """Warned accounts nobody signed in to since the warning, INACTIVITY_GRACE later."""
    warned = await User.filter(
        inactivity_warned_at__lte=INACTIVITY_GRACE.before(moment), is_active=True
    ).exclude(role=Role.STAFF)
    for user in warned:
        assert user.inactivity_warned_at is not None
        if user.last_login_at is not None and user.last_login_at > user.inactivity_warned_at:
            continue  # they came back: the next warning starts from that sign-in
        report.counts["inactive_deleted"] += 1
        if not report.dry_run:
            await delete_account(user.id, settings, reason=INACTIVE)


async def delete_unconfirmed(report: PurgeReport, settings: Settings, moment: datetime) -> None:
    unconfirmed = await User.filter(
        email_confirmed_at__isnull=True, created_at__lte=UNCONFIRMED_ACCOUNT.before(moment)
    ).exclude(role=Role.STAFF)
    for user in unconfirmed:
        report.counts["unconfirmed_deleted"] += 1
        if not report.dry_run:
            await delete_account(user.id, settings, reason=UNCONFIRMED)


async def purge_unconfirmed_alerts(moment: datetime, *, dry_run: bool) -> int:
    """Visitors' alerts whose address was not confirmed in time (domain/retention.py)."""
    stale = Alert.filter(status="pending", created_at__lte=UNCONFIRMED_ALERT.before(moment))
    return await (stale.count() if dry_run else stale.delete())


async def purge_unsubscribed_alerts(moment: datetime, *, dry_run: bool) -> int:
    """Alerts stopped from an e-mail's unsubscribe link, once « Annuler » is no longer offered."""
    stale = Alert.filter(
        unsubscribed_at__isnull=False, unsubscribed_at__lte=UNSUBSCRIBED_ALERT.before(moment)
    )
    return await (stale.count() if dry_run else stale.delete())


async def purge_emails(report: PurgeReport, moment: datetime) -> None:
    limit = SENT_EMAIL.before(moment)
    old = EmailOutbox.filter(
        Q(status="sent", sent_at__lte=limit)
        | Q(status__in=("failed", "uncertain"), created_at__lte=limit)
    )
    report.counts["emails"] = await old.count() if report.dry_run else await old.delete()


async def purge(settings: Settings, *, dry_run: bool = False) -> PurgeReport:
    """Apply every retention rule once; safe to run at any time, as often as wanted."""
    moment = now()
    report = PurgeReport(dry_run=dry_run)
    await purge_applications(report, settings, moment)
    await warn_inactive(report, settings, moment)
    await delete_inactive(report, settings, moment)
    await delete_unconfirmed(report, settings, moment)
    report.counts["unconfirmed_alerts"] = await purge_unconfirmed_alerts(moment, dry_run=dry_run)
    report.counts["unsubscribed_alerts"] = await purge_unsubscribed_alerts(moment, dry_run=dry_run)
    expired = expired_sessions(settings, moment)
    report.counts["sessions"] = await (expired.count() if dry_run else expired.delete())
    report.counts["data_exports"] = await data_export.purge_expired(settings, dry_run=dry_run)
    await purge_emails(report, moment)
    report.counts["orphan_cvs"] = await sweep_cv_orphans(settings, dry_run=dry_run)
    if not dry_run and report.total:
        await erase_deleted_pages()
    return report


DAY = 24 * 3600.0


async def run_forever(settings: Settings, interval: float = DAY) -> None:
    """The daily loop of `serve` and `worker`."""
    while True:
        try:
            with metrics.job_round("purge"):
                report = await purge(settings)
            if report.total:
                log.info("purge: %s", "; ".join(report.lines()))
        except Exception:  # the database may be briefly away; next round
            log.exception("purge round failed")
        await asyncio.sleep(interval)

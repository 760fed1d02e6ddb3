"""How long the board keeps personal data (CNIL recruitment guide, DESIGN.md §3), pure.

Every duration of the retention purge (`jobboard purge`) and of the self-service download is
named here once; the purge applies them and the privacy page shows them, from the same values.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Duration:
    """A calendar duration: months are calendar months (31 January + 1 month = 28/29 February)."""

    months: int = 0
    days: int = 0
    hours: int = 0

    @property
    def label(self) -> str:
        """In French, as the privacy page writes it: « 3 mois », « 2 ans », « 30 jours »."""
        parts: list[str] = []
        years, months = divmod(self.months, 12)
        if years and not months:
            parts.append(f"{years} an" if years == 1 else f"{years} ans")
        elif self.months:
            parts.append(f"{self.months} mois")
        if self.days:
            parts.append(f"{self.days} jour" if self.days == 1 else f"{self.days} jours")
        if self.hours:
            parts.append(f"{self.hours} heure" if self.hours == 1 else f"{self.hours} heures")
        return " et ".join(parts) or "0 jour"

    def after(self, start: datetime) -> datetime:
        """The instant this long after `start`."""
        return _add_months(start, self.months) + timedelta(days=self.days, hours=self.hours)

    def before(self, end: datetime) -> datetime:
        """The instant this long before `end`: what started earlier is older than this."""
        return _add_months(end, -self.months) - timedelta(days=self.days, hours=self.hours)


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


# Applications that did not lead to a recruitment (not retained, withdrawn, obsolete): their CV
# and letter are deleted and the record anonymised this long after the offer ended (closed,
# expired) or the application ended, whichever is later (CNIL: 3 months to explain a refusal).
UNSUCCESSFUL_APPLICATION = Duration(months=3)
# …unless the candidate agreed to the talent pool when applying: this long after that consent.
TALENT_POOL = Duration(months=24)
# Accepted applications: anonymised this long after the acceptance.
ACCEPTED_APPLICATION = Duration(months=24)
# Accounts nobody signed in to for this long are warned by e-mail…
INACTIVITY_WARNING = Duration(months=23)
# …and deleted this long after the warning unless the person signs in (24 months in all).
INACTIVITY_GRACE = Duration(months=1)
# Accounts whose e-mail address was never confirmed are deleted this long after signup.
UNCONFIRMED_ACCOUNT = Duration(days=30)
# Sent e-mails are kept this long in the outbox (their bodies hold personal data).
SENT_EMAIL = Duration(days=90)
# A visitor's e-mail alert whose address was never confirmed is deleted this long after.
UNCONFIRMED_ALERT = Duration(days=7)
# An alert stopped from its e-mail's unsubscribe link is deleted this long after (until then,
# « Annuler » on the unsubscribe page brings it back).
UNSUBSCRIBED_ALERT = Duration(days=30)
# A « Télécharger mes données » archive can be downloaded again for this long.
DATA_EXPORT = Duration(hours=24)


@dataclass(frozen=True)
class RetentionPeriod:
    """One line of the privacy page's retention table."""

    data: str  # what is kept, in French
    duration: Duration
    starting: str  # from when, in French
    then: str  # what happens at the end, in French


RETENTION_PERIODS: tuple[RetentionPeriod, ...] = (
    RetentionPeriod(
        "Candidatures non retenues, retirées ou devenues sans objet",
        UNSUCCESSFUL_APPLICATION,
        "après la fin de l’offre ou de la candidature (la plus tardive des deux)",
        "CV et lettre supprimés, candidature anonymisée",
    ),
    RetentionPeriod(
        "Candidatures avec accord pour le vivier de talents",
        TALENT_POOL,
        "après l’accord donné en candidatant (retirable à tout moment)",
        "CV et lettre supprimés, candidature anonymisée",
    ),
    RetentionPeriod(
        "Candidatures retenues",
        ACCEPTED_APPLICATION,
        "après la décision de recrutement",
        "candidature anonymisée",
    ),
    RetentionPeriod(
        "Comptes sans connexion",
        INACTIVITY_WARNING,
        "après la dernière connexion",
        f"e-mail d’avertissement, puis suppression du compte {INACTIVITY_GRACE.label} plus tard "
        "sans nouvelle connexion",
    ),
    RetentionPeriod(
        "Comptes dont l’adresse e-mail n’a jamais été confirmée",
        UNCONFIRMED_ACCOUNT,
        "après l’inscription",
        "compte supprimé",
    ),
    RetentionPeriod(
        "Alertes e-mail dont l’adresse n’a jamais été confirmée",
        UNCONFIRMED_ALERT,
        "après la demande d’alerte",
        "alerte supprimée",
    ),
    RetentionPeriod(
        "Alertes e-mail arrêtées par le lien de désabonnement",
        UNSUBSCRIBED_ALERT,
        "après le désabonnement",
        "alerte supprimée",
    ),
    RetentionPeriod(
        "E-mails envoyés par la plateforme",
        SENT_EMAIL,
        "après l’envoi",
        "e-mail effacé",
    ),
    RetentionPeriod(
        "Archive « Télécharger mes données »",
        DATA_EXPORT,
        "après sa création",
        "lien de téléchargement désactivé",
    ),
)


# What each application status means for retention.
ENDED_UNSUCCESSFULLY = frozenset({"rejected", "withdrawn", "obsolete"})
ACCEPTED = "accepted"
# Offers that no longer recruit: the recruitment process they held is over.
ENDED_OFFER_STATUSES = frozenset({"closed", "expired", "rejected", "archived"})


def application_purge_due(
    status: str,
    *,
    applied_at: datetime,
    ended_at: datetime | None,
    offer_status: str,
    offer_ended_at: datetime | None,
    talent_pool: bool,
) -> datetime | None:
    """When an application is to be anonymised, or None while it must be kept.

    `ended_at` is when the application reached `status` (its decision, withdrawal or end),
    `offer_ended_at` when the offer closed or expired (None when it did not, or ended without
    a date: a refused or archived offer). Talent-pool consent is given when applying.
    """
    if status == ACCEPTED:
        return ACCEPTED_APPLICATION.after(ended_at or applied_at)
    if status not in ENDED_UNSUCCESSFULLY:
        return None  # still pending: the recruitment is under way
    if talent_pool:
        return TALENT_POOL.after(applied_at)
    if offer_status not in ENDED_OFFER_STATUSES:
        return None  # the offer still recruits: the refusal may yet need explaining
    ended = max(filter(None, (ended_at, offer_ended_at)), default=applied_at)
    return UNSUCCESSFUL_APPLICATION.after(ended)


def inactivity_warning_due(last_activity: datetime) -> datetime:
    """When an account not signed in to since `last_activity` gets its warning e-mail."""
    return INACTIVITY_WARNING.after(last_activity)


def inactive_deletion_due(warned_at: datetime) -> datetime:
    """When a warned account that nobody signed in to since the warning is deleted."""
    return INACTIVITY_GRACE.after(warned_at)

"""Tortoise models: the whole data model of the board (DESIGN.md §3-5)."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from jobboard.domain.account import Role, Verification
from jobboard.domain.alerts import AlertFrequency, AlertStatus
from jobboard.domain.application import ApplicationStatus
from jobboard.domain.eligibility import Verdict
from jobboard.domain.offer import OfferKind, OfferStatus, RemoteWork
from jobboard.domain.talent_pool import ProposalStatus


def _in(column: str, values: object) -> str:
    allowed = ", ".join(f"'{v}'" for v in values)  # type: ignore[attr-defined]
    return f"{column} IN ({allowed})"


class Region(Model):
    code = fields.CharField(max_length=3, primary_key=True)
    name = fields.CharField(max_length=100)

    class Meta:
        table = "region"


class Departement(Model):
    code = fields.CharField(max_length=3, primary_key=True)
    name = fields.CharField(max_length=100)
    region: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="departements", on_delete=fields.RESTRICT
    )

    class Meta:
        table = "departement"


class Epci(Model):
    """Établissement public de coopération intercommunale: a grouping of communes."""

    siren = fields.CharField(max_length=9, primary_key=True)
    name = fields.CharField(max_length=200)
    nature = fields.CharField(max_length=10, default="")

    class Meta:
        table = "epci"


class Commune(Model):
    """A current commune of the official geographic code (COG), keyed by its INSEE code."""

    insee = fields.CharField(max_length=5, primary_key=True)
    name = fields.CharField(max_length=100, db_index=True)
    departement: fields.ForeignKeyRelation[Departement] = fields.ForeignKeyField(
        "models.Departement", related_name="communes", on_delete=fields.RESTRICT
    )
    region: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="communes", on_delete=fields.RESTRICT
    )
    population = fields.IntField(null=True)
    siren = fields.CharField(max_length=9, null=True)
    postal_codes = fields.CharField(max_length=200, default="")  # space-separated
    epci: fields.ForeignKeyNullableRelation[Epci] = fields.ForeignKeyField(
        "models.Epci", related_name="communes", null=True, on_delete=fields.SET_NULL
    )
    # Petites villes de demain membership (data.gouv.fr list), null when not a PVD commune.
    pvd_id = fields.CharField(max_length=30, null=True)
    pvd_signed_on = fields.DateField(null=True)
    # INSEE 4-level density grid: 1 dense … 4 très peu dense; null when not imported.
    density_level = fields.SmallIntField(null=True)

    departement_id: str
    region_id: str
    epci_id: str | None

    class Meta:
        table = "commune"
        constraints = (
            CheckConstraint(
                check="density_level IS NULL OR density_level BETWEEN 1 AND 4",
                name="commune_density_level_valid",
            ),
        )

    @property
    def is_pvd(self) -> bool:
        return self.pvd_id is not None


class Organisation(Model):
    """An employer: a commune or an EPCI, the collectivité recruiters act for."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=10)  # "commune" | "epci"
    name = fields.CharField(max_length=200)
    commune: fields.ForeignKeyNullableRelation[Commune] = fields.ForeignKeyField(
        "models.Commune", related_name="organisations", null=True, on_delete=fields.RESTRICT
    )
    epci: fields.ForeignKeyNullableRelation[Epci] = fields.ForeignKeyField(
        "models.Epci", related_name="organisations", null=True, on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    commune_id: str | None
    epci_id: str | None

    @property
    def in_sentence(self) -> str:
        """« la commune de Fumel », « la commune d’Espinasses » to write after a preposition;
        EPCI names stand as they are."""
        if self.kind == "commune" and self.name.startswith("Commune "):
            return "la c" + self.name.removeprefix("C")
        return self.name

    class Meta:
        table = "organisation"
        unique_together = (("commune", "epci"),)
        constraints = (
            CheckConstraint(
                check="(kind = 'commune' AND commune_id IS NOT NULL AND epci_id IS NULL) OR "
                "(kind = 'epci' AND epci_id IS NOT NULL AND commune_id IS NULL)",
                name="organisation_kind_matches_target",
            ),
        )


class User(Model):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)  # stored lower-cased
    password_hash = fields.CharField(max_length=200)
    full_name = fields.CharField(max_length=150)
    role = fields.CharField(max_length=10)
    organisation: fields.ForeignKeyNullableRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="members", null=True, on_delete=fields.RESTRICT
    )
    # Recruiters start unverified; staff verify them (or refuse with a reason).
    verification = fields.CharField(
        max_length=10, default=Verification.NONE, db_default=Verification.NONE.value
    )
    verification_note = fields.TextField(default="")
    birth_date = fields.DateField(null=True)
    diploma_level = fields.SmallIntField(null=True)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_login_at = fields.DatetimeField(null=True)
    # Set when the owner followed the link e-mailed at signup; staff verify only such recruiters.
    email_confirmed_at = fields.DatetimeField(null=True)
    # When the retention purge warned that the account, unused, will be deleted (domain/retention).
    inactivity_warned_at = fields.DatetimeField(null=True)
    # Staff only: the régions and départements looked after, « r:84,d:76 » (domain/staff_territory);
    # empty = national. The Paris date of the last daily digest of what waits there.
    territory = fields.CharField(max_length=1000, default="", db_default="")
    staff_digest_on = fields.DateField(null=True)

    organisation_id: int | None

    class Meta:
        table = "app_user"
        constraints = (
            CheckConstraint(check=_in("role", Role), name="user_role_valid"),
            CheckConstraint(
                check=_in("verification", Verification), name="user_verification_valid"
            ),
            CheckConstraint(
                check="role <> 'recruiter' OR organisation_id IS NOT NULL",
                name="user_recruiter_has_organisation",
            ),
        )


class UserSession(Model):
    """A signed-in browser: the cookie carries a random key, only its SHA-256 is stored here.

    Kept server-side so that logging out, changing a password or an idle timeout really ends
    the session, which a cookie alone cannot do.
    """

    key_hash = fields.CharField(max_length=64, primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="sessions", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()

    user_id: int

    class Meta:
        table = "user_session"


class Offer(Model):
    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(OfferKind, max_length=20)
    status = fields.CharEnumField(OfferStatus, max_length=20, default=OfferStatus.DRAFT)
    title = fields.CharField(max_length=150)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="offers", on_delete=fields.RESTRICT
    )
    # Where the work takes place (the import's employer_insee); drives the territory rules.
    commune: fields.ForeignKeyRelation[Commune] = fields.ForeignKeyField(
        "models.Commune", related_name="offers", on_delete=fields.RESTRICT
    )
    description = fields.TextField()
    missions = fields.TextField(default="")
    profile = fields.TextField(default="")
    themes: list[str] = fields.JSONField(default=list)
    start_date = fields.DateField()
    duration_months = fields.SmallIntField()
    weekly_hours = fields.DecimalField(max_digits=5, decimal_places=2)
    min_diploma_level = fields.SmallIntField()
    deadline = fields.DateField(db_index=True)
    contact_email = fields.CharField(max_length=254, default="")
    salary = fields.CharField(max_length=300, default="")
    remote = fields.CharEnumField(RemoteWork, max_length=10, default=RemoteWork.NO)
    # Verdict computed by the domain rules at the last save: {"verdict": …, "reasons": […]}.
    eligibility: dict[str, object] = fields.JSONField(default=dict)
    eligibility_verdict = fields.CharField(max_length=12, default=Verdict.ELIGIBLE)
    territory_override = fields.TextField(default="")  # staff justification, empty if none
    # The form exactly as the recruiter last saved it (drafts may be incomplete or invalid);
    # the typed columns above hold what could be read from it.
    form_data: dict[str, object] | None = fields.JSONField(null=True)
    close_reason = fields.CharField(max_length=200, default="")
    version = fields.IntField(default=1)  # optimistic locking
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="offers_created", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    submitted_at = fields.DatetimeField(null=True)
    published_at = fields.DatetimeField(null=True, db_index=True)
    # When moderation first published it (never moved by a later publication): e-mail alerts
    # list the offers first published since their previous digest.
    first_published_at = fields.DatetimeField(null=True, db_index=True)
    closed_at = fields.DatetimeField(null=True)
    # When recruiters were told the deadline is a week away (sent once).
    deadline_reminder_sent_at = fields.DatetimeField(null=True)

    organisation_id: int
    commune_id: str

    class Meta:
        table = "offer"
        indexes = (("status", "deadline"),)
        constraints = (
            CheckConstraint(check=_in("status", OfferStatus), name="offer_status_valid"),
            CheckConstraint(check=_in("kind", OfferKind), name="offer_kind_valid"),
            CheckConstraint(check=_in("remote", RemoteWork), name="offer_remote_valid"),
            CheckConstraint(check=_in("eligibility_verdict", Verdict), name="offer_verdict_valid"),
            CheckConstraint(check="duration_months > 0", name="offer_duration_positive"),
            CheckConstraint(check="version > 0", name="offer_version_positive"),
        )


class OfferTheme(Model):
    """One theme of an offer, so the board can filter by theme with an index on both engines
    (JSON containment is PostgreSQL-only). Offer.themes keeps the ordered list for display;
    both are written by Offer-saving services through `set_offer_themes`."""

    id = fields.IntField(primary_key=True)
    offer: fields.ForeignKeyRelation[Offer] = fields.ForeignKeyField(
        "models.Offer", related_name="theme_links", on_delete=fields.CASCADE
    )
    theme = fields.CharField(max_length=30, db_index=True)

    class Meta:
        table = "offer_theme"
        unique_together = (("offer", "theme"),)


class OfferEvent(Model):
    """Append-only log of offer transitions: who, when, from → to, why."""

    id = fields.IntField(primary_key=True)
    offer: fields.ForeignKeyRelation[Offer] = fields.ForeignKeyField(
        "models.Offer", related_name="events", on_delete=fields.CASCADE
    )
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="offer_events", null=True, on_delete=fields.SET_NULL
    )
    from_status = fields.CharField(max_length=20, default="")
    to_status = fields.CharField(max_length=20)
    comment = fields.TextField(default="")
    # The offer's fields as staff saw them, to diff a resubmission against.
    snapshot: dict[str, object] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    # The actor's role when they acted: once their account is deleted (actor NULL), the journal
    # still tells « recruteur, compte supprimé » from the system.
    actor_role = fields.CharField(max_length=10, null=True)

    offer_id: int
    actor_id: int | None

    class Meta:
        table = "offer_event"

    async def save(self, *args: Any, **kwargs: Any) -> None:
        if self._saved_in_db:
            raise PermissionError("Le journal des offres ne se modifie pas.")
        await super().save(*args, **kwargs)

    async def delete(self, *args: Any, **kwargs: Any) -> None:
        raise PermissionError("Le journal des offres ne se supprime pas.")


class Application(Model):
    id = fields.IntField(primary_key=True)
    offer: fields.ForeignKeyRelation[Offer] = fields.ForeignKeyField(
        "models.Offer", related_name="applications", on_delete=fields.RESTRICT
    )
    candidate: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="applications", null=True, on_delete=fields.SET_NULL
    )
    status = fields.CharField(max_length=12, default=ApplicationStatus.RECEIVED)
    cover_letter = fields.TextField(default="")
    message = fields.TextField(default="")
    cv_path = fields.CharField(max_length=200, default="")  # its key in services/cv_store
    cv_sha256 = fields.CharField(max_length=64, default="")
    cv_filename = fields.CharField(max_length=200, default="")
    talent_pool_consent = fields.BooleanField(default=False)
    # When the candidate withdrew the talent-pool consent given when applying.
    talent_pool_withdrawn_at = fields.DatetimeField(null=True)
    # Candidate's declared data and verdict when they applied.
    eligibility: dict[str, object] = fields.JSONField(default=dict)
    internal_notes = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    anonymised_at = fields.DatetimeField(null=True)
    # Why: "account_deleted" (by its candidate, or unused) or "retention" (its time was up).
    anonymised_reason = fields.CharField(max_length=20, null=True)

    offer_id: int
    candidate_id: int | None

    class Meta:
        table = "application"
        unique_together = (("offer", "candidate"),)
        constraints = (
            CheckConstraint(
                check=_in("status", ApplicationStatus), name="application_status_valid"
            ),
        )


class ApplicationsSeen(Model):
    """When a recruiter last opened an offer's applications page: the applications received
    since are « nouvelles » for them. One row per (recruiter, offer), upserted."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="applications_seen", on_delete=fields.CASCADE
    )
    offer: fields.ForeignKeyRelation[Offer] = fields.ForeignKeyField(
        "models.Offer", related_name="applications_seen", on_delete=fields.CASCADE
    )
    seen_at = fields.DatetimeField()

    user_id: int
    offer_id: int

    class Meta:
        table = "applications_seen"
        unique_together = (("user", "offer"),)


class ApplicationEvent(Model):
    """Append-only log of application transitions, like OfferEvent (triggers: migration 0007)."""

    id = fields.IntField(primary_key=True)
    application: fields.ForeignKeyRelation[Application] = fields.ForeignKeyField(
        "models.Application", related_name="events", on_delete=fields.CASCADE
    )
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="application_events", null=True, on_delete=fields.SET_NULL
    )
    from_status = fields.CharField(max_length=12, default="")
    to_status = fields.CharField(max_length=12)
    comment = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    application_id: int
    actor_id: int | None

    class Meta:
        table = "application_event"

    async def save(self, *args: Any, **kwargs: Any) -> None:
        if self._saved_in_db:
            raise PermissionError("Le journal des candidatures ne se modifie pas.")
        await super().save(*args, **kwargs)

    async def delete(self, *args: Any, **kwargs: Any) -> None:
        raise PermissionError("Le journal des candidatures ne se supprime pas.")


class SavedOffer(Model):
    """An offer a candidate keeps (« Sauvegarder »), and the one deadline reminder it earns.

    `reminder_sent_at` is set in the transaction that queues the reminder, by an UPDATE that
    only matches while it is still null: two rounds, or two hosts, never send it twice.
    """

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="saved_offers", on_delete=fields.CASCADE
    )
    offer: fields.ForeignKeyRelation[Offer] = fields.ForeignKeyField(
        "models.Offer", related_name="saved_by", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    reminder_sent_at = fields.DatetimeField(null=True)

    user_id: int
    offer_id: int

    class Meta:
        table = "saved_offer"
        unique_together = (("user", "offer"),)


class SearchChange(Model):
    """Names an offer whose visibility may have changed (the indexer re-reads the offer)."""

    id = fields.BigIntField(primary_key=True)
    offer_id = fields.IntField(db_index=True)  # not a FK: deleted offers must still be unindexed
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "search_change"


class SearchState(Model):
    """Per-index-replica watermark of applied search changes."""

    replica = fields.CharField(max_length=100, primary_key=True)
    last_change_id = fields.BigIntField(default=0)
    # When the newest change row the replica's last pass read was made: the rows made up to
    # then are applied (one made earlier but committed later is caught by the next pass).
    # Read by `lag`, in every process of the host.
    seen_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "search_state"


class EmailOutbox(Model):
    """A message written in the transaction that caused it, sent later by the mail worker."""

    id = fields.IntField(primary_key=True)
    to = fields.CharField(max_length=254)
    subject = fields.CharField(max_length=250)
    body_text = fields.TextField()
    body_html = fields.TextField(default="")
    # pending → sending (claimed, until next_attempt_at) → sent | pending (retry) | failed;
    # uncertain: perhaps delivered twice (see jobboard.mail), never sent again.
    status = fields.CharField(max_length=10, default="pending", db_index=True)
    attempts = fields.SmallIntField(default=0)
    next_attempt_at = fields.DatetimeField(null=True)
    last_error = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)
    # When an attempt first ended perhaps delivered; the one late retry is then the last.
    uncertain_since = fields.DatetimeField(null=True)
    # Erased once sent rather than kept: the last e-mail to an account that was deleted.
    erase_when_sent = fields.BooleanField(default=False, db_default=False)
    # Extra message headers ({"List-Unsubscribe": …}), put on the message by the sender.
    headers: dict[str, str] | None = fields.JSONField(null=True)

    class Meta:
        table = "email_outbox"
        constraints = (
            CheckConstraint(
                check="status IN ('pending', 'sending', 'sent', 'failed', 'uncertain')",
                name="email_status_valid",
            ),
        )


class DataExport(Model):
    """A « Télécharger mes données » archive, offered again for a while (domain/retention).

    The link carries a random token (only its SHA-256 is stored) and works only in the session
    that asked for it; the ZIP itself sits under the data directory until it expires.
    """

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="data_exports", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    session_hash = fields.CharField(max_length=64)  # UserSession.key_hash of the asking browser
    path = fields.CharField(max_length=200, default="")  # relative to the data dir, once built
    size = fields.IntField(default=0)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)
    ready_at = fields.DatetimeField(null=True)

    user_id: int

    class Meta:
        table = "data_export"


class SavedCV(Model):
    """A candidate's « CV enregistré »: at most one per account, checked and stored as an
    application's CV is. Applying with it stores a copy of the file for the application, so
    replacing or deleting it never touches an application's CV."""

    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "models.User", related_name="saved_cv", on_delete=fields.CASCADE
    )
    cv_path = fields.CharField(max_length=200)  # its key in services/cv_store, like Application's
    cv_sha256 = fields.CharField(max_length=64)
    cv_filename = fields.CharField(max_length=200)
    size_bytes = fields.IntField()
    uploaded_at = fields.DatetimeField()

    user_id: int

    class Meta:
        table = "saved_cv"


class CVBlob(Model):
    """One chunk of a CV kept in the database (services/cv_store, `db:` keys): every host
    reads it, `pg_dump` backs it up. A CV's chunks are written in one transaction."""

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=64)
    seq = fields.IntField()
    data = fields.BinaryField()
    created_at = fields.DatetimeField()  # the sweep's age of an orphan

    class Meta:
        table = "cv_blob"
        unique_together = (("key", "seq"),)


class Alert(Model):
    """An e-mail alert: a saved board search (its canonical query string), an address and a
    frequency; a digest lists the offers first published after `watermark`.

    A run claims an alert with an UPDATE conditioned on the `watermark` and `last_period` it
    read, in the transaction that queues its digest: two runs, or two hosts, send one e-mail.
    """

    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, db_index=True)  # lower-cased
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="alerts", null=True, on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=100)
    query = fields.CharField(max_length=1000)  # the /offres query string, canonical
    frequency = fields.CharField(max_length=10)
    status = fields.CharField(max_length=10, default=AlertStatus.PENDING)
    created_at = fields.DatetimeField()
    confirmed_at = fields.DatetimeField(null=True)
    last_sent_at = fields.DatetimeField(null=True)
    # Offers first published up to this instant were covered by a digest (or predate the alert).
    watermark = fields.DatetimeField()
    # The period (day « 2026-12-03 » or ISO week « 2026-W49 ») last covered, "" before any.
    last_period = fields.CharField(max_length=12, default="")
    # When the unsubscribe link paused it (the undo button checks it), null otherwise.
    unsubscribed_at = fields.DatetimeField(null=True)

    user_id: int | None

    class Meta:
        table = "alert"
        indexes = (("status", "last_period"),)
        constraints = (
            CheckConstraint(check=_in("frequency", AlertFrequency), name="alert_frequency_valid"),
            CheckConstraint(check=_in("status", AlertStatus), name="alert_status_valid"),
        )


class Proposal(Model):
    """An open offer proposed to a pooled candidate (`domain.talent_pool`): one per candidate
    and offer (the unique pair), its e-mail in the outbox, and what came of it.

    `sent_at` is the clock's (the monthly cap counts it); `email` is the outbox row, deleted
    while still unsent when the candidate leaves the pool.
    """

    id = fields.IntField(primary_key=True)
    offer: fields.ForeignKeyRelation[Offer] = fields.ForeignKeyField(
        "models.Offer", related_name="proposals", on_delete=fields.CASCADE
    )
    candidate: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="proposals", on_delete=fields.CASCADE
    )
    proposed_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="proposals_made", null=True, on_delete=fields.SET_NULL
    )
    message = fields.TextField(default="")
    status = fields.CharField(max_length=10, default=ProposalStatus.SENT)
    sent_at = fields.DatetimeField()
    opened_at = fields.DatetimeField(null=True)
    answered_at = fields.DatetimeField(null=True)
    application: fields.ForeignKeyNullableRelation[Application] = fields.ForeignKeyField(
        "models.Application", related_name="proposals", null=True, on_delete=fields.SET_NULL
    )
    email: fields.ForeignKeyNullableRelation[EmailOutbox] = fields.ForeignKeyField(
        "models.EmailOutbox", related_name="proposals", null=True, on_delete=fields.SET_NULL
    )

    offer_id: int
    candidate_id: int
    proposed_by_id: int | None
    application_id: int | None
    email_id: int | None

    class Meta:
        table = "proposal"
        unique_together = (("offer", "candidate"),)
        indexes = (("candidate_id", "sent_at"),)
        constraints = (
            CheckConstraint(check=_in("status", ProposalStatus), name="proposal_status_valid"),
        )


class PoolAccess(Model):
    """A département whose verified recruiters may search the pool and propose their own open
    offers there (`services.proposals`), opened by staff who look after it."""

    departement_code = fields.CharField(max_length=3, primary_key=True)
    opened_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="pool_accesses", null=True, on_delete=fields.SET_NULL
    )
    opened_at = fields.DatetimeField()

    opened_by_id: int | None

    class Meta:
        table = "pool_access"

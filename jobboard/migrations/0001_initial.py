from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from enum import StrEnum
from json import dumps, loads


# The values as they were when this migration was written (a migration never follows the live
# enums of jobboard.domain: renaming a member there must not change what this file creates).
class OfferKind(StrEnum):
    CHEF_DE_PROJET = "chef_de_projet"
    VTA = "vta"
    VTA_EXPERTISE = "vta_expertise"


class OfferStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    PUBLISHED = "published"
    REJECTED = "rejected"
    CLOSED = "closed"
    EXPIRED = "expired"
    ARCHIVED = "archived"


class RemoteWork(StrEnum):
    NO = "no"
    PARTIAL = "partial"
    FULL = "full"
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import CheckConstraint

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='EmailOutbox',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('to', fields.CharField(max_length=254)),
                ('subject', fields.CharField(max_length=250)),
                ('body_text', fields.TextField(unique=False)),
                ('body_html', fields.TextField(default='', unique=False)),
                ('status', fields.CharField(default='pending', db_index=True, max_length=10)),
                ('attempts', fields.SmallIntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'email_outbox', 'app': 'models', 'constraints': [CheckConstraint(check="status IN ('pending', 'sent', 'failed')", name='email_status_valid')], 'pk_attr': 'id', 'table_description': 'A message written in the transaction that caused it, sent later by the mail worker.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Epci',
            fields=[
                ('siren', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=9)),
                ('name', fields.CharField(max_length=200)),
                ('nature', fields.CharField(default='', max_length=10)),
            ],
            options={'table': 'epci', 'app': 'models', 'pk_attr': 'siren', 'table_description': 'Établissement public de coopération intercommunale: a grouping of communes.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Region',
            fields=[
                ('code', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=3)),
                ('name', fields.CharField(max_length=100)),
            ],
            options={'table': 'region', 'app': 'models', 'pk_attr': 'code'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Departement',
            fields=[
                ('code', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=3)),
                ('name', fields.CharField(max_length=100)),
                ('region', fields.ForeignKeyField('models.Region', source_field='region_id', db_constraint=True, to_field='code', related_name='departements', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'departement', 'app': 'models', 'pk_attr': 'code'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Commune',
            fields=[
                ('insee', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=5)),
                ('name', fields.CharField(db_index=True, max_length=100)),
                ('departement', fields.ForeignKeyField('models.Departement', source_field='departement_id', db_constraint=True, to_field='code', related_name='communes', on_delete=OnDelete.RESTRICT)),
                ('region', fields.ForeignKeyField('models.Region', source_field='region_id', db_constraint=True, to_field='code', related_name='communes', on_delete=OnDelete.RESTRICT)),
                ('population', fields.IntField(null=True)),
                ('siren', fields.CharField(null=True, max_length=9)),
                ('postal_codes', fields.CharField(default='', max_length=200)),
                ('epci', fields.ForeignKeyField('models.Epci', source_field='epci_id', null=True, db_constraint=True, to_field='siren', related_name='communes', on_delete=OnDelete.SET_NULL)),
                ('pvd_id', fields.CharField(null=True, max_length=30)),
                ('pvd_signed_on', fields.DateField(null=True)),
                ('density_level', fields.SmallIntField(null=True)),
            ],
            options={'table': 'commune', 'app': 'models', 'constraints': [CheckConstraint(check='density_level IS NULL OR density_level BETWEEN 1 AND 4', name='commune_density_level_valid')], 'pk_attr': 'insee', 'table_description': 'A current commune of the official geographic code (COG), keyed by its INSEE code.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Organisation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=10)),
                ('name', fields.CharField(max_length=200)),
                ('commune', fields.ForeignKeyField('models.Commune', source_field='commune_id', null=True, db_constraint=True, to_field='insee', related_name='organisations', on_delete=OnDelete.RESTRICT)),
                ('epci', fields.ForeignKeyField('models.Epci', source_field='epci_id', null=True, db_constraint=True, to_field='siren', related_name='organisations', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'organisation', 'app': 'models', 'unique_together': (('commune', 'epci'),), 'constraints': [CheckConstraint(check="(kind = 'commune' AND commune_id IS NOT NULL AND epci_id IS NULL) OR (kind = 'epci' AND epci_id IS NOT NULL AND commune_id IS NULL)", name='organisation_kind_matches_target')], 'pk_attr': 'id', 'table_description': 'An employer: a commune or an EPCI, the collectivité recruiters act for.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SearchChange',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('offer_id', fields.IntField(db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'search_change', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Names an offer whose visibility may have changed (the indexer re-reads the offer).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SearchState',
            fields=[
                ('replica', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=100)),
                ('last_change_id', fields.BigIntField(default=0)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'search_state', 'app': 'models', 'pk_attr': 'replica', 'table_description': 'Per-index-replica watermark of applied search changes.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.CharField(unique=True, max_length=254)),
                ('password_hash', fields.CharField(max_length=200)),
                ('full_name', fields.CharField(max_length=150)),
                ('role', fields.CharField(max_length=10)),
                ('organisation', fields.ForeignKeyField('models.Organisation', source_field='organisation_id', null=True, db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.RESTRICT)),
                ('verification', fields.CharField(default='none', db_default='none', max_length=10)),
                ('verification_note', fields.TextField(default='', unique=False)),
                ('birth_date', fields.DateField(null=True)),
                ('diploma_level', fields.SmallIntField(null=True)),
                ('is_active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_login_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'app_user', 'app': 'models', 'constraints': [CheckConstraint(check="role IN ('candidate', 'recruiter', 'staff')", name='user_role_valid'), CheckConstraint(check="verification IN ('none', 'pending', 'verified', 'refused')", name='user_verification_valid'), CheckConstraint(check="role <> 'recruiter' OR organisation_id IS NOT NULL", name='user_recruiter_has_organisation')], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Offer',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='CHEF_DE_PROJET: chef_de_projet\nVTA: vta\nVTA_EXPERTISE: vta_expertise', enum_type=OfferKind, max_length=20)),
                ('status', fields.CharEnumField(default=OfferStatus.DRAFT, description='DRAFT: draft\nSUBMITTED: submitted\nCHANGES_REQUESTED: changes_requested\nPUBLISHED: published\nREJECTED: rejected\nCLOSED: closed\nEXPIRED: expired\nARCHIVED: archived', enum_type=OfferStatus, max_length=20)),
                ('title', fields.CharField(max_length=150)),
                ('organisation', fields.ForeignKeyField('models.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='offers', on_delete=OnDelete.RESTRICT)),
                ('commune', fields.ForeignKeyField('models.Commune', source_field='commune_id', db_constraint=True, to_field='insee', related_name='offers', on_delete=OnDelete.RESTRICT)),
                ('description', fields.TextField(unique=False)),
                ('missions', fields.TextField(default='', unique=False)),
                ('profile', fields.TextField(default='', unique=False)),
                ('themes', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('start_date', fields.DateField()),
                ('duration_months', fields.SmallIntField()),
                ('weekly_hours', fields.DecimalField(max_digits=5, decimal_places=2)),
                ('min_diploma_level', fields.SmallIntField()),
                ('deadline', fields.DateField(db_index=True)),
                ('contact_email', fields.CharField(default='', max_length=254)),
                ('salary', fields.CharField(default='', max_length=300)),
                ('remote', fields.CharEnumField(default=RemoteWork.NO, description='NO: no\nPARTIAL: partial\nFULL: full', enum_type=RemoteWork, max_length=10)),
                ('eligibility', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('eligibility_verdict', fields.CharField(default='eligible', max_length=12)),
                ('territory_override', fields.TextField(default='', unique=False)),
                ('close_reason', fields.CharField(default='', max_length=200)),
                ('version', fields.IntField(default=1)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='offers_created', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('submitted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('published_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'offer', 'app': 'models', 'constraints': [CheckConstraint(check="status IN ('draft', 'submitted', 'changes_requested', 'published', 'rejected', 'closed', 'expired', 'archived')", name='offer_status_valid'), CheckConstraint(check="kind IN ('chef_de_projet', 'vta', 'vta_expertise')", name='offer_kind_valid'), CheckConstraint(check="remote IN ('no', 'partial', 'full')", name='offer_remote_valid'), CheckConstraint(check="eligibility_verdict IN ('eligible', 'to_review', 'ineligible')", name='offer_verdict_valid'), CheckConstraint(check='duration_months > 0', name='offer_duration_positive'), CheckConstraint(check='version > 0', name='offer_version_positive')], 'indexes': [Index(fields=['status', 'deadline'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Application',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('offer', fields.ForeignKeyField('models.Offer', source_field='offer_id', db_constraint=True, to_field='id', related_name='applications', on_delete=OnDelete.RESTRICT)),
                ('candidate', fields.ForeignKeyField('models.User', source_field='candidate_id', null=True, db_constraint=True, to_field='id', related_name='applications', on_delete=OnDelete.SET_NULL)),
                ('status', fields.CharField(default='received', max_length=12)),
                ('cover_letter', fields.TextField(default='', unique=False)),
                ('message', fields.TextField(default='', unique=False)),
                ('cv_path', fields.CharField(default='', max_length=200)),
                ('cv_sha256', fields.CharField(default='', max_length=64)),
                ('cv_filename', fields.CharField(default='', max_length=200)),
                ('talent_pool_consent', fields.BooleanField(default=False)),
                ('eligibility', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('internal_notes', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('anonymised_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'application', 'app': 'models', 'unique_together': (('offer', 'candidate'),), 'constraints': [CheckConstraint(check="status IN ('received', 'in_review', 'interview', 'accepted', 'rejected', 'withdrawn', 'obsolete')", name='application_status_valid')], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ApplicationEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('application', fields.ForeignKeyField('models.Application', source_field='application_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='application_events', on_delete=OnDelete.SET_NULL)),
                ('from_status', fields.CharField(default='', max_length=12)),
                ('to_status', fields.CharField(max_length=12)),
                ('comment', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'application_event', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OfferEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('offer', fields.ForeignKeyField('models.Offer', source_field='offer_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='offer_events', on_delete=OnDelete.SET_NULL)),
                ('from_status', fields.CharField(default='', max_length=20)),
                ('to_status', fields.CharField(max_length=20)),
                ('comment', fields.TextField(default='', unique=False)),
                ('snapshot', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'offer_event', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Append-only log of offer transitions: who, when, from → to, why.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OfferTheme',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('offer', fields.ForeignKeyField('models.Offer', source_field='offer_id', db_constraint=True, to_field='id', related_name='theme_links', on_delete=OnDelete.CASCADE)),
                ('theme', fields.CharField(db_index=True, max_length=30)),
            ],
            options={'table': 'offer_theme', 'app': 'models', 'unique_together': (('offer', 'theme'),), 'pk_attr': 'id', 'table_description': 'One theme of an offer, so the board can filter by theme with an index on both engines'},
            bases=['Model'],
        ),
    ]

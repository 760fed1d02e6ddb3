"""CVs kept in the database (services/cv_store, `db:` keys): a new table of chunks, created on
both engines so that the migrations are one path; SQLite sites keep their files by default.

A new table only: nothing existing is rebuilt on either engine. Existing CVs keep their files
and paths until `jobboard move-cvs --to database` moves them.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0013_alerts")]

    initial = False

    operations = [
        ops.CreateModel(
            name="CVBlob",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("key", fields.CharField(max_length=64)),
                ("seq", fields.IntField()),
                ("data", fields.BinaryField()),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "cv_blob",
                "app": "models",
                "unique_together": (("key", "seq"),),
                "pk_attr": "id",
                "table_description": "One chunk of a CV kept in the database.",
            },
            bases=["Model"],
        ),
    ]

"""A candidate's « CV enregistré » (one per account), in a table of its own.

A new table only: nothing existing is rebuilt on either engine.
"""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0011_personal_data")]

    initial = False

    operations = [
        ops.CreateModel(
            name="SavedCV",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("user", fields.OneToOneField("models.User", source_field="user_id", db_constraint=True, to_field="id", related_name="saved_cv", on_delete=OnDelete.CASCADE)),
                ("cv_path", fields.CharField(max_length=200)),
                ("cv_sha256", fields.CharField(max_length=64)),
                ("cv_filename", fields.CharField(max_length=200)),
                ("size_bytes", fields.IntField()),
                ("uploaded_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "saved_cv",
                "app": "models",
                "pk_attr": "id",
                "table_description": (
                    "A candidate's « CV enregistré »: at most one per account, checked and stored "
                    "as an application's CV is."
                ),
            },
            bases=["Model"],
        ),
    ]

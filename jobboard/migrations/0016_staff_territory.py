"""`app_user.territory` and `app_user.staff_digest_on`: staff by territory (issue 18).

`territory` lists the régions and départements a staff account looks after, as canonical
tokens `r:84,d:76` (région and département codes collide: « 11 » is Île-de-France and Aude);
empty means national. `staff_digest_on` is the Paris date of the last daily digest of what
waits in that territory, so a staff member gets at most one a day. Two new columns with
defaults: no table is rebuilt.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0015_search_seen_at")]

    initial = False

    operations = [
        ops.AddField(
            model_name="User",
            name="territory",
            field=fields.CharField(max_length=1000, default="", db_default=""),
        ),
        ops.AddField(
            model_name="User",
            name="staff_digest_on",
            field=fields.DateField(null=True),
        ),
    ]

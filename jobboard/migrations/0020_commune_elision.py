"""Employer names of communes with French elision and contraction: « Commune de Espinasses »
becomes « Commune d’Espinasses », « Commune de Le Havre » « Commune du Havre ». Only names the
board wrote itself (« Commune de » and the commune's own name) change; an UPDATE per row,
no table is rebuilt. The rule is frozen here (a migration must not change with the code)."""

from tortoise import migrations
from tortoise.migrations import operations as ops

_ELIDED = frozenset("AEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜŒÆ")


def _name(commune):
    if commune.startswith("Le "):
        return "Commune du " + commune.removeprefix("Le ")
    if commune.startswith("Les "):
        return "Commune des " + commune.removeprefix("Les ")
    if commune[:1].upper() in _ELIDED:
        return "Commune d’" + commune
    return "Commune de " + commune


async def elide(apps, schema_editor):
    client = schema_editor.client
    rows = await client.execute_query_dict(
        'SELECT o.id, o.name, c.name AS commune FROM "organisation" o '
        'JOIN "commune" c ON c.insee = o.commune_id WHERE o.kind = \'commune\''
    )
    placeholder = "?" if client.capabilities.dialect == "sqlite" else "$1"
    second = "?" if client.capabilities.dialect == "sqlite" else "$2"
    for row in rows:
        wanted = _name(row["commune"])
        if row["name"] == "Commune de " + row["commune"] and row["name"] != wanted:
            await client.execute_query(
                f'UPDATE "organisation" SET name = {placeholder} WHERE id = {second}',
                [wanted, row["id"]],
            )


async def nothing(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("models", "0019_alert_checks")]

    initial = False

    operations = [ops.RunPython(elide, reverse_code=nothing)]

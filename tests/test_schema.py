"""The schema `jobboard migrate` builds carries every invariant the database enforces.

A later migration that rebuilds a table (SQLite's AlterField copies it) could drop a trigger,
a CHECK or a unique index without any other test noticing: this one lists them after the
migrations, on the test database of the run (SQLite or PostgreSQL), and compares the lists
with the expected ones. A migration that adds or removes one updates the sets below.
"""

from __future__ import annotations

from tortoise import connections

from tests.conftest import is_postgres

# On SQLite the CHECK rules are triggers (migration 0002: ALTER TABLE cannot add a CHECK), one
# before INSERT and one before UPDATE; on PostgreSQL they are named CHECK constraints.
CHECKS = {
    ("alert", "alert_frequency_valid"),
    ("alert", "alert_status_valid"),
    ("app_user", "user_recruiter_has_organisation"),
    ("app_user", "user_role_valid"),
    ("app_user", "user_verification_valid"),
    ("application", "application_status_valid"),
    ("commune", "commune_density_level_valid"),
    ("email_outbox", "email_status_valid"),
    ("offer", "offer_duration_positive"),
    ("offer", "offer_kind_valid"),
    ("offer", "offer_remote_valid"),
    ("offer", "offer_status_valid"),
    ("offer", "offer_verdict_valid"),
    ("offer", "offer_version_positive"),
    ("organisation", "organisation_kind_matches_target"),
    ("proposal", "proposal_status_valid"),
}
# Other triggers, as (table, the statement they guard): the offer log (migration 0006) and the
# application log (0007) refuse UPDATE and DELETE (one trigger on PostgreSQL, two on SQLite).
LOG_TRIGGERS = {
    ("offer_event", "UPDATE"),
    ("offer_event", "DELETE"),
    ("application_event", "UPDATE"),
    ("application_event", "DELETE"),
}
PARTIAL_UNIQUE_INDEXES = {
    ("organisation", "organisation_one_per_commune", "(commune_id) WHERE kind = 'commune'"),
    ("organisation", "organisation_one_per_epci", "(epci_id) WHERE kind = 'epci'"),
}
# Unique column sets other than primary keys (unique fields and unique_together).
UNIQUE = {
    ("app_user", ("email",)),
    ("data_export", ("token_hash",)),
    ("saved_cv", ("user_id",)),
    ("application", ("offer_id", "candidate_id")),
    ("cv_blob", ("key", "seq")),
    ("applications_seen", ("user_id", "offer_id")),
    ("offer_theme", ("offer_id", "theme")),
    ("organisation", ("commune_id", "epci_id")),
    ("saved_offer", ("user_id", "offer_id")),
    ("proposal", ("offer_id", "candidate_id")),
}


async def _sqlite_schema() -> dict[str, set[object]]:
    conn = connections.get("default")
    rows = await conn.execute_query_dict(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('trigger', 'index')"
    )
    triggers = {(r["tbl_name"], r["name"]) for r in rows if r["type"] == "trigger"}
    guarded = {
        (r["tbl_name"], r["name"], event)
        for r in rows
        if r["type"] == "trigger"
        for event in ("INSERT", "UPDATE", "DELETE")
        if f"BEFORE {event}" in r["sql"].upper()
    }
    pairs = {(table, name.removesuffix("_insert")) for table, name in triggers}
    checks = {(t, n) for t, n in pairs if {(t, f"{n}_insert"), (t, f"{n}_update")} <= triggers}
    partial = set()
    for r in rows:
        sql = " ".join((r["sql"] or "").split())
        if r["type"] == "index" and sql.upper().startswith("CREATE UNIQUE") and " WHERE " in sql:
            columns = sql[sql.index("(") :].replace('"', "")
            partial.add((r["tbl_name"], r["name"], columns))
    unique = set()
    tables = await conn.execute_query_dict(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name <> 'tortoise_migrations'"
    )
    for t in tables:
        for index in await conn.execute_query_dict(f"PRAGMA index_list('{t['name']}')"):
            if index["unique"] and not index["partial"] and index["origin"] != "pk":
                info = await conn.execute_query_dict(f"PRAGMA index_info('{index['name']}')")
                unique.add((t["name"], tuple(i["name"] for i in info)))
    return {
        "checks": checks,
        "triggers": {
            (table, event)
            for table, name, event in guarded
            if (table, name.rsplit("_", 1)[0]) not in checks
        },
        "partial": partial,
        "unique": unique,
    }


async def _postgres_schema() -> dict[str, set[object]]:
    conn = connections.get("default")
    checks = await conn.execute_query_dict(
        "SELECT rel.relname AS tbl, con.conname AS name FROM pg_constraint con "
        "JOIN pg_class rel ON rel.oid = con.conrelid "
        "JOIN pg_namespace ns ON ns.oid = rel.relnamespace "
        "WHERE con.contype = 'c' AND ns.nspname = current_schema()"
    )
    triggers = await conn.execute_query_dict(
        "SELECT event_object_table AS tbl, event_manipulation AS event "
        "FROM information_schema.triggers WHERE trigger_schema = current_schema()"
    )
    indexes = await conn.execute_query_dict(
        "SELECT tablename AS tbl, indexname AS name, indexdef AS sql FROM pg_indexes "
        "WHERE schemaname = current_schema()"
    )
    partial = set()
    for r in indexes:
        sql = r["sql"]
        if sql.startswith("CREATE UNIQUE") and " WHERE " in sql:
            columns = sql[sql.index("(") :].replace('"', "").replace("(kind)::text", "kind")
            columns = columns.replace("'::character varying", "'").replace("::text", "")
            columns = columns.replace("WHERE (", "WHERE ").removesuffix(")")
            partial.add((r["tbl"], r["name"], columns))
    unique_rows = await conn.execute_query_dict(
        "SELECT t.relname AS tbl, array_agg(a.attname ORDER BY k.ord) AS columns "
        "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
        "JOIN pg_namespace ns ON ns.oid = t.relnamespace "
        "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) "
        "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum "
        "WHERE i.indisunique AND NOT i.indisprimary AND i.indpred IS NULL "
        "AND ns.nspname = current_schema() AND t.relname <> 'tortoise_migrations' "
        "GROUP BY i.indexrelid, t.relname"
    )
    return {
        "checks": {(r["tbl"], r["name"]) for r in checks},
        "triggers": {(r["tbl"], r["event"]) for r in triggers},
        "partial": partial,
        "unique": {(r["tbl"], tuple(r["columns"])) for r in unique_rows},
    }


async def test_migrations_build_every_trigger_check_and_unique_index(db: None) -> None:
    schema = await (_postgres_schema() if is_postgres() else _sqlite_schema())
    assert schema["checks"] == CHECKS
    assert schema["triggers"] == LOG_TRIGGERS
    assert schema["partial"] == PARTIAL_UNIQUE_INDEXES
    assert schema["unique"] == UNIQUE

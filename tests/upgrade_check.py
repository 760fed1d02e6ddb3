"""Run by tests/test_migrations.py in a subprocess: upgrade a populated database to the latest
migration and check nothing was lost. Usage: python -m tests.upgrade_check DATABASE_URL"""

from __future__ import annotations

import asyncio
import sys

from tortoise import Tortoise, connections
from tortoise.migrations.api import migrate as tortoise_migrate

from jobboard.db import _migration_url, migrate
from jobboard.settings import tortoise_config

BEFORE = "models.0002_check_constraints"


async def check(database_url: str) -> None:
    """Stop at 0002, write accounts, mail, an offer and an application with its log, then
    apply what follows."""
    if database_url.startswith("postgres"):
        await Tortoise.init(config=tortoise_config(database_url), _create_db=True)
        await Tortoise.close_connections()
    try:
        await tortoise_migrate(config=tortoise_config(_migration_url(database_url)), target=BEFORE)
        await Tortoise.close_connections()
        await Tortoise.init(config=tortoise_config(database_url))
        await connections.get("default").execute_script(
            "INSERT INTO region (code, name) VALUES ('84', 'Auvergne-Rhône-Alpes');"
            "INSERT INTO app_user (email, password_hash, full_name, role, verification, "
            "verification_note, is_active, created_at) VALUES "
            "('lea@example.fr', 'h', 'Léa', 'candidate', 'none', '', TRUE, CURRENT_TIMESTAMP);"
            'INSERT INTO email_outbox ("to", subject, body_text, body_html, status, attempts, '
            "last_error, created_at) "
            "VALUES ('lea@example.fr', 'S', 'B', '', 'pending', 0, '', CURRENT_TIMESTAMP);"
            "INSERT INTO departement (code, name, region_id) VALUES ('05', 'Hautes-Alpes', '84');"
            "INSERT INTO commune (insee, name, departement_id, region_id, postal_codes) "
            "VALUES ('05050', 'Espinasses', '05', '84', '05190');"
            "INSERT INTO organisation (kind, name, commune_id, created_at) "
            "VALUES ('commune', 'Commune de Espinasses', '05050', CURRENT_TIMESTAMP);"
            "INSERT INTO offer (kind, status, title, organisation_id, commune_id, description, "
            "missions, profile, themes, start_date, duration_months, weekly_hours, "
            "min_diploma_level, deadline, contact_email, salary, remote, eligibility, "
            "eligibility_verdict, territory_override, close_reason, version, created_at, "
            "updated_at) VALUES ('vta', 'published', 'VTA', 1, '05050', 'd', 'm', 'p', '[]', "
            "'2027-03-01', 12, 35, 5, '2027-01-15', '', '', 'no', '{}', 'eligible', '', '', 1, "
            "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);"
            "INSERT INTO application (offer_id, candidate_id, status, cover_letter, message, "
            "cv_path, cv_sha256, cv_filename, talent_pool_consent, eligibility, internal_notes, "
            "created_at, updated_at) VALUES (1, 1, 'in_review', 'l', '', '', '', '', FALSE, "
            "'{}', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);"
            "INSERT INTO application_event (application_id, actor_id, from_status, to_status, "
            "comment, created_at) VALUES (1, 1, 'received', 'in_review', '', CURRENT_TIMESTAMP);"
        )
        await Tortoise.close_connections()
        await migrate(database_url)
        await Tortoise.init(config=tortoise_config(database_url))
        conn = connections.get("default")
        users = await conn.execute_query_dict("SELECT id, email FROM app_user")
        assert [u["email"] for u in users] == ["lea@example.fr"], users
        outbox = await conn.execute_query_dict("SELECT status, uncertain_since FROM email_outbox")
        assert outbox == [{"status": "pending", "uncertain_since": None}], outbox
        # 0008: the outbox states widened, the check still refuses unknown ones.
        await conn.execute_script("UPDATE email_outbox SET status = 'sending'")
        try:
            await conn.execute_script("UPDATE email_outbox SET status = 'lost'")
        except Exception as refused:
            assert "email_status_valid" in str(refused), refused
        else:
            raise AssertionError("email_outbox accepted an unknown status")
        offers = await conn.execute_query_dict("SELECT title, form_data FROM offer")
        assert offers == [{"title": "VTA", "form_data": None}], offers
        # 0020: the name the board wrote, elided as French wants.
        names = await conn.execute_query_dict("SELECT name FROM organisation")
        assert names == [{"name": "Commune d’Espinasses"}], names
        events = await conn.execute_query_dict("SELECT to_status FROM application_event")
        assert events == [{"to_status": "in_review"}], events
        try:  # 0007: the application log is append-only from now on, old rows included
            await conn.execute_script("UPDATE application_event SET comment = 'réécrit'")
        except Exception as refused:
            assert "append-only" in str(refused), refused
        else:
            raise AssertionError("application_event accepted an UPDATE")
        await conn.execute_script(
            "INSERT INTO user_session (key_hash, user_id, created_at, last_seen_at) "
            f"VALUES ('k', {users[0]['id']}, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
        # 0010: a candidate keeps an offer once.
        saved = (
            "INSERT INTO saved_offer (user_id, offer_id, created_at) "
            "VALUES (1, 1, CURRENT_TIMESTAMP)"
        )
        await conn.execute_script(saved)
        try:
            await conn.execute_script(saved)
        except Exception as refused:
            assert "unique" in str(refused).lower(), refused
        else:
            raise AssertionError("saved_offer accepted the same offer twice")
        print("rows kept")
    finally:
        if database_url.startswith("postgres"):
            await connections.close_all(discard=False)
            await connections.get("default").db_delete()
        await Tortoise.close_connections()


if __name__ == "__main__":
    asyncio.run(check(sys.argv[1]))

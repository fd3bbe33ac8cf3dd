"""Migration 0003_access: grants made by e-mail before invitations existed."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

from dosewise.adapters.db import SqlStore, migrate
from dosewise.adapters.db.engine import MIGRATIONS, write_engine
from dosewise.domain.rules import KnowledgeBase
from dosewise.services.ports import Actor
from dosewise.services.sharing import shared_with_me

AT = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _upgrade_to(engine: Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with write_engine(engine).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def test_old_grants_stay_for_registered_accounts_and_expire_for_unclaimed_addresses(
    database_url: str, kb: KnowledgeBase
) -> None:
    """A grant to an existing account keeps working; one to an unregistered address cannot be claimed."""
    from dosewise.adapters.db import make_engine

    engine = make_engine(database_url)
    try:
        _upgrade_to(engine, "0002")
        with engine.begin() as connection:
            for user_id, email, role in ((1, "pat@x.org", "patient"), (2, "carer@x.org", "caregiver")):
                connection.execute(
                    text(
                        "INSERT INTO users (id, email, display_name, role, password_hash, created_at) "
                        "VALUES (:id, :email, :email, :role, 'h', :at)"
                    ),
                    {"id": user_id, "email": email, "role": role, "at": AT},
                )
            connection.execute(
                text(
                    "INSERT INTO patients (id, public_id, user_id, display_name, dialysis, timezone) "
                    "VALUES (1, 'p1', 1, 'Pat', false, 'UTC')"
                )
            )
            for grant_id, email in ((1, "carer@x.org"), (2, "later@x.org")):
                connection.execute(
                    text(
                        "INSERT INTO grants (id, patient_id, grantee_email, access, granted_at, granted_by) "
                        "VALUES (:id, 1, :email, 'caregiver', :at, 1)"
                    ),
                    {"id": grant_id, "email": email, "at": AT},
                )
        migrate(engine)
        store = SqlStore(engine, kb)
        carer = Actor(2, "caregiver", "carer@x.org", "carer@x.org")
        assert [p.public_id for p in shared_with_me(store=store, actor=carer)] == ["p1"]
        with store.read() as uow:
            states = {g.grantee_email: g.state(AT) for g in uow.grants.for_patient(1, include_revoked=True)}
        assert states == {"carer@x.org": "active", "later@x.org": "expired"}
    finally:
        engine.dispose()

"""Close the ways around append-only history, and give diary entries idempotency keys.

* SQLite: ``INSERT OR REPLACE`` deletes the old row without firing DELETE triggers (unless the connection
  sets ``PRAGMA recursive_triggers``, which the app's engine now does). A BEFORE INSERT trigger refuses a
  row whose id already exists, so no connection, whatever its pragmas, can replace a history row.
* PostgreSQL: ``TRUNCATE`` skips row triggers, so a BEFORE TRUNCATE statement trigger refuses it; and every
  append-only trigger is ``ENABLE ALWAYS``, so ``session_replication_role = replica`` does not skip it.
* ``symptom_entries`` and ``checkins`` get a nullable ``idempotency_key``, unique per patient (NULLs are
  distinct on both databases), so a retried diary entry is stored once.

Revision ID: 0004_hardening
Revises: 0003_access
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_hardening"
down_revision = "0003_access"
branch_labels = None
depends_on = None

# Frozen here (not imported) so this migration never changes when the models do.
TABLES = ("plan_versions", "dose_events", "stock_counts", "symptom_entries", "checkins", "audit_events")
DIARY = ("symptom_entries", "checkins")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in DIARY:
        op.add_column(table, sa.Column("idempotency_key", sa.String(length=64), nullable=True))
        op.create_index(f"uq_{table}_patient_key", table, ["patient_id", "idempotency_key"], unique=True)
    if dialect == "postgresql":
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION dosewise_append_only()"
            )
            op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_append_only")
            op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_truncate")
    elif dialect == "sqlite":
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "  # noqa: S608 - fixed names
                f"WHEN EXISTS (SELECT 1 FROM {table} WHERE id = NEW.id) "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: add a correcting entry instead'); END"
            )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in TABLES:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
            op.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_replace")
    for table in DIARY:
        op.drop_index(f"uq_{table}_patient_key", table_name=table)
        op.drop_column(table, "idempotency_key")

"""Treatment trials and CDS Hooks feedback become append-only history, like doses and the audit trail.

A trial is revised by recording a new one (the latest row is the trial in force), and feedback is what an
EHR told us about a card: neither may be edited or deleted afterwards, by the app or by anyone with a
connection. The same four guards as the other history tables (0002 and 0004): UPDATE and DELETE refused
by row triggers, INSERT OR REPLACE refused on SQLite, TRUNCATE refused and the triggers kept in replica
mode on PostgreSQL.

Revision ID: 0009_more_history
Revises: 0008_calendar_feeds
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0009_more_history"
down_revision = "0008_calendar_feeds"
branch_labels = None
depends_on = None

# Frozen here (not imported) so this migration never changes when the models do.
TABLES = ("trials", "cds_feedback")
_REFUSAL = "is append-only: add a correcting entry instead"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in TABLES:
        if dialect == "postgresql":
            # dosewise_append_only() is the function 0002 created.
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION dosewise_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION dosewise_append_only()"
            )
            op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_append_only")
            op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_truncate")
        elif dialect == "sqlite":
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} {_REFUSAL}'); END"
                )
            op.execute(
                f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "  # noqa: S608 - fixed names
                f"WHEN EXISTS (SELECT 1 FROM {table} WHERE id = NEW.id) "
                f"BEGIN SELECT RAISE(ABORT, '{table} {_REFUSAL}'); END"
            )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in TABLES:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        else:
            for name in ("no_update", "no_delete", "no_replace"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_{name}")

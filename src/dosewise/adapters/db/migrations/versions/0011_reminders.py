"""Reminders and alerts: push subscriptions, who is told what, the due work (reminder jobs) and the
delivery log.

Revision ID: 0011_reminders
Revises: 0010_pump_entries
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_reminders"
down_revision = "0010_pump_entries"
branch_labels = None
depends_on = None


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "push_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("endpoint", sa.String(length=1000), nullable=False),
        sa.Column("p256dh", sa.String(length=200), nullable=False),
        sa.Column("auth", sa.String(length=100), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_push_subscriptions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_subscriptions")),
        sa.UniqueConstraint("endpoint", name=op.f("uq_push_subscriptions_endpoint")),
    )
    op.create_index(op.f("ix_push_subscriptions_user_id"), "push_subscriptions", ["user_id"])
    op.create_table(
        "notify_settings",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kinds", sa.String(length=200), nullable=False),
        sa.Column("by_push", sa.Boolean(), nullable=False),
        sa.Column("by_email", sa.Boolean(), nullable=False),
        sa.Column("quiet_from", sa.String(length=5), nullable=False),
        sa.Column("quiet_to", sa.String(length=5), nullable=False),
        sa.Column("private_text", sa.Boolean(), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_notify_settings_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_notify_settings_user_id_users")),
        sa.PrimaryKeyConstraint("patient_id", "user_id", name=op.f("pk_notify_settings")),
    )
    op.create_table(
        "reminder_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("due_at", _time(), nullable=False),
        sa.Column("expires_at", _time(), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("lease_until", _time(), nullable=True),
        sa.Column("slot_date", sa.Date(), nullable=True),
        sa.Column("slot_index", sa.Integer(), nullable=True),
        sa.Column("ref", sa.String(length=100), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("finished_at", _time(), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_reminder_jobs_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_reminder_jobs_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_jobs")),
        # One job per dose slot (or alert) and recipient: a second scheduler, or a restart, adds nothing.
        sa.UniqueConstraint("key", name=op.f("uq_reminder_jobs_key")),
    )
    op.create_index(op.f("ix_reminder_jobs_patient_id"), "reminder_jobs", ["patient_id"])
    op.create_index(op.f("ix_reminder_jobs_due_at"), "reminder_jobs", ["due_at"])
    op.create_index(op.f("ix_reminder_jobs_state"), "reminder_jobs", ["state"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("target", sa.String(length=320), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("at", _time(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["reminder_jobs.id"], name=op.f("fk_deliveries_job_id_reminder_jobs")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_deliveries_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_deliveries_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
    )
    op.create_index(op.f("ix_deliveries_job_id"), "deliveries", ["job_id"])
    op.create_index(op.f("ix_deliveries_patient_id"), "deliveries", ["patient_id"])


def downgrade() -> None:
    op.drop_table("deliveries")
    op.drop_table("reminder_jobs")
    op.drop_table("notify_settings")
    op.drop_table("push_subscriptions")

"""Calendar subscription addresses: one row per secret (its sha256 only), revoked when turned off.

Revision ID: 0008_calendar_feeds
Revises: 0007_clinician_phone
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_calendar_feeds"
down_revision = "0007_clinician_phone"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_calendar_feeds_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_calendar_feeds_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by"], ["users.id"], name=op.f("fk_calendar_feeds_revoked_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feeds_token_hash")),
    )
    with op.batch_alter_table("calendar_feeds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_feeds_patient_id"), ["patient_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("calendar_feeds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_feeds_patient_id"))
    op.drop_table("calendar_feeds")

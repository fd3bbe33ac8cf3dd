"""Treatment trials (issue 13): the goal, review date and no-benefit plan agreed for a record.

Revision ID: 0006_trials
Revises: 0005_cds_hooks
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_trials"
down_revision = "0005_cds_hooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("plan_version", sa.Integer(), nullable=True),
        sa.Column("goal_kind", sa.String(length=32), nullable=False),
        sa.Column("goal_points", sa.Integer(), nullable=True),
        sa.Column("goal_text", sa.Text(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=False),
        sa.Column("if_no_benefit", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("recorded_by_name", sa.String(length=120), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_trials_patient_id_patients")),
        sa.ForeignKeyConstraint(["recorded_by"], ["users.id"], name=op.f("fk_trials_recorded_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trials")),
    )
    with op.batch_alter_table("trials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trials_patient_id"), ["patient_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("trials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trials_patient_id"))
    op.drop_table("trials")

"""The clinician's phone number on the patient record, so an urgent message can offer to call them.

Nullable, with no default: records made before this revision simply have no number (the banner then
offers the emergency number only).

Revision ID: 0007_clinician_phone
Revises: 0006_trials
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_clinician_phone"
down_revision = "0006_trials"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("clinician_phone", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_column("clinician_phone")

"""CDS Hooks: client token ids (a jti is refused the second time), the cards answered with, and feedback.

No patient data is stored: a card row holds its uuid, service, hook instance, finding code, indicator and
knowledge-base version; feedback holds what the client reported (outcome, suggestion uuids, override
reason and the clinician's comment).

Revision ID: 0005_cds_hooks
Revises: 0004_hardening
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_cds_hooks"
down_revision = "0004_hardening"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cds_token_ids",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("jti", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cds_token_ids")),
        sa.UniqueConstraint("issuer", "jti", name=op.f("uq_cds_token_ids_issuer")),
    )
    op.create_index("ix_cds_token_ids_expires_at", "cds_token_ids", ["expires_at"], unique=False)
    op.create_table(
        "cds_cards",
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("service_id", sa.String(length=64), nullable=False),
        sa.Column("hook_instance", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=120), nullable=False),
        sa.Column("indicator", sa.String(length=16), nullable=False),
        sa.Column("kb_version", sa.String(length=32), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("suggestion_uuids", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_cds_cards")),
    )
    op.create_index("ix_cds_cards_issued_at", "cds_cards", ["issued_at"], unique=False)
    op.create_table(
        "cds_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_uuid", sa.String(length=36), nullable=False),
        sa.Column("service_id", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("accepted_suggestions", sa.JSON(), nullable=False),
        sa.Column("override_system", sa.String(length=500), nullable=True),
        sa.Column("override_code", sa.String(length=200), nullable=True),
        sa.Column("user_comment", sa.Text(), nullable=True),
        sa.Column("outcome_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_uuid"], ["cds_cards.uuid"], name=op.f("fk_cds_feedback_card_uuid_cds_cards")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cds_feedback")),
    )
    op.create_index("ix_cds_feedback_card_uuid", "cds_feedback", ["card_uuid"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_cds_feedback_card_uuid", table_name="cds_feedback")
    op.drop_table("cds_feedback")
    op.drop_index("ix_cds_cards_issued_at", table_name="cds_cards")
    op.drop_table("cds_cards")
    op.drop_index("ix_cds_token_ids_expires_at", table_name="cds_token_ids")
    op.drop_table("cds_token_ids")

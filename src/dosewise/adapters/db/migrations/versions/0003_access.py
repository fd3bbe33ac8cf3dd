"""Invitations instead of e-mail grants, and one-time password-reset links.

A grant now belongs to the account that accepted its invitation (``accepted_by``) once the patient
confirmed it, never to whoever registers the address. Grants made before this revision: those to an
address that already had an account stay in force for that account (the patient saw the name on the
sharing page); those to an address nobody had registered become expired invitations that the patient
can send again.

Revision ID: 0003_access
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_access"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("accepted_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_grants_token_hash"), ["token_hash"])
        batch_op.create_foreign_key(
            batch_op.f("fk_grants_accepted_by_users"), "users", ["accepted_by"], ["id"]
        )
        batch_op.create_index("ix_grants_accepted_by", ["accepted_by"], unique=False)
    # Existing grants to a registered address: in force for that account, as before.
    op.execute(
        "UPDATE grants SET accepted_by = (SELECT users.id FROM users WHERE users.email = grants.grantee_email), "
        "accepted_at = granted_at, confirmed_at = granted_at "
        "WHERE EXISTS (SELECT 1 FROM users WHERE users.email = grants.grantee_email)"
    )
    # The rest: an invitation that has already expired (no token exists for it).
    op.execute("UPDATE grants SET expires_at = granted_at WHERE accepted_by IS NULL")
    op.create_table(
        "password_resets",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_password_resets_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_password_resets")),
    )
    with op.batch_alter_table("password_resets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_password_resets_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("password_resets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_resets_user_id"))
    op.drop_table("password_resets")
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.drop_index("ix_grants_accepted_by")
        batch_op.drop_constraint(batch_op.f("fk_grants_accepted_by_users"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_grants_token_hash"), type_="unique")
        for column in ("confirmed_at", "accepted_at", "accepted_by", "expires_at", "token_hash"):
            batch_op.drop_column(column)

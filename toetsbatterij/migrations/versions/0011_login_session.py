"""login_session: server-side sessions of staff members and candidates.

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-03
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import toetsbatterij.db

revision = "0011"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("staff_account_id", sa.Integer(), nullable=True),
        sa.Column("attempt_id", sa.Integer(), nullable=True),
        sa.Column("created_at", toetsbatterij.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", toetsbatterij.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", toetsbatterij.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", toetsbatterij.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(["attempt_id"], ["attempt.id"],
                                name=op.f("fk_login_session_attempt_id_attempt")),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"],
                                name=op.f("fk_login_session_organisation_id_organisation")),
        sa.ForeignKeyConstraint(["staff_account_id"], ["staff_account.id"],
                                name=op.f("fk_login_session_staff_account_id_staff_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_login_session_token_hash")),
    )
    with op.batch_alter_table("login_session") as batch:
        batch.create_index(batch.f("ix_login_session_attempt_id"), ["attempt_id"], unique=False)
        batch.create_index(batch.f("ix_login_session_organisation_id"), ["organisation_id"],
                           unique=False)
        batch.create_index(batch.f("ix_login_session_staff_account_id"), ["staff_account_id"],
                           unique=False)


def downgrade() -> None:
    op.drop_table("login_session")

"""login_throttle: failed candidate logins per session code and per access code.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import toetsbatterij.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", toetsbatterij.db.UTCDateTime(timezone=True),
                  nullable=False),
        sa.Column("last_failure_at", toetsbatterij.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", toetsbatterij.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_throttle")),
        sa.UniqueConstraint("scope", "key_hash", name=op.f("uq_login_throttle_scope_key_hash")),
    )


def downgrade() -> None:
    op.drop_table("login_throttle")

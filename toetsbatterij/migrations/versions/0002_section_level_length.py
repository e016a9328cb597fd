"""section_run.level holds "below_A1" (8 characters): widen it to 12.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("section_run") as batch_op:
        batch_op.alter_column("level", existing_type=sa.String(length=4),
                              type_=sa.String(length=12), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("section_run") as batch_op:
        batch_op.alter_column("level", existing_type=sa.String(length=12),
                              type_=sa.String(length=4), existing_nullable=False)

"""section_run.finish_reason holds combined stopping reasons ("min_items+se+classification"):
widen it to 200.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("section_run") as batch_op:
        batch_op.alter_column("finish_reason", existing_type=sa.String(length=40),
                              type_=sa.String(length=200), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("section_run") as batch_op:
        batch_op.alter_column("finish_reason", existing_type=sa.String(length=200),
                              type_=sa.String(length=40), existing_nullable=False)

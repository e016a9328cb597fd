"""candidate accommodations: larger text, extra audio plays, longer speaking preparation.

Revision ID: 0008
Revises: 0010
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # server defaults fill the rows of candidates registered before this migration
    with op.batch_alter_table("candidate") as batch_op:
        batch_op.add_column(sa.Column("larger_text", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column("extra_audio_plays", sa.Integer(), nullable=False,
                                      server_default="0"))
        batch_op.add_column(sa.Column("speaking_prep_percent", sa.Integer(), nullable=False,
                                      server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("candidate") as batch_op:
        batch_op.drop_column("speaking_prep_percent")
        batch_op.drop_column("extra_audio_plays")
        batch_op.drop_column("larger_text")

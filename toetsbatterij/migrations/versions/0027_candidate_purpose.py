"""candidate.purpose: the purpose profile a candidate takes the test for (issue 12).

Revision ID: 0027
Revises: 0020
Create Date: 2026-12-04 19:05:21.256880
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("candidate", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purpose", sa.String(length=40), nullable=False,
                                      server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("candidate", schema=None) as batch_op:
        batch_op.drop_column("purpose")

"""admission: the proctor admits each candidate after the identity check.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import toetsbatterij.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("candidate") as batch:
        batch.add_column(sa.Column("admitted_at", toetsbatterij.db.UTCDateTime(timezone=True),
                                   nullable=True))
        batch.add_column(sa.Column("admitted_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_candidate_admitted_by_id_staff_account"),
                                 "staff_account", ["admitted_by_id"], ["id"])
    # Candidates registered before admission existed were checked the old way: admitted.
    op.execute("UPDATE candidate SET admitted_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("candidate") as batch:
        batch.drop_constraint(op.f("fk_candidate_admitted_by_id_staff_account"),
                              type_="foreignkey")
        batch.drop_column("admitted_by_id")
        batch.drop_column("admitted_at")

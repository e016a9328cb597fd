"""result_release: a result is shown to its candidate once an agency admin released it.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import toetsbatterij.db

revision = "0015"
down_revision = "0014"  # needs the result table (0014, the results branch)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "result_release",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("released_at", toetsbatterij.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("released_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"],
                                name=op.f("fk_result_release_organisation_id_organisation")),
        sa.ForeignKeyConstraint(["result_id"], ["result.id"],
                                name=op.f("fk_result_release_result_id_result")),
        sa.ForeignKeyConstraint(["released_by_id"], ["staff_account.id"],
                                name=op.f("fk_result_release_released_by_id_staff_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_result_release")),
        sa.UniqueConstraint("result_id", name=op.f("uq_result_release_result_id")),
    )
    with op.batch_alter_table("result_release") as batch:
        batch.create_index(batch.f("ix_result_release_organisation_id"), ["organisation_id"],
                           unique=False)


def downgrade() -> None:
    op.drop_table("result_release")

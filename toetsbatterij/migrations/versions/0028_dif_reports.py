"""dif_report: uploaded DIF analyses per bank release, for the monitoring (issue 17).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04 19:10:33.527447
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import toetsbatterij.db

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dif_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("bank_version", sa.String(length=64), nullable=False),
        sa.Column("variable", sa.String(length=60), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("uploaded_at", toetsbatterij.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_dif_report_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["staff_account.id"],
            name=op.f("fk_dif_report_uploaded_by_id_staff_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dif_report")),
    )
    with op.batch_alter_table("dif_report", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dif_report_organisation_id"), ["organisation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("dif_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dif_report_organisation_id"))

    op.drop_table("dif_report")

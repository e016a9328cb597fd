"""Fair time: the platform's last answer (service_beat), outages (service_outage) and the time
credited to attempts for them (outage_credit).

Revision ID: 0023
Revises: 0028
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import toetsbatterij.db

revision = "0023"
down_revision = "0028"
branch_labels = None
depends_on = None

UTC = toetsbatterij.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "service_beat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_beat_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_beat")),
    )
    op.create_table(
        "service_outage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", UTC, nullable=False),
        sa.Column("ended_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_outage")),
        sa.UniqueConstraint("started_at", name=op.f("uq_service_outage_started_at")),
    )
    op.create_index(op.f("ix_service_outage_ended_at"), "service_outage", ["ended_at"])
    op.create_table(
        "outage_credit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("outage_id", sa.Integer(), nullable=False),
        sa.Column("section_index", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["attempt_id"], ["attempt.id"],
                                name=op.f("fk_outage_credit_attempt_id_attempt")),
        sa.ForeignKeyConstraint(["outage_id"], ["service_outage.id"],
                                name=op.f("fk_outage_credit_outage_id_service_outage")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outage_credit")),
        sa.UniqueConstraint("attempt_id", "outage_id",
                            name=op.f("uq_outage_credit_attempt_id_outage_id")),
    )
    op.create_index(op.f("ix_outage_credit_attempt_id"), "outage_credit", ["attempt_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_outage_credit_attempt_id"), table_name="outage_credit")
    op.drop_table("outage_credit")
    op.drop_index(op.f("ix_service_outage_ended_at"), table_name="service_outage")
    op.drop_table("service_outage")
    op.drop_table("service_beat")

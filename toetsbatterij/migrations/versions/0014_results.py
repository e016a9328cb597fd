"""result: frozen, immutable results of attempts (revisions superseded by corrections).

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-03
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import toetsbatterij.db

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("form_version", sa.String(length=64), nullable=False),
        sa.Column("rules_version", sa.String(length=64), nullable=False),
        sa.Column("inputs_hash", sa.String(length=64), nullable=False),
        sa.Column("fair_scores", sa.Boolean(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("frozen_at", toetsbatterij.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.Column("supersede_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["attempt_id"], ["attempt.id"],
                                name=op.f("fk_result_attempt_id_attempt")),
        sa.ForeignKeyConstraint(["created_by_id"], ["staff_account.id"],
                                name=op.f("fk_result_created_by_id_staff_account")),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"],
                                name=op.f("fk_result_organisation_id_organisation")),
        sa.ForeignKeyConstraint(["superseded_by_id"], ["result.id"],
                                name=op.f("fk_result_superseded_by_id_result")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_result")),
        sa.UniqueConstraint("attempt_id", "revision", name=op.f("uq_result_attempt_id_revision")),
    )
    with op.batch_alter_table("result") as batch:
        batch.create_index(batch.f("ix_result_attempt_id"), ["attempt_id"], unique=False)
        batch.create_index(batch.f("ix_result_organisation_id"), ["organisation_id"],
                           unique=False)


def downgrade() -> None:
    op.drop_table("result")

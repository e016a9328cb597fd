"""complaints: complaints about a result or the test conditions, their contested productions,
and the review tasks of the rating (issue 13 item 5, issue 17 item 5).

Revision ID: 0021
Revises: 0026
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import toetsbatterij.db

revision = "0021"
down_revision = "0026"
branch_labels = None
depends_on = None

UTC = toetsbatterij.db.UTCDateTime(timezone=True)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"],
                                   name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    with op.batch_alter_table("rating_task") as batch:
        batch.add_column(sa.Column("review_of_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("adopted_at", UTC, nullable=True))
        batch.create_foreign_key(batch.f("fk_rating_task_review_of_id_rating_task"),
                                 "rating_task", ["review_of_id"], ["id"])
        batch.create_index(batch.f("ix_rating_task_review_of_id"), ["review_of_id"],
                           unique=False)
    staff = ("created_by", "acknowledged_by", "review_requested_by", "proposed_by",
             "decided_by")
    op.create_table(
        "complaint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=12), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=True),
        sa.Column("attest_id", sa.Integer(), nullable=True),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("deadlines", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("acknowledged_at", UTC, nullable=True),
        sa.Column("acknowledged_by", sa.Integer(), nullable=True),
        sa.Column("acknowledgement_note", sa.Text(), nullable=False),
        sa.Column("review_requested_at", UTC, nullable=True),
        sa.Column("review_requested_by", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("motivation", sa.Text(), nullable=False),
        sa.Column("proposed_at", UTC, nullable=True),
        sa.Column("proposed_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTC, nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("new_result_id", sa.Integer(), nullable=True),
        sa.Column("new_attest_id", sa.Integer(), nullable=True),
        sa.Column("revocation_id", sa.Integer(), nullable=True),
        sa.Column("rejected", sa.JSON(), nullable=False),
        sa.Column("erased_at", UTC, nullable=True),
        _fk("complaint", "organisation_id", "organisation"),
        _fk("complaint", "candidate_id", "candidate"),
        _fk("complaint", "attempt_id", "attempt"),
        _fk("complaint", "result_id", "result"),
        _fk("complaint", "attest_id", "attest"),
        _fk("complaint", "new_result_id", "result"),
        _fk("complaint", "new_attest_id", "attest"),
        _fk("complaint", "revocation_id", "attest_revocation"),
        *(_fk("complaint", column, "staff_account") for column in staff),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint")),
        sa.UniqueConstraint("reference", name=op.f("uq_complaint_reference")),
    )
    with op.batch_alter_table("complaint") as batch:
        for column in ("organisation_id", "candidate_id", "attempt_id", "result_id"):
            batch.create_index(batch.f(f"ix_complaint_{column}"), [column], unique=False)
    op.create_table(
        "complaint_production",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("live_task_id", sa.Integer(), nullable=False),
        sa.Column("review_task_id", sa.Integer(), nullable=True),
        _fk("complaint_production", "complaint_id", "complaint"),
        _fk("complaint_production", "response_id", "response"),
        _fk("complaint_production", "live_task_id", "rating_task"),
        _fk("complaint_production", "review_task_id", "rating_task"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_production")),
        sa.UniqueConstraint("complaint_id", "response_id",
                            name=op.f("uq_complaint_production_complaint_id_response_id")),
    )
    with op.batch_alter_table("complaint_production") as batch:
        batch.create_index(batch.f("ix_complaint_production_complaint_id"), ["complaint_id"],
                           unique=False)


def downgrade() -> None:
    op.drop_table("complaint_production")
    op.drop_table("complaint")
    with op.batch_alter_table("rating_task") as batch:
        batch.drop_index(batch.f("ix_rating_task_review_of_id"))
        batch.drop_constraint(batch.f("fk_rating_task_review_of_id_rating_task"),
                              type_="foreignkey")
        batch.drop_column("adopted_at")
        batch.drop_column("review_of_id")

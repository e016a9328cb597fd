"""rating: tasks, assignments, ratings, reference responses, calibration sets and runs, rater
admissions; staff_account.senior_rater.

Revision ID: 0013
Revises: 0017
Create Date: 2026-12-03
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import toetsbatterij.db

revision = "0013"
down_revision = "0017"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"],
                                   name=op.f(f"fk_{table}_{column}_{target}"))


def _index(table: str, *columns: str) -> None:
    with op.batch_alter_table(table) as batch:
        for column in columns:
            batch.create_index(batch.f(f"ix_{table}_{column}"), [column], unique=False)


def upgrade() -> None:
    utc = toetsbatterij.db.UTCDateTime(timezone=True)
    with op.batch_alter_table("staff_account") as batch:
        batch.add_column(sa.Column("senior_rater", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))

    op.create_table(
        "calibration_set",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("skill", sa.String(length=20), nullable=False),
        sa.Column("rubric_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", utc, nullable=False),
        _fk("calibration_set", "organisation_id", "organisation"),
        _fk("calibration_set", "created_by", "staff_account"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calibration_set")),
    )
    _index("calibration_set", "organisation_id")

    op.create_table(
        "rating_reference",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.String(length=12), nullable=False),
        sa.Column("calibration_set_id", sa.Integer(), nullable=True),
        sa.Column("skill", sa.String(length=20), nullable=False),
        sa.Column("item_id", sa.String(length=40), nullable=False),
        sa.Column("rubric_id", sa.String(length=40), nullable=False),
        sa.Column("form_version", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("response_id", sa.Integer(), nullable=True),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=True),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", utc, nullable=False),
        _fk("rating_reference", "organisation_id", "organisation"),
        _fk("rating_reference", "calibration_set_id", "calibration_set"),
        _fk("rating_reference", "response_id", "response"),
        _fk("rating_reference", "created_by", "staff_account"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_reference")),
    )
    _index("rating_reference", "calibration_set_id", "organisation_id", "response_id")

    op.create_table(
        "calibration_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rater_id", sa.Integer(), nullable=False),
        sa.Column("calibration_set_id", sa.Integer(), nullable=False),
        sa.Column("skill", sa.String(length=20), nullable=False),
        sa.Column("started_at", utc, nullable=False),
        sa.Column("finished_at", utc, nullable=True),
        sa.Column("exact", sa.Float(), nullable=True),
        sa.Column("adjacent", sa.Float(), nullable=True),
        sa.Column("kappa", sa.Float(), nullable=True),
        sa.Column("pairs", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=True),
        _fk("calibration_run", "rater_id", "staff_account"),
        _fk("calibration_run", "calibration_set_id", "calibration_set"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calibration_run")),
    )
    _index("calibration_run", "rater_id")

    op.create_table(
        "rating_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("skill", sa.String(length=20), nullable=False),
        sa.Column("item_id", sa.String(length=40), nullable=False),
        sa.Column("rubric_id", sa.String(length=40), nullable=False),
        sa.Column("form_version", sa.String(length=64), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=True),
        sa.Column("attempt_id", sa.Integer(), nullable=True),
        sa.Column("exam_session_id", sa.Integer(), nullable=True),
        sa.Column("reference_id", sa.Integer(), nullable=True),
        sa.Column("calibration_run_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=14), nullable=False),
        sa.Column("blank", sa.Boolean(), nullable=False),
        sa.Column("thresholds", sa.JSON(), nullable=True),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("resolved_at", utc, nullable=True),
        _fk("rating_task", "organisation_id", "organisation"),
        _fk("rating_task", "response_id", "response"),
        _fk("rating_task", "attempt_id", "attempt"),
        _fk("rating_task", "exam_session_id", "exam_session"),
        _fk("rating_task", "reference_id", "rating_reference"),
        _fk("rating_task", "calibration_run_id", "calibration_run"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_task")),
        sa.UniqueConstraint("response_id", name=op.f("uq_rating_task_response_id")),
    )
    _index("rating_task", "attempt_id", "calibration_run_id", "exam_session_id",
           "organisation_id", "reference_id")

    op.create_table(
        "rating_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("rater_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("assigned_at", utc, nullable=False),
        sa.Column("submitted_at", utc, nullable=True),
        _fk("rating_assignment", "task_id", "rating_task"),
        _fk("rating_assignment", "rater_id", "staff_account"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_assignment")),
        sa.UniqueConstraint("task_id", "rater_id",
                            name=op.f("uq_rating_assignment_task_id_rater_id")),
        sa.UniqueConstraint("task_id", "position",
                            name=op.f("uq_rating_assignment_task_id_position")),
        sa.UniqueConstraint("token", name=op.f("uq_rating_assignment_token")),
    )
    _index("rating_assignment", "rater_id", "task_id")

    op.create_table(
        "rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=True),
        sa.Column("rater_id", sa.Integer(), nullable=True),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=True),
        sa.Column("submitted", sa.Boolean(), nullable=False),
        sa.Column("senior", sa.Boolean(), nullable=False),
        sa.Column("created_at", utc, nullable=False),
        _fk("rating", "task_id", "rating_task"),
        _fk("rating", "assignment_id", "rating_assignment"),
        _fk("rating", "rater_id", "staff_account"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating")),
        sa.UniqueConstraint("assignment_id", "submitted",
                            name=op.f("uq_rating_assignment_id_submitted")),
    )
    _index("rating", "rater_id", "task_id")

    op.create_table(
        "rater_admission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rater_id", sa.Integer(), nullable=False),
        sa.Column("skill", sa.String(length=20), nullable=False),
        sa.Column("admitted", sa.Boolean(), nullable=False),
        sa.Column("calibration_run_id", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_at", utc, nullable=False),
        _fk("rater_admission", "rater_id", "staff_account"),
        _fk("rater_admission", "calibration_run_id", "calibration_run"),
        _fk("rater_admission", "decided_by", "staff_account"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rater_admission")),
    )
    _index("rater_admission", "rater_id")


def downgrade() -> None:
    for table in ("rater_admission", "rating", "rating_assignment", "rating_task",
                  "calibration_run", "rating_reference", "calibration_set"):
        op.drop_table(table)
    with op.batch_alter_table("staff_account") as batch:
        batch.drop_column("senior_rater")

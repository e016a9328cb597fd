"""surveys: the satisfaction survey after the test, kept apart from the person (issue 17).

Revision ID: 0025
Revises: 0019
Create Date: 2026-12-04 18:05:55.543692
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "survey_response",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("test_code", sa.String(length=60), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("questions_version", sa.String(length=20), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_survey_response_location_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_survey_response_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_response")),
    )
    with op.batch_alter_table("survey_response", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_response_answered_on"), ["answered_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_survey_response_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "survey_invitation",
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"], ["attempt.id"], name=op.f("fk_survey_invitation_attempt_id_attempt")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_survey_invitation_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("attempt_id", name=op.f("pk_survey_invitation")),
    )
    with op.batch_alter_table("survey_invitation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_invitation_organisation_id"), ["organisation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("survey_invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_invitation_organisation_id"))

    op.drop_table("survey_invitation")
    with op.batch_alter_table("survey_response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_response_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_survey_response_answered_on"))

    op.drop_table("survey_response")

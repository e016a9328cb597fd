"""intake: the intake interview and the referral to a course (issue 17).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04 18:24:26.656289
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import toetsbatterij.db

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intake_interview",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("interviewed_on", sa.Date(), nullable=False),
        sa.Column("interviewer_id", sa.Integer(), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("created_at", toetsbatterij.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["interviewer_id"],
            ["staff_account.id"],
            name=op.f("fk_intake_interview_interviewer_id_staff_account"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_intake_interview_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_intake_interview_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_interview")),
    )
    with op.batch_alter_table("intake_interview", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_intake_interview_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_intake_interview_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "referral",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("interview_id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=True),
        sa.Column("trajectory_id", sa.Integer(), nullable=True),
        sa.Column("component_id", sa.Integer(), nullable=True),
        sa.Column("advice", sa.JSON(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("course", sa.String(length=10), nullable=False),
        sa.Column("pace", sa.String(length=10), nullable=False),
        sa.Column("provider_name", sa.String(length=200), nullable=False),
        sa.Column("override_reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("created_at", toetsbatterij.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["trajectory_component.id"],
            name=op.f("fk_referral_component_id_trajectory_component"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_account.id"],
            name=op.f("fk_referral_created_by_id_staff_account"),
        ),
        sa.ForeignKeyConstraint(
            ["interview_id"],
            ["intake_interview.id"],
            name=op.f("fk_referral_interview_id_intake_interview"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_referral_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_referral_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["result_id"], ["result.id"], name=op.f("fk_referral_result_id_result")
        ),
        sa.ForeignKeyConstraint(
            ["trajectory_id"], ["trajectory.id"], name=op.f("fk_referral_trajectory_id_trajectory")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral")),
    )
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_referral_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_referral_person_id"), ["person_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_referral_trajectory_id"), ["trajectory_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_trajectory_id"))
        batch_op.drop_index(batch_op.f("ix_referral_person_id"))
        batch_op.drop_index(batch_op.f("ix_referral_organisation_id"))

    op.drop_table("referral")
    with op.batch_alter_table("intake_interview", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intake_interview_person_id"))
        batch_op.drop_index(batch_op.f("ix_intake_interview_organisation_id"))

    op.drop_table("intake_interview")

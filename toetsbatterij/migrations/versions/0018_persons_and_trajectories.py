"""persons and trajectories: person records across sessions, trajectories, components, events,
transfers; candidate.person_id (issue 13).

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-04 17:58:59.561738
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import toetsbatterij.db

revision = "0018"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("id_kind", sa.String(length=10), nullable=False),
        sa.Column("id_number", sa.String(length=40), nullable=False),
        sa.Column("id_country", sa.String(length=2), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("instruction_language", sa.String(length=8), nullable=False),
        sa.Column("created_at", toetsbatterij.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("erased_at", toetsbatterij.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_account.id"],
            name=op.f("fk_person_created_by_id_staff_account"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_person_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
    )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index(
            "ix_person_identity", ["organisation_id", "id_kind", "id_number"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_person_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "trajectory",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("legal_ground", sa.Text(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("counsellor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", toetsbatterij.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", toetsbatterij.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("close_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["counsellor_id"],
            ["staff_account.id"],
            name=op.f("fk_trajectory_counsellor_id_staff_account"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_account.id"],
            name=op.f("fk_trajectory_created_by_id_staff_account"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_trajectory_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_trajectory_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trajectory")),
    )
    with op.batch_alter_table("trajectory", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_trajectory_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_trajectory_person_id"), ["person_id"], unique=False)

    op.create_table(
        "trajectory_transfer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trajectory_id", sa.Integer(), nullable=False),
        sa.Column("from_organisation_id", sa.Integer(), nullable=False),
        sa.Column("from_person_id", sa.Integer(), nullable=False),
        sa.Column("to_organisation_id", sa.Integer(), nullable=False),
        sa.Column("to_person_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("transferred_at", toetsbatterij.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("transferred_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["from_organisation_id"],
            ["organisation.id"],
            name=op.f("fk_trajectory_transfer_from_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["from_person_id"],
            ["person.id"],
            name=op.f("fk_trajectory_transfer_from_person_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["to_organisation_id"],
            ["organisation.id"],
            name=op.f("fk_trajectory_transfer_to_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["to_person_id"], ["person.id"], name=op.f("fk_trajectory_transfer_to_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["trajectory_id"],
            ["trajectory.id"],
            name=op.f("fk_trajectory_transfer_trajectory_id_trajectory"),
        ),
        sa.ForeignKeyConstraint(
            ["transferred_by_id"],
            ["staff_account.id"],
            name=op.f("fk_trajectory_transfer_transferred_by_id_staff_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trajectory_transfer")),
    )
    with op.batch_alter_table("trajectory_transfer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_trajectory_transfer_trajectory_id"), ["trajectory_id"], unique=False
        )

    op.create_table(
        "trajectory_component",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("trajectory_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("goal_level", sa.String(length=2), nullable=False),
        sa.Column("attest_id", sa.Integer(), nullable=True),
        sa.Column("result_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", toetsbatterij.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attest_id"], ["attest.id"], name=op.f("fk_trajectory_component_attest_id_attest")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_trajectory_component_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["result_id"], ["result.id"], name=op.f("fk_trajectory_component_result_id_result")
        ),
        sa.ForeignKeyConstraint(
            ["trajectory_id"],
            ["trajectory.id"],
            name=op.f("fk_trajectory_component_trajectory_id_trajectory"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trajectory_component")),
    )
    with op.batch_alter_table("trajectory_component", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_trajectory_component_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_trajectory_component_trajectory_id"), ["trajectory_id"], unique=False
        )

    op.create_table(
        "component_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_at", toetsbatterij.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["trajectory_component.id"],
            name=op.f("fk_component_event_component_id_trajectory_component"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_component_event_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["staff_account.id"],
            name=op.f("fk_component_event_recorded_by_id_staff_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_component_event")),
    )
    with op.batch_alter_table("component_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_component_event_component_id"), ["component_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_component_event_organisation_id"), ["organisation_id"], unique=False
        )

    with op.batch_alter_table("candidate", schema=None) as batch_op:
        batch_op.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_candidate_person_id"), ["person_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_candidate_person_id_person"), "person", ["person_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("candidate", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_candidate_person_id_person"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_candidate_person_id"))
        batch_op.drop_column("person_id")

    with op.batch_alter_table("component_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_component_event_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_component_event_component_id"))

    op.drop_table("component_event")
    with op.batch_alter_table("trajectory_component", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trajectory_component_trajectory_id"))
        batch_op.drop_index(batch_op.f("ix_trajectory_component_organisation_id"))

    op.drop_table("trajectory_component")
    with op.batch_alter_table("trajectory_transfer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trajectory_transfer_trajectory_id"))

    op.drop_table("trajectory_transfer")
    with op.batch_alter_table("trajectory", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trajectory_person_id"))
        batch_op.drop_index(batch_op.f("ix_trajectory_organisation_id"))

    op.drop_table("trajectory")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_organisation_id"))
        batch_op.drop_index("ix_person_identity")

    op.drop_table("person")

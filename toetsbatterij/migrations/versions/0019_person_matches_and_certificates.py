"""persons and certificates: proposed person matches (staff confirm or reject), the
civic-integration certificates and declarations of effort, their public verifications
(issue 13).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import toetsbatterij.db

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "civic_certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("trajectory_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("verification_code", sa.String(length=8), nullable=False),
        sa.Column("rules_version", sa.Integer(), nullable=False),
        sa.Column("rules_effective_from", sa.Date(), nullable=False),
        sa.Column("decision_date", sa.Date(), nullable=False),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("signature", sa.String(length=100), nullable=False),
        sa.Column("holder", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("holder_salt", sa.String(length=64), nullable=True),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("credential_jwt", sa.Text(), nullable=True),
        sa.Column("issued_at", toetsbatterij.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["issued_by_id"],
            ["staff_account.id"],
            name=op.f("fk_civic_certificate_issued_by_id_staff_account"),
        ),
        sa.ForeignKeyConstraint(
            ["key_id"], ["signing_key.kid"], name=op.f("fk_civic_certificate_key_id_signing_key")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_civic_certificate_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_civic_certificate_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["trajectory_id"],
            ["trajectory.id"],
            name=op.f("fk_civic_certificate_trajectory_id_trajectory"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_civic_certificate")),
        sa.UniqueConstraint("number", name=op.f("uq_civic_certificate_number")),
    )
    op.create_index(
        op.f("ix_civic_certificate_organisation_id"),
        "civic_certificate",
        ["organisation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_civic_certificate_person_id"), "civic_certificate", ["person_id"], unique=False
    )
    op.create_index(
        op.f("ix_civic_certificate_trajectory_id"),
        "civic_certificate",
        ["trajectory_id"],
        unique=False,
    )
    op.create_table(
        "person_match",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("proposed_at", toetsbatterij.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", toetsbatterij.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["candidate_id"], ["candidate.id"], name=op.f("fk_person_match_candidate_id_candidate")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["staff_account.id"],
            name=op.f("fk_person_match_decided_by_id_staff_account"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_person_match_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_person_match_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_match")),
    )
    op.create_index(
        op.f("ix_person_match_candidate_id"), "person_match", ["candidate_id"], unique=False
    )
    op.create_index(
        op.f("ix_person_match_organisation_id"), "person_match", ["organisation_id"], unique=False
    )
    op.create_index(op.f("ix_person_match_person_id"), "person_match", ["person_id"], unique=False)
    op.create_table(
        "civic_certificate_verification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("birth_date_given", sa.Boolean(), nullable=False),
        sa.Column("birth_date_matched", sa.Boolean(), nullable=False),
        sa.Column("at", toetsbatterij.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["civic_certificate.id"],
            name=op.f("fk_civic_certificate_verification_certificate_id_civic_certificate"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_civic_certificate_verification_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_civic_certificate_verification")),
    )
    op.create_index(
        op.f("ix_civic_certificate_verification_certificate_id"),
        "civic_certificate_verification",
        ["certificate_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_civic_certificate_verification_organisation_id"),
        "civic_certificate_verification",
        ["organisation_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_civic_certificate_verification_organisation_id"),
        table_name="civic_certificate_verification",
    )
    op.drop_index(
        op.f("ix_civic_certificate_verification_certificate_id"),
        table_name="civic_certificate_verification",
    )
    op.drop_table("civic_certificate_verification")
    op.drop_index(op.f("ix_person_match_person_id"), table_name="person_match")
    op.drop_index(op.f("ix_person_match_organisation_id"), table_name="person_match")
    op.drop_index(op.f("ix_person_match_candidate_id"), table_name="person_match")
    op.drop_table("person_match")
    op.drop_index(op.f("ix_civic_certificate_trajectory_id"), table_name="civic_certificate")
    op.drop_index(op.f("ix_civic_certificate_person_id"), table_name="civic_certificate")
    op.drop_index(op.f("ix_civic_certificate_organisation_id"), table_name="civic_certificate")
    op.drop_table("civic_certificate")

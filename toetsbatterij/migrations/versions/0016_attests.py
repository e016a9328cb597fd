"""attests: rule versions, signing keys, attests, revocations, verifications (issue 12).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import toetsbatterij.db

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

UTC = toetsbatterij.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "attest_rule_set",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["staff_account.id"],
                                name=op.f("fk_attest_rule_set_created_by_staff_account")),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"],
                                name=op.f("fk_attest_rule_set_organisation_id_organisation")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attest_rule_set")),
        sa.UniqueConstraint("organisation_id", "version",
                            name=op.f("uq_attest_rule_set_organisation_id_version")),
    )
    with op.batch_alter_table("attest_rule_set") as batch:
        batch.create_index(batch.f("ix_attest_rule_set_organisation_id"), ["organisation_id"],
                           unique=False)
    op.create_table(
        "signing_key",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("public_jwk", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("retired_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_signing_key")),
    )
    op.create_table(
        "attest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("verification_code", sa.String(length=8), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("rule_set_id", sa.Integer(), nullable=False),
        sa.Column("rules_version", sa.Integer(), nullable=False),
        sa.Column("test_date", sa.Date(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("signature", sa.String(length=100), nullable=False),
        sa.Column("person", sa.JSON(), nullable=True),
        sa.Column("person_salt", sa.String(length=64), nullable=True),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("credential_jwt", sa.Text(), nullable=True),
        sa.Column("status_index", sa.Integer(), nullable=False),
        sa.Column("issued_at", UTC, nullable=False),
        sa.Column("issued_by", sa.Integer(), nullable=False),
        sa.Column("revoked_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["attempt_id"], ["attempt.id"],
                                name=op.f("fk_attest_attempt_id_attempt")),
        sa.ForeignKeyConstraint(["candidate_id"], ["candidate.id"],
                                name=op.f("fk_attest_candidate_id_candidate")),
        sa.ForeignKeyConstraint(["issued_by"], ["staff_account.id"],
                                name=op.f("fk_attest_issued_by_staff_account")),
        sa.ForeignKeyConstraint(["key_id"], ["signing_key.kid"],
                                name=op.f("fk_attest_key_id_signing_key")),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"],
                                name=op.f("fk_attest_organisation_id_organisation")),
        sa.ForeignKeyConstraint(["result_id"], ["result.id"],
                                name=op.f("fk_attest_result_id_result")),
        sa.ForeignKeyConstraint(["rule_set_id"], ["attest_rule_set.id"],
                                name=op.f("fk_attest_rule_set_id_attest_rule_set")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attest")),
        sa.UniqueConstraint("number", name=op.f("uq_attest_number")),
        sa.UniqueConstraint("organisation_id", "status_index",
                            name=op.f("uq_attest_organisation_id_status_index")),
        sa.UniqueConstraint("result_id", name=op.f("uq_attest_result_id")),
    )
    with op.batch_alter_table("attest") as batch:
        batch.create_index(batch.f("ix_attest_attempt_id"), ["attempt_id"], unique=False)
        batch.create_index(batch.f("ix_attest_candidate_id"), ["candidate_id"], unique=False)
        batch.create_index(batch.f("ix_attest_organisation_id"), ["organisation_id"],
                           unique=False)
    op.create_table(
        "attest_revocation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("attest_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("requested_at", UTC, nullable=False),
        sa.Column("confirmed_by", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", UTC, nullable=True),
        sa.Column("withdrawn_by", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["attest_id"], ["attest.id"],
                                name=op.f("fk_attest_revocation_attest_id_attest")),
        sa.ForeignKeyConstraint(["confirmed_by"], ["staff_account.id"],
                                name=op.f("fk_attest_revocation_confirmed_by_staff_account")),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"],
                                name=op.f("fk_attest_revocation_organisation_id_organisation")),
        sa.ForeignKeyConstraint(["requested_by"], ["staff_account.id"],
                                name=op.f("fk_attest_revocation_requested_by_staff_account")),
        sa.ForeignKeyConstraint(["withdrawn_by"], ["staff_account.id"],
                                name=op.f("fk_attest_revocation_withdrawn_by_staff_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attest_revocation")),
    )
    with op.batch_alter_table("attest_revocation") as batch:
        batch.create_index(batch.f("ix_attest_revocation_attest_id"), ["attest_id"],
                           unique=False)
        batch.create_index(batch.f("ix_attest_revocation_organisation_id"), ["organisation_id"],
                           unique=False)
    op.create_table(
        "attest_verification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attest_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("birth_date_given", sa.Boolean(), nullable=False),
        sa.Column("birth_date_matched", sa.Boolean(), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["attest_id"], ["attest.id"],
                                name=op.f("fk_attest_verification_attest_id_attest")),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"],
                                name=op.f("fk_attest_verification_organisation_id_organisation")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attest_verification")),
    )
    with op.batch_alter_table("attest_verification") as batch:
        batch.create_index(batch.f("ix_attest_verification_attest_id"), ["attest_id"],
                           unique=False)
        batch.create_index(batch.f("ix_attest_verification_organisation_id"),
                           ["organisation_id"], unique=False)


def downgrade() -> None:
    op.drop_table("attest_verification")
    op.drop_table("attest_revocation")
    op.drop_table("attest")
    op.drop_table("signing_key")
    op.drop_table("attest_rule_set")

"""form_snapshot: test forms by content hash; attempts pin a form version, section runs their
design version.

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-03
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import toetsbatterij.db

revision = "0010"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "form_snapshot",
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("test_code", sa.String(length=60), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_at", toetsbatterij.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_form_snapshot")),
    )
    op.create_index(op.f("ix_form_snapshot_test_code"), "form_snapshot", ["test_code"])
    with op.batch_alter_table("attempt") as batch:
        batch.add_column(sa.Column("form_version", sa.String(length=64), nullable=False,
                                   server_default=""))
    with op.batch_alter_table("section_run") as batch:
        batch.add_column(sa.Column("design_version", sa.String(length=64), nullable=False,
                                   server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("section_run") as batch:
        batch.drop_column("design_version")
    with op.batch_alter_table("attempt") as batch:
        batch.drop_column("form_version")
    op.drop_index(op.f("ix_form_snapshot_test_code"), table_name="form_snapshot")
    op.drop_table("form_snapshot")

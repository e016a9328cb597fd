"""productions: writing drafts, recording takes and parts, microphone checks.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import toetsbatterij.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    utc = toetsbatterij.db.UTCDateTime(timezone=True)
    op.create_table(
        "writing_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("presentation_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("saved_at", utc, nullable=False),
        sa.ForeignKeyConstraint(["attempt_id"], ["attempt.id"],
                                name=op.f("fk_writing_draft_attempt_id_attempt")),
        sa.ForeignKeyConstraint(["presentation_id"], ["presentation.id"],
                                name=op.f("fk_writing_draft_presentation_id_presentation")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_writing_draft")),
        sa.UniqueConstraint("presentation_id", "item_id",
                            name=op.f("uq_writing_draft_presentation_id_item_id")),
    )
    with op.batch_alter_table("writing_draft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_writing_draft_attempt_id"), ["attempt_id"],
                              unique=False)
    op.create_table(
        "recording_take",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=32), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("presentation_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=40), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("started_at", utc, nullable=False),
        sa.Column("stopped_at", utc, nullable=True),
        sa.ForeignKeyConstraint(["attempt_id"], ["attempt.id"],
                                name=op.f("fk_recording_take_attempt_id_attempt")),
        sa.ForeignKeyConstraint(["presentation_id"], ["presentation.id"],
                                name=op.f("fk_recording_take_presentation_id_presentation")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recording_take")),
        sa.UniqueConstraint("presentation_id", "item_id", "number",
                            name=op.f("uq_recording_take_presentation_id_item_id_number")),
        sa.UniqueConstraint("uid", name=op.f("uq_recording_take_uid")),
    )
    with op.batch_alter_table("recording_take", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recording_take_attempt_id"), ["attempt_id"],
                              unique=False)
    op.create_table(
        "recording_part",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("take_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("mime_type", sa.String(length=40), nullable=False),
        sa.Column("chunk_count", sa.Integer(), nullable=False),
        sa.Column("byte_count", sa.Integer(), nullable=False),
        sa.Column("media_ms", sa.Integer(), nullable=False),
        sa.Column("started_at", utc, nullable=False),
        sa.Column("last_chunk_at", utc, nullable=True),
        sa.ForeignKeyConstraint(["take_id"], ["recording_take.id"],
                                name=op.f("fk_recording_part_take_id_recording_take")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recording_part")),
        sa.UniqueConstraint("take_id", "number", name=op.f("uq_recording_part_take_id_number")),
    )
    with op.batch_alter_table("recording_part", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recording_part_take_id"), ["take_id"], unique=False)
    op.create_table(
        "microphone_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("proceeded", sa.Boolean(), nullable=False),
        sa.Column("checked_at", utc, nullable=False),
        sa.ForeignKeyConstraint(["attempt_id"], ["attempt.id"],
                                name=op.f("fk_microphone_check_attempt_id_attempt")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_microphone_check")),
        sa.UniqueConstraint("attempt_id", name=op.f("uq_microphone_check_attempt_id")),
    )


def downgrade() -> None:
    op.drop_table("microphone_check")
    with op.batch_alter_table("recording_part", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recording_part_take_id"))
    op.drop_table("recording_part")
    with op.batch_alter_table("recording_take", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recording_take_attempt_id"))
    op.drop_table("recording_take")
    with op.batch_alter_table("writing_draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_writing_draft_attempt_id"))
    op.drop_table("writing_draft")

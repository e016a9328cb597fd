"""audit hash chain: sequence number, previous and own hash per entry, the chain head; the
existing entries are chained in id order. Staff accounts lose their hard-lock columns (staff
logins are throttled with back-off in login_throttle, per typed address).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import toetsbatterij.db
from toetsbatterij.audit.chain import GENESIS, HEAD_ID, entry_digest

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_entry") as batch:
        batch.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("entry_hash", sa.String(length=64), nullable=True))
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    entry = sa.table(
        "audit_entry", sa.column("id", sa.Integer()), sa.column("organisation_id", sa.Integer()),
        sa.column("actor_id", sa.Integer()), sa.column("action", sa.String()),
        sa.column("object_type", sa.String()), sa.column("object_id", sa.Integer()),
        sa.column("details", sa.JSON()),
        sa.column("created_at", toetsbatterij.db.UTCDateTime(timezone=True)),
        sa.column("seq", sa.Integer()), sa.column("prev_hash", sa.String()),
        sa.column("entry_hash", sa.String()))
    conn = op.get_bind()
    prev, seq = GENESIS, 0
    for row in conn.execute(sa.select(entry).order_by(entry.c.id)).mappings().all():
        seq += 1
        digest = entry_digest(seq=seq, prev_hash=prev, organisation_id=row["organisation_id"],
                              actor_id=row["actor_id"], action=row["action"],
                              object_type=row["object_type"], object_id=row["object_id"],
                              details=row["details"], created_at=row["created_at"])
        conn.execute(entry.update().where(entry.c.id == row["id"])
                     .values(seq=seq, prev_hash=prev, entry_hash=digest))
        prev = digest
    head = sa.table("audit_chain_head", sa.column("id", sa.Integer()),
                    sa.column("seq", sa.Integer()), sa.column("entry_hash", sa.String()))
    conn.execute(head.insert().values(id=HEAD_ID, seq=seq, entry_hash=prev))
    with op.batch_alter_table("audit_entry") as batch:
        batch.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("entry_hash", existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint(op.f("uq_audit_entry_seq"), ["seq"])
        batch.create_unique_constraint(op.f("uq_audit_entry_prev_hash"), ["prev_hash"])
    with op.batch_alter_table("staff_account") as batch:
        batch.drop_column("locked_until")
        batch.drop_column("failed_logins")


def downgrade() -> None:
    with op.batch_alter_table("staff_account") as batch:
        batch.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("locked_until", toetsbatterij.db.UTCDateTime(timezone=True),
                                   nullable=True))
    op.drop_table("audit_chain_head")
    with op.batch_alter_table("audit_entry") as batch:
        batch.drop_constraint(op.f("uq_audit_entry_prev_hash"), type_="unique")
        batch.drop_constraint(op.f("uq_audit_entry_seq"), type_="unique")
        batch.drop_column("entry_hash")
        batch.drop_column("prev_hash")
        batch.drop_column("seq")

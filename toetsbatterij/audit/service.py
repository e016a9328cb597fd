"""Writing and reading the audit log (services call ``record`` for every staff action)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from toetsbatterij.audit.models import AuditEntry
from toetsbatterij.clock import Clock


def record(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None, action: str,
           object_type: str, object_id: int | None, **details: Any) -> AuditEntry:
    entry = AuditEntry(organisation_id=organisation_id, actor_id=actor_id, action=action,
                       object_type=object_type, object_id=object_id, details=details,
                       created_at=clock.now())
    db.add(entry)
    db.flush()
    return entry


def entries(db: Session, organisation_id: int, limit: int = 200) -> list[AuditEntry]:
    stmt = (select(AuditEntry).where(AuditEntry.organisation_id == organisation_id)
            .order_by(AuditEntry.id.desc()).limit(limit))
    return list(db.scalars(stmt))

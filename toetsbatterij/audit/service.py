"""Writing and reading the audit log (services call ``record`` for every staff action)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from toetsbatterij.audit import chain
from toetsbatterij.audit.models import AuditEntry
from toetsbatterij.clock import Clock
from toetsbatterij.i18n import N_

# What the audit page calls each kind of object (Dutch msgids; the page translates them).
OBJECT_TYPE_LABELS = {
    "candidate": N_("Kandidaat"), "exam_session": N_("Sessie"), "session": N_("Sessie"),
    "staff_account": N_("Personeelslid"), "location": N_("Toetslokaal"),
    "attempt": N_("Afname van"), "incident": N_("Incident"), "organisation": N_("Agentschap"),
    "result": N_("Resultaat"),
}


def record(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None, action: str,
           object_type: str, object_id: int | None, **details: Any) -> AuditEntry:
    """Append one entry to the hash chain (flushes; the caller commits)."""
    entry = AuditEntry(organisation_id=organisation_id, actor_id=actor_id, action=action,
                       object_type=object_type, object_id=object_id, details=details,
                       created_at=clock.now())
    return chain.append(db, entry)


def entries(db: Session, organisation_id: int, limit: int = 200) -> list[AuditEntry]:
    stmt = (select(AuditEntry).where(AuditEntry.organisation_id == organisation_id)
            .order_by(AuditEntry.seq.desc()).limit(limit))
    return list(db.scalars(stmt))


@dataclass(frozen=True)
class NamedEntry:
    """An audit entry as the audit page shows it: people and objects by name."""

    entry: AuditEntry
    actor: str                  # the staff member's name, "" for the system
    subject: str                # e.g. "Kandidaat Amina El Idrissi", "Sessie K7PX2M"
    details: dict[str, Any]     # ids of known objects replaced by their names


# A details key that refers to an object -> the object's type.
_DETAIL_KEYS = {"candidate_id": "candidate", "session_id": "exam_session",
                "location_id": "location", "attempt_id": "attempt", "account_id": "staff_account"}


def _labels(db: Session, organisation_id: int,
            wanted: dict[str, set[int]]) -> dict[tuple[str, int], str]:
    """Names of the objects of ``organisation_id`` (never another agency's)."""
    from toetsbatterij.accounts.models import StaffAccount
    from toetsbatterij.delivery.models import Attempt, Candidate, ExamSession, Incident
    from toetsbatterij.organisations.models import Location

    out: dict[tuple[str, int], str] = {}

    def scoped(model: Any, ids: set[int]) -> list[Any]:
        if not ids:
            return []
        return list(db.scalars(select(model).where(model.id.in_(ids),
                                                   model.organisation_id == organisation_id)))

    for acc in scoped(StaffAccount, wanted["staff_account"]):
        out["staff_account", acc.id] = acc.display_name
    cand_ids = set(wanted["candidate"])
    attempts = scoped(Attempt, wanted["attempt"])
    cand_ids |= {a.candidate_id for a in attempts}
    incidents = scoped(Incident, wanted["incident"])
    cand_ids |= {i.candidate_id for i in incidents if i.candidate_id}
    # An erased candidate (privacy.retention) has no name any more: shown by number.
    cands = {c.id: f"{c.first_name} {c.last_name}" if c.erased_at is None else f"#{c.id}"
             for c in scoped(Candidate, cand_ids)}
    for cid, name in cands.items():
        out["candidate", cid] = name
    for att in attempts:
        out["attempt", att.id] = cands.get(att.candidate_id, "")
    for sess in scoped(ExamSession, wanted["exam_session"] | wanted["session"]):
        out["exam_session", sess.id] = out["session", sess.id] = sess.code
    for loc in scoped(Location, wanted["location"]):
        out["location", loc.id] = loc.name
    if organisation_id in wanted["organisation"]:
        from toetsbatterij.organisations.models import Organisation

        org = db.get(Organisation, organisation_id)
        if org is not None:
            out["organisation", org.id] = org.name
    for inc in incidents:
        out["incident", inc.id] = f"{inc.code} {cands.get(inc.candidate_id or 0, '')}".strip()
    return out


def named_entries(db: Session, organisation_id: int, limit: int = 200) -> list[NamedEntry]:
    rows = entries(db, organisation_id, limit)
    wanted: dict[str, set[int]] = defaultdict(set)
    for e in rows:
        if e.actor_id:
            wanted["staff_account"].add(e.actor_id)
        if e.object_id:
            wanted[e.object_type].add(e.object_id)
        for key, kind in _DETAIL_KEYS.items():
            value = (e.details or {}).get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                wanted[kind].add(value)
    labels = _labels(db, organisation_id, wanted)
    out = []
    for e in rows:
        details = dict(e.details or {})
        for key, kind in _DETAIL_KEYS.items():
            value = details.get(key)
            if isinstance(value, int) and (kind, value) in labels:
                details[key.removesuffix("_id")] = labels[kind, value]
                del details[key]
        subject = labels.get((e.object_type, e.object_id or 0), "")
        out.append(NamedEntry(e, labels.get(("staff_account", e.actor_id or 0), ""), subject,
                              details))
    return out

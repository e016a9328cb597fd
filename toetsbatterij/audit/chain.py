"""The hash chain of the audit log: tamper evidence for changed, removed or inserted entries.

Each entry's hash is sha256 over a canonical serialisation of the entry *including the hash of
the previous entry* (``GENESIS`` for the first). Changing an entry breaks its own hash; removing
one breaks the link (and leaves a gap in the sequence numbers); inserting one breaks a link or
lies beyond the chain head. Anyone who can write the database can still rebuild the whole chain;
the head hash that ``audit-verify`` prints is what an agency notes outside the database (in the
monthly report, for instance) to rule that out too.

The serialisation is frozen: changing it makes every existing chain fail. tests/audit pins it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from toetsbatterij.audit.models import AuditChainHead, AuditEntry

GENESIS = "0" * 64
HEAD_ID = 1


def canonical_json(value: Any) -> Any:
    """``value`` as it comes back from a JSON column (tuples become lists, and so on)."""
    return json.loads(json.dumps(value, allow_nan=False))


def entry_digest(*, seq: int, prev_hash: str, organisation_id: int, actor_id: int | None,
                 action: str, object_type: str, object_id: int | None,
                 details: Mapping[str, Any] | None, created_at: dt.datetime) -> str:
    payload = {
        "seq": seq, "prev": prev_hash, "org": organisation_id, "actor": actor_id,
        "action": action, "type": object_type, "object": object_id,
        "details": details or {},
        "at": created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def digest_of(entry: AuditEntry) -> str:
    return entry_digest(seq=entry.seq, prev_hash=entry.prev_hash,
                        organisation_id=entry.organisation_id, actor_id=entry.actor_id,
                        action=entry.action, object_type=entry.object_type,
                        object_id=entry.object_id, details=entry.details,
                        created_at=entry.created_at)


def _lock_head(db: Session) -> AuditChainHead:
    """Lock the head row for the rest of the transaction (row lock on PostgreSQL, the write lock
    on SQLite): two transactions appending at once take turns instead of forking the chain."""
    bump = update(AuditChainHead).where(AuditChainHead.id == HEAD_ID).values(
        seq=AuditChainHead.seq)
    if db.execute(bump).rowcount == 0:
        # A new (or emptied) database: the head starts at the newest entry, if any.
        tail = db.execute(select(AuditEntry.seq, AuditEntry.entry_hash)
                          .order_by(AuditEntry.seq.desc()).limit(1)).first()
        try:
            with db.begin_nested():
                db.add(AuditChainHead(id=HEAD_ID, seq=tail.seq if tail else 0,
                                      entry_hash=tail.entry_hash if tail else GENESIS))
                db.flush()
        except IntegrityError:  # another transaction created it first
            pass
        db.execute(bump)
    head = db.scalar(select(AuditChainHead).where(AuditChainHead.id == HEAD_ID)
                     .execution_options(populate_existing=True))
    assert head is not None
    return head


def append(db: Session, entry: AuditEntry) -> AuditEntry:
    """Give ``entry`` the next sequence number, its predecessor's hash and its own; flush."""
    head = _lock_head(db)
    entry.details = canonical_json(entry.details or {})
    entry.seq = head.seq + 1
    entry.prev_hash = head.entry_hash
    entry.entry_hash = digest_of(entry)
    db.add(entry)
    head.seq, head.entry_hash = entry.seq, entry.entry_hash
    db.flush()
    return entry


@dataclass(frozen=True)
class Problem:
    kind: str            # "changed", "removed", "inserted", "head"
    seq: int | None
    entry_id: int | None
    message: str         # Dutch, for the operator who runs audit-verify

    def __str__(self) -> str:
        where = f"seq {self.seq}" if self.seq is not None else "keten"
        if self.entry_id is not None:
            where += f" (id {self.entry_id})"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Verification:
    entries: int
    head_seq: int | None
    head_hash: str | None
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_chain(rows: Iterable[AuditEntry], head: AuditChainHead | None) -> Verification:
    """Walk ``rows`` (in sequence order) and name every entry that was changed, removed (a gap
    before it) or inserted (a broken link, an id out of order, or beyond the head)."""
    problems: list[Problem] = []
    prev_seq, prev_hash, prev_id, count, last = 0, GENESIS, 0, 0, None
    for row in rows:
        count += 1
        if head is not None and row.seq > head.seq:
            problems.append(Problem("inserted", row.seq, row.id, "ligt voorbij de kop van de keten: ingevoegd"))
            continue
        if digest_of(row) != row.entry_hash:
            problems.append(Problem("changed", row.seq, row.id,
                                    "de inhoud past niet bij de hash: gewijzigd"))
        if row.seq > prev_seq + 1:
            missing = (f"seq {prev_seq + 1}" if row.seq == prev_seq + 2
                       else f"seq {prev_seq + 1}..{row.seq - 1}")
            problems.append(Problem("removed", row.seq, row.id,
                                    f"{missing} ontbreekt vóór deze regel: verwijderd"))
        elif row.prev_hash != prev_hash:
            problems.append(Problem("inserted", row.seq, row.id,
                                    "verwijst niet naar de regel ervoor: ingevoegd of vervangen"))
        elif row.id <= prev_id:
            problems.append(Problem("inserted", row.seq, row.id,
                                    "het id staat niet in volgorde met de regel ervoor: ingevoegd"))
        prev_seq, prev_hash, prev_id, last = row.seq, row.entry_hash, row.id, row
    if head is None:
        if count:
            problems.append(Problem("head", None, None, "de kop van de keten ontbreekt"))
    elif last is None or head.seq > last.seq:
        after = last.seq if last is not None else 0
        problems.append(Problem("removed", head.seq, None,
                                f"seq {after + 1}..{head.seq} ontbreekt aan het einde: verwijderd"))
    elif head.seq == last.seq and head.entry_hash != last.entry_hash:
        problems.append(Problem("changed", last.seq, last.id,
                                "de nieuwste regel past niet bij de kop van de keten: gewijzigd"))
    return Verification(count, head.seq if head else None, head.entry_hash if head else None,
                        problems)


def verify(db: Session, *, batch: int = 1000) -> Verification:
    """Verify the whole chain of this database, streaming the entries."""
    head = db.get(AuditChainHead, HEAD_ID)
    rows = db.scalars(select(AuditEntry).order_by(AuditEntry.seq)
                      .execution_options(yield_per=batch))
    return check_chain(rows, head)

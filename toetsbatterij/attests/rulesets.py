"""The stored versions of an agency's attest rules, with their effective dates.

Version 1 of every agency is the seed ``default_rules.yaml`` (stored on the first write that
needs it). A change is a new version with an effective date of tomorrow or later, so a change
never alters the rules of a day that has begun: the attest of a test taken today is issued under
today's rules, whenever it is issued. The version in force on a date is the one with the latest
effective date on or before it (of two on the same date, the later version).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from toetsbatterij.attests.models import AttestRuleSet
from toetsbatterij.attests.rules import RuleSet, load_default_document
from toetsbatterij.audit.service import record
from toetsbatterij.clock import DEFAULT_TZ, Clock, local_date
from toetsbatterij.errors import InvalidInput
from toetsbatterij.i18n import N_
from toetsbatterij.textinput import clean_text


@dataclass(frozen=True)
class VersionInForce:
    row: AttestRuleSet | None        # None: the seed, not stored yet (nothing issued so far)
    version: int
    effective_from: dt.date
    rules: RuleSet


def _seed_document() -> tuple[dict, dt.date]:
    document = load_default_document()
    rules = RuleSet.parse(document)
    return rules.to_document(), rules.effective_from or dt.date(2016, 1, 1)


def versions(db: Session, organisation_id: int) -> list[AttestRuleSet]:
    return list(db.scalars(select(AttestRuleSet)
                           .where(AttestRuleSet.organisation_id == organisation_id)
                           .order_by(AttestRuleSet.version.desc())))


def ensure_seeded(db: Session, clock: Clock, organisation_id: int) -> None:
    """Store version 1 (the seed) for the agency when it has none yet (flushes)."""
    if db.scalar(select(func.count(AttestRuleSet.id))
                 .where(AttestRuleSet.organisation_id == organisation_id)):
        return
    document, effective = _seed_document()
    db.add(AttestRuleSet(organisation_id=organisation_id, version=1, effective_from=effective,
                         document=document, note="Standaardregels", created_by=None,
                         created_at=clock.now()))
    db.flush()


def in_force(db: Session, organisation_id: int, on: dt.date) -> VersionInForce:
    """The rules in force on ``on`` (read only: the seed when none is stored yet)."""
    row = db.scalar(select(AttestRuleSet)
                    .where(AttestRuleSet.organisation_id == organisation_id,
                           AttestRuleSet.effective_from <= on)
                    .order_by(AttestRuleSet.effective_from.desc(), AttestRuleSet.version.desc())
                    .limit(1))
    if row is not None:
        return VersionInForce(row, row.version, row.effective_from, RuleSet.parse(row.document))
    stored = versions(db, organisation_id)
    document, effective = _seed_document()
    if stored or on < effective:
        raise InvalidInput(N_("Op deze datum waren er nog geen attestregels van kracht."),
                           detail=f"no rules in force on {on}")
    return VersionInForce(None, 1, effective, RuleSet.parse(document))


def in_force_stored(db: Session, clock: Clock, organisation_id: int,
                    on: dt.date) -> VersionInForce:
    """As :func:`in_force`, with the seed stored first (for writes that reference the row)."""
    ensure_seeded(db, clock, organisation_id)
    found = in_force(db, organisation_id, on)
    assert found.row is not None
    return found


def add_version(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
                document: dict, effective_from: dt.date, note: str = "",
                tz: str = DEFAULT_TZ) -> AttestRuleSet:
    """A new version of the rules, in force from ``effective_from`` (tomorrow or later);
    audited. The document is checked in full (``RuleSet.parse``) before it is stored."""
    rules = RuleSet.parse({k: v for k, v in document.items() if k != "effective_from"})
    today = local_date(clock.now(), tz)
    if effective_from <= today:
        raise InvalidInput(N_("Nieuwe regels gelden ten vroegste vanaf morgen: een wijziging "
                              "verandert nooit de regels van vandaag of van vroeger."),
                           field="effective_from")
    ensure_seeded(db, clock, organisation_id)
    latest = db.scalar(select(func.max(AttestRuleSet.version))
                       .where(AttestRuleSet.organisation_id == organisation_id)) or 0
    row = AttestRuleSet(organisation_id=organisation_id, version=latest + 1,
                        effective_from=effective_from, document=rules.to_document(),
                        note=clean_text(note, field="note", label="Toelichting", max_length=500),
                        created_by=actor_id, created_at=clock.now())
    db.add(row)
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="attest_rules.add_version", object_type="attest_rule_set", object_id=row.id,
           version=row.version, effective_from=effective_from.isoformat())
    return row

"""Test definitions: one row per test form version (``items.TestForm.version``, a content hash
over everything that can change a score), stored with the form's snapshot by ``sync_forms``. A
changed form becomes a new version row; old attempts keep theirs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from toetsbatterij.clock import Clock
from toetsbatterij.delivery.models import TestDefinitionRecord
from toetsbatterij.errors import InvalidInput, NotFound
from toetsbatterij.i18n import N_

SKILLS = ("reading", "listening", "writing", "speaking")
# Dutch msgids (toetsbatterij.i18n.N_): the web layer shows them in the candidate's language.
SKILL_LABELS = {"reading": N_("Lezen"), "listening": N_("Luisteren"), "writing": N_("Schrijven"),
                "speaking": N_("Spreken")}


def manifest_version(manifest: dict[str, Any]) -> str:
    canonical = json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def directory_version(root: Path) -> str:
    """A content hash of every file of the bank (paths and bytes): the bank version."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(("tools/", ".")) or "__pycache__" in rel:
            continue
        digest.update(rel.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def check_manifest(manifest: dict[str, Any], source: str = "") -> None:
    """The fields delivery relies on; the item package checks the rest of the contract."""
    where = f"{source}: " if source else ""
    for key in ("id", "name", "sections"):
        if key not in manifest:
            raise InvalidInput(detail=f"{where}manifest lacks {key!r}")
    limits = {"id": 60, "name": 200, "purpose": 60, "target_level": 4}
    for key, limit in limits.items():
        if len(str(manifest.get(key, ""))) > limit:
            raise InvalidInput(detail=f"{where}manifest {key!r} longer than {limit} characters")
    if not manifest["sections"]:
        raise InvalidInput(detail=f"{where}manifest has no sections")
    for i, section in enumerate(manifest["sections"]):
        if section.get("skill") not in SKILLS:
            raise InvalidInput(detail=f"{where}section {i}: unknown skill {section.get('skill')!r}")
        minutes = section.get("time_limit_minutes")
        if not isinstance(minutes, int | float) or not 1 <= minutes <= 240:
            raise InvalidInput(detail=f"{where}section {i}: time_limit_minutes out of range")


def sync_definitions(db: Session, clock: Clock, manifests: list[dict[str, Any]],
                     bank_version: str) -> list[TestDefinitionRecord]:
    """Store every manifest (idempotent per (code, content version + bank version))."""
    out = []
    for manifest in manifests:
        check_manifest(manifest)
        version = manifest_version({"manifest": manifest, "bank": bank_version})
        row = db.scalar(select(TestDefinitionRecord).where(
            TestDefinitionRecord.code == manifest["id"], TestDefinitionRecord.version == version))
        if row is None:
            row = TestDefinitionRecord(
                code=manifest["id"], version=version, bank_version=bank_version,
                name=manifest["name"], purpose=str(manifest.get("purpose", "attest")),
                target_level=str(manifest.get("target_level", "")), manifest=manifest,
                created_at=clock.now())
            db.add(row)
        out.append(row)
    db.flush()
    return out


def sync_forms(db: Session, clock: Clock, forms: Any) -> list[TestDefinitionRecord]:
    """Store every current form of ``forms`` (a ``delivery.forms.FormStore``): its snapshot and
    its definition, whose version IS the form version (idempotent)."""
    out = []
    for form in forms.current.values():
        forms.register(db, clock, form)
        manifest = form.manifest
        check_manifest(manifest)
        row = db.scalar(select(TestDefinitionRecord).where(
            TestDefinitionRecord.code == form.id, TestDefinitionRecord.version == form.version))
        if row is None:
            row = TestDefinitionRecord(
                code=form.id, version=form.version, bank_version=forms.bank_version,
                name=form.name, purpose=form.purpose, target_level=str(form.target_level or ""),
                manifest=manifest, created_at=clock.now())
            db.add(row)
        out.append(row)
    db.flush()
    return sorted(out, key=lambda r: r.code)


def current_definitions(db: Session, bank_version: str | None = None) -> list[TestDefinitionRecord]:
    """The newest version of each test definition; with ``bank_version`` only the definitions
    pinned to that bank (the one this server delivers), so no session is planned on content the
    server cannot serve exactly."""
    stmt = select(TestDefinitionRecord).order_by(TestDefinitionRecord.id)
    if bank_version is not None:
        stmt = stmt.where(TestDefinitionRecord.bank_version == bank_version)
    rows = list(db.scalars(stmt))
    newest: dict[str, TestDefinitionRecord] = {}
    for row in rows:
        newest[row.code] = row
    return sorted(newest.values(), key=lambda r: r.name)


def get_definition(db: Session, definition_id: int) -> TestDefinitionRecord:
    row = db.get(TestDefinitionRecord, definition_id)
    if row is None:
        raise NotFound(detail=f"test definition {definition_id}")
    return row

"""The test forms delivery runs on: the bank's current forms, and every form ever delivered.

A form (``toetsbatterij.items.TestForm``) is content-addressed by its version. When the platform
stores its test definitions (``sync_definitions``) it also stores a snapshot of each current
form: the form document in the database (table ``form_snapshot``, one row per version, never
changed) and its stimulus files in a content-addressed folder (``<instance>/forms/assets/
<sha256>.<ext>``). An attempt stores the version of its form and runs on exactly that form to the end,
even after the bank on disk changed: its form is rebuilt from the snapshot. So is a result, when
it is recomputed years later. A new bank gives new form versions, so new definition versions
for new attempts.

Where a snapshot lives, and why: the document in the database, so every worker and every
machine of a deployment finds it; the stimulus files (audio, images) in the instance folder,
copied once per digest, because they are large and served as files.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from sqlalchemy.orm import Session

from toetsbatterij.clock import Clock
from toetsbatterij.delivery.models import Attempt, FormSnapshot, TestDefinitionRecord
from toetsbatterij.errors import Conflict
from toetsbatterij.i18n import N_
from toetsbatterij.items import Bank, TestForm, build_forms, load_bank
from toetsbatterij.items.errors import FormDocumentError


class FormStore:
    """Forms by version. Thread-safe; forms are immutable and cached once built."""

    def __init__(self, bank_path: Path, asset_dir: Path, *, bank: Bank | None = None) -> None:
        self.bank_path = Path(bank_path)
        self.asset_dir = Path(asset_dir)
        self._bank = bank
        self._current: dict[str, TestForm] | None = None
        self._by_version: dict[str, TestForm] = {}
        self._lock = threading.RLock()

    @classmethod
    def from_bank(cls, bank: Bank, asset_dir: Path) -> FormStore:
        return cls(bank.root, asset_dir, bank=bank)

    # -- the bank on disk --------------------------------------------------------------------------

    @property
    def bank(self) -> Bank:
        with self._lock:
            if self._bank is None:
                self._bank = load_bank(self.bank_path)
            return self._bank

    @property
    def bank_version(self) -> str:
        return self.bank.version

    @property
    def current(self) -> dict[str, TestForm]:
        """The forms of the bank this platform delivers, by test id."""
        with self._lock:
            if self._current is None:
                self._current = build_forms(self.bank)
                for form in self._current.values():
                    self._by_version[form.version] = form
            return self._current

    # -- snapshots ---------------------------------------------------------------------------------

    def register(self, db: Session, clock: Clock, form: TestForm) -> None:
        """Keep ``form`` for as long as anything refers to it: its document in the database and
        its stimulus files in the content-addressed folder (idempotent)."""
        self._copy_assets(form)
        if db.get(FormSnapshot, form.version) is None:
            db.add(FormSnapshot(version=form.version, test_code=form.id,
                                document=form.to_document(), created_at=clock.now()))
            db.flush()

    def _copy_assets(self, form: TestForm) -> None:
        for digest, rel in form.assets():
            target = self._asset(digest, rel)
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                partial = target.with_suffix(".part")
                shutil.copyfile(self.bank.root / rel, partial)
                partial.replace(target)

    def _asset(self, digest: str, rel: str) -> Path:
        return self.asset_dir / (digest + Path(rel).suffix)  # the suffix tells the media type

    def by_version(self, db: Session, version: str) -> TestForm:
        """The form of ``version``: built from the bank when it is current, else rebuilt from its
        snapshot. Raises a Conflict when no form of that version was ever stored."""
        with self._lock:
            form = self._by_version.get(version)
            if form is None:
                self.current  # noqa: B018 - builds the current forms (and indexes them)
                form = self._by_version.get(version)
        if form is not None:
            return form
        row = db.get(FormSnapshot, version)
        if row is None:
            raise FormNotAvailable(detail=f"no snapshot of form version {version[:16]}")
        form = TestForm.from_document(row.document, self._asset)
        with self._lock:
            return self._by_version.setdefault(version, form)

    # -- what delivery asks ------------------------------------------------------------------------

    def for_attempt(self, db: Session, attempt: Attempt) -> TestForm:
        """The form an attempt runs on (its pinned version). Attempts from before forms were
        pinned (empty version) run on the current form of their test."""
        if attempt.form_version:
            return self.by_version(db, attempt.form_version)
        definition = db.get(TestDefinitionRecord, attempt.test_definition_id)
        code = definition.code if definition is not None else ""
        try:
            return self.current[code]
        except KeyError:
            raise FormNotAvailable(detail=f"no current form for test {code!r}") from None

    def for_new_attempt(self, db: Session, definition: TestDefinitionRecord) -> TestForm:
        """The form a new attempt on ``definition`` gets: the current form of that test (a new
        bank makes a new form version for new attempts), or the definition's own pinned form
        when this server no longer delivers that test. Refused with a clear error when the
        form's files do not match its version."""
        form = self.current.get(definition.code) or self.by_version(db, definition.version)
        try:
            form.verify_assets()
        except FormDocumentError:
            raise FormNotAvailable(detail=f"form {form.id} {form.version[:16]}: files do not "
                                          "match the version") from None
        return form


class FormNotAvailable(Conflict):
    """The attempt's test form cannot be delivered exactly (no snapshot, or changed files)."""

    default_message = N_("De toets kan op dit toestel niet starten. Verwittig de "
                         "toetsbegeleider.")


"""Observed exposure of the adaptive sections, counted from what candidates were shown.

The tuned Sympson-Hetter K values are item-bank content and live in
:mod:`toetsbatterij.items.exposure` (loading, checking, tuning, writing); the names are
re-exported here for the callers of the delivery.

What the delivery counts: :func:`exposure_counts` derives administrations per item from the
presentations table on demand (no separate counter that could drift from what was shown).
"""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from toetsbatterij.delivery.models import Attempt, Presentation, TestDefinitionRecord
from toetsbatterij.items.exposure import (
    EXPOSURE_DIR,
    POOL_STATUSES,
    ExposureFileError,
    TuningResult,
    check_against_manifests,
    k_array,
    k_values_path,
    load_k_values,
    tune_test,
    write_k_values,
)

__all__ = [
    "EXPOSURE_DIR", "POOL_STATUSES", "ExposureCounts", "ExposureFileError", "TuningResult",
    "check_against_manifests", "exposure_counts", "k_array", "k_values_path", "live_counts",
    "load_k_values", "note_presented", "reconcile", "tune_test", "write_k_values",
]


# -- observed exposure ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ExposureCounts:
    """Observed administrations of one test definition version (all organisations together:
    item exposure is a property of the bank, and only counts leave this function)."""

    definition_id: int
    attempts_per_section: dict[int, int]     # section index -> attempts that saw any unit there
    items: dict[str, int]                     # item id -> attempts it was presented in
    section_of_item: dict[str, int]

    def rate(self, item_id: str) -> float:
        n = self.attempts_per_section.get(self.section_of_item.get(item_id, -1), 0)
        return self.items.get(item_id, 0) / n if n else 0.0

    def max_rate(self, section_index: int) -> float:
        rates = [self.rate(i) for i, s in self.section_of_item.items() if s == section_index]
        return max(rates, default=0.0)


def exposure_counts(db: Session, definition_id: int) -> ExposureCounts:
    """Per item, in how many attempts of this definition version it was presented; a query over
    the presentations, the record of what candidates actually saw."""
    if db.get(TestDefinitionRecord, definition_id) is None:
        raise ValueError(f"unknown test definition {definition_id}")
    rows = db.execute(
        select(Presentation.attempt_id, Presentation.section_index, Presentation.item_ids)
        .join(Attempt, Attempt.id == Presentation.attempt_id)
        .where(Attempt.test_definition_id == definition_id, Presentation.section_index >= 0))
    per_item: Counter[str] = Counter()
    seen_sections: dict[int, set[int]] = {}
    section_of: dict[str, int] = {}
    for attempt_id, section_index, item_ids in rows:
        seen_sections.setdefault(section_index, set()).add(attempt_id)
        for item_id in item_ids:
            per_item[item_id] += 1  # an item is presented at most once per attempt
            section_of[item_id] = section_index
    return ExposureCounts(definition_id, {s: len(a) for s, a in seen_sections.items()},
                          dict(per_item), section_of)


# -- live counters (the state store), reconciled with the presentations ----------------------------
#
# The presentations table stays the record of what was shown; a day of exam rooms asks for the
# exposure of a definition often (the staff overview), so its counts are also kept as atomic
# counters in the state store (a Redis hash shared by every worker), incremented after each
# committed presentation. A missing hash (a new definition, a Redis that restarted empty) is
# rebuilt from the presentations; :func:`reconcile` overwrites the counters with the truth and
# says how far they had drifted (a crash between a commit and its increment).

LIVE_TTL_SECONDS = 30 * 24 * 3600


def _live_key(definition_id: int) -> str:
    return f"exposure:{definition_id}"


def _fields(counts: ExposureCounts) -> dict[str, int]:
    out = {f"a:{section}": n for section, n in counts.attempts_per_section.items()}
    out.update({f"i:{counts.section_of_item[item]}:{item}": n
                for item, n in counts.items.items()})
    return out


def _from_fields(definition_id: int, table: dict[str, int]) -> ExposureCounts:
    attempts: dict[int, int] = {}
    items: dict[str, int] = {}
    section_of: dict[str, int] = {}
    for name, n in table.items():
        kind, _, rest = name.partition(":")
        if kind == "a":
            attempts[int(rest)] = n
        elif kind == "i":
            section, _, item = rest.partition(":")
            items[item] = n
            section_of[item] = int(section)
    return ExposureCounts(definition_id, attempts, items, section_of)


def note_presented(db: Session, attempt: Attempt, pres: Presentation) -> None:
    """Count a presentation in the live counters once its transaction commits (not at all
    when it rolls back). The first unit of a section also counts the attempt for it."""
    from toetsbatterij import events

    store = events.state_store_of(db)
    if store is None or pres.section_index < 0:
        return
    fields = {f"i:{pres.section_index}:{item}": 1 for item in pres.item_ids}
    if pres.position == 0:
        fields[f"a:{pres.section_index}"] = 1
    key = _live_key(attempt.test_definition_id)
    events.after_commit(db, lambda: store.count_many(key, fields, LIVE_TTL_SECONDS))


def live_counts(db: Session, store: object | None, definition_id: int) -> ExposureCounts:
    """The exposure of a definition from the live counters; rebuilt from the presentations
    when the store has none (or there is no store)."""
    table = None
    if store is not None:
        try:
            table = store.counts(_live_key(definition_id))  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - the counters are a cache; the table is the truth
            table = None
    if table is not None:
        return _from_fields(definition_id, table)
    truth = exposure_counts(db, definition_id)
    if store is not None:
        with contextlib.suppress(Exception):  # the counters are a cache
            store.replace_counts(_live_key(definition_id), _fields(truth),  # type: ignore[attr-defined]
                                 LIVE_TTL_SECONDS)
    return truth


def reconcile(db: Session, store: object, definition_id: int) -> dict[str, int]:
    """Overwrite the live counters with the counts of the presentations; returns the drift
    per counter that differed (live minus truth)."""
    truth = _fields(exposure_counts(db, definition_id))
    live = store.counts(_live_key(definition_id)) or {}  # type: ignore[attr-defined]
    drift = {name: live.get(name, 0) - truth.get(name, 0) for name in set(truth) | set(live)
             if live.get(name, 0) != truth.get(name, 0)}
    store.replace_counts(_live_key(definition_id), truth, LIVE_TTL_SECONDS)  # type: ignore[attr-defined]
    return drift

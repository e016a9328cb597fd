"""Observed exposure of the adaptive sections, counted from what candidates were shown.

The tuned Sympson-Hetter K values are item-bank content and live in
:mod:`toetsbatterij.items.exposure` (loading, checking, tuning, writing); the names are
re-exported here for the callers of the delivery.

What the delivery counts: :func:`exposure_counts` derives administrations per item from the
presentations table on demand (no separate counter that could drift from what was shown).
"""

from __future__ import annotations

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
    "check_against_manifests", "exposure_counts", "k_array", "k_values_path", "load_k_values",
    "tune_test", "write_k_values",
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

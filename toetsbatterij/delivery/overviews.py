"""Read-only overviews for the start page of the psychometrician: the test definitions
(forms) with their versions, and per definition version the observed exposure per section
(``delivery.exposure.exposure_counts``: counts over every agency; no candidate data leaves it).
The rater's start page is the rating queue (``toetsbatterij.rating.service.queue``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from toetsbatterij.delivery.exposure import exposure_counts, live_counts
from toetsbatterij.delivery.models import Attempt, TestDefinitionRecord


@dataclass(frozen=True)
class SectionExposure:
    index: int
    skill: str
    attempts: int            # attempts that saw a unit of this section
    items_seen: int          # distinct items presented in it
    max_rate: float          # the highest observed exposure rate of an item
    r_max: float | None      # the ceiling the design asks for (Sympson-Hetter), if any
    over_ceiling: int        # items whose observed rate is above r_max


@dataclass(frozen=True)
class FormOverview:
    definition: TestDefinitionRecord
    current: bool            # pinned to the bank this server delivers
    attempts: int
    sections: list[SectionExposure]


def _r_max(section: Mapping[str, Any]) -> float | None:
    exposure = (section.get("design") or {}).get("exposure")
    if isinstance(exposure, Mapping) and exposure.get("r_max") is not None:
        return float(exposure["r_max"])
    return None


def forms_and_exposure(db: Session, bank_version: str | None,
                       store: object | None = None) -> list[FormOverview]:
    """Every stored test definition version (newest first per code) with its exposure (from
    the live counters of ``store`` when given, ``delivery.exposure.live_counts``)."""
    rows = list(db.scalars(select(TestDefinitionRecord)
                           .order_by(TestDefinitionRecord.code, TestDefinitionRecord.id.desc())))
    attempts = dict(db.execute(select(Attempt.test_definition_id, func.count(Attempt.id))
                               .group_by(Attempt.test_definition_id)).all())
    out = []
    for row in rows:
        # The live counters of a shared store (Redis); the embedded default counts the table.
        counts = (live_counts(db, store, row.id) if getattr(store, "shared", False)
                  else exposure_counts(db, row.id))
        sections = []
        for index, section in enumerate(row.manifest.get("sections") or []):
            items = [i for i, s in counts.section_of_item.items() if s == index]
            r_max = _r_max(section)
            sections.append(SectionExposure(
                index=index, skill=str(section.get("skill", "")),
                attempts=counts.attempts_per_section.get(index, 0), items_seen=len(items),
                max_rate=counts.max_rate(index), r_max=r_max,
                over_ceiling=sum(1 for i in items if r_max is not None
                                 and counts.rate(i) > r_max + 1e-9)))
        out.append(FormOverview(definition=row, current=row.bank_version == bank_version,
                                attempts=int(attempts.get(row.id, 0)), sections=sections))
    return out

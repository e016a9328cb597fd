"""Read-only overviews for the start pages of the roles without an exam room.

- the psychometrician: the test definitions (forms) with their versions, and per definition
  version the observed exposure per section (``delivery.exposure.exposure_counts``: counts
  over every agency; no candidate data leaves it);
- the rater: the productions (writing texts, spoken answers) that wait for a rating in the
  rater's own agency, counted from the stored responses. Rating itself comes with the rating
  module; until then nothing is rated, so every production waits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from toetsbatterij.delivery.exposure import exposure_counts
from toetsbatterij.delivery.models import Attempt, Presentation, Response, TestDefinitionRecord

#: The item types whose responses a person rates, and the skill each belongs to.
RATED_TYPES = {"extended_text": "writing", "spoken_response": "speaking"}


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


def forms_and_exposure(db: Session, bank_version: str | None) -> list[FormOverview]:
    """Every stored test definition version (newest first per code) with its exposure."""
    rows = list(db.scalars(select(TestDefinitionRecord)
                           .order_by(TestDefinitionRecord.code, TestDefinitionRecord.id.desc())))
    attempts = dict(db.execute(select(Attempt.test_definition_id, func.count(Attempt.id))
                               .group_by(Attempt.test_definition_id)).all())
    out = []
    for row in rows:
        counts = exposure_counts(db, row.id)
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


@dataclass(frozen=True)
class WaitingProductions:
    definition_name: str
    skill: str               # writing | speaking
    productions: int         # responses with a production in them
    attempts: int            # attempts they come from


def waiting_productions(db: Session, organisation_id: int,
                        item_types: Mapping[str, str]) -> list[WaitingProductions]:
    """The productions of this agency's candidates that wait for a rating: operational and
    pretest responses (not practice) to items of a rated type that hold a production.
    ``item_types`` maps the bank's item ids to their type (``FormStore.item_types``)."""
    rated = {item_id: RATED_TYPES[kind] for item_id, kind in item_types.items()
             if kind in RATED_TYPES}
    if not rated:
        return []
    stmt = (select(TestDefinitionRecord.name, Response.item_id, Response.attempt_id,
                   Response.raw)
            .join(Presentation, Presentation.id == Response.presentation_id)
            .join(Attempt, Attempt.id == Response.attempt_id)
            .join(TestDefinitionRecord, TestDefinitionRecord.id == Attempt.test_definition_id)
            .where(Attempt.organisation_id == organisation_id, Presentation.section_index >= 0,
                   Response.item_id.in_(sorted(rated))))
    productions: dict[tuple[str, str], int] = {}
    attempts: dict[tuple[str, str], set[int]] = {}
    for name, item_id, attempt_id, raw in db.execute(stmt):
        if raw in (None, "", {}, []):
            continue  # nothing was written or recorded: nothing to rate
        key = (name, rated[item_id])
        productions[key] = productions.get(key, 0) + 1
        attempts.setdefault(key, set()).add(attempt_id)
    return [WaitingProductions(name, skill, count, len(attempts[(name, skill)]))
            for (name, skill), count in sorted(productions.items())]

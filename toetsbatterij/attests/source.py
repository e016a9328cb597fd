"""What an attest is issued from: a frozen, current result (``toetsbatterij.results``), read
into :class:`ResultFacts` with the attempt, the candidate, the session and its location.

Only a current result qualifies: one that is frozen and not superseded by a recomputation. The
attest service never reads the results tables itself; this module is the one seam.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from toetsbatterij.delivery.models import Attempt, Candidate, ExamSession, TestDefinitionRecord
from toetsbatterij.errors import Conflict, NotFound
from toetsbatterij.i18n import N_
from toetsbatterij.organisations.models import Location, Organisation

SUPERSEDED = N_("Dit resultaat is vervangen door een nieuwere berekening: een attest kan alleen "
                "van het huidige resultaat.")
NOT_FROZEN = N_("Dit resultaat is nog niet vastgelegd: een attest kan alleen van een vastgelegd "
                "resultaat.")
PLACEMENT = N_("Dit is het resultaat van een plaatsingstoets: die geeft een advies voor een "
               "cursus, nooit een attest.")
#: Test purposes whose results never lead to an attest (itembank/tests/*.yaml ``purpose``).
NO_ATTEST_PURPOSES = frozenset({"placement"})
ERASED = N_("De identiteitsgegevens van deze kandidaat zijn gewist: er kan geen attest meer "
            "worden uitgereikt.")


@dataclass(frozen=True)
class ResultFacts:
    """Everything an attest states, from one frozen result and its attempt."""

    result_id: int
    organisation: Organisation
    location: Location
    attempt: Attempt
    candidate: Candidate
    test_code: str
    test_name: str
    taken_at: dt.datetime
    levels: Mapping[str, str]              # skill -> CEFR level
    form_version: str = ""
    result_rules_version: str = ""
    inputs_hash: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


ResultLoader = Callable[[Session, int, int], ResultFacts]


def attempt_facts(db: Session, organisation_id: int, attempt_id: int, *, result_id: int,
                  levels: Mapping[str, str], **extra: Any) -> ResultFacts:
    """The facts of ``attempt_id`` in ``organisation_id`` with a result's levels."""
    attempt = db.get(Attempt, attempt_id)
    if attempt is None or attempt.organisation_id != organisation_id:
        raise NotFound(detail=f"attempt {attempt_id}")
    candidate = db.get(Candidate, attempt.candidate_id)
    session = db.get(ExamSession, candidate.exam_session_id) if candidate else None
    if candidate is None or session is None:
        raise NotFound(detail=f"candidate of attempt {attempt_id}")
    if candidate.erased_at is not None:
        raise Conflict(ERASED)
    definition = db.get(TestDefinitionRecord, attempt.test_definition_id)
    if definition is not None and definition.purpose in NO_ATTEST_PURPOSES:
        raise Conflict(PLACEMENT)
    return ResultFacts(
        result_id=result_id, organisation=db.get(Organisation, organisation_id),
        location=db.get(Location, session.location_id), attempt=attempt, candidate=candidate,
        test_code=definition.code if definition else "", test_name=definition.name if definition
        else "", taken_at=attempt.started_at, levels=dict(levels),
        form_version=extra.pop("form_version", attempt.form_version),
        result_rules_version=extra.pop("result_rules_version", ""),
        inputs_hash=extra.pop("inputs_hash", ""), extra=extra)


def load_result(db: Session, organisation_id: int, result_id: int) -> ResultFacts:
    """The facts of the current frozen result ``result_id`` of ``organisation_id``."""
    from toetsbatterij.results.service import get_result

    result = get_result(db, organisation_id, result_id)
    if result.superseded_by_id is not None:
        raise Conflict(SUPERSEDED)
    if result.frozen_at is None:  # pragma: no cover - a result row is frozen when written
        raise Conflict(NOT_FROZEN)
    levels = {entry["skill"]: entry["level"] for entry in (result.document or {}).get("skills", [])
              if isinstance(entry, Mapping) and entry.get("skill") and entry.get("level")}
    return attempt_facts(db, organisation_id, result.attempt_id, result_id=result.id,
                         levels=levels, form_version=result.form_version,
                         result_rules_version=result.rules_version,
                         inputs_hash=result.inputs_hash)

"""Response data for the psychometricians: the records the pure export in
``psychometrics.export`` pseudonymises (``write_responses`` / ``write_covariates``).

Why the split (house plan: psychometrics reads exports; the arrows point from psychometrics to
the platform, never back): this module reads the delivery database and yields plain records,
the platform's side. The command that turns them into pseudonymised files lives with the
pure export in ``psychometrics`` (``python -m psychometrics.platform_export``), which may
import the platform's services. So ``toetsbatterij`` never imports ``psychometrics``, and
the pseudonymisation exists once. Nothing here writes a file: identifying fields leave this
module only on their way into the keyed pseudonym (person id) or an age band (birth date).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from toetsbatterij.delivery.models import (
    ENDED,
    FINISHED,
    Attempt,
    Candidate,
    Presentation,
    Response,
    TestDefinitionRecord,
)
from toetsbatterij.errors import NotFound
from toetsbatterij.organisations.models import Organisation

EXPORTED_KINDS = ("operational", "pretest")


def organisation_by_code(db: Session, code: str) -> Organisation:
    org = db.scalar(select(Organisation).where(Organisation.code == code))
    if org is None:
        raise NotFound(detail=f"organisation {code!r}")
    return org


def person_id(candidate: Candidate) -> str:
    """The platform's stable person id: the identity document (kind and number), so one person
    registered in two sessions is one person in the data; it is only ever exported through the
    keyed pseudonym."""
    if candidate.erased_at is not None:
        # The identity data are gone (retention): the person is only this registration.
        return f"erased:{candidate.id}"
    country = f":{candidate.id_country}" if candidate.id_kind == "foreign" else ""
    return f"{candidate.id_kind}{country}:{candidate.id_number}"


def _query(organisation_id: int, test_code: str | None, since: dt.datetime | None,
           until: dt.datetime | None) -> Any:
    stmt = (select(Response, Presentation, Attempt, Candidate)
            .join(Presentation, Presentation.id == Response.presentation_id)
            .join(Attempt, Attempt.id == Response.attempt_id)
            .join(Candidate, Candidate.id == Attempt.candidate_id)
            .where(Attempt.organisation_id == organisation_id,
                   Attempt.state.in_((FINISHED, ENDED)),
                   Presentation.kind.in_(EXPORTED_KINDS),
                   Response.score.is_not(None))
            .order_by(Attempt.id, Presentation.section_index, Presentation.position, Response.id))
    if test_code is not None:
        stmt = stmt.join(TestDefinitionRecord,
                         TestDefinitionRecord.id == Attempt.test_definition_id).where(
            TestDefinitionRecord.code == test_code)
    if since is not None:
        stmt = stmt.where(Attempt.started_at >= since)
    if until is not None:
        stmt = stmt.where(Attempt.started_at < until)
    return stmt


def response_records(db: Session, *, organisation_id: int, test_code: str | None = None,
                     since: dt.datetime | None = None,
                     until: dt.datetime | None = None) -> Iterator[dict[str, Any]]:
    """One record per scored response of the organisation's finished or ended attempts
    (practice and not-yet-rated answers left out), in ``psychometrics.export.response_rows``
    form: person_id, item, score, administered_at, organisation, bank_version, position
    (1-based within the section), pretest."""
    org = db.get(Organisation, organisation_id)
    if org is None:
        raise NotFound(detail=f"organisation {organisation_id}")
    for resp, pres, attempt, cand in db.execute(_query(organisation_id, test_code, since, until)):
        yield {"person_id": person_id(cand), "item": resp.item_id,
               "score": int(round(float(resp.score))), "administered_at": resp.received_at,
               "organisation": org.code, "bank_version": attempt.bank_version,
               "position": pres.position + 1, "pretest": pres.kind == "pretest"}


def person_records(db: Session, *, organisation_id: int, test_code: str | None = None,
                   since: dt.datetime | None = None,
                   until: dt.datetime | None = None) -> Iterator[dict[str, Any]]:
    """One record per person with exported responses, for ``write_covariates``: person_id,
    birth_date and reference_date (the attempt's start; only an age band is written). Gender,
    first-language group and literacy route are not registered by the delivery and stay empty."""
    seen: set[str] = set()
    for _resp, _pres, attempt, cand in db.execute(
            _query(organisation_id, test_code, since, until)):
        pid = person_id(cand)
        if pid in seen:
            continue
        seen.add(pid)
        yield {"person_id": pid,
               "birth_date": cand.birth_date if cand.erased_at is None else None,
               "reference_date": attempt.started_at.date()}

"""Retention of the complaints (``toetsbatterij.privacy.retention``, kind ``identity``): when
the erasure job removes a candidate's identity data, the free text of their complaints goes
too (the complaint, the contact details, the motivation and the reasons of rejected
proposals, which are about the person). What stays: ids, dates, the deadlines, the outcome,
the links to the results and attests, and the audit trail (ids only)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from toetsbatterij.clock import Clock
from toetsbatterij.complaints.models import Complaint
from toetsbatterij.delivery.models import Candidate


def erase_texts(db: Session, clock: Clock, cutoff: dt.datetime) -> int:
    """Blank the texts of every complaint whose candidate's identity data are erased."""
    erased = 0
    for row in db.scalars(select(Complaint).join(Candidate, Candidate.id == Complaint.candidate_id)
                          .where(Candidate.erased_at.is_not(None),
                                 Complaint.erased_at.is_(None))):
        row.text, row.contact, row.motivation, row.acknowledgement_note = "", "", "", ""
        row.rejected = [{k: v for k, v in r.items() if k not in ("motivation", "reason")}
                        for r in row.rejected or []]
        row.erased_at = clock.now()
        erased += 1
    db.flush()
    return erased

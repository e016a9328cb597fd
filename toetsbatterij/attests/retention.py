"""Retention of the attests (``toetsbatterij.privacy.retention``, kind ``identity``): when the
erasure job removes a candidate's identity data, the holder of their attests goes too (names,
birth date, masked identity number, the digest's salt and the stored credential, which names
the holder). The signed payload holds only the holder's keyed digest, so the attest stays
verifiable by number and code: valid or revoked, with its levels, without the person."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from toetsbatterij.attests.models import Attest
from toetsbatterij.clock import Clock
from toetsbatterij.delivery.models import Candidate


def erase_holders(db: Session, clock: Clock, cutoff: dt.datetime) -> int:
    """Remove the holder of every attest whose candidate's identity data are erased."""
    erased = 0
    for attest in db.scalars(select(Attest).join(Candidate, Candidate.id == Attest.candidate_id)
                             .where(Candidate.erased_at.is_not(None),
                                    Attest.person.is_not(None))):
        attest.person, attest.person_salt, attest.credential_jwt = None, None, None
        erased += 1
    db.flush()
    return erased

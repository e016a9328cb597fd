"""Fair time: when the platform could not answer, the candidate's clock does not run.

Outages are detected on the server. Every app process beats (:func:`beat`, from a background
thread of the composition root, ``Platform.ensure_beating``, about every ``BEAT_SECONDS``):
it notes in the database that the platform is alive and reaches its database, so it could
answer a candidate's heartbeat now. When no worker is alive, or the database is away, nobody
beats. The first beat after such a gap longer than ``OUTAGE_CREDIT_AFTER_SECONDS`` records the
outage (``ServiceOutage``; a compare-and-set on the beat makes exactly one worker do so); one
longer than ``OUTAGE_PAUSE_AFTER_SECONDS`` also pauses every attempt that was in a running
section, so the room restarts together when the proctor resumes it.

Each attempt whose section was running during an outage gets the overlap back, once: right
after the beat that records the outage (:func:`settle`, one short unit of work per attempt),
or on the attempt's next request if that comes first (:func:`credit`, before
any deadline is looked at). The section's deadline moves by the lost seconds, an ``OutageCredit`` row says so, and an incident ("server_outage") tells
the proctor in the room view. A candidate who simply went idle is not credited: the platform
kept beating, so there was no outage. (A candidate whose own PC or network failed while the
platform was up is not credited automatically either; the proctor can give extra time.)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from toetsbatterij.audit.service import record
from toetsbatterij.clock import Clock
from toetsbatterij.delivery.models import (
    SECTION,
    Attempt,
    Candidate,
    Incident,
    OutageCredit,
    SectionRun,
    ServiceBeat,
    ServiceOutage,
)

BEAT_SECONDS = 0.5


@dataclass(frozen=True)
class OutagePolicy:
    credit_after: dt.timedelta = dt.timedelta(seconds=2)
    pause_after: dt.timedelta = dt.timedelta(seconds=120)

    @classmethod
    def from_config(cls, config: Any) -> OutagePolicy:
        return cls(dt.timedelta(seconds=float(config["OUTAGE_CREDIT_AFTER_SECONDS"])),
                   dt.timedelta(seconds=float(config["OUTAGE_PAUSE_AFTER_SECONDS"])))


DEFAULT_POLICY = OutagePolicy()


def beat(db: Session, clock: Clock, policy: OutagePolicy = DEFAULT_POLICY,
         ) -> ServiceOutage | None:
    """The platform is alive and reaches its database: note it (at most every
    ``BEAT_SECONDS``, whichever worker comes first), and record the outage this beat ends when
    the previous one is longer ago than ``policy.credit_after``. Returns that outage."""
    now = clock.now()
    last = db.scalar(select(ServiceBeat.last_beat_at).where(ServiceBeat.id == 1))
    if last is None:
        try:
            with db.begin_nested():
                db.add(ServiceBeat(id=1, last_beat_at=now))
                db.flush()
        except IntegrityError:
            pass  # another worker wrote the first beat
        return None
    gap = now - last
    if gap.total_seconds() < BEAT_SECONDS:
        return None
    # Compare-and-set: of the workers that beat now, one moves the beat (and records).
    won = db.execute(update(ServiceBeat).where(ServiceBeat.id == 1,
                                               ServiceBeat.last_beat_at == last)
                     .values(last_beat_at=now)).rowcount
    if not won or gap <= policy.credit_after:
        return None
    outage = ServiceOutage(started_at=last, ended_at=now)
    try:
        with db.begin_nested():
            db.add(outage)
            db.flush()
    except IntegrityError:
        return None
    return outage


def running_during(db: Session, outage: ServiceOutage) -> list[int]:
    """The attempts whose current section was running (started, not finished) during it."""
    return list(db.scalars(
        select(Attempt.id).join(SectionRun, (SectionRun.attempt_id == Attempt.id) & (
            SectionRun.section_index == Attempt.section_index)).where(
            Attempt.state == SECTION, SectionRun.finished_at.is_(None),
            SectionRun.started_at < outage.ended_at)))


def settle(db: Session, clock: Clock, attempt_id: int, outage_id: int,
           policy: OutagePolicy = DEFAULT_POLICY) -> float:
    """After the beat that recorded outage ``outage_id`` committed: credit it to one attempt
    (one short unit of work per attempt, under the attempt's lock, so that it never waits on
    the candidate's own request in the other order), and pause the attempt when the outage
    was long. A candidate whose next request came before this beat is credited here; one
    whose request comes first is credited by it (``credit``; the pair is unique)."""
    from toetsbatterij.delivery import attempts

    attempt = db.get(Attempt, attempt_id)
    outage = db.get(ServiceOutage, outage_id)
    if attempt is None or outage is None or attempt.state != SECTION:
        return 0.0
    run = db.scalar(select(SectionRun).where(SectionRun.attempt_id == attempt.id,
                                             SectionRun.section_index == attempt.section_index))
    seconds = credit(db, clock, attempt, run, policy, outages=[outage])
    if outage.ended_at - outage.started_at >= policy.pause_after and attempt.paused_at is None:
        attempts.pause(db, clock, attempt, actor_id=None)
    return seconds


def may_have_missed(clock: Clock, attempt: Attempt,
                    policy: OutagePolicy = DEFAULT_POLICY) -> bool:
    """Could an outage have happened since the attempt's last contact? (No query: an outage is
    longer than ``policy.credit_after``, so none fits in a shorter gap.)"""
    since = attempt.last_contact_at
    return since is None or clock.now() - since > policy.credit_after


def credit(db: Session, clock: Clock, attempt: Attempt, run: SectionRun | None,
           policy: OutagePolicy = DEFAULT_POLICY,
           outages: list[ServiceOutage] | None = None) -> float:
    """Give ``attempt`` back the time its running section ``run`` lost to ``outages`` (by
    default: those since its last contact), once per outage. Returns the seconds credited."""
    if run is None or run.finished_at is not None or attempt.state != SECTION:
        return 0.0
    now = clock.now()
    if outages is None:
        if not may_have_missed(clock, attempt, policy):
            return 0.0
        since = attempt.last_contact_at or run.started_at
        outages = list(db.scalars(select(ServiceOutage).where(
            ServiceOutage.ended_at > since, ServiceOutage.ended_at > run.started_at)
            .order_by(ServiceOutage.started_at)))
    total = 0.0
    for outage in outages:
        if attempt.paused_at is not None and attempt.paused_at <= outage.started_at:
            continue  # the clock stood still anyway
        start = max(outage.started_at, run.started_at)
        end = min(outage.ended_at, run.deadline_at)
        seconds = (end - start).total_seconds()
        if seconds <= 0:
            continue
        row = OutageCredit(attempt_id=attempt.id, outage_id=outage.id,
                           section_index=run.section_index, seconds=seconds, created_at=now)
        try:
            with db.begin_nested():
                db.add(row)
                db.flush()
        except IntegrityError:
            continue  # credited already
        run.deadline_at = run.deadline_at + dt.timedelta(seconds=seconds)
        total += seconds
        cand = db.get(Candidate, attempt.candidate_id)
        if cand is not None:
            db.add(Incident(organisation_id=attempt.organisation_id,
                            exam_session_id=cand.exam_session_id, candidate_id=cand.id,
                            code="server_outage",
                            note=f"{round(seconds)} s bijgegeven (server onbereikbaar van "
                                 f"{outage.started_at:%H:%M:%S} tot {outage.ended_at:%H:%M:%S} "
                                 "UTC)", created_by=None, created_at=now))
        record(db, clock, organisation_id=attempt.organisation_id, actor_id=None,
               action="attempt.outage_credit", object_type="attempt", object_id=attempt.id,
               seconds=round(seconds, 3), outage_id=outage.id, section_index=run.section_index)
    if total:
        db.flush()
    return total


def credited_seconds(db: Session, attempt_id: int) -> float:
    """Every second credited to an attempt for outages."""
    return float(sum(db.scalars(select(OutageCredit.seconds)
                                .where(OutageCredit.attempt_id == attempt_id))))

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from toetsbatterij.db import Base
from toetsbatterij.i18n import N_

# Attempt states, in order. ``admission`` = logged in, waiting for the proctor's identity check;
# ``ended`` = stopped by a proctor (with a reason).
ADMISSION = "admission"
INSTRUCTIONS = "instructions"
PRACTICE = "practice"
SECTION = "section"
FINISHED = "finished"
ENDED = "ended"
ATTEMPT_STATES = (ADMISSION, INSTRUCTIONS, PRACTICE, SECTION, FINISHED, ENDED)

ID_KINDS = ("rrn", "bis", "foreign")
INCIDENT_CODES = {
    "technical": N_("Technisch probleem"),
    "illness": N_("Ziekte of onwel"),
    "fraud_suspected": N_("Vermoeden van fraude"),
    "disturbance": N_("Storing in het lokaal"),
    "late_arrival": N_("Te laat aangekomen"),
    "server_outage": N_("Server onbereikbaar (tijd automatisch bijgegeven)"),
    "other": N_("Andere"),
}


class TestDefinitionRecord(Base):
    """A test definition (what is attested), loaded from a bank manifest and pinned to its version.

    (Named ``...Record`` and not ``Test...`` so that pytest never tries to collect it.)
    """

    __tablename__ = "test_definition"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60))
    version: Mapped[str] = mapped_column(String(64))  # content hash of the manifest
    bank_version: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(60))
    target_level: Mapped[str] = mapped_column(String(4))
    manifest: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime]


class FormSnapshot(Base):
    """A test form as it was delivered, content-addressed by its version (``TestForm.version``):
    everything needed to rebuild it without the bank on disk (``TestForm.to_document``), so an
    attempt continues, and a result is recomputed, on exactly the form it ran on. Immutable."""

    __tablename__ = "form_snapshot"

    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    test_code: Mapped[str] = mapped_column(String(60), index=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime]


class ExamSession(Base):
    """An afnamesessie: one room, one time window, one test definition."""

    __tablename__ = "exam_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    test_definition_id: Mapped[int] = mapped_column(ForeignKey("test_definition.id"))
    code: Mapped[str] = mapped_column(String(20), unique=True)
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    opened_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    created_at: Mapped[dt.datetime]


class Candidate(Base):
    __tablename__ = "candidate"
    __table_args__ = (UniqueConstraint("exam_session_id", "access_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    exam_session_id: Mapped[int] = mapped_column(ForeignKey("exam_session.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    id_kind: Mapped[str] = mapped_column(String(10))
    id_number: Mapped[str] = mapped_column(String(40))
    id_country: Mapped[str] = mapped_column(String(2), default="")
    instruction_language: Mapped[str] = mapped_column(String(8), default="nl")
    # The purpose the candidate takes the test for: a profile code of the agency's attest rules
    # ("nationaliteit", ...) or "" when none was given; the retake policy of that profile
    # applies, and monitoring can count by it.
    purpose: Mapped[str] = mapped_column(String(40), default="")
    extra_time_percent: Mapped[int] = mapped_column(default=0)
    # Further accommodations (``delivery.accommodations``), set by staff, applied by the server:
    # larger text on every candidate screen, extra plays of each audio fragment, and a longer
    # preparation time before a spoken answer (percent of the task's preparation time).
    larger_text: Mapped[bool] = mapped_column(default=False)
    extra_audio_plays: Mapped[int] = mapped_column(default=0)
    speaking_prep_percent: Mapped[int] = mapped_column(default=0)
    # Printed on the ticket; only usable inside the window of an opened session.
    access_code: Mapped[str] = mapped_column(String(12))
    device_token: Mapped[str | None] = mapped_column(String(64))
    device_bound_at: Mapped[dt.datetime | None]
    # Admitted by the proctor after the identity check; before that the candidate waits.
    admitted_at: Mapped[dt.datetime | None]
    admitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    created_at: Mapped[dt.datetime]
    # The person across sessions (``persons``): linked by identity number or confirmed by staff.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    # Set by the erasure job (toetsbatterij.privacy) when the identity data were removed after
    # their retention: names, identity number and country blank, birth date ERASED_BIRTH_DATE.
    erased_at: Mapped[dt.datetime | None]


class Attempt(Base):
    """One candidate taking one test (an afname). State machine: see ``delivery.attempts``."""

    __tablename__ = "attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id"), unique=True)
    test_definition_id: Mapped[int] = mapped_column(ForeignKey("test_definition.id"))
    bank_version: Mapped[str] = mapped_column(String(64))
    # The test form the attempt runs on, to the end (a content hash, ``items.TestForm.version``;
    # its snapshot is in ``form_snapshot``). Empty only for attempts from before forms existed.
    form_version: Mapped[str] = mapped_column(String(64), default="")
    seed: Mapped[int]
    state: Mapped[str] = mapped_column(String(20), default=INSTRUCTIONS)
    section_index: Mapped[int] = mapped_column(default=-1)
    started_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
    paused_at: Mapped[dt.datetime | None]
    end_reason: Mapped[str] = mapped_column(Text, default="")
    last_contact_at: Mapped[dt.datetime | None]


class SectionRun(Base):
    """One timed, adaptive section of an attempt. The deadline lives here, on the server."""

    __tablename__ = "section_run"
    __table_args__ = (UniqueConstraint("attempt_id", "section_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), index=True)
    section_index: Mapped[int]
    skill: Mapped[str] = mapped_column(String(20))
    design_name: Mapped[str] = mapped_column(String(120), default="")
    design_version: Mapped[str] = mapped_column(String(64), default="")
    started_at: Mapped[dt.datetime]
    deadline_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
    finish_reason: Mapped[str] = mapped_column(String(200), default="")  # "se+classification"
    theta: Mapped[float | None] = mapped_column(Float)
    se: Mapped[float | None] = mapped_column(Float)
    level: Mapped[str] = mapped_column(String(12), default="")  # e.g. "below_A1"


class Presentation(Base):
    """An item or testlet shown to a candidate; persisted before it is sent (no re-draw on reload).

    ``section_index`` -1 is the practice block.
    """

    __tablename__ = "presentation"
    __table_args__ = (UniqueConstraint("attempt_id", "section_index", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), index=True)
    section_index: Mapped[int]
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(12))  # practice | operational | pretest
    unit_id: Mapped[str] = mapped_column(String(40))
    item_ids: Mapped[list[str]] = mapped_column(JSON)
    presented_at: Mapped[dt.datetime]
    answered_at: Mapped[dt.datetime | None]
    audio_plays: Mapped[int] = mapped_column(default=0)


class Response(Base):
    """Append-only: one row per item answered."""

    __tablename__ = "response"
    __table_args__ = (UniqueConstraint("presentation_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    presentation_id: Mapped[int] = mapped_column(ForeignKey("presentation.id"), index=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), index=True)
    item_id: Mapped[str] = mapped_column(String(40))
    raw: Mapped[Any] = mapped_column(JSON)
    score: Mapped[float | None] = mapped_column(Float)
    counts: Mapped[bool] = mapped_column(default=True)  # False for practice and pretest
    received_at: Mapped[dt.datetime]


class Incident(Base):
    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    exam_session_id: Mapped[int] = mapped_column(ForeignKey("exam_session.id"), index=True)
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidate.id"))
    code: Mapped[str] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    created_at: Mapped[dt.datetime]


class LoginThrottle(Base):
    """Failed candidate logins per typed session code and per typed access code (never per IP:
    an exam room shares one address). The code itself is not stored, only a SHA-256 of
    (scope, code), so the table holds no usable access code."""

    __tablename__ = "login_throttle"
    __table_args__ = (UniqueConstraint("scope", "key_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(10))  # session | access
    key_hash: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[dt.datetime]
    last_failure_at: Mapped[dt.datetime]
    locked_until: Mapped[dt.datetime | None]


class ServiceBeat(Base):
    """The last moment the platform answered a candidate (one row, ``id`` 1): a request that
    finds it long ago knows that nobody was answered in between (no worker alive, or the
    database away) and records that outage (``delivery.outages``)."""

    __tablename__ = "service_beat"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_beat_at: Mapped[dt.datetime]


class ServiceOutage(Base):
    """A period in which the platform answered no candidate at all."""

    __tablename__ = "service_outage"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(unique=True)
    ended_at: Mapped[dt.datetime] = mapped_column(index=True)


class OutageCredit(Base):
    """Time given back to one attempt for one outage (once: the unique pair)."""

    __tablename__ = "outage_credit"
    __table_args__ = (UniqueConstraint("attempt_id", "outage_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), index=True)
    outage_id: Mapped[int] = mapped_column(ForeignKey("service_outage.id"))
    section_index: Mapped[int]
    seconds: Mapped[float] = mapped_column(Float)
    created_at: Mapped[dt.datetime]

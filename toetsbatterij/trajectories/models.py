"""An integration trajectory of a person, its components and their status events.

A trajectory belongs to one organisation at a time; a transfer to another organisation moves it
(and links it to the receiving organisation's person record) and keeps the history in
``trajectory_transfer``. A component's ``status`` is the status of its latest event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from toetsbatterij.db import Base

OBLIGED = "obliged"
VOLUNTARY = "voluntary"
TRAJECTORY_KINDS = (OBLIGED, VOLUNTARY)

MO = "mo"                        # maatschappelijke oriëntatie (social orientation)
NT2 = "nt2"                      # Dutch as a second language
CAREER = "career"                # loopbaanoriëntatie
PARTICIPATION = "participation"  # participatie en netwerking
COMPONENT_KINDS = (MO, NT2, CAREER, PARTICIPATION)

PLANNED = "planned"
STARTED = "started"
PASSED = "passed"
FAILED = "failed"
EXEMPTED = "exempted"
STOPPED = "stopped"
COMPONENT_STATUSES = (PLANNED, STARTED, PASSED, FAILED, EXEMPTED, STOPPED)


class Trajectory(Base):
    __tablename__ = "trajectory"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))          # TRAJECTORY_KINDS
    legal_ground: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[dt.date] = mapped_column(Date)
    counsellor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    created_at: Mapped[dt.datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    closed_at: Mapped[dt.datetime | None]
    close_reason: Mapped[str] = mapped_column(Text, default="")


class TrajectoryComponent(Base):
    __tablename__ = "trajectory_component"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    trajectory_id: Mapped[int] = mapped_column(ForeignKey("trajectory.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))          # COMPONENT_KINDS
    # MO: course, attendance, assessment (personal development plan); NT2: provider type
    # ("cvo"/"cbe"), provider name, course level; free per kind, checked by the service.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    goal_level: Mapped[str] = mapped_column(String(2), default="")     # NT2: e.g. "A2"
    attest_id: Mapped[int | None] = mapped_column(ForeignKey("attest.id"))
    result_id: Mapped[int | None] = mapped_column(ForeignKey("result.id"))
    status: Mapped[str] = mapped_column(String(20), default=PLANNED)  # latest event
    created_at: Mapped[dt.datetime]


class ComponentEvent(Base):
    __tablename__ = "component_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("trajectory_component.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))        # COMPONENT_STATUSES
    occurred_on: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[dt.datetime]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))


class TrajectoryTransfer(Base):
    __tablename__ = "trajectory_transfer"

    id: Mapped[int] = mapped_column(primary_key=True)
    trajectory_id: Mapped[int] = mapped_column(ForeignKey("trajectory.id"), index=True)
    from_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    from_person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    to_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    to_person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    transferred_at: Mapped[dt.datetime]
    transferred_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))


CERTIFICATE = "certificate"                # inburgeringsattest
EFFORT_DECLARATION = "effort_declaration"  # verklaring van geleverde inspanningen
CERTIFICATE_KINDS = (CERTIFICATE, EFFORT_DECLARATION)


class CivicCertificate(Base):
    """An issued civic-integration certificate (inburgeringsattest) or declaration of effort
    made (verklaring van geleverde inspanningen): the signed document (``payload``, RFC 8785
    canonical JSON signed with Ed25519 by ``key_id``, like an attest), the decision it rests
    on, and the holder beside the payload, bound to it by a keyed digest (erased with the
    person's identity data; the document stays verifiable by number)."""

    __tablename__ = "civic_certificate"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    trajectory_id: Mapped[int] = mapped_column(ForeignKey("trajectory.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))            # CERTIFICATE_KINDS
    number: Mapped[str] = mapped_column(String(20), unique=True)
    verification_code: Mapped[str] = mapped_column(String(8))
    rules_version: Mapped[int]
    rules_effective_from: Mapped[dt.date] = mapped_column(Date)
    decision_date: Mapped[dt.date] = mapped_column(Date)
    # The documented decision (required for a declaration of effort): kept with the record,
    # never in the signed payload (it may name circumstances of the person).
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    signature: Mapped[str] = mapped_column(String(100))
    holder: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    holder_salt: Mapped[str | None] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(ForeignKey("signing_key.kid"))
    credential_jwt: Mapped[str | None] = mapped_column(Text)
    issued_at: Mapped[dt.datetime]
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("staff_account.id"))


class CivicCertificateVerification(Base):
    """One public verification of a certificate, without anything about the verifier."""

    __tablename__ = "civic_certificate_verification"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("civic_certificate.id"),
                                                       index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"),
                                                        index=True)
    outcome: Mapped[str] = mapped_column(String(20))   # valid | unknown | invalid | throttled
    birth_date_given: Mapped[bool] = mapped_column(default=False)
    birth_date_matched: Mapped[bool] = mapped_column(default=False)
    at: Mapped[dt.datetime]

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

"""A person known to one organisation, across exam sessions (table ``person``).

A candidate registered for a session points to its person (``candidate.person_id``); the link is
made by identity number, or confirmed by staff for a likely match (same names and birth date),
never silently. Identity numbers are stored normalised (``delivery.identity``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from toetsbatterij.db import Base


class Person(Base):
    __tablename__ = "person"
    __table_args__ = (Index("ix_person_identity", "organisation_id", "id_kind", "id_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    # delivery.models.ID_KINDS: "rrn" (rijksregisternummer), "bis", "foreign" (a foreign
    # document: its number and issuing country)
    id_kind: Mapped[str] = mapped_column(String(10))
    id_number: Mapped[str] = mapped_column(String(40))
    id_country: Mapped[str] = mapped_column(String(2), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    instruction_language: Mapped[str] = mapped_column(String(8), default="nl")
    created_at: Mapped[dt.datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    # Set by the erasure job when the identity data were removed after their retention.
    erased_at: Mapped[dt.datetime | None]


MATCH_PROPOSED = "proposed"
MATCH_CONFIRMED = "confirmed"
MATCH_REJECTED = "rejected"
MATCH_STATUSES = (MATCH_PROPOSED, MATCH_CONFIRMED, MATCH_REJECTED)


class PersonMatch(Base):
    """A likely match between a newly registered candidate and an existing person of the same
    organisation (same names, normalised, and birth date; a different or no identity number),
    proposed for staff to confirm or reject. Never acted on without that decision."""

    __tablename__ = "person_match"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=MATCH_PROPOSED)  # MATCH_STATUSES
    proposed_at: Mapped[dt.datetime]
    decided_at: Mapped[dt.datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))

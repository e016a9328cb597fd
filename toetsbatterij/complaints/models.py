"""Tables of the complaints: the complaint and the productions it contests.

A complaint belongs to one agency (``organisation_id``: every query is scoped by it) and is
about one attempt of one of its candidates: its result (the one current when the complaint
came in) or the conditions of the test. Its deadlines per step are computed once, when it is
recorded, from the configuration then in force (``COMPLAINT_DEADLINES``), and stored with it:
a later change of the configuration does not move the deadlines of complaints already in.

The decision is taken with four eyes: one agency admin proposes it (``proposed_*``), another
confirms it (``decided_*``). A revising decision points at the new result and attest it made
and at the revocation of the old attest (requested by the proposer, confirmed by the
confirmer through ``attests.service``, which refuses a confirmation by the requester).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from toetsbatterij.db import Base

#: What a complaint is about.
RESULT, CONDITIONS = "result", "conditions"
SUBJECTS = (RESULT, CONDITIONS)
#: How it came in (``online``: the public form, no staff member recorded it).
CHANNELS = ("letter", "email", "phone", "desk", "online")
ONLINE = "online"
#: Where it stands.
RECEIVED, IN_REVIEW, PROPOSED, DECIDED = "received", "in_review", "proposed", "decided"
STATUSES = (RECEIVED, IN_REVIEW, PROPOSED, DECIDED)
#: The outcome: the result stays as it is; a new result (from the review ratings) supersedes
#: it, with a new attest and the old one revoked; or founded, with another measure (written in
#: the motivation: a free retake, an apology, a change in the exam room).
UNCHANGED, REVISED, OTHER_MEASURE = "unchanged", "revised", "other_measure"
OUTCOMES = (UNCHANGED, REVISED, OTHER_MEASURE)


class Complaint(Base):
    __tablename__ = "complaint"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    subject: Mapped[str] = mapped_column(String(12))
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id"), index=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), index=True)
    result_id: Mapped[int | None] = mapped_column(ForeignKey("result.id"), index=True)
    attest_id: Mapped[int | None] = mapped_column(ForeignKey("attest.id"))
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    channel: Mapped[str] = mapped_column(String(12))
    received_on: Mapped[dt.date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text, default="")
    contact: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(8), default="nl")
    status: Mapped[str] = mapped_column(String(12), default=RECEIVED)
    #: step -> ISO date: the deadline of each step (``service.STEPS``), fixed when recorded.
    deadlines: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    created_at: Mapped[dt.datetime]
    acknowledged_at: Mapped[dt.datetime | None]
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    acknowledgement_note: Mapped[str] = mapped_column(Text, default="")
    review_requested_at: Mapped[dt.datetime | None]
    review_requested_by: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    outcome: Mapped[str | None] = mapped_column(String(16))
    motivation: Mapped[str] = mapped_column(Text, default="")
    proposed_at: Mapped[dt.datetime | None]
    proposed_by: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    decided_at: Mapped[dt.datetime | None]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    new_result_id: Mapped[int | None] = mapped_column(ForeignKey("result.id"))
    new_attest_id: Mapped[int | None] = mapped_column(ForeignKey("attest.id"))
    revocation_id: Mapped[int | None] = mapped_column(ForeignKey("attest_revocation.id"))
    #: Proposals sent back: outcome, motivation, who proposed, who rejected, why, when.
    rejected: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Set by the erasure job with the candidate's identity data: text and contact blanked.
    erased_at: Mapped[dt.datetime | None]


class ComplaintProduction(Base):
    """A contested production (a writing or speaking response) and its review task."""

    __tablename__ = "complaint_production"
    __table_args__ = (UniqueConstraint("complaint_id", "response_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id"))
    live_task_id: Mapped[int] = mapped_column(ForeignKey("rating_task.id"))
    review_task_id: Mapped[int | None] = mapped_column(ForeignKey("rating_task.id"))

"""The partner exchange (issue 13, item 4): partner organisations of one agency, their API
tokens (stored hashed), their scopes per field group, the persons the agency shares with them,
and the log of every read.

A partner belongs to one agency (``organisation_id``): VDAB, an OCMW, a social-housing company
are a partner of each agency that exchanges with them, each with tokens, scopes and shares of
its own. Nothing here is ever deleted: a token is revoked, a share is stopped, a scope is
withdrawn (the audit log keeps who did what), and the read log only grows.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from toetsbatterij.db import Base


class Partner(Base):
    __tablename__ = "partner"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))        # service.PARTNER_KINDS
    contact_email: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))


class PartnerScope(Base):
    """One field group (``service.SCOPES``) a partner may read; withdrawn by deleting the row
    (audited), with effect on the next request."""

    __tablename__ = "partner_scope"
    __table_args__ = (UniqueConstraint("partner_id", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    scope: Mapped[str] = mapped_column(String(40))
    granted_at: Mapped[dt.datetime]
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))


class PartnerToken(Base):
    """An API token: only its SHA-256 is stored (the token is shown once, at creation or
    rotation); ``prefix`` is its first characters, to tell tokens apart on the staff page."""

    __tablename__ = "partner_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    # A rotation revokes this token and names the token that replaced it.
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("partner_token.id"))


class PartnerShare(Base):
    """The agency shares one of its persons with a partner, from ``shared_at`` until
    ``stopped_at``. ``person_ref`` is what the partner calls the person: random, the same for
    every share of that person with that partner, and unrelated to any other partner's."""

    __tablename__ = "partner_share"
    __table_args__ = (Index("ix_partner_share_partner_person", "partner_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    person_ref: Mapped[str] = mapped_column(String(32), index=True)
    shared_at: Mapped[dt.datetime]
    shared_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    stopped_at: Mapped[dt.datetime | None]
    stopped_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))


class PartnerRead(Base):
    """One request of a partner: which token, which operation, which field groups it was
    given, its outcome (``ok``, or ``forbidden`` for a field group without the scope,
    ``not_found`` for a person not shared) and when. The persons read are in
    ``partner_read_person``."""

    __tablename__ = "partner_read"
    __table_args__ = (Index("ix_partner_read_organisation_at", "organisation_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("partner_token.id"), index=True)
    operation: Mapped[str] = mapped_column(String(60))
    scopes: Mapped[str] = mapped_column(String(300), default="")   # space-separated
    outcome: Mapped[str] = mapped_column(String(20))
    person_count: Mapped[int] = mapped_column(default=0)
    at: Mapped[dt.datetime]


class PartnerReadPerson(Base):
    __tablename__ = "partner_read_person"

    id: Mapped[int] = mapped_column(primary_key=True)
    read_id: Mapped[int] = mapped_column(ForeignKey("partner_read.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)


class PartnerWebhook(Base):
    """A partner's subscription to events (``webhooks.EVENTS``) of the persons shared with it,
    delivered to ``url`` signed with HMAC-SHA-256 under ``secret`` (shown once; kept, since
    signing needs it). Events from ``created_at`` on; disabled, never deleted."""

    __tablename__ = "partner_webhook"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    events: Mapped[str] = mapped_column(String(200))        # space-separated
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    disabled_at: Mapped[dt.datetime | None]
    disabled_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))


class PartnerDelivery(Base):
    """One event for one webhook: queued once (``event_key``), tried with back-off by the
    sweep (``cli deliver-partner-webhooks``) until a 2xx answer, or given up."""

    __tablename__ = "partner_delivery"
    __table_args__ = (UniqueConstraint("webhook_id", "event_key"),
                      Index("ix_partner_delivery_due", "delivered_at", "gave_up_at",
                            "next_attempt_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("partner_webhook.id"), index=True)
    event: Mapped[str] = mapped_column(String(40))
    event_key: Mapped[str] = mapped_column(String(80))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    occurred_at: Mapped[dt.datetime]
    created_at: Mapped[dt.datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime]
    delivered_at: Mapped[dt.datetime | None]
    gave_up_at: Mapped[dt.datetime | None]
    last_status: Mapped[int | None]
    last_error: Mapped[str] = mapped_column(String(300), default="")

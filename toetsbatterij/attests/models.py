"""Tables of the attests: rule versions, signing keys, attests, revocations, verifications."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from toetsbatterij.db import Base


class AttestRuleSet(Base):
    """One version of an agency's attest rules (``attests.rules.RuleSet.to_document``), in force
    from ``effective_from`` until a later version takes over. Never changed: a change is a new
    version."""

    __tablename__ = "attest_rule_set"
    __table_args__ = (UniqueConstraint("organisation_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    version: Mapped[int]
    effective_from: Mapped[dt.date] = mapped_column(Date)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    created_at: Mapped[dt.datetime]


class SigningKey(Base):
    """A public key that signed (or signs) attests, by its RFC 7638 thumbprint. Kept for ever,
    so every earlier attest verifies after a key rotation; the JWKS publishes them all."""

    __tablename__ = "signing_key"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime]
    retired_at: Mapped[dt.datetime | None]


class Attest(Base):
    """An issued attest: the signed document (``payload``, RFC 8785 canonical JSON signed with
    Ed25519 by ``key_id``) and what the platform needs to find, verify and revoke it."""

    __tablename__ = "attest"
    __table_args__ = (UniqueConstraint("organisation_id", "status_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    verification_code: Mapped[str] = mapped_column(String(8))
    result_id: Mapped[int] = mapped_column(ForeignKey("result.id"), unique=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id"), index=True)
    rule_set_id: Mapped[int] = mapped_column(ForeignKey("attest_rule_set.id"))
    rules_version: Mapped[int]
    test_date: Mapped[dt.date] = mapped_column(Date)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    signature: Mapped[str] = mapped_column(String(100))     # base64url, no padding
    # The holder (names, birth date, identity number masked) is outside the signed payload,
    # which holds its keyed digest (``person_digest``, HMAC-SHA-256 with ``person_salt``): the
    # erasure of the identity data (privacy.retention) removes both and the attest stays
    # verifiable by number, without the person.
    person: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    person_salt: Mapped[str | None] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(ForeignKey("signing_key.kid"))
    # The W3C Verifiable Credential of the attest (vc+jwt), signed at issue with the same key.
    # (None after the erasure: the holder keeps the copy they downloaded)
    credential_jwt: Mapped[str | None] = mapped_column(Text)
    # The position in the agency's Bitstring Status List (drawn at random).
    status_index: Mapped[int]
    issued_at: Mapped[dt.datetime]
    issued_by: Mapped[int] = mapped_column(ForeignKey("staff_account.id"))
    revoked_at: Mapped[dt.datetime | None]


class AttestRevocation(Base):
    """A revocation: requested (with a reason) by one staff member, confirmed by another, or
    withdrawn. At most one open request per attest."""

    __tablename__ = "attest_revocation"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    attest_id: Mapped[int] = mapped_column(ForeignKey("attest.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[int] = mapped_column(ForeignKey("staff_account.id"))
    requested_at: Mapped[dt.datetime]
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    confirmed_at: Mapped[dt.datetime | None]
    withdrawn_by: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    withdrawn_at: Mapped[dt.datetime | None]


class AttestVerification(Base):
    """One public verification, without anything about the verifier (no address, no browser):
    which attest (when known), the outcome, the channel and whether a birth date was given."""

    __tablename__ = "attest_verification"

    id: Mapped[int] = mapped_column(primary_key=True)
    attest_id: Mapped[int | None] = mapped_column(ForeignKey("attest.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"),
                                                        index=True)
    outcome: Mapped[str] = mapped_column(String(20))   # valid | revoked | unknown | throttled
    channel: Mapped[str] = mapped_column(String(10))   # page | json
    birth_date_given: Mapped[bool] = mapped_column(default=False)
    birth_date_matched: Mapped[bool] = mapped_column(default=False)
    at: Mapped[dt.datetime]

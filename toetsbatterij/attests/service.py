"""Issuing, finding, revoking and verifying attests (SQLAlchemy, no flask; flushes only).

- **Issue** (:func:`issue`): only from a current frozen result (``attests.source``), only by an
  agency admin of the agency that owns the result; under the rules in force on the test date
  (stored on the attest); a new random number with a check symbol; the payload signed
  (Ed25519 over RFC 8785 JSON) with the platform's signer, whose public key is registered for
  the JWKS; the W3C credential signed with the same key; audited.
- **Revoke** with four eyes: :func:`request_revocation` (an agency admin or a proctor, with a
  reason) and :func:`confirm_revocation` by a different agency admin; both audited; a request
  can be withdrawn (:func:`withdraw_revocation`).
- **Verify** (:func:`verify`): the public check by number and verification code, optionally
  with the holder's birth date (only then are name and birth date shown); rate-limited with the
  login throttle (``delivery.throttle``); every verification logged without the verifier.

Who may issue: agency admins only. Proctors run the exam room and see the candidates' identity,
but the attest is the agency's decision on the frozen result (after rating), so they may look
at attests and ask for a revocation (for example after a fraud they witnessed), never issue or
confirm one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from toetsbatterij.accounts.models import ROLE_ADMIN, ROLE_PROCTOR, StaffAccount
from toetsbatterij.attests import credential as vc
from toetsbatterij.attests import keys, numbers, rulesets
from toetsbatterij.attests.models import Attest, AttestRevocation, AttestVerification
from toetsbatterij.attests.source import ResultFacts, ResultLoader, load_result
from toetsbatterij.audit.service import record
from toetsbatterij.clock import Clock
from toetsbatterij.delivery import throttle
from toetsbatterij.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from toetsbatterij.i18n import N_
from toetsbatterij.textinput import clean_text

ISSUER_ROLES = (ROLE_ADMIN,)
REVOCATION_REQUEST_ROLES = (ROLE_ADMIN, ROLE_PROCTOR)
REVOCATION_CONFIRM_ROLES = (ROLE_ADMIN,)
VIEW_ROLES = (ROLE_ADMIN, ROLE_PROCTOR)
SCHEMA = "toetsbatterij/attest-taalniveau/1"

VALID, REVOKED, UNKNOWN = "valid", "revoked", "unknown"
BIRTH_SCOPE, CLIENT_SCOPE = "attest", "verifier"
VERIFY_WINDOW = dt.timedelta(minutes=15)
VERIFY_LOCK = dt.timedelta(hours=1)
VERIFY_BASE_DELAY = dt.timedelta(seconds=30)


class VerificationThrottled(DomainError):
    http_status = 429
    keeps_changes = True  # the logged verification and the counts stay
    default_message = N_("Te veel controles na elkaar. Probeer het over enkele minuten opnieuw.")


class HolderNotFound(NotFound):
    keeps_changes = True  # the failed proof is counted (throttle) and logged
    default_message = N_("Geen attest gevonden met dit nummer, deze code en deze "
                         "geboortedatum.")


ALREADY_ISSUED = N_("Voor dit resultaat is al een attest uitgereikt.")
NO_LEVELS = N_("Dit resultaat heeft geen niveau voor een vaardigheid van het attest.")
NOT_ALLOWED = N_("Alleen een beheerder van het agentschap kan een attest uitreiken.")
ALREADY_REVOKED = N_("Dit attest is al ingetrokken.")
REQUEST_OPEN = N_("Er loopt al een aanvraag tot intrekking voor dit attest.")
NO_REQUEST = N_("Er is geen aanvraag tot intrekking om te bevestigen.")
FOUR_EYES = N_("Een intrekking wordt bevestigd door een andere medewerker dan wie ze aanvroeg.")


def _actor(db: Session, organisation_id: int, actor_id: int, roles: tuple[str, ...],
           message: str = Forbidden.default_message) -> StaffAccount:
    account = db.get(StaffAccount, actor_id)
    if account is None or account.organisation_id != organisation_id or not account.active \
            or account.role not in roles:
        raise Forbidden(message, detail=f"account {actor_id} may not ({roles})")
    return account


def mask_identity(id_kind: str, id_number: str) -> str:
    """The identity number as printed: for a national register or BIS number only its first
    six digits (the birth date the attest prints anyway; never the serial or check digits),
    for a foreign document only its last three characters."""
    number = id_number or ""
    if id_kind in ("rrn", "bis") and len(number) == 11 and number.isdigit():
        return f"{number[0:2]}.{number[2:4]}.{number[4:6]}-•••.••"
    tail = number[-3:] if len(number) > 3 else ""
    return "•" * max(len(number) - len(tail), 3) + tail


# -- issuing -----------------------------------------------------------------------------------


def holder_of(facts: ResultFacts) -> dict[str, str]:
    cand = facts.candidate
    return {"first_name": cand.first_name, "last_name": cand.last_name,
            "birth_date": cand.birth_date.isoformat(), "id_kind": cand.id_kind,
            "id_number_masked": mask_identity(cand.id_kind, cand.id_number),
            "id_country": cand.id_country or ""}


def person_digest(person: Mapping[str, Any], salt: str) -> str:
    """The keyed digest of the holder that the signed payload carries (the salt keeps names
    and birth dates, which are few, from being found by trying)."""
    mac = hmac.new(bytes.fromhex(salt), keys.canonical(dict(person)), hashlib.sha256)
    return "hmac-sha256:" + mac.hexdigest()


def _payload(facts: ResultFacts, *, number: str, kid: str, rules: rulesets.VersionInForce,
             levels: Mapping[str, str], issued_at: dt.datetime, tz: str,
             digest: str) -> dict[str, Any]:
    org = facts.organisation
    skills = {s: levels[s] for s in rules.rules.skills if s in levels}
    kinds = {k.code: levels[k.code] for k in rules.rules.kinds if k.code in levels}
    return {
        "schema": SCHEMA,
        "number": number,
        "key_id": kid,
        "issuer": {"organisation": {"code": org.code, "name": org.name},
                   "location": facts.location.name if facts.location else ""},
        "person_digest": digest,
        "test": {"code": facts.test_code, "name": facts.test_name,
                 "date": rulesets.local_date(facts.taken_at, tz).isoformat(),
                 "form_version": facts.form_version},
        "levels": {"skills": skills, "kinds": kinds},
        "rules": {"version": rules.version, "effective_from": rules.effective_from.isoformat()},
        "result": {"id": facts.result_id, "rules_version": facts.result_rules_version,
                   "inputs_hash": facts.inputs_hash},
        "issued_at": issued_at.astimezone(dt.UTC).replace(microsecond=0).isoformat(),
    }


def _free_status_index(db: Session, organisation_id: int) -> int:
    used = set(db.scalars(select(Attest.status_index)
                          .where(Attest.organisation_id == organisation_id)))
    if len(used) >= vc.STATUS_LIST_ENTRIES:  # pragma: no cover - 131,072 attests of one agency
        raise Conflict(detail="status list full")
    while True:
        index = secrets.randbelow(vc.STATUS_LIST_ENTRIES)
        if index not in used:
            return index


def _new_number(db: Session) -> str:
    while True:
        number = numbers.new_number()
        if db.scalar(select(Attest.id).where(Attest.number == number)) is None:
            return number


def issue(db: Session, clock: Clock, signer: keys.Signer, *, organisation_id: int,
          actor_id: int, result_id: int, base_url: str, tz: str = rulesets.DEFAULT_TZ,
          loader: ResultLoader = load_result) -> Attest:
    """Issue the attest of the current frozen result ``result_id`` (flushes; audited)."""
    _actor(db, organisation_id, actor_id, ISSUER_ROLES, NOT_ALLOWED)
    facts = loader(db, organisation_id, result_id)
    if db.scalar(select(Attest.id).where(Attest.result_id == facts.result_id)) is not None:
        raise Conflict(ALREADY_ISSUED)
    test_date = rulesets.local_date(facts.taken_at, tz)
    rules = rulesets.in_force_stored(db, clock, organisation_id, test_date)
    levels = rules.rules.all_levels(facts.levels)
    if not any(s in levels for s in rules.rules.skills):
        raise Conflict(NO_LEVELS)
    now = clock.now()
    keys.register(db, clock, signer)
    number = _new_number(db)
    person, salt = holder_of(facts), secrets.token_hex(16)
    payload = _payload(facts, number=number, kid=signer.kid, rules=rules, levels=levels,
                       issued_at=now, tz=tz, digest=person_digest(person, salt))
    signature = signer.sign_document(payload)
    status_index = _free_status_index(db, organisation_id)
    credential = vc.build_credential(payload, person, base_url=base_url,
                                     status_index=status_index,
                                     levels_order=rules.rules.levels,
                                     kind_labels={k.code: k.label for k in rules.rules.kinds},
                                     issued_at=now)
    attest = Attest(organisation_id=organisation_id, number=number,
                    verification_code=numbers.verification_code(signature),
                    result_id=facts.result_id, attempt_id=facts.attempt.id,
                    candidate_id=facts.candidate.id, rule_set_id=rules.row.id,
                    rules_version=rules.version, test_date=test_date, payload=payload,
                    signature=signature, person=person, person_salt=salt, key_id=signer.kid,
                    credential_jwt=vc.sign_credential(signer, credential, now),
                    status_index=status_index, issued_at=now, issued_by=actor_id,
                    revoked_at=None)
    db.add(attest)
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id, action="attest.issue",
           object_type="attest", object_id=attest.id, result_id=facts.result_id,
           attempt_id=facts.attempt.id, candidate_id=facts.candidate.id,
           rules_version=rules.version, key_id=signer.kid)
    link_to_trajectory(db, clock, attest)
    return attest


def link_to_trajectory(db: Session, clock: Clock, attest: Attest) -> None:
    """The new attest goes to the NT2 component of its holder's open trajectory when the
    identity document matches the person (``toetsbatterij.trajectories``)."""
    from toetsbatterij.trajectories.service import attest_issued

    attest_issued(db, clock, attest)


# -- reading -----------------------------------------------------------------------------------


def get(db: Session, organisation_id: int, attest_id: int) -> Attest:
    attest = db.get(Attest, attest_id)
    if attest is None or attest.organisation_id != organisation_id:
        raise NotFound(detail=f"attest {attest_id} in organisation {organisation_id}")
    return attest


def list_attests(db: Session, organisation_id: int, limit: int = 200) -> list[Attest]:
    return list(db.scalars(select(Attest).where(Attest.organisation_id == organisation_id)
                           .order_by(Attest.issued_at.desc(), Attest.id.desc()).limit(limit)))


def for_result(db: Session, organisation_id: int, result_id: int) -> Attest | None:
    return db.scalar(select(Attest).where(Attest.organisation_id == organisation_id,
                                          Attest.result_id == result_id))


def open_request(db: Session, attest_id: int) -> AttestRevocation | None:
    return db.scalar(select(AttestRevocation).where(
        AttestRevocation.attest_id == attest_id, AttestRevocation.confirmed_at.is_(None),
        AttestRevocation.withdrawn_at.is_(None)))


def revocations(db: Session, attest_id: int) -> list[AttestRevocation]:
    return list(db.scalars(select(AttestRevocation).where(AttestRevocation.attest_id == attest_id)
                           .order_by(AttestRevocation.requested_at)))


def signature_valid(db: Session, attest: Attest, signer: keys.Signer | None = None) -> bool:
    """Does the stored payload still carry its signature, by the key it names, and (until
    the erasure) the stored holder its digest?"""
    if attest.payload.get("key_id") != attest.key_id or \
            attest.payload.get("number") != attest.number:
        return False
    if attest.person is not None and (
            not attest.person_salt
            or not hmac.compare_digest(person_digest(attest.person, attest.person_salt),
                                       str(attest.payload.get("person_digest", "")))):
        return False
    return keys.verify_document(attest.payload, attest.signature, attest.key_id,
                                keys.known_keys(db, signer))


# -- revocation (four eyes) ----------------------------------------------------------------------


def request_revocation(db: Session, clock: Clock, *, organisation_id: int, actor_id: int,
                       attest_id: int, reason: str) -> AttestRevocation:
    _actor(db, organisation_id, actor_id, REVOCATION_REQUEST_ROLES)
    attest = get(db, organisation_id, attest_id)
    if attest.revoked_at is not None:
        raise Conflict(ALREADY_REVOKED)
    if open_request(db, attest.id) is not None:
        raise Conflict(REQUEST_OPEN)
    text = clean_text(reason, field="reason", label="Reden", max_length=1000, required=True,
                      multiline=True)
    row = AttestRevocation(organisation_id=organisation_id, attest_id=attest.id, reason=text,
                           requested_by=actor_id, requested_at=clock.now())
    db.add(row)
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="attest.revocation_request", object_type="attest", object_id=attest.id,
           revocation_id=row.id)
    return row


def confirm_revocation(db: Session, clock: Clock, *, organisation_id: int, actor_id: int,
                       attest_id: int) -> Attest:
    _actor(db, organisation_id, actor_id, REVOCATION_CONFIRM_ROLES)
    attest = get(db, organisation_id, attest_id)
    if attest.revoked_at is not None:
        raise Conflict(ALREADY_REVOKED)
    request = open_request(db, attest.id)
    if request is None:
        raise Conflict(NO_REQUEST)
    if request.requested_by == actor_id:
        raise Forbidden(FOUR_EYES, detail="the requester cannot confirm")
    now = clock.now()
    request.confirmed_by, request.confirmed_at = actor_id, now
    attest.revoked_at = now
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="attest.revocation_confirm", object_type="attest", object_id=attest.id,
           revocation_id=request.id, requested_by=request.requested_by)
    return attest


def withdraw_revocation(db: Session, clock: Clock, *, organisation_id: int, actor_id: int,
                        attest_id: int) -> AttestRevocation:
    """The requester, or an agency admin, withdraws an open request (audited)."""
    account = _actor(db, organisation_id, actor_id, REVOCATION_REQUEST_ROLES)
    attest = get(db, organisation_id, attest_id)
    request = open_request(db, attest.id)
    if request is None:
        raise Conflict(NO_REQUEST)
    if request.requested_by != actor_id and account.role != ROLE_ADMIN:
        raise Forbidden(detail="only the requester or an admin withdraws")
    request.withdrawn_by, request.withdrawn_at = actor_id, clock.now()
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="attest.revocation_withdraw", object_type="attest", object_id=attest.id,
           revocation_id=request.id)
    return request


def revoked_indices(db: Session, organisation_id: int) -> list[int]:
    return list(db.scalars(select(Attest.status_index).where(
        Attest.organisation_id == organisation_id, Attest.revoked_at.is_not(None))))


# -- public verification -----------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """What a verifier is told. ``holder`` only when the birth date matched."""

    status: str                                  # valid | revoked | unknown
    number: str = ""
    revoked_on: dt.date | None = None
    organisation: str = ""
    location: str = ""
    test_date: str = ""
    issued_on: str = ""
    skills: dict[str, str] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    rules_version: int | None = None
    birth_date_given: bool = False
    birth_date_matched: bool = False
    holder: dict[str, str] | None = None

    def to_json(self) -> dict[str, Any]:
        if self.status == UNKNOWN:
            return {"status": UNKNOWN}
        out: dict[str, Any] = {
            "status": self.status, "number": numbers.display(self.number),
            "issuer": self.organisation, "location": self.location,
            "test_date": self.test_date, "issued_on": self.issued_on,
            "levels": {"skills": self.skills, "kinds": self.kinds},
            "rules_version": self.rules_version,
        }
        if self.revoked_on is not None:
            out["revoked_on"] = self.revoked_on.isoformat()
        if self.birth_date_given:
            out["birth_date_matches"] = self.birth_date_matched
        if self.holder is not None:
            out["holder"] = self.holder
        return out


def _log(db: Session, clock: Clock, attest: Attest | None, outcome: str, channel: str,
         given: bool, matched: bool) -> None:
    db.add(AttestVerification(attest_id=attest.id if attest else None,
                              organisation_id=attest.organisation_id if attest else None,
                              outcome=outcome, channel=channel, birth_date_given=given,
                              birth_date_matched=matched, at=clock.now()))
    db.flush()


def verify(db: Session, clock: Clock, *, number: str | None, code: str | None,
           birth_date: dt.date | None = None, channel: str = "page", client: str = "",
           signer: keys.Signer | None = None, max_birth_date_failures: int = 5,
           max_unknown_lookups: int = 20, tz: str = rulesets.DEFAULT_TZ) -> Verification:
    """Check an attest by number and verification code (and optionally the birth date).

    Unknown, wrongly coded and badly signed attests all answer "unknown" (the log keeps which).
    ``client`` is an opaque key of the verifier for the rate limit (the web layer passes the
    client address; only its hash reaches the throttle table, never the log).
    """
    if channel not in ("page", "json"):
        raise InvalidInput(detail=f"channel {channel!r}")
    given = birth_date is not None
    client_key = client or "-"
    unknown_backoff = throttle.Backoff(max_unknown_lookups, VERIFY_BASE_DELAY, VERIFY_LOCK,
                                       VERIFY_WINDOW)
    if throttle.locked_until(db, clock, CLIENT_SCOPE, client_key) is not None:
        _log(db, clock, None, "throttled", channel, given, False)
        raise VerificationThrottled(detail="verifier throttled")
    wanted = numbers.normalise(number)
    wanted_code = numbers.normalise(code)
    attest = None
    if wanted and wanted_code and numbers.is_valid_number(wanted):
        attest = db.scalar(select(Attest).where(Attest.number == wanted))
        if attest is not None and not secrets.compare_digest(attest.verification_code,
                                                             wanted_code):
            attest = None
    if attest is None:
        throttle.count_failure(db, clock, CLIENT_SCOPE, client_key, unknown_backoff,
                               VERIFY_WINDOW)
        _log(db, clock, None, UNKNOWN, channel, given, False)
        return Verification(UNKNOWN, birth_date_given=given)
    if not signature_valid(db, attest, signer):
        _log(db, clock, attest, "invalid", channel, given, False)
        return Verification(UNKNOWN, birth_date_given=given)
    payload = attest.payload
    matched = False
    if given:
        if throttle.locked_until(db, clock, BIRTH_SCOPE, attest.number) is not None:
            _log(db, clock, attest, "throttled", channel, given, False)
            raise VerificationThrottled(detail="birth date checks throttled for this attest")
        matched = attest.person is not None and \
            attest.person["birth_date"] == birth_date.isoformat()
        if matched:
            throttle.reset(db, BIRTH_SCOPE, attest.number)
        else:
            throttle.count_failure(
                db, clock, BIRTH_SCOPE, attest.number,
                throttle.Backoff(max_birth_date_failures, VERIFY_BASE_DELAY, VERIFY_LOCK,
                                 VERIFY_WINDOW), VERIFY_WINDOW)
    status = REVOKED if attest.revoked_at is not None else VALID
    _log(db, clock, attest, status, channel, given, matched)
    person = attest.person or {}
    return Verification(
        status, number=attest.number,
        revoked_on=rulesets.local_date(attest.revoked_at, tz) if attest.revoked_at else None,
        organisation=payload["issuer"]["organisation"]["name"],
        location=payload["issuer"]["location"], test_date=payload["test"]["date"],
        issued_on=rulesets.local_date(attest.issued_at, tz).isoformat(),
        skills=dict(payload["levels"]["skills"]), kinds=dict(payload["levels"]["kinds"]),
        rules_version=payload["rules"]["version"], birth_date_given=given,
        birth_date_matched=matched,
        holder={"first_name": person["first_name"], "last_name": person["last_name"],
                "birth_date": person["birth_date"]} if matched else None)


def holder_credential(db: Session, clock: Clock, *, number: str | None, code: str | None,
                      birth_date: dt.date | None, client: str = "",
                      signer: keys.Signer | None = None, **limits: Any) -> str:
    """The credential (vc+jwt) for its holder, who proves it with number, code and birth date
    (the same proof that shows the name on the verification page; counted and logged alike)."""
    if birth_date is None:
        raise InvalidInput(N_("Geef de geboortedatum van de houder."), field="birth_date")
    result = verify(db, clock, number=number, code=code, birth_date=birth_date, channel="page",
                    client=client, signer=signer, **limits)
    if result.status == UNKNOWN or not result.birth_date_matched:
        raise HolderNotFound()
    attest = db.scalar(select(Attest).where(Attest.number == result.number))
    assert attest is not None and attest.credential_jwt is not None  # matched: not erased
    return attest.credential_jwt

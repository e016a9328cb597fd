"""The civic-integration certificate (inburgeringsattest) and the declaration of effort made
(verklaring van geleverde inspanningen): issued, signed and verifiable like an attest
(SQLAlchemy, no flask; flushes only; audited).

- **Certificate** (:func:`issue_certificate`): only when the rule in force on the decision date
  (today, in the agency's time zone) is met by the trajectory (``trajectories.rules``); one per
  trajectory; the rules version is stored and signed.
- **Declaration** (:func:`issue_declaration`): on a documented decision (the reason, required)
  when the rule is *not* met although the person made the effort; never beside a certificate.
- Both: a new number with a check symbol and a verification code (``attests.numbers``), the
  payload signed with Ed25519 over RFC 8785 JSON by the platform's signer (``attests.keys``,
  published in the JWKS), the holder beside the payload bound by a keyed digest
  (``attests.service.person_digest``), an Open Badges 3.0 credential (``vc+jwt``) signed with
  the same key (``attests.credential.sign_credential``), and a PDF with a QR code to the public
  verification page (``trajectories.pdf``). Issuing is for agency admins only.
- **Verify** (:func:`verify`): by number and code, optionally with the birth date (only then the
  holder's name); rate-limited with the login throttle, every verification logged without the
  verifier.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from toetsbatterij.accounts.models import ROLE_ADMIN, StaffAccount
from toetsbatterij.attests import credential as vc
from toetsbatterij.attests import keys, numbers, rulesets
from toetsbatterij.attests.models import Attest
from toetsbatterij.attests.service import (
    HolderNotFound,
    VerificationThrottled,
    mask_identity,
    person_digest,
)
from toetsbatterij.audit.service import record
from toetsbatterij.clock import Clock
from toetsbatterij.delivery import throttle
from toetsbatterij.errors import Conflict, Forbidden, InvalidInput, NotFound
from toetsbatterij.i18n import N_
from toetsbatterij.organisations.models import Organisation
from toetsbatterij.persons.models import Person
from toetsbatterij.textinput import clean_text
from toetsbatterij.trajectories import service as trajectories
from toetsbatterij.trajectories.models import (
    CERTIFICATE,
    EFFORT_DECLARATION,
    CivicCertificate,
    CivicCertificateVerification,
    Trajectory,
)
from toetsbatterij.trajectories.rules import COMPONENT_LABELS, STATUS_LABELS, Check

SCHEMA = "toetsbatterij/inburgeringsattest/1"
TITLES = {CERTIFICATE: "Inburgeringsattest",
          EFFORT_DECLARATION: "Verklaring van geleverde inspanningen"}
ACHIEVEMENTS = {CERTIFICATE: "inburgeringsattest",
                EFFORT_DECLARATION: "verklaring-geleverde-inspanningen"}
VALID, UNKNOWN = "valid", "unknown"
# login_throttle.scope holds at most 10 characters.
BIRTH_SCOPE, CLIENT_SCOPE = "cert", "cert-ver"

NOT_ALLOWED = N_("Alleen een beheerder van het agentschap reikt een inburgeringsattest of een "
                 "verklaring uit.")
NOT_MET = N_("De regel van het inburgeringsattest (versie %(version)s) is nog niet voldaan: "
             "%(missing)s")
ALREADY = N_("Voor dit traject is al een inburgeringsattest uitgereikt.")
DECLARATION_EXISTS = N_("Voor dit traject is al een verklaring van geleverde inspanningen "
                        "uitgereikt.")
RULE_MET = N_("De regel van het inburgeringsattest is voldaan: reik het inburgeringsattest "
              "uit in plaats van een verklaring.")
ERASED = N_("De gegevens van deze persoon zijn gewist: er kan niets meer uitgereikt worden.")
ERASED_PDF = N_("De persoonsgegevens van dit document zijn gewist: de PDF kan niet meer "
                "gemaakt worden. Het document blijft controleerbaar met zijn nummer.")


def _actor(db: Session, organisation_id: int, actor_id: int) -> None:
    account = db.get(StaffAccount, actor_id)
    if account is None or account.organisation_id != organisation_id or not account.active \
            or account.role != ROLE_ADMIN:
        raise Forbidden(NOT_ALLOWED, detail=f"account {actor_id} may not issue certificates")


def describe_missing(check: Check) -> list[str]:
    """The missing requirements as Dutch sentences (staff-only text)."""
    return [m.message % m.params for m in check.missing]


def holder_of(person: Person) -> dict[str, str]:
    return {"first_name": person.first_name, "last_name": person.last_name,
            "birth_date": person.birth_date.isoformat(), "id_kind": person.id_kind,
            "id_number_masked": mask_identity(person.id_kind, person.id_number),
            "id_country": person.id_country or ""}


def _components(db: Session, trajectory: Trajectory) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for view in trajectories.component_views(db, trajectory):
        component = view.component
        entry: dict[str, Any] = {"status": component.status}
        if view.events:
            entry["date"] = view.events[-1].occurred_on.isoformat()
        if view.attest is not None:
            entry["attest"] = {"number": view.attest.number,
                               "levels": dict(view.attest.payload["levels"]["kinds"])}
        if component.goal_level:
            entry["goal_level"] = component.goal_level
        out[component.kind] = entry
    return out


def _new_number(db: Session) -> str:
    while True:
        number = numbers.new_number()
        if db.scalar(select(CivicCertificate.id).where(CivicCertificate.number == number)) \
                is None and db.scalar(select(Attest.id).where(Attest.number == number)) is None:
            return number


def _issue(db: Session, clock: Clock, signer: keys.Signer, *, trajectory: Trajectory,
           actor_id: int, kind: str, check: Check, decision_date: dt.date, reason: str,
           base_url: str, tz: str) -> CivicCertificate:
    person = db.get(Person, trajectory.person_id)
    if person is None or person.erased_at is not None:
        raise Conflict(ERASED)
    org = db.get(Organisation, trajectory.organisation_id)
    now = clock.now()
    keys.register(db, clock, signer)
    number = _new_number(db)
    holder, salt = holder_of(person), secrets.token_hex(16)
    rule = check.version
    payload = {
        "schema": SCHEMA,
        "kind": kind,
        "number": number,
        "key_id": signer.kid,
        "issuer": {"organisation": {"code": org.code, "name": org.name}},
        "person_digest": person_digest(holder, salt),
        "trajectory": {"id": trajectory.id, "kind": trajectory.kind,
                       "start_date": trajectory.start_date.isoformat()},
        "components": _components(db, trajectory),
        "rules": {"version": rule.version, "effective_from": rule.effective_from.isoformat(),
                  "label": rule.label, "met": check.met},
        "decision_date": decision_date.isoformat(),
        "issued_at": now.isoformat(),
    }
    signature = signer.sign_document(payload)
    credential = build_credential(payload, holder, base_url=base_url, issued_at=now)
    row = CivicCertificate(organisation_id=trajectory.organisation_id,
                           trajectory_id=trajectory.id, person_id=person.id, kind=kind,
                           number=number, verification_code=numbers.verification_code(signature),
                           rules_version=rule.version, rules_effective_from=rule.effective_from,
                           decision_date=decision_date, decision_reason=reason, payload=payload,
                           signature=signature, holder=holder, holder_salt=salt,
                           key_id=signer.kid,
                           credential_jwt=vc.sign_credential(signer, credential, now),
                           issued_at=now, issued_by_id=actor_id)
    db.add(row)
    db.flush()
    record(db, clock, organisation_id=trajectory.organisation_id, actor_id=actor_id,
           action=f"certificate.issue_{kind}", object_type="trajectory",
           object_id=trajectory.id, certificate_id=row.id, rules_version=rule.version,
           key_id=signer.kid)
    return row


def _existing(db: Session, trajectory_id: int, kind: str) -> CivicCertificate | None:
    return db.scalar(select(CivicCertificate).where(CivicCertificate.trajectory_id == trajectory_id,
                                                    CivicCertificate.kind == kind))


def issue_certificate(db: Session, clock: Clock, signer: keys.Signer, *, organisation_id: int,
                      actor_id: int, trajectory_id: int, base_url: str,
                      tz: str = rulesets.DEFAULT_TZ) -> CivicCertificate:
    """Issue the certificate when the rule in force today (the decision date) is met."""
    _actor(db, organisation_id, actor_id)
    trajectory = trajectories.get_trajectory(db, organisation_id, trajectory_id)
    if _existing(db, trajectory.id, CERTIFICATE) is not None:
        raise Conflict(ALREADY)
    today = rulesets.local_date(clock.now(), tz)
    check = trajectories.certificate_check(db, trajectory, today)
    if not check.met:
        raise Conflict(NOT_MET, params={"version": check.version.version,
                                        "missing": " ".join(describe_missing(check))})
    return _issue(db, clock, signer, trajectory=trajectory, actor_id=actor_id, kind=CERTIFICATE,
                  check=check, decision_date=today, reason="", base_url=base_url, tz=tz)


def issue_declaration(db: Session, clock: Clock, signer: keys.Signer, *, organisation_id: int,
                      actor_id: int, trajectory_id: int, reason: str, base_url: str,
                      tz: str = rulesets.DEFAULT_TZ) -> CivicCertificate:
    """Issue the declaration of effort made on a documented decision (``reason``), when the
    rule in force today is not met."""
    _actor(db, organisation_id, actor_id)
    trajectory = trajectories.get_trajectory(db, organisation_id, trajectory_id)
    text = clean_text(reason, field="reason", label=N_("Beslissing"), max_length=2000,
                      required=True, multiline=True)
    if _existing(db, trajectory.id, CERTIFICATE) is not None:
        raise Conflict(ALREADY)
    if _existing(db, trajectory.id, EFFORT_DECLARATION) is not None:
        raise Conflict(DECLARATION_EXISTS)
    today = rulesets.local_date(clock.now(), tz)
    check = trajectories.certificate_check(db, trajectory, today)
    if check.met:
        raise Conflict(RULE_MET)
    return _issue(db, clock, signer, trajectory=trajectory, actor_id=actor_id,
                  kind=EFFORT_DECLARATION, check=check, decision_date=today, reason=text,
                  base_url=base_url, tz=tz)


# -- reading -------------------------------------------------------------------------------------


def get(db: Session, organisation_id: int, certificate_id: int) -> CivicCertificate:
    row = db.get(CivicCertificate, certificate_id)
    if row is None or row.organisation_id != organisation_id:
        raise NotFound(detail=f"certificate {certificate_id} in organisation {organisation_id}")
    return row


def of_trajectory(db: Session, organisation_id: int,
                  trajectory_id: int) -> list[CivicCertificate]:
    return list(db.scalars(select(CivicCertificate).where(
        CivicCertificate.organisation_id == organisation_id,
        CivicCertificate.trajectory_id == trajectory_id).order_by(CivicCertificate.issued_at)))


def list_certificates(db: Session, organisation_id: int) -> list[CivicCertificate]:
    return list(db.scalars(select(CivicCertificate)
                           .where(CivicCertificate.organisation_id == organisation_id)
                           .order_by(CivicCertificate.issued_at.desc(),
                                     CivicCertificate.id.desc())))


def signature_valid(db: Session, row: CivicCertificate, signer: keys.Signer | None = None) -> bool:
    import hmac

    if row.payload.get("key_id") != row.key_id or row.payload.get("number") != row.number:
        return False
    if row.holder is not None and (
            not row.holder_salt
            or not hmac.compare_digest(person_digest(row.holder, row.holder_salt),
                                       str(row.payload.get("person_digest", "")))):
        return False
    return keys.verify_document(row.payload, row.signature, row.key_id,
                                keys.known_keys(db, signer))


# -- the credential ------------------------------------------------------------------------------


def urls(base_url: str, organisation_code: str, number: str, kind: str) -> dict[str, str]:
    base = base_url.rstrip("/")
    return {"credential": f"{base}/inburgeringsattest/{number}",
            "issuer": f"{base}/attest/uitgevers/{organisation_code}",
            "achievement": f"{base}/inburgeringsattest/erkenning/{ACHIEVEMENTS[kind]}"}


def build_credential(payload: Mapping[str, Any], holder: Mapping[str, Any], *, base_url: str,
                     issued_at: dt.datetime) -> dict[str, Any]:
    """The Open Badges 3.0 credential (VC Data Model 2.0) of a signed certificate payload: the
    achievement is the certificate or the declaration, with one result per component."""
    kind = payload["kind"]
    org = payload["issuer"]["organisation"]
    link = urls(base_url, org["code"], payload["number"], kind)
    descriptions, results = [], []
    for code, entry in payload["components"].items():
        rid = f"{link['achievement']}#{code}"
        descriptions.append({"id": rid, "type": ["ResultDescription"],
                             "name": COMPONENT_LABELS.get(code, code), "resultType": "Status",
                             "allowedValue": list(STATUS_LABELS)})
        results.append({"type": ["Result"], "resultDescription": rid,
                        "status": entry["status"]})
    title = TITLES[kind]
    criteria = (f"Uitgereikt op de beslissing van {payload['decision_date']} volgens de regel "
                f"van het inburgeringsattest versie {payload['rules']['version']} "
                f"({payload['rules']['label']}).")
    subject = {
        "type": ["AchievementSubject"],
        "identifier": [
            {"type": "IdentityObject", "identityType": "name", "hashed": False,
             "identityHash": f"{holder['first_name']} {holder['last_name']}".strip()},
            {"type": "IdentityObject", "identityType": "ext:birthDate", "hashed": False,
             "identityHash": holder["birth_date"]},
        ],
        "activityEndDate": f"{payload['decision_date']}T00:00:00Z",
        "achievement": {
            "id": link["achievement"], "type": ["Achievement"], "achievementType": "Certificate",
            "name": title, "description": title + " (inburgering in Vlaanderen).",
            "criteria": {"narrative": criteria}, "inLanguage": "nl",
            "resultDescription": descriptions,
        },
        "result": results,
    }
    return {
        "@context": [vc.VC_CONTEXT, vc.OB_CONTEXT],
        "id": link["credential"],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": title,
        "issuer": {"id": link["issuer"], "type": ["Profile"], "name": org["name"]},
        "validFrom": vc._iso(issued_at),
        "credentialSubject": subject,
    }


# -- public verification -------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    status: str                                  # valid | unknown
    number: str = ""
    kind: str = ""
    organisation: str = ""
    decision_date: str = ""
    rules_version: int | None = None
    rules_label: str = ""
    components: dict[str, Any] = field(default_factory=dict)
    birth_date_given: bool = False
    birth_date_matched: bool = False
    holder: dict[str, str] | None = None


def _log(db: Session, clock: Clock, row: CivicCertificate | None, outcome: str, given: bool,
         matched: bool) -> None:
    db.add(CivicCertificateVerification(certificate_id=row.id if row else None,
                                        organisation_id=row.organisation_id if row else None,
                                        outcome=outcome, birth_date_given=given,
                                        birth_date_matched=matched, at=clock.now()))
    db.flush()


def verify(db: Session, clock: Clock, *, number: str | None, code: str | None,
           birth_date: dt.date | None = None, client: str = "",
           signer: keys.Signer | None = None, max_birth_date_failures: int = 5,
           max_unknown_lookups: int = 20) -> Verification:
    """Check a certificate or declaration by number and code (and optionally the birth date):
    unknown, wrongly coded and badly signed documents all answer "unknown" (the log keeps
    which); the same limits as the attest check."""
    from toetsbatterij.attests.service import VERIFY_BASE_DELAY, VERIFY_LOCK, VERIFY_WINDOW

    given = birth_date is not None
    client_key = client or "-"
    if throttle.locked_until(db, clock, CLIENT_SCOPE, client_key) is not None:
        _log(db, clock, None, "throttled", given, False)
        raise VerificationThrottled(detail="certificate verifier throttled")
    wanted, wanted_code = numbers.normalise(number), numbers.normalise(code)
    row = None
    if wanted and wanted_code and numbers.is_valid_number(wanted):
        row = db.scalar(select(CivicCertificate).where(CivicCertificate.number == wanted))
        if row is not None and not secrets.compare_digest(row.verification_code, wanted_code):
            row = None
    if row is None:
        throttle.count_failure(db, clock, CLIENT_SCOPE, client_key,
                               throttle.Backoff(max_unknown_lookups, VERIFY_BASE_DELAY,
                                                VERIFY_LOCK, VERIFY_WINDOW), VERIFY_WINDOW)
        _log(db, clock, None, UNKNOWN, given, False)
        return Verification(UNKNOWN, birth_date_given=given)
    if not signature_valid(db, row, signer):
        _log(db, clock, row, "invalid", given, False)
        return Verification(UNKNOWN, birth_date_given=given)
    matched = False
    if given:
        if throttle.locked_until(db, clock, BIRTH_SCOPE, row.number) is not None:
            _log(db, clock, row, "throttled", given, False)
            raise VerificationThrottled(detail="birth date checks throttled")
        matched = row.holder is not None and row.holder["birth_date"] == birth_date.isoformat()
        if matched:
            throttle.reset(db, BIRTH_SCOPE, row.number)
        else:
            throttle.count_failure(db, clock, BIRTH_SCOPE, row.number,
                                   throttle.Backoff(max_birth_date_failures, VERIFY_BASE_DELAY,
                                                    VERIFY_LOCK, VERIFY_WINDOW), VERIFY_WINDOW)
    _log(db, clock, row, VALID, given, matched)
    payload, holder = row.payload, row.holder or {}
    return Verification(
        VALID, number=row.number, kind=row.kind,
        organisation=payload["issuer"]["organisation"]["name"],
        decision_date=payload["decision_date"], rules_version=payload["rules"]["version"],
        rules_label=payload["rules"]["label"], components=dict(payload["components"]),
        birth_date_given=given, birth_date_matched=matched,
        holder={"first_name": holder["first_name"], "last_name": holder["last_name"],
                "birth_date": holder["birth_date"]} if matched else None)


def holder_credential(db: Session, clock: Clock, *, number: str | None, code: str | None,
                      birth_date: dt.date | None, client: str = "",
                      signer: keys.Signer | None = None, **limits: Any) -> str:
    """The credential for its holder, proved with number, code and birth date."""
    if birth_date is None:
        raise InvalidInput(N_("Geef de geboortedatum van de houder."), field="birth_date")
    result = verify(db, clock, number=number, code=code, birth_date=birth_date, client=client,
                    signer=signer, **limits)
    if result.status == UNKNOWN or not result.birth_date_matched:
        raise HolderNotFound()
    row = db.scalar(select(CivicCertificate).where(CivicCertificate.number == result.number))
    assert row is not None and row.credential_jwt is not None
    return row.credential_jwt


def certificate_pdf(row: CivicCertificate, *, base_url: str) -> bytes:
    from toetsbatterij.trajectories.pdf import render_certificate

    if row.holder is None:
        raise Conflict(ERASED_PDF)
    return render_certificate(row.payload, row.holder, verification_code=row.verification_code,
                              base_url=base_url)

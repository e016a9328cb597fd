"""The partner exchange: partners and their scopes, tokens, shares (staff use-cases, audited)
and what the partner API reads (authentication, the field groups, the read log, the rate
limit). SQLAlchemy only; flushes, never commits.

A token is ``tbp_`` and 43 random URL-safe characters (256 bits, ``secrets``): only its SHA-256
is stored. Every API request looks the hash up in the database, so a revoked token, a
withdrawn scope or a stopped share count from the next request on. The rate limit counts in
the state store (Redis when configured, in-process otherwise): a lost count only lets a few
requests more through, it never opens data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from toetsbatterij.accounts.models import ROLE_ADMIN, StaffAccount
from toetsbatterij.attests import numbers
from toetsbatterij.attests.models import Attest
from toetsbatterij.audit.service import record
from toetsbatterij.clock import Clock
from toetsbatterij.delivery.models import Candidate
from toetsbatterij.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from toetsbatterij.i18n import N_
from toetsbatterij.organisations.models import Organisation
from toetsbatterij.partners.models import (
    Partner,
    PartnerRead,
    PartnerReadPerson,
    PartnerScope,
    PartnerShare,
    PartnerToken,
)
from toetsbatterij.persons.models import Person
from toetsbatterij.results.models import Result
from toetsbatterij.textinput import clean_text
from toetsbatterij.trajectories.models import (
    NT2,
    ComponentEvent,
    Trajectory,
    TrajectoryComponent,
)

# -- the vocabulary ----------------------------------------------------------------------------

IDENTITY = "person.identity"
TRAJECTORY = "trajectory.status"
NT2_LEVEL = "nt2.level"
ATTEST_LEVEL = "attest.level"
#: The field groups a partner can be given, in the order the staff page lists them.
SCOPES: dict[str, str] = {
    IDENTITY: N_("Identiteit: naam, geboortedatum, identiteitsnummer"),
    TRAJECTORY: N_("Trajectstatus: soort, begindatum, status per onderdeel"),
    NT2_LEVEL: N_("NT2: doelniveau, status en behaald niveau"),
    ATTEST_LEVEL: N_("Attesten: nummer, niveaus, ingetrokken of niet"),
}
PARTNER_KINDS: dict[str, str] = {
    "work": N_("Werk (bv. VDAB)"),
    "welfare": N_("Welzijn (bv. OCMW)"),
    "housing": N_("Sociale huisvesting"),
    "education": N_("Onderwijs"),
    "other": N_("Andere"),
}
TOKEN_PREFIX = "tbp_"  # noqa: S105 - the visible prefix of every token, no secret
TOKEN_DAYS_DEFAULT = 365
TOKEN_DAYS_MAX = 730
SHOWN_PREFIX = 12            # "tbp_" and 8 characters on the staff page
REF_BYTES = 16               # the person reference: 128 random bits, base32 (26 characters)

OK, FORBIDDEN, NOT_FOUND = "ok", "forbidden", "not_found"
ADMIN_ONLY = N_("Alleen een beheerder van het agentschap beheert partners.")


class InvalidToken(DomainError):
    """No token, or one that is unknown, revoked, expired or of a partner of no agency."""

    http_status = 401
    default_message = N_("Geef een geldig partnertoken (Authorization: Bearer ...).")


class MissingScope(Forbidden):
    default_message = N_("Dit token heeft geen toegang tot de gegevensgroep %(scope)s.")


class NotShared(NotFound):
    default_message = N_("Deze persoon bestaat niet of wordt niet met u gedeeld.")


class RateLimited(DomainError):
    http_status = 429
    default_message = N_("Te veel aanvragen met dit token. Probeer het over %(seconds)s "
                         "seconden opnieuw.")

    def __init__(self, retry_after: int) -> None:
        super().__init__(params={"seconds": retry_after}, detail="partner rate limit")
        self.retry_after = retry_after


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_ref() -> str:
    import base64

    return base64.b32encode(secrets.token_bytes(REF_BYTES)).decode("ascii").rstrip("=").lower()


# -- staff: partners and scopes ----------------------------------------------------------------


def require_admin(db: Session, organisation_id: int, actor_id: int | None) -> None:
    if actor_id is None:
        return  # the system (the demo seed, a CLI command)
    account = db.get(StaffAccount, actor_id)
    if account is None or account.organisation_id != organisation_id or \
            account.role != ROLE_ADMIN:
        raise Forbidden(ADMIN_ONLY)


def list_partners(db: Session, organisation_id: int) -> list[Partner]:
    return list(db.scalars(select(Partner).where(Partner.organisation_id == organisation_id)
                           .order_by(Partner.name)))


def get_partner(db: Session, organisation_id: int, partner_id: int) -> Partner:
    partner = db.get(Partner, partner_id)
    if partner is None or partner.organisation_id != organisation_id:
        raise NotFound(detail=f"partner {partner_id}")
    return partner


def _check_scopes(scopes: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(scopes))
    unknown = [s for s in wanted if s not in SCOPES]
    if unknown:
        raise InvalidInput(N_("Onbekende gegevensgroep: %(scope)s."), field="scopes",
                           params={"scope": unknown[0][:40]})
    return [s for s in SCOPES if s in wanted]


def create_partner(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
                   name: object, kind: object, contact_email: object = "",
                   scopes: Iterable[str] = ()) -> Partner:
    require_admin(db, organisation_id, actor_id)
    clean_name = clean_text(name, field="name", label="Naam", max_length=200, required=True)
    email = clean_text(contact_email, field="contact_email", label="E-mailadres contact",
                       max_length=200)
    if kind not in PARTNER_KINDS:
        raise InvalidInput(N_("Kies het soort partner."), field="kind")
    granted = _check_scopes(scopes)
    if db.scalar(select(Partner.id).where(Partner.organisation_id == organisation_id,
                                          Partner.name == clean_name)) is not None:
        raise InvalidInput(N_("Er bestaat al een partner met die naam."), field="name")
    now = clock.now()
    partner = Partner(organisation_id=organisation_id, name=clean_name, kind=str(kind),
                      contact_email=email, created_at=now, created_by_id=actor_id)
    db.add(partner)
    db.flush()
    for scope in granted:
        db.add(PartnerScope(organisation_id=organisation_id, partner_id=partner.id, scope=scope,
                            granted_at=now, granted_by_id=actor_id))
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="partner.create", object_type="partner", object_id=partner.id,
           name=clean_name, kind=str(kind), scopes=granted)
    return partner


def scopes_of(db: Session, partner_id: int) -> list[str]:
    held = set(db.scalars(select(PartnerScope.scope).where(PartnerScope.partner_id == partner_id)))
    return [s for s in SCOPES if s in held]


def set_scopes(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
               partner_id: int, scopes: Iterable[str]) -> list[str]:
    """Give the partner exactly ``scopes`` (audited: what was added and withdrawn)."""
    require_admin(db, organisation_id, actor_id)
    partner = get_partner(db, organisation_id, partner_id)
    wanted = _check_scopes(scopes)
    rows = {r.scope: r for r in db.scalars(select(PartnerScope)
                                           .where(PartnerScope.partner_id == partner.id))}
    added = [s for s in wanted if s not in rows]
    withdrawn = [s for s in rows if s not in wanted]
    now = clock.now()
    for scope in added:
        db.add(PartnerScope(organisation_id=organisation_id, partner_id=partner.id, scope=scope,
                            granted_at=now, granted_by_id=actor_id))
    for scope in withdrawn:
        db.delete(rows[scope])
    db.flush()
    if added or withdrawn:
        record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
               action="partner.scopes", object_type="partner", object_id=partner.id,
               added=added, withdrawn=sorted(withdrawn))
    return wanted


# -- staff: tokens -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NewToken:
    """A token just made: ``secret`` is shown once and never stored."""

    row: PartnerToken
    secret: str


def tokens(db: Session, organisation_id: int, partner_id: int) -> list[PartnerToken]:
    get_partner(db, organisation_id, partner_id)
    return list(db.scalars(select(PartnerToken).where(PartnerToken.partner_id == partner_id)
                           .order_by(PartnerToken.created_at.desc(), PartnerToken.id.desc())))


def _days(days: object) -> int:
    try:
        value = int(str(days).strip())
    except ValueError:
        value = 0
    if not 1 <= value <= TOKEN_DAYS_MAX:
        raise InvalidInput(N_("Geef een geldigheid van 1 tot %(max)s dagen."), field="days",
                           params={"max": TOKEN_DAYS_MAX})
    return value


def _issue(db: Session, clock: Clock, partner: Partner, actor_id: int | None, label: str,
           days: int) -> NewToken:
    secret = new_token()
    now = clock.now()
    row = PartnerToken(organisation_id=partner.organisation_id, partner_id=partner.id,
                       token_hash=token_hash(secret), prefix=secret[:SHOWN_PREFIX],
                       label=label, created_at=now, created_by_id=actor_id,
                       expires_at=now + dt.timedelta(days=days), revoked_at=None)
    db.add(row)
    db.flush()
    return NewToken(row, secret)


def create_token(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
                 partner_id: int, label: object = "",
                 days: object = TOKEN_DAYS_DEFAULT) -> NewToken:
    require_admin(db, organisation_id, actor_id)
    partner = get_partner(db, organisation_id, partner_id)
    clean_label = clean_text(label, field="label", label="Omschrijving", max_length=200)
    made = _issue(db, clock, partner, actor_id, clean_label, _days(days))
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="partner_token.create", object_type="partner", object_id=partner.id,
           token_id=made.row.id, prefix=made.row.prefix, expires_at=made.row.expires_at.isoformat())
    return made


def _token(db: Session, organisation_id: int, partner_id: int, token_id: int) -> PartnerToken:
    get_partner(db, organisation_id, partner_id)
    row = db.get(PartnerToken, token_id)
    if row is None or row.partner_id != partner_id:
        raise NotFound(detail=f"partner token {token_id}")
    return row


def revoke_token(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
                 partner_id: int, token_id: int) -> PartnerToken:
    """Revoke at once: the next request with it is refused (401)."""
    require_admin(db, organisation_id, actor_id)
    row = _token(db, organisation_id, partner_id, token_id)
    if row.revoked_at is not None:
        raise Conflict(N_("Dit token is al ingetrokken."))
    row.revoked_at, row.revoked_by_id = clock.now(), actor_id
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="partner_token.revoke", object_type="partner", object_id=partner_id,
           token_id=row.id, prefix=row.prefix)
    return row


def rotate_token(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
                 partner_id: int, token_id: int, days: object = TOKEN_DAYS_DEFAULT) -> NewToken:
    """A new token for the same partner (shown once); the old one is revoked at once."""
    require_admin(db, organisation_id, actor_id)
    old = _token(db, organisation_id, partner_id, token_id)
    if old.revoked_at is not None:
        raise Conflict(N_("Dit token is al ingetrokken."))
    partner = get_partner(db, organisation_id, partner_id)
    made = _issue(db, clock, partner, actor_id, old.label, _days(days))
    old.revoked_at, old.revoked_by_id, old.replaced_by_id = clock.now(), actor_id, made.row.id
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="partner_token.rotate", object_type="partner", object_id=partner_id,
           token_id=old.id, new_token_id=made.row.id, prefix=made.row.prefix)
    return made


# -- staff: shares -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SharedPerson:
    share: PartnerShare
    person: Person


def shares(db: Session, organisation_id: int, partner_id: int) -> list[SharedPerson]:
    """The persons the agency shares with the partner now."""
    get_partner(db, organisation_id, partner_id)
    rows = db.execute(select(PartnerShare, Person).join(Person, Person.id == PartnerShare.person_id)
                      .where(PartnerShare.partner_id == partner_id,
                             PartnerShare.organisation_id == organisation_id,
                             PartnerShare.stopped_at.is_(None))
                      .order_by(Person.last_name, Person.first_name, PartnerShare.id))
    return [SharedPerson(s, p) for s, p in rows]


def shareable_persons(db: Session, organisation_id: int, partner_id: int) -> list[Person]:
    """The agency's persons not shared with the partner now (the share form's choices)."""
    shared = select(PartnerShare.person_id).where(PartnerShare.partner_id == partner_id,
                                                  PartnerShare.stopped_at.is_(None))
    return list(db.scalars(select(Person).where(Person.organisation_id == organisation_id,
                                                Person.erased_at.is_(None),
                                                Person.id.not_in(shared))
                           .order_by(Person.last_name, Person.first_name, Person.id)))


def share(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
          partner_id: int, person_id: int) -> PartnerShare:
    """Share one of the agency's persons with the partner (another agency's person: 404)."""
    require_admin(db, organisation_id, actor_id)
    partner = get_partner(db, organisation_id, partner_id)
    person = db.get(Person, person_id)
    if person is None or person.organisation_id != organisation_id:
        raise NotFound(detail=f"person {person_id}")
    if person.erased_at is not None:
        raise Conflict(N_("De gegevens van deze persoon zijn gewist."))
    earlier = list(db.scalars(select(PartnerShare).where(PartnerShare.partner_id == partner.id,
                                                         PartnerShare.person_id == person.id)
                              .order_by(PartnerShare.id)))
    if any(s.stopped_at is None for s in earlier):
        raise Conflict(N_("Deze persoon wordt al met deze partner gedeeld."))
    row = PartnerShare(organisation_id=organisation_id, partner_id=partner.id,
                       person_id=person.id,
                       person_ref=earlier[0].person_ref if earlier else new_ref(),
                       shared_at=clock.now(), shared_by_id=actor_id, stopped_at=None)
    db.add(row)
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="partner_share.create", object_type="partner", object_id=partner.id,
           person_id=person.id, share_id=row.id)
    return row


def stop_share(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
               partner_id: int, share_id: int) -> PartnerShare:
    require_admin(db, organisation_id, actor_id)
    get_partner(db, organisation_id, partner_id)
    row = db.get(PartnerShare, share_id)
    if row is None or row.partner_id != partner_id:
        raise NotFound(detail=f"partner share {share_id}")
    if row.stopped_at is not None:
        raise Conflict(N_("Deze persoon wordt niet meer gedeeld."))
    row.stopped_at, row.stopped_by_id = clock.now(), actor_id
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="partner_share.stop", object_type="partner", object_id=partner_id,
           person_id=row.person_id, share_id=row.id)
    return row


# -- the API: who calls ------------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    """The partner behind a valid token, with its scopes as they are now."""

    partner_id: int
    organisation_id: int
    token_id: int
    token_prefix: str
    expires_at: dt.datetime
    scopes: frozenset[str]

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise MissingScope(params={"scope": scope}, detail=f"scope {scope}")


def authenticate(db: Session, clock: Clock, token: str | None) -> Caller:
    """The caller of a bearer token, or InvalidToken (unknown, revoked, expired)."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        raise InvalidToken(detail="no or malformed token")
    row = db.scalar(select(PartnerToken).where(PartnerToken.token_hash == token_hash(token)))
    if row is None:
        raise InvalidToken(detail="unknown token")
    if row.revoked_at is not None:
        raise InvalidToken(detail=f"revoked token {row.id}")
    if row.expires_at <= clock.now():
        raise InvalidToken(detail=f"expired token {row.id}")
    partner = db.get(Partner, row.partner_id)
    if partner is None or partner.organisation_id != row.organisation_id:
        raise InvalidToken(detail="token without partner")
    return Caller(partner_id=partner.id, organisation_id=partner.organisation_id,
                  token_id=row.id, token_prefix=row.prefix, expires_at=row.expires_at,
                  scopes=frozenset(scopes_of(db, partner.id)))


@dataclass(frozen=True)
class RateState:
    limit: int
    remaining: int
    reset_seconds: int


def rate_limit(state_store: Any, clock: Clock, caller: Caller, *, limit: int,
               window_seconds: int) -> RateState:
    """Count one request of the caller's token in the current fixed window (``limit`` per
    ``window_seconds``); RateLimited once the window's count is over the limit."""
    now = clock.now().timestamp()
    window = int(now // window_seconds)
    reset = max(1, int((window + 1) * window_seconds - now))
    count = state_store.incr(f"partner-rate:{caller.token_id}:{window}", window_seconds + 1)
    if count > limit:
        raise RateLimited(reset)
    return RateState(limit, max(0, limit - count), reset)


def partner_of(db: Session, caller: Caller) -> tuple[Partner, Organisation]:
    partner = db.get(Partner, caller.partner_id)
    org = db.get(Organisation, caller.organisation_id)
    assert partner is not None and org is not None
    return partner, org


# -- the API: persons and their field groups -----------------------------------------------------


def _active(caller: Caller) -> Any:
    return (PartnerShare.partner_id == caller.partner_id,
            PartnerShare.organisation_id == caller.organisation_id,
            PartnerShare.stopped_at.is_(None))


def list_shared(db: Session, caller: Caller, *, after: int, limit: int
                ) -> tuple[list[SharedPerson], int | None]:
    """Shared persons in share order after the share id ``after``; and the id to continue
    after when there are more."""
    rows = list(db.execute(select(PartnerShare, Person)
                           .join(Person, Person.id == PartnerShare.person_id)
                           .where(*_active(caller), PartnerShare.id > after,
                                  Person.organisation_id == caller.organisation_id)
                           .order_by(PartnerShare.id).limit(limit + 1)))
    found = [SharedPerson(s, p) for s, p in rows[:limit]]
    more = len(rows) > limit
    return found, (found[-1].share.id if more and found else None)


def shared_person(db: Session, caller: Caller, ref: str) -> SharedPerson:
    row = db.execute(select(PartnerShare, Person).join(Person, Person.id == PartnerShare.person_id)
                     .where(*_active(caller), PartnerShare.person_ref == ref,
                            Person.organisation_id == caller.organisation_id)).first()
    if row is None:
        raise NotShared(detail="person not shared")
    return SharedPerson(row[0], row[1])


def iso_time(value: dt.date | dt.datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return value.isoformat()


def identity_of(person: Person) -> dict[str, Any]:
    if person.erased_at is not None:
        return {"erased": True, "first_name": None, "last_name": None, "birth_date": None,
                "id_kind": None, "id_number": None, "id_country": None}
    return {"erased": False, "first_name": person.first_name, "last_name": person.last_name,
            "birth_date": iso_time(person.birth_date), "id_kind": person.id_kind,
            "id_number": person.id_number, "id_country": person.id_country or None}


def _trajectory(db: Session, person: Person) -> Trajectory | None:
    """The person's open trajectory at the agency (else the latest closed one)."""
    return db.scalar(select(Trajectory).where(Trajectory.person_id == person.id,
                                              Trajectory.organisation_id == person.organisation_id)
                     .order_by(Trajectory.closed_at.is_not(None), Trajectory.start_date.desc(),
                               Trajectory.id.desc()).limit(1))


def _components(db: Session, trajectory: Trajectory) -> list[tuple[TrajectoryComponent,
                                                                     dt.date | None]]:
    comps = list(db.scalars(select(TrajectoryComponent)
                            .where(TrajectoryComponent.trajectory_id == trajectory.id)
                            .order_by(TrajectoryComponent.id)))
    since: dict[int, dt.date] = {}
    if comps:
        for comp_id, occurred in db.execute(
                select(ComponentEvent.component_id, func.max(ComponentEvent.occurred_on))
                .where(ComponentEvent.component_id.in_([c.id for c in comps]))
                .group_by(ComponentEvent.component_id)):
            since[comp_id] = occurred
    return [(c, since.get(c.id)) for c in comps]


def trajectory_of(db: Session, person: Person) -> dict[str, Any] | None:
    trajectory = _trajectory(db, person)
    if trajectory is None:
        return None
    return {"kind": trajectory.kind, "start_date": iso_time(trajectory.start_date),
            "closed": trajectory.closed_at is not None, "closed_at": iso_time(trajectory.closed_at),
            "components": [{"kind": c.kind, "status": c.status, "since": iso_time(since)}
                           for c, since in _components(db, trajectory)]}


def _result_levels(db: Session, result_id: int) -> dict[str, str]:
    result = db.get(Result, result_id)
    for _ in range(50):  # follow corrections to the current revision
        if result is None or result.superseded_by_id is None:
            break
        result = db.get(Result, result.superseded_by_id)
    if result is None:
        return {}
    return {s["skill"]: s["level"] for s in result.document.get("skills", [])
            if s.get("level")}


def nt2_of(db: Session, person: Person) -> dict[str, Any] | None:
    """The NT2 component of the person's trajectory: goal, status and the level reached (from
    the linked attest while it is not revoked, else from the linked result)."""
    trajectory = _trajectory(db, person)
    if trajectory is None:
        return None
    found = [(c, since) for c, since in _components(db, trajectory) if c.kind == NT2]
    if not found:
        return None
    comp, since = found[-1]
    source, skills, kinds = None, {}, {}
    attest = db.get(Attest, comp.attest_id) if comp.attest_id else None
    if attest is not None and attest.organisation_id == person.organisation_id \
            and attest.revoked_at is None:
        source = "attest"
        skills = dict(attest.payload["levels"]["skills"])
        kinds = dict(attest.payload["levels"]["kinds"])
    elif comp.result_id:
        skills = _result_levels(db, comp.result_id)
        source = "result" if skills else None
    course = (comp.details or {}).get("course_level")
    return {"goal_level": comp.goal_level or None, "status": comp.status, "since": iso_time(since),
            "course_level": course if isinstance(course, str) and course else None,
            "reached": {"source": source, "skills": skills, "kinds": kinds} if source else None}


def attest_document(attest: Attest) -> dict[str, Any]:
    """One attest as the partner gets it (field group ``attest.level``)."""
    return {"number": numbers.display(attest.number), "test_date": iso_time(attest.test_date),
            "issued_at": iso_time(attest.issued_at),
            "levels": {"skills": dict(attest.payload["levels"]["skills"]),
                       "kinds": dict(attest.payload["levels"]["kinds"])},
            "revoked": attest.revoked_at is not None, "revoked_at": iso_time(attest.revoked_at)}


def attests_of(db: Session, person: Person) -> list[dict[str, Any]]:
    """The attests of the person at the agency (through its candidates), oldest first."""
    rows = db.scalars(select(Attest).join(Candidate, Candidate.id == Attest.candidate_id)
                      .where(Candidate.person_id == person.id,
                             Attest.organisation_id == person.organisation_id)
                      .order_by(Attest.issued_at, Attest.id))
    return [attest_document(a) for a in rows]


def person_document(db: Session, caller: Caller, found: SharedPerson, *,
                    full: bool) -> tuple[dict[str, Any], list[str]]:
    """What the partner gets of a shared person: the field groups of its scopes (the list
    gives only the identity); and the scopes it was given."""
    out: dict[str, Any] = {"id": found.share.person_ref, "shared_at": iso_time(found.share.shared_at)}
    given = []
    if IDENTITY in caller.scopes:
        out["identity"] = identity_of(found.person)
        given.append(IDENTITY)
    if full and TRAJECTORY in caller.scopes:
        out["trajectory"] = trajectory_of(db, found.person)
        given.append(TRAJECTORY)
    if full and NT2_LEVEL in caller.scopes:
        out["nt2"] = nt2_of(db, found.person)
        given.append(NT2_LEVEL)
    if full and ATTEST_LEVEL in caller.scopes:
        out["attests"] = attests_of(db, found.person)
        given.append(ATTEST_LEVEL)
    return out, given


# -- the read log ------------------------------------------------------------------------------


def log_read(db: Session, clock: Clock, caller: Caller, *, operation: str,
             scopes: Sequence[str], outcome: str, person_ids: Sequence[int]) -> PartnerRead:
    """Append one read (flushes; the API commits it in a transaction of its own before the
    data leave: no log, no data)."""
    row = PartnerRead(organisation_id=caller.organisation_id, partner_id=caller.partner_id,
                      token_id=caller.token_id, operation=operation[:60],
                      scopes=" ".join(scopes)[:300], outcome=outcome,
                      person_count=len(person_ids), at=clock.now())
    db.add(row)
    db.flush()
    db.add_all([PartnerReadPerson(read_id=row.id, person_id=p) for p in dict.fromkeys(person_ids)])
    db.flush()
    return row


@dataclass(frozen=True)
class ReadEntry:
    read: PartnerRead
    partner: str
    token_prefix: str
    persons: list[str]


READS_SHOWN = 200


def reads(db: Session, organisation_id: int, *, partner_id: int | None = None,
          person_id: int | None = None, limit: int = READS_SHOWN) -> list[ReadEntry]:
    """The agency's read log, newest first, with partner, token and person names."""
    stmt = (select(PartnerRead, Partner.name, PartnerToken.prefix)
            .join(Partner, Partner.id == PartnerRead.partner_id)
            .join(PartnerToken, PartnerToken.id == PartnerRead.token_id)
            .where(PartnerRead.organisation_id == organisation_id))
    if partner_id is not None:
        stmt = stmt.where(PartnerRead.partner_id == partner_id)
    if person_id is not None:
        stmt = stmt.where(PartnerRead.id.in_(select(PartnerReadPerson.read_id)
                                             .where(PartnerReadPerson.person_id == person_id)))
    rows = list(db.execute(stmt.order_by(PartnerRead.at.desc(), PartnerRead.id.desc())
                           .limit(limit)))
    names: dict[int, list[str]] = {r[0].id: [] for r in rows}
    if rows:
        for read_id, first, last in db.execute(
                select(PartnerReadPerson.read_id, Person.first_name, Person.last_name)
                .join(Person, Person.id == PartnerReadPerson.person_id)
                .where(PartnerReadPerson.read_id.in_(list(names)),
                       Person.organisation_id == organisation_id)
                .order_by(PartnerReadPerson.id)):
            names[read_id].append(f"{first} {last}")
    return [ReadEntry(r, name, prefix, names[r.id]) for r, name, prefix in rows]


def last_used(db: Session, token_ids: Sequence[int]) -> dict[int, dt.datetime]:
    """When each token was last used (from the read log: a read never updates a token)."""
    if not token_ids:
        return {}
    return dict(db.execute(select(PartnerRead.token_id, func.max(PartnerRead.at))
                           .where(PartnerRead.token_id.in_(list(token_ids)))
                           .group_by(PartnerRead.token_id)).all())

"""Staff accounts: argon2 password hashes, authentication with back-off per typed address."""

from __future__ import annotations

import datetime as dt

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from toetsbatterij.accounts.models import ROLES, StaffAccount
from toetsbatterij.audit.service import record
from toetsbatterij.clock import Clock
from toetsbatterij.delivery import throttle
from toetsbatterij.errors import InvalidInput, LoginFailed, NotFound
from toetsbatterij.i18n import N_
from toetsbatterij.login_sessions import service as login_sessions
from toetsbatterij.textinput import clean_text, is_clean

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so that timing does not reveal which accounts exist.
_DUMMY_HASH = _hasher.hash("toetsbatterij-dummy-password")


def configure_hasher(*, time_cost: int = 3, memory_cost: int = 65536, parallelism: int = 4) -> None:
    """Tests lower the argon2 cost; production keeps the library defaults."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    _DUMMY_HASH = _hasher.hash("toetsbatterij-dummy-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_account(db: Session, clock: Clock, *, organisation_id: int, email: str,
                   display_name: str, role: str, password: str,
                   min_length: int = 12) -> StaffAccount:
    email = normalise_email(clean_text(email, field="email", label=N_("E-mailadres"),
                                       max_length=254))
    if "@" not in email or any(ch.isspace() for ch in email):
        raise InvalidInput("Geef een geldig e-mailadres.", field="email")
    display_name = clean_text(display_name, field="display_name", label=N_("Naam"),
                              max_length=200)
    if role not in ROLES:
        raise InvalidInput("Onbekende rol.", field="role")
    if len(password) < min_length:
        raise InvalidInput(f"Het wachtwoord moet minstens {min_length} tekens hebben.",
                           field="password")
    if db.scalar(select(StaffAccount.id).where(StaffAccount.email == email)) is not None:
        raise InvalidInput("Dit e-mailadres is al in gebruik.", field="email")
    account = StaffAccount(organisation_id=organisation_id, email=email,
                           display_name=display_name or email, role=role,
                           password_hash=hash_password(password), created_at=clock.now())
    db.add(account)
    db.flush()
    return account


def authenticate(db: Session, clock: Clock, email: str, password: str, *,
                 max_failures: int = 5, lock_seconds: int = 900,
                 backoff_seconds: int = 30) -> StaffAccount:
    """Return the account or raise LoginFailed.

    Throttled per typed (normalised) e-mail address, known or not, never per IP (a whole exam
    room shares one address): after ``max_failures`` wrong tries each further one starts a
    delay of ``backoff_seconds`` that doubles, up to ``lock_seconds``; the right password works
    again once the delay is over, and a success resets the count. An unknown, inactive or
    delayed account and a wrong password get the same answer after the same work: one
    password hash verified (a dummy hash when there is no account to verify against)."""
    backoff = throttle.Backoff(max_failures, dt.timedelta(seconds=backoff_seconds),
                               dt.timedelta(seconds=lock_seconds),
                               dt.timedelta(seconds=max(lock_seconds, 900)))
    key = normalise_email(email) if is_clean(email, max_length=254) else ""
    # Text that no stored address can be (a NUL, ...) is simply an unknown account.
    account = (db.scalar(select(StaffAccount).where(StaffAccount.email == key))
               if key else None)
    delayed = throttle.locked_until(db, clock, throttle.STAFF, key) is not None if key else False
    usable = account is not None and account.active and not delayed
    try:
        _hasher.verify(account.password_hash if usable else _DUMMY_HASH, password)
        ok = usable
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if delayed:
        raise LoginFailed(None, detail="identifier in back-off")  # default text, same answer
    if not ok or account is None:
        if key:
            throttle.count_failure(db, clock, throttle.STAFF, key, backoff, backoff.window)
        raise LoginFailed(None, detail="unknown, inactive or wrong password")  # default text
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    throttle.reset(db, throttle.STAFF, key)
    account.last_login_at = clock.now()
    db.flush()
    return account


def get_account(db: Session, account_id: int) -> StaffAccount | None:
    return db.get(StaffAccount, account_id)


def list_accounts(db: Session, organisation_id: int) -> list[StaffAccount]:
    return list(db.scalars(select(StaffAccount)
                           .where(StaffAccount.organisation_id == organisation_id)
                           .order_by(StaffAccount.display_name)))


def get_scoped_account(db: Session, organisation_id: int, account_id: int) -> StaffAccount:
    acc = db.scalar(select(StaffAccount).where(StaffAccount.id == account_id,
                                               StaffAccount.organisation_id == organisation_id))
    if acc is None:
        raise NotFound(detail=f"account {account_id}")
    return acc


# -- use cases with their audit records (the views call these, never the audit log) -------------


def log_in(db: Session, clock: Clock, email: str, password: str, *, max_failures: int = 5,
           lock_seconds: int = 900, backoff_seconds: int = 30) -> StaffAccount:
    """Authenticate and record the login in the audit log."""
    account = authenticate(db, clock, email, password, max_failures=max_failures,
                           lock_seconds=lock_seconds, backoff_seconds=backoff_seconds)
    record(db, clock, organisation_id=account.organisation_id, actor_id=account.id,
                 action="staff.login", object_type="staff_account", object_id=account.id)
    return account


def log_out(db: Session, clock: Clock, *, organisation_id: int, account_id: int) -> None:
    record(db, clock, organisation_id=organisation_id, actor_id=account_id,
                 action="staff.logout", object_type="staff_account", object_id=account_id)


def add_staff_account(db: Session, clock: Clock, *, organisation_id: int, actor_id: int,
                      email: str, display_name: str, role: str, password: str,
                      min_length: int = 12) -> StaffAccount:
    """An agency admin creates an account in their own organisation (audited)."""
    account = create_account(db, clock, organisation_id=organisation_id, email=email,
                             display_name=display_name, role=role, password=password,
                             min_length=min_length)
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
                 action="staff.create", object_type="staff_account", object_id=account.id,
                 role=account.role)
    return account


def log_out_everywhere(db: Session, clock: Clock, *, organisation_id: int, account_id: int,
                       actor_id: int) -> int:
    """End every login session of a staff account at once (audited); returns how many."""
    account = get_scoped_account(db, organisation_id, account_id)
    ended = login_sessions.end_for_account(db, clock, account.id, "everywhere")
    account.session_epoch += 1
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
                 action="staff.logout_everywhere", object_type="staff_account",
                 object_id=account.id, sessions=ended)
    return ended


def change_password(db: Session, clock: Clock, *, organisation_id: int, account_id: int,
                    current_password: str, new_password: str, min_length: int = 12) -> None:
    """A staff member changes their own password: every session of the account ends (audited)."""
    account = get_scoped_account(db, organisation_id, account_id)
    try:
        _hasher.verify(account.password_hash, current_password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise InvalidInput("Het huidige wachtwoord klopt niet.", field="current_password") from None
    if len(new_password) < min_length:
        raise InvalidInput("Het wachtwoord moet minstens %(count)s tekens hebben.",
                           field="password", params={"count": min_length})
    account.password_hash = hash_password(new_password)
    account.session_epoch += 1
    ended = login_sessions.end_for_account(db, clock, account.id, "password_change")
    record(db, clock, organisation_id=organisation_id, actor_id=account.id,
                 action="staff.password_change", object_type="staff_account",
                 object_id=account.id, sessions=ended)


def deactivate_account(db: Session, clock: Clock, *, organisation_id: int, actor_id: int,
                       account_id: int) -> StaffAccount:
    """An agency admin deactivates an account of their organisation: it cannot log in and every
    session of it ends at once (audited)."""
    account = get_scoped_account(db, organisation_id, account_id)
    if account.id == actor_id:
        raise InvalidInput("U kunt uw eigen account niet deactiveren.")
    account.active = False
    account.deactivated_at = clock.now()
    account.session_epoch += 1
    ended = login_sessions.end_for_account(db, clock, account.id, "deactivated")
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
                 action="staff.deactivate", object_type="staff_account", object_id=account.id,
                 sessions=ended)
    return account

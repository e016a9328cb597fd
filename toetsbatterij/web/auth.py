"""Authentication glue: the server-side login session behind the cookie, the Flask-Login user,
role checks, session rotation.

The browser holds an opaque token in the ``tb_login`` cookie (HttpOnly, SameSite=Lax, Secure in
production); who is logged in comes only from the row it names (``toetsbatterij.login_sessions``).
The signed Flask session cookie still carries the CSRF token, the language and the device token of
a candidate's browser, but never decides who is logged in.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g, request, session
from flask_login import UserMixin, current_user

from toetsbatterij.accounts.models import StaffAccount
from toetsbatterij.errors import Forbidden
from toetsbatterij.login_sessions import service as login_sessions
from toetsbatterij.login_sessions.service import CANDIDATE, STAFF, Lifetimes, Principal
from toetsbatterij.web.context import clock, db
from toetsbatterij.web.unit_of_work import SAFE_METHODS

LOGIN_COOKIE = "tb_login"
_UNSET = object()


class StaffUser(UserMixin):
    def __init__(self, account: StaffAccount, principal: Principal) -> None:
        self.account = account
        self.principal = principal
        self.organisation_id = account.organisation_id
        self.role = account.role

    def get_id(self) -> str:
        return str(self.principal.session_id)

    @property
    def is_active(self) -> bool:
        return self.account.active


def lifetimes() -> Lifetimes:
    return Lifetimes.from_config(current_app.config)


def current_principal(kind: str) -> Principal | None:
    """The valid login session of this request of ``kind`` (staff or candidate), or None.
    Found once per request; a found session notes this request (in the row only on a POST)."""
    principal = g.get("login_principal", _UNSET)
    if principal is _UNSET:
        principal = login_sessions.find(db(), clock(), lifetimes(),
                                        request.cookies.get(LOGIN_COOKIE))
        if principal is not None:
            login_sessions.seen(db(), clock(), lifetimes(), principal,
                                write=request.method not in SAFE_METHODS)
        g.login_principal = principal
    if principal is None or principal.kind != kind:
        return None
    return principal  # type: ignore[return-value]


def load_staff_user() -> StaffUser | None:
    principal = current_principal(STAFF)
    if principal is None or principal.staff_account_id is None:
        return None
    account = db().get(StaffAccount, principal.staff_account_id)
    if account is None or not account.active or account.organisation_id != principal.organisation_id:
        return None
    return StaffUser(account, principal)


def rotate_session() -> None:
    """New session contents (and a new random id) at every login: no session fixation."""
    session.clear()
    session["sid"] = secrets.token_urlsafe(24)
    session.permanent = True


def begin_login_session(*, kind: str, role: str, organisation_id: int,
                        staff_account_id: int | None = None,
                        attempt_id: int | None = None) -> None:
    """Start a server-side session; the response sets its cookie. A session this browser still
    held (a previous candidate on the same exam PC who did not log out) ends first."""
    previous = login_sessions.find(db(), clock(), lifetimes(), request.cookies.get(LOGIN_COOKIE))
    if previous is not None:
        login_sessions.end(db(), clock(), previous, "replaced")
    rotate_session()
    g.login_cookie = login_sessions.start(db(), clock(), lifetimes(), kind=kind, role=role,
                                          organisation_id=organisation_id,
                                          staff_account_id=staff_account_id,
                                          attempt_id=attempt_id)
    g.login_principal = None


def end_login_session(reason: str = "logout") -> None:
    """End this browser's session (whatever its kind) and clear its cookies."""
    principal = g.get("login_principal", _UNSET)
    if principal is _UNSET:
        principal = login_sessions.find(db(), clock(), lifetimes(),
                                        request.cookies.get(LOGIN_COOKIE))
    if principal is not None:
        login_sessions.end(db(), clock(), principal, reason)  # type: ignore[arg-type]
    g.login_principal = None
    g.login_cookie = ""
    session.clear()


def login_staff(account: StaffAccount) -> None:
    begin_login_session(kind=STAFF, role=account.role, organisation_id=account.organisation_id,
                        staff_account_id=account.id)


def login_candidate(*, organisation_id: int, attempt_id: int) -> None:
    begin_login_session(kind=CANDIDATE, role="candidate", organisation_id=organisation_id,
                        attempt_id=attempt_id)


def init_app(app: Flask) -> None:
    Lifetimes.from_config(app.config)  # a wrong lifetime table fails at start-up

    @app.after_request
    def _login_cookie(response: Any) -> Any:
        token = g.get("login_cookie")
        if token is None:
            return response
        if token and response.status_code < 400:
            response.set_cookie(LOGIN_COOKIE, token, secure=app.config["SESSION_COOKIE_SECURE"],
                                httponly=True, samesite="Lax", path="/")
        elif not token:
            response.delete_cookie(LOGIN_COOKIE, path="/",
                                   secure=app.config["SESSION_COOKIE_SECURE"], httponly=True,
                                   samesite="Lax")
        return response


def require_roles(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
            if current_user.role not in roles:
                raise Forbidden(detail=f"role {current_user.role} not in {roles}")
            return view(*args, **kwargs)

        return wrapped

    return decorator


def org_id() -> int:
    return int(current_user.organisation_id)


def actor_id() -> int:
    return int(current_user.account.id)

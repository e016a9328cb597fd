"""Staff authentication glue: the Flask-Login user, role checks, session rotation."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from typing import Any

from flask import session
from flask_login import UserMixin, current_user, login_user

from toetsbatterij.accounts.models import StaffAccount
from toetsbatterij.errors import Forbidden
from toetsbatterij.web.context import db


class StaffUser(UserMixin):
    def __init__(self, account: StaffAccount) -> None:
        self.account = account
        self.organisation_id = account.organisation_id
        self.role = account.role

    def get_id(self) -> str:
        # The epoch makes old cookies useless after a password change or forced logout.
        return f"{self.account.id}:{self.account.session_epoch}"

    @property
    def is_active(self) -> bool:
        return self.account.active


def load_staff_user(user_id: str) -> StaffUser | None:
    try:
        raw_id, raw_epoch = user_id.split(":")
        account = db().get(StaffAccount, int(raw_id))
    except (ValueError, TypeError):
        return None
    if account is None or not account.active or account.session_epoch != int(raw_epoch):
        return None
    return StaffUser(account)


def rotate_session() -> None:
    """New session contents (and a new random id) at every login: no session fixation."""
    session.clear()
    session["sid"] = secrets.token_urlsafe(24)
    session.permanent = True


def login_staff(account: StaffAccount) -> None:
    rotate_session()
    login_user(StaffUser(account))


def require_roles(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                from flask import current_app

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

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from toetsbatterij.db import Base
from toetsbatterij.i18n import N_

ROLE_ADMIN = "agency_admin"
ROLE_PROCTOR = "proctor"
ROLE_RATER = "rater"
ROLE_PSYCHOMETRICIAN = "psychometrician"
ROLES = (ROLE_ADMIN, ROLE_PROCTOR, ROLE_RATER, ROLE_PSYCHOMETRICIAN)
ROLE_LABELS = {
    ROLE_ADMIN: N_("Beheerder agentschap"),
    ROLE_PROCTOR: N_("Toetsbegeleider"),
    ROLE_RATER: N_("Beoordelaar"),
    ROLE_PSYCHOMETRICIAN: N_("Psychometricus"),
}


class StaffAccount(Base):
    __tablename__ = "staff_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(30))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # When an admin deactivated the account; the staff retention period runs from then, after
    # which the erasure job replaces the name and e-mail address (privacy.retention).
    deactivated_at: Mapped[dt.datetime | None]
    # A rater who may give the third rating when two ratings disagree (set by the agency admin;
    # a flag on the rater role rather than a role of its own: a senior rater is a rater).
    senior_rater: Mapped[bool] = mapped_column(default=False)
    # Failed logins are throttled per typed address in login_throttle (delivery.throttle),
    # never per IP: a whole exam room shares one address.
    last_login_at: Mapped[dt.datetime | None]
    # Changing this invalidates every Flask-Login cookie issued before (logout everywhere).
    session_epoch: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime]

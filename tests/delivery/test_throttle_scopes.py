"""Every throttle scope fits its column (login_throttle.scope): SQLite does not enforce a
VARCHAR length, PostgreSQL refuses the row, so the scope names are checked here once."""

from __future__ import annotations

from toetsbatterij.attests import service as attests
from toetsbatterij.complaints import intake as complaints
from toetsbatterij.delivery import throttle
from toetsbatterij.delivery.models import LoginThrottle
from toetsbatterij.trajectories import certificates


def test_every_scope_fits_the_column():
    width = LoginThrottle.__table__.c.scope.type.length
    scopes = {throttle.SESSION, throttle.ACCESS, throttle.STAFF, attests.BIRTH_SCOPE,
              attests.CLIENT_SCOPE, complaints.SCOPE, certificates.BIRTH_SCOPE,
              certificates.CLIENT_SCOPE}
    assert all(0 < len(s) <= width for s in scopes), sorted(s for s in scopes if len(s) > width)
    assert len(scopes) == 8   # and no two uses share a scope

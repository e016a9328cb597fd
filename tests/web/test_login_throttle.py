"""Throttling of failed candidate logins per session code and per access code, never per IP
(ISSUE 4 follow-up, gap 3); the proctor sees and clears a lock."""

import pytest
from delivery_support import login_staff
from sqlalchemy import select

from toetsbatterij.audit.models import AuditEntry
from toetsbatterij.delivery import attempts, throttle
from toetsbatterij.delivery.models import LoginThrottle
from toetsbatterij.errors import LoginFailed, LoginThrottled


def _login(world, session_code, access_code, policy=throttle.DEFAULT_POLICY):
    try:
        return attempts.candidate_login(world.db, world.clock, session_code=session_code,
                                        access_code=access_code, device_token=None,
                                        policy=policy)
    finally:
        world.db.commit()  # as the view does: a failure count survives the refused request


def test_access_code_locks_after_repeated_failures_and_unlocks_later(world):
    world.open(world.a)
    code = world.a["access_codes"][0]
    for _ in range(throttle.DEFAULT_POLICY.max_per_access):
        with pytest.raises(LoginFailed):
            _login(world, "WRONGSESSION", code)  # right access code, wrong session code
    with pytest.raises(LoginThrottled) as exc:
        _login(world, world.a["session_code"], code)  # now even the right pair is refused
    assert "toetsbegeleider" in exc.value.message
    # the room is not locked: the other candidates log in (same IP, of course)
    _login(world, world.a["session_code"], world.a["access_codes"][1])
    world.clock.advance(seconds=throttle.DEFAULT_POLICY.lock.total_seconds() + 1)
    _login(world, world.a["session_code"], code)


def test_a_session_code_is_never_locked_by_wrong_guesses(world):
    """Finding: 40 wrong access codes with one session code blocked every new login to that
    session for 10 minutes. Now the session's failures are only counted (for the proctor)."""
    world.open(world.a)
    for i in range(200):
        with pytest.raises(LoginFailed):
            _login(world, world.a["session_code"], f"GUESS{i}")
    _login(world, world.a["session_code"], world.a["access_codes"][0])
    views = throttle.for_session(world.db, world.clock, organisation_id=world.a["org"],
                                 session_id=world.a["session"])
    session_view = next(v for v in views if v.scope == throttle.SESSION)
    assert session_view.failures == 200 and session_view.locked_until is None
    # The table never holds a code in clear text.
    hashes = set(world.db.scalars(select(LoginThrottle.key_hash)))
    assert world.a["session_code"] not in hashes
    assert throttle.key_hash("session", world.a["session_code"]) in hashes


def test_access_code_back_off_doubles_and_a_success_resets_it(world):
    world.open(world.a)
    policy = throttle.ThrottlePolicy(max_per_access=3)
    code = world.a["access_codes"][1]
    delays = []
    for _ in range(9):
        with pytest.raises(LoginFailed):
            _login(world, "NOPE00", code, policy)
        until = throttle.locked_until(world.db, world.clock, throttle.ACCESS, code)
        if until is None:
            delays.append(0)
            continue
        delays.append(int((until - world.clock.now()).total_seconds()))
        with pytest.raises(LoginThrottled):  # even the right pair waits for the delay ...
            _login(world, world.a["session_code"], code, policy)
        world.clock.advance(seconds=delays[-1])  # ... and no longer
    assert delays == [0, 0, 30, 60, 120, 240, 480, 600, 600]
    _login(world, world.a["session_code"], code, policy)
    assert world.db.scalar(select(LoginThrottle).where(LoginThrottle.key_hash == throttle.key_hash(
        throttle.ACCESS, code))) is None


def test_failures_outside_the_window_do_not_add_up(world):
    world.open(world.a)
    policy = throttle.ThrottlePolicy(max_per_access=3)
    for _ in range(2):
        with pytest.raises(LoginFailed):
            _login(world, "NOPE", "SAMECODE", policy)
    world.clock.advance(seconds=policy.window.total_seconds() + 1)
    for _ in range(2):
        with pytest.raises(LoginFailed):
            _login(world, "NOPE", "SAMECODE", policy)
    with pytest.raises(LoginFailed):  # the third in the new window locks ...
        _login(world, "NOPE", "SAMECODE", policy)
    with pytest.raises(LoginThrottled):  # ... from the next try on
        _login(world, "NOPE", "SAMECODE", policy)


def test_web_login_is_throttled_with_a_dutch_message_and_the_proctor_clears_it(
        app, world, client):
    world.open(world.a)
    code = world.a["access_codes"][2]
    for _ in range(throttle.DEFAULT_POLICY.max_per_access):
        resp = client.post("/aanmelden", data={"session_code": "ZZZZZZ", "access_code": code})
        assert resp.status_code == 401
    resp = client.post("/aanmelden", data={"session_code": world.a["session_code"],
                                           "access_code": code})
    assert resp.status_code == 429
    assert "geblokkeerd" in resp.get_data(as_text=True)
    staff = app.test_client()
    login_staff(staff, world.a, "proctor")
    room = staff.get(f"/beheer/sessies/{world.a['session']}/zaal").get_data(as_text=True)
    assert "Aanmelden geblokkeerd" in room and "Toegangscode van Kandidaat2" in room
    # another organisation's proctor can neither see nor clear it
    other = app.test_client()
    login_staff(other, world.b, "proctor")
    assert other.post(f"/beheer/sessies/{world.a['session']}/aanmeldblokkering/opheffen",
                      data={"candidate_id": world.a["candidates"][2]}).status_code == 404
    assert client.post("/aanmelden", data={"session_code": world.a["session_code"],
                                            "access_code": code}).status_code == 429
    resp = staff.post(f"/beheer/sessies/{world.a['session']}/aanmeldblokkering/opheffen",
                      data={"candidate_id": world.a["candidates"][2]})
    assert resp.status_code == 302
    room = staff.get(f"/beheer/sessies/{world.a['session']}/zaal").get_data(as_text=True)
    assert "Toegangscode van Kandidaat2" not in room
    assert client.post("/aanmelden", data={"session_code": world.a["session_code"],
                                            "access_code": code}).status_code == 302
    world.db.expire_all()
    assert world.db.scalar(select(AuditEntry).where(AuditEntry.action == "login_throttle.clear"))


def test_candidate_cannot_clear_a_lock(app, world, client):
    world.open(world.a)
    resp = client.post("/aanmelden", data={"session_code": world.a["session_code"],
                                           "access_code": world.a["access_codes"][0]})
    assert resp.status_code == 302
    resp = client.post(f"/beheer/sessies/{world.a['session']}/aanmeldblokkering/opheffen")
    assert resp.status_code in (302, 401, 403)
    assert world.db.scalar(select(AuditEntry).where(
        AuditEntry.action == "login_throttle.clear")) is None

"""Staff login throttling that protects without locking out (issue 10 findings):

- 5 wrong passwords locked an account even against the right password: now a delay that
  doubles, after which the right password works, and a success resets the count;
- a locked account answered in 8 ms and an unknown e-mail in 300 ms: now unknown, inactive,
  delayed and wrong-password logins get the same answer after the same work (one password
  hash verified each, counted here instead of timed);
- unknown e-mails were not limited at all: now they are throttled per typed address too.
"""

from __future__ import annotations

import re

import pytest
from delivery_support import PASSWORD
from sqlalchemy import select

from toetsbatterij.accounts import service as accounts
from toetsbatterij.accounts.models import StaffAccount
from toetsbatterij.delivery import throttle
from toetsbatterij.delivery.models import LoginThrottle
from toetsbatterij.errors import LoginFailed

EMAIL = "proctor@antwerpen.test"


class CountingHasher:
    def __init__(self, inner):
        self.inner, self.verified = inner, []

    def verify(self, hash_, password):
        self.verified.append(hash_)
        return self.inner.verify(hash_, password)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.fixture
def hasher(monkeypatch):
    counting = CountingHasher(accounts._hasher)
    monkeypatch.setattr(accounts, "_hasher", counting)
    return counting


def _auth(world, email, password, **kw):
    try:
        return accounts.authenticate(world.db, world.clock, email, password, **kw)
    finally:
        world.db.commit()


def test_back_off_doubles_and_the_right_password_works_after_it(world):
    delays = []
    for _ in range(9):
        with pytest.raises(LoginFailed):
            _auth(world, EMAIL, "fout", max_failures=3, backoff_seconds=30, lock_seconds=600)
        until = throttle.locked_until(world.db, world.clock, throttle.STAFF, EMAIL)
        delays.append(int((until - world.clock.now()).total_seconds()) if until else 0)
        if until:
            with pytest.raises(LoginFailed):  # the right password waits for the delay ...
                _auth(world, EMAIL, PASSWORD, max_failures=3, backoff_seconds=30,
                      lock_seconds=600)
            world.clock.advance(seconds=delays[-1])  # ... and no longer
    assert delays == [0, 0, 30, 60, 120, 240, 480, 600, 600]
    assert _auth(world, EMAIL, PASSWORD, max_failures=3).email == EMAIL
    # a success resets the count: the next mistake starts from zero
    with pytest.raises(LoginFailed):
        _auth(world, EMAIL, "fout", max_failures=3)
    assert throttle.locked_until(world.db, world.clock, throttle.STAFF, EMAIL) is None


def test_tries_during_a_delay_do_not_extend_it(world):
    for _ in range(5):
        with pytest.raises(LoginFailed):
            _auth(world, EMAIL, "fout")
    until = throttle.locked_until(world.db, world.clock, throttle.STAFF, EMAIL)
    for _ in range(20):
        with pytest.raises(LoginFailed):
            _auth(world, EMAIL, "fout")
    assert throttle.locked_until(world.db, world.clock, throttle.STAFF, EMAIL) == until


def test_unknown_addresses_are_throttled_too_and_by_their_normal_form(world):
    for typed in ("nobody@x.test", " NoBody@X.test ", "nobody@x.TEST"):
        for _ in range(2):
            with pytest.raises(LoginFailed):
                _auth(world, typed, "fout")
    row = world.db.scalar(select(LoginThrottle).where(
        LoginThrottle.key_hash == throttle.key_hash(throttle.STAFF, "nobody@x.test")))
    assert row is not None and row.failures == 5 and row.locked_until is not None


def test_same_answer_and_same_work_for_unknown_inactive_delayed_and_wrong(world, client, app,
                                                                          hasher):
    acc = world.db.get(StaffAccount, world.a["staff"]["rater"])
    acc.active = False
    world.db.commit()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post("/beheer/aanmelden", data={"email": "psychometrician@antwerpen.test",
                                               "password": "fout"})
    cases = {"unknown": ("niemand@antwerpen.test", PASSWORD),
             "inactive": ("rater@antwerpen.test", PASSWORD),
             "delayed, right password": ("psychometrician@antwerpen.test", PASSWORD),
             "wrong password": ("agency_admin@antwerpen.test", "fout")}
    bodies = {}
    for name, (email, password) in cases.items():
        hasher.verified.clear()
        resp = client.post("/beheer/aanmelden", data={"email": email, "password": password})
        assert resp.status_code == 401, name
        assert len(hasher.verified) == 1, name  # exactly one password hash, every time
        # The form is shown again with the address as typed; apart from that, one answer.
        # (The CSRF token carries the second it was signed: two answers may straddle one.)
        bodies[name] = re.sub(r'name="csrf_token" value="[^"]*"', "csrf",
                              resp.get_data(as_text=True).replace(email, "<typed address>"))
    assert len(set(bodies.values())) == 1, "the answers differ"
    hasher.verified.clear()
    login = client.post("/beheer/aanmelden", data={"email": "proctor@antwerpen.test",
                                                   "password": PASSWORD})
    assert login.status_code == 302 and len(hasher.verified) == 1

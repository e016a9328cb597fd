"""Sessions that end (issue 10, item 1): the login is a server-side row, the cookie only names it.

Each finding of the probe is reproduced: a cookie saved before logout must not open anything
afterwards, from any browser; idle and absolute lifetimes per role (frozen clock); log out
everywhere, password change, deactivation and an ended attempt end every copy at once; with
Redis as the fast path too.
"""

from __future__ import annotations

import datetime as dt

import pytest
from delivery_support import PASSWORD, START, candidate_login, login_staff
from sqlalchemy import select

from toetsbatterij.accounts import service as accounts
from toetsbatterij.audit.models import AuditEntry
from toetsbatterij.delivery import attempts
from toetsbatterij.delivery.models import Attempt
from toetsbatterij.errors import InvalidInput
from toetsbatterij.login_sessions.models import LoginSession
from toetsbatterij.web.auth import LOGIN_COOKIE

COOKIES = (LOGIN_COOKIE, "tb_session")


def copy_of(app, client):
    """Another browser holding the same cookies (a stolen or saved copy)."""
    other = app.test_client()
    for name in COOKIES:
        cookie = client.get_cookie(name)
        if cookie is not None:
            other.set_cookie(name, cookie.value)
    return other


def staff_can_read(client, world) -> bool:
    dash = client.get("/beheer/")
    room = client.get(f"/beheer/sessies/{world.a['session']}/zaal.json")
    return dash.status_code == 200 and room.status_code == 200


def candidate_can_read(client) -> bool:
    return client.get("/toets").status_code == 200 and \
        client.get("/toets/status.json").status_code == 200


def test_staff_cookie_saved_before_logout_opens_nothing(client, app, world):
    login_staff(client, world.a, "proctor")
    saved = copy_of(app, client)
    assert staff_can_read(saved, world)  # the copy works while the session lives
    assert client.post("/beheer/afmelden").status_code == 302
    for browser in (client, saved, copy_of(app, saved)):
        assert browser.get("/beheer/").status_code == 302
        assert browser.get(f"/beheer/sessies/{world.a['session']}/zaal.json").status_code in (
            302, 401)
    row = world.db.scalar(select(LoginSession))
    world.db.refresh(row)
    assert row.revoked_at is not None and row.revoked_reason == "logout"


def test_the_cookie_holds_only_an_opaque_token_and_the_row_only_its_hash(client, app, world):
    login_staff(client, world.a, "agency_admin")
    token = client.get_cookie(LOGIN_COOKIE).value
    assert len(token) >= 43  # 256 random bits, base64
    row = world.db.scalar(select(LoginSession))
    assert token not in (row.token_hash, str(row.id)) and len(row.token_hash) == 64
    # The signed Flask session alone (CSRF, language) logs nobody in.
    only_flask = app.test_client()
    only_flask.set_cookie("tb_session", client.get_cookie("tb_session").value)
    assert only_flask.get("/beheer/").status_code == 302
    # A made-up or over-long token is nobody either.
    for value in ("x", token[:-2] + "AA", "A" * 3000):
        forged = app.test_client()
        forged.set_cookie(LOGIN_COOKIE, value)
        assert forged.get("/beheer/").status_code == 302


def test_candidate_cookie_saved_before_logout_opens_nothing(client, app, world):
    world.open(world.a)
    assert candidate_login(client, world.a).status_code == 302
    saved = copy_of(app, client)
    assert candidate_can_read(saved)
    assert client.post("/afmelden-kandidaat").status_code == 302
    for browser in (client, saved):
        assert browser.get("/toets").status_code == 302
        assert browser.get("/toets/status.json").status_code == 401
        assert browser.post("/toets/status.json").status_code == 401


def test_staff_idle_and_absolute_lifetimes(make_app, world):
    app = make_app(WTF_CSRF_ENABLED=False,
                   SESSION_IDLE_SECONDS={"candidate": 600, "agency_admin": 600,
                                         "proctor": 1800, "rater": 600, "psychometrician": 600},
                   SESSION_ABSOLUTE_SECONDS={"candidate": 3600, "agency_admin": 3600,
                                             "proctor": 7200, "rater": 3600,
                                             "psychometrician": 3600})
    admin, proctor = app.test_client(), app.test_client()
    login_staff(admin, world.a, "agency_admin")
    login_staff(proctor, world.a, "proctor")
    world.clock.advance(seconds=599)
    assert staff_can_read(admin, world)  # a read counts as activity (kept in the state store)
    world.clock.advance(seconds=599)
    assert staff_can_read(admin, world)
    world.clock.advance(seconds=600)  # idle for the admin's 10 minutes
    assert admin.get("/beheer/").status_code == 302
    # The proctor (30 minutes idle) stays, active, until the absolute lifetime of 2 hours.
    assert staff_can_read(proctor, world)
    two_hours = START + dt.timedelta(hours=2)
    while world.clock.now() + dt.timedelta(minutes=20) < two_hours:
        world.clock.advance(minutes=20)
        assert proctor.post(f"/beheer/sessies/{world.a['session']}/zaal/hervatten"
                            ).status_code == 302
        assert staff_can_read(proctor, world)
    world.clock.advance(seconds=(two_hours - world.clock.now()).total_seconds())
    assert proctor.get("/beheer/").status_code == 302  # 2 hours after the login, active or not


def test_a_post_notes_activity_in_the_database_for_every_worker(make_app, world):
    """Reads note activity in the state store only (a GET never writes); a POST also writes
    the row, so a worker with an empty null store (restarted) still knows the session is live,
    and does not know about reads it never saw."""
    app = make_app(WTF_CSRF_ENABLED=False)  # proctors: 2 hours idle
    client = app.test_client()
    login_staff(client, world.a, "proctor")
    world.clock.advance(minutes=100)
    assert client.post(f"/beheer/sessies/{world.a['session']}/zaal/hervatten").status_code == 302
    world.clock.advance(minutes=100)
    assert client.get("/beheer/").status_code == 200  # noted in this worker's store only
    restarted = make_app(WTF_CSRF_ENABLED=False)
    assert copy_of(restarted, client).get("/beheer/").status_code == 200  # the row: 100 min
    world.clock.advance(minutes=30)
    assert client.get("/beheer/").status_code == 200  # 30 min after its last read
    restarted_again = make_app(WTF_CSRF_ENABLED=False)
    assert copy_of(restarted_again, client).get("/beheer/").status_code == 302  # 130 min


def test_candidate_idle_expiry(make_app, world):
    app = make_app(WTF_CSRF_ENABLED=False)  # candidates: 1 hour idle by default
    world.open(world.a)
    client = app.test_client()
    candidate_login(client, world.a)
    world.clock.advance(minutes=59)
    assert client.post("/toets/status.json").status_code == 200  # the heartbeat
    world.clock.advance(minutes=59)
    assert candidate_can_read(client)
    world.clock.advance(minutes=61)
    assert client.get("/toets").status_code == 302
    assert client.post("/toets/status.json").status_code == 401


def test_log_out_everywhere_ends_every_browser_and_is_audited(app, world):
    first, second = app.test_client(), app.test_client()
    login_staff(first, world.a, "proctor")
    login_staff(second, world.a, "proctor")
    other_person = app.test_client()
    login_staff(other_person, world.a, "agency_admin")
    assert first.post("/beheer/afmelden-overal").status_code == 302
    assert first.get("/beheer/").status_code == 302
    assert second.get("/beheer/").status_code == 302
    assert staff_can_read(other_person, world)  # only that account's sessions
    entry = world.db.scalar(select(AuditEntry).where(
        AuditEntry.action == "staff.logout_everywhere"))
    assert entry.object_id == world.a["staff"]["proctor"] and entry.details == {"sessions": 2}


def test_deactivation_ends_every_session_of_the_account(app, world):
    victim, admin = app.test_client(), app.test_client()
    login_staff(victim, world.a, "proctor")
    login_staff(admin, world.a, "agency_admin")
    assert staff_can_read(victim, world)
    account_id = world.a["staff"]["proctor"]
    assert admin.post(f"/beheer/personeel/{account_id}/deactiveren").status_code == 302
    assert victim.get("/beheer/").status_code == 302
    refused = app.test_client().post("/beheer/aanmelden", data={
        "email": f"proctor@{world.a['domain']}", "password": PASSWORD})
    assert refused.status_code == 401
    # Another agency's admin cannot deactivate it (not found), nor can one deactivate oneself.
    other_admin = app.test_client()
    login_staff(other_admin, world.b, "agency_admin")
    assert other_admin.post(
        f"/beheer/personeel/{world.a['staff']['rater']}/deactiveren").status_code == 404
    assert admin.post(
        f"/beheer/personeel/{world.a['staff']['agency_admin']}/deactiveren").status_code == 400


def test_password_change_ends_every_session(app, world):
    client = app.test_client()
    login_staff(client, world.a, "rater")
    account_id = world.a["staff"]["rater"]
    with pytest.raises(InvalidInput, match="huidige wachtwoord"):
        accounts.change_password(world.db, world.clock, organisation_id=world.a["org"],
                                 account_id=account_id, current_password="wrong",
                                 new_password="een nieuw lang wachtwoord")
    world.db.rollback()
    assert staff_can_read_dashboard(client)
    accounts.change_password(world.db, world.clock, organisation_id=world.a["org"],
                             account_id=account_id, current_password=PASSWORD,
                             new_password="een nieuw lang wachtwoord")
    world.db.commit()
    assert client.get("/beheer/").status_code == 302


def staff_can_read_dashboard(client) -> bool:
    return client.get("/beheer/").status_code == 200


def test_ending_the_attempt_ends_the_candidates_sessions(app, world):
    world.open(world.a)
    cand, proctor = app.test_client(), app.test_client()
    candidate_login(cand, world.a)
    saved = copy_of(app, cand)
    login_staff(proctor, world.a, "proctor")
    assert proctor.post(f"/beheer/kandidaten/{world.a['candidates'][0]}/beeindigen",
                        data={"reason": "fraude vastgesteld", "confirm": "y"}).status_code == 302
    for browser in (cand, saved):
        assert browser.get("/toets").status_code == 302
        assert browser.post("/toets/status.json").status_code == 401


def test_a_new_login_of_the_attempt_ends_the_older_session(app, world):
    world.open(world.a)
    first = app.test_client()
    candidate_login(first, world.a)
    saved = copy_of(app, first)
    # The same browser logs in again (a reload of the login page): the older copy ends.
    first.post("/afmelden-kandidaat")
    attempt = world.db.scalar(select(Attempt))
    cand = attempts._candidate(world.db, attempt)
    attempts.release_device(world.db, world.clock, cand, actor_id=None)
    world.db.commit()
    again = app.test_client()
    assert candidate_login(again, world.a).status_code == 302
    assert candidate_can_read(again) and not candidate_can_read(saved)


@pytest.mark.redis
def test_with_redis_a_revocation_reaches_every_worker_at_once(make_app, world, redis_url):
    """Two app instances (two workers) share Redis: the row is cached there, and logging out on
    one worker ends the session on the other at once."""
    from toetsbatterij.state_store import RedisStateStore

    store = RedisStateStore(redis_url, prefix=f"tbtest-sessions{world.a['org']}:")
    store.flush_prefix()
    try:
        worker1 = make_app(WTF_CSRF_ENABLED=False, REDIS_URL=redis_url)
        worker2 = make_app(WTF_CSRF_ENABLED=False, REDIS_URL=redis_url)
        for worker in (worker1, worker2):
            worker.extensions["toetsbatterij"].state_store = store
        client = worker1.test_client()
        login_staff(client, world.a, "proctor")
        on_worker2 = copy_of(worker2, client)
        assert staff_can_read(on_worker2, world)
        assert any(key.startswith(store._key("kv", "session:"))
                   for key in store._redis.scan_iter(store._prefix + "*"))
        assert client.post("/beheer/afmelden").status_code == 302
        assert on_worker2.get("/beheer/").status_code == 302
        assert not any(key.startswith(store._key("kv", "session:"))
                       for key in store._redis.scan_iter(store._prefix + "*"))
        # Idle time noted by reads on worker 2 counts on worker 1 too.
        login_staff(client, world.a, "agency_admin")
        on_worker2 = copy_of(worker2, client)
        for _ in range(3):
            world.clock.advance(minutes=50)
            assert on_worker2.get("/beheer/").status_code == 200
        assert client.get("/beheer/").status_code == 200
    finally:
        store.flush_prefix()


def test_a_login_on_a_browser_ends_the_session_it_still_held(app, world):
    """The next candidate at the same exam PC: the previous one's session does not live on."""
    world.open(world.a)
    pc = app.test_client()
    candidate_login(pc, world.a, 0)
    previous = copy_of(app, pc)
    pc.delete_cookie("tb_session")  # a fresh browser profile keeps only the login cookie
    assert candidate_login(pc, world.a, 1).status_code == 302
    assert candidate_can_read(pc) and not candidate_can_read(previous)

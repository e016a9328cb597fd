"""Two app processes (real gunicorn, one worker each) against the same database and the same
Redis: what the workers share is shared (device lock, login throttling, the live feed, the
exposure counters), and a Redis that restarts empty loses nothing the exam needs.

The Redis is a private redis-server this test starts on a free port (never the system one),
so it can be restarted; the database is the suite's (SQLite, or PostgreSQL in the PG run)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import http_support as http
import pytest
from delivery_support import PASSWORD, World

from bench.services import Gunicorn, PrivateRedis
from toetsbatterij.clock import FrozenClock
from toetsbatterij.delivery import exposure
from toetsbatterij.state_store import RedisStateStore

pytestmark = [pytest.mark.redis, pytest.mark.slow]


@pytest.fixture
def redis_server(tmp_path: Path) -> Any:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def servers(migrated_url: str, db_session: Any, content: Any, redis_server: PrivateRedis,
            tmp_path: Path) -> Any:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    world = World(db_session, FrozenClock(now), content)  # the session is open from now on
    world.open(world.a)
    env = {"TOETSBATTERIJ_DATABASE_URL": migrated_url, "TOETSBATTERIJ_REDIS_URL": redis_server.url,
           "TOETSBATTERIJ_ITEMBANK_PATH": str(content.bank.root),
           "TOETSBATTERIJ_SECRET_KEY": "two-workers", "TOETSBATTERIJ_SESSION_COOKIE_SECURE": "false",
           "TOETSBATTERIJ_WTF_CSRF_ENABLED": "false",
           "TOETSBATTERIJ_INSTANCE_PATH": str(tmp_path / "instance")}
    import os

    env = {**os.environ, **env}
    first = Gunicorn(env, workers=1, threads=2, log=tmp_path / "first.log")
    second = Gunicorn(env, workers=1, threads=2, log=tmp_path / "second.log")
    first.start()
    second.start()
    yield world, first, second
    first.stop()
    second.stop()


def login(base: str, tenant: dict[str, Any], i: int, code: str | None = None) -> Any:
    client = http.Client(base)
    resp = client.post("/aanmelden", {"session_code": tenant["session_code"],
                                      "access_code": code or tenant["access_codes"][i]})
    return client, resp


def room_events(client: Any, session_id: int, after: int = 0) -> list[dict[str, Any]]:
    resp = client.get(f"/beheer/sessies/{session_id}/zaal.json?na={after}",
                      headers={"Accept": "application/json"})
    assert resp.status == 200, resp.text[:300]
    return json.loads(resp.text)["events"]


def answer_all_practice(client: Any) -> None:
    client.post("/toets/verder", {"step": "practice"})
    for _ in range(10):
        page = client.get("/toets").text
        pid = re.search(r'name="presentation_id" value="(\d+)"', page)
        if pid is None:
            return
        client.post("/toets/antwoord", {"presentation_id": pid[1], "inline": "1"})


def start_section(client: Any) -> str:
    page = client.get("/toets").text
    idx = re.search(r'name="section_index" value="(\d+)"', page)
    assert idx, page[:300]
    return client.post("/toets/verder", {"step": "section", "section_index": idx[1]}).text


def test_workers_share_the_exam_room(servers: Any, redis_server: PrivateRedis) -> None:
    world, first, second = servers
    a = world.a
    proctor = http.Client(second.base)
    resp = proctor.post("/beheer/aanmelden", {"email": f"proctor@{a['domain']}",
                                              "password": PASSWORD})
    assert resp.status in (200, 302) and "aanmelden" not in resp.url, resp.text[:200]

    # The device lock: candidate 0 sits at a PC served by the first worker; the same codes
    # on another PC, served by the second worker, are refused.
    cand, resp = login(first.base, a, 0)
    assert resp.status == 200 and "Zo werkt de toets" in resp.text
    _, other = login(second.base, a, 0)
    assert other.status == 409

    # Throttling: wrong codes for candidate 1, half on each worker, lock the code on both.
    wrong = "ZZZZZZZZ"
    for base in (first.base, second.base) * 3:
        _, bad = login(base, a, 1, code=wrong)
        assert bad.status == 401
    _, throttled = login(first.base, a, 1, code=wrong)
    _, right_but_locked = login(second.base, a, 1, code=wrong)
    assert throttled.status == 429 and right_but_locked.status == 429

    # The live feed: what the first worker announced, the proctor on the second sees; a view
    # that reconnects with the last number it saw gets exactly what came after it.
    events = room_events(proctor, a["session"])
    assert any("aangemeld" in e["text"] for e in events)
    last = max(e["seq"] for e in events)
    answer_all_practice(cand)
    start_section(cand)
    after = room_events(proctor, a["session"], last)
    assert after and all(e["seq"] > last for e in after)
    assert any("begint met oefenen" in e["text"] for e in after)
    assert any("begint een onderdeel" in e["text"] for e in after)
    everything = room_events(proctor, a["session"], 1)  # the whole stream, none left out
    assert [e["seq"] for e in everything] == sorted({e["seq"] for e in everything})
    assert {e["seq"] for e in after} <= {e["seq"] for e in everything}

    # Exposure: candidate 2 on the second worker; the counters of both workers are in one
    # hash and equal the count of the presentations.
    cand2, resp = login(second.base, a, 2)
    assert resp.status == 200
    answer_all_practice(cand2)
    start_section(cand2)
    store = RedisStateStore(redis_server.url)
    definition_id = world.definitions["lezen-luisteren"].id
    with world.db.begin():
        truth = exposure.exposure_counts(world.db, definition_id)
    live = store.counts(f"exposure:{definition_id}")
    assert live is not None
    assert exposure._from_fields(definition_id, live) == truth
    assert truth.attempts_per_section.get(0) == 2

    # Redis restarts, empty. Nothing the exam needs was only there.
    page_before = cand.get("/toets").text
    pid_before = re.search(r'name="presentation_id" value="(\d+)"', page_before)[1]
    redis_server.restart()
    store = RedisStateStore(redis_server.url)
    assert store.counts(f"exposure:{definition_id}") is None
    page_after = cand.get("/toets").text  # the login session comes from the database
    assert re.search(r'name="presentation_id" value="(\d+)"', page_after)[1] == pid_before
    _, still_other = login(second.base, a, 0)
    assert still_other.status == 409  # the device lock is the database's
    _, still_locked = login(first.base, a, 1, code=wrong)
    assert still_locked.status == 429  # so is the throttle
    with world.db.begin():
        rebuilt = exposure.live_counts(world.db, store, definition_id)
    assert rebuilt == truth and store.counts(f"exposure:{definition_id}") is not None
    # The feed goes on with numbers above every number of before the restart, and its history
    # is rebuilt from the database: a room view that reconnects with its last number misses
    # nothing, neither the new events nor those Redis lost.
    seen = max(e["seq"] for e in everything)
    cand.post("/toets/antwoord", {"presentation_id": pid_before, "inline": "1"})
    new = room_events(proctor, a["session"], seen)
    assert new and all(e["seq"] > seen for e in new)
    texts = [e["text"] for e in new]
    for words in ("aangemeld", "begint met oefenen", "begint een onderdeel", "beantwoord"):
        assert any(words in t for t in texts), (words, texts)
    names = {e["candidate_id"] for e in new if e["candidate_id"]}
    assert {a["candidates"][0], a["candidates"][2]} <= names  # and the admissions of all

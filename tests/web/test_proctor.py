"""The room view updates without reload (polled JSON) and the room-wide actions."""

import pytest
from delivery_support import login_staff


def test_room_json_follows_the_candidate(app, world, content):
    world.open(world.a)
    proctor, cand = app.test_client(), app.test_client()
    login_staff(proctor, world.a, "proctor")
    url = f"/beheer/sessies/{world.a['session']}/zaal.json"
    rows = proctor.get(url).json["candidates"]
    assert {r["state"] for r in rows} == {"waiting"}
    cand.post("/aanmelden", data={"session_code": world.a["session_code"],
                                  "access_code": world.a["access_codes"][0]})
    cand.post("/toets/verder", data={"step": "practice"})
    cand.get("/toets")
    row = next(r for r in proctor.get(url).json["candidates"]
               if r["candidate_id"] == world.a["candidates"][0])
    assert row["state"] == "practice" and row["last_contact_seconds"] == 0
    assert proctor.post(f"/beheer/sessies/{world.a['session']}/zaal/pauze",
                        data={"confirm": "y"}).status_code == 302
    row = next(r for r in proctor.get(url).json["candidates"]
               if r["candidate_id"] == world.a["candidates"][0])
    assert row["state"] == "paused"
    assert "Even pauze" in cand.get("/toets").get_data(as_text=True)
    assert cand.get("/toets/status.json").json["kind"] == "paused"
    proctor.post(f"/beheer/sessies/{world.a['session']}/zaal/hervatten")
    assert cand.get("/toets/status.json").json["kind"] == "practice"


def test_room_page_has_live_polling_and_actions(client, world):
    login_staff(client, world.a, "proctor")
    html = client.get(f"/beheer/sessies/{world.a['session']}/zaal").get_data(as_text=True)
    assert "room.js" in html and "zaal.json" in html and "Extra tijd" in html
    assert "<script>" not in html  # CSP: no inline script


def test_incident_needs_a_known_code(client, world):
    login_staff(client, world.a, "proctor")
    bad = client.post(f"/beheer/sessies/{world.a['session']}/incident",
                      data={"code": "nonsense"})
    assert bad.status_code == 400
    other = client.post(f"/beheer/sessies/{world.a['session']}/incident",
                        data={"code": "illness", "candidate_id": world.b["candidates"][0]})
    assert other.status_code == 404


def test_ordering_with_an_option_twice_is_wrong_not_an_error(app, world, content):
    from delivery_support import candidate_login, form_for

    world.open(world.a)
    client = app.test_client()
    candidate_login(client, world.a)
    client.post("/toets/verder", data={"step": "practice"})
    from werkzeug.datastructures import MultiDict

    from toetsbatterij.delivery.opaque import OpaqueIds
    from toetsbatterij.web.candidate import parse_answers

    ids = OpaqueIds("secret", 1, 1)
    view = content.candidate_view("R-A2-0103", 1)
    name, a, c = (f"r.{ids.of('R-A2-0103')}", ids.of("R-A2-0103", "option", "A"),
                  ids.of("R-A2-0103", "option", "C"))
    raw = parse_answers(view, MultiDict({f"{name}.0": a, f"{name}.1": a, f"{name}.2": c}), ids)
    assert raw == {"R-A2-0103": None}
    assert content.score("R-A2-0103", raw["R-A2-0103"]) == 0
    html = client.get("/toets").get_data(as_text=True)
    assert client.post("/toets/antwoord", data=form_for(client, html, content)).status_code == 302


def _feed_flow(app, world):
    world.open(world.a)
    proctor, cand = app.test_client(), app.test_client()
    login_staff(proctor, world.a, "proctor")
    cand.post("/aanmelden", data={"session_code": world.a["session_code"],
                                  "access_code": world.a["access_codes"][0]})
    cand.post("/toets/verder", data={"step": "practice"})
    proctor.post(f"/beheer/kandidaten/{world.a['candidates'][0]}/pauze")
    url = f"/beheer/sessies/{world.a['session']}/zaal.json"
    events = proctor.get(url).json["events"]
    texts = [e["text"] for e in events]
    assert any("aangemeld" in t for t in texts)
    assert any("begint met oefenen" in t for t in texts)
    assert any("gepauzeerd door" in t for t in texts)
    last = events[-1]["seq"]
    assert proctor.get(f"{url}?na={last}").json["events"] == []
    # organisation B's proctor never sees A's feed
    other = app.test_client()
    login_staff(other, world.b, "proctor")
    assert other.get(url).status_code == 404


def test_live_feed_with_the_null_store(app, world):
    _feed_flow(app, world)


@pytest.mark.redis
def test_live_feed_and_locks_with_redis(make_app, world, redis_url):
    from toetsbatterij.state_store import RedisStateStore

    store = RedisStateStore(redis_url, prefix=f"tbtest{world.a['session']}:")
    store.flush_prefix()
    app = make_app(WTF_CSRF_ENABLED=False, REDIS_URL=redis_url)
    app.extensions["toetsbatterij"].state_store = store
    try:
        _feed_flow(app, world)
        assert store.events_since(f"room:{world.a['session']}", 0)
    finally:
        store.flush_prefix()


def test_feed_outage_never_fails_an_action(app, world):
    class Broken:
        shared = True

        def publish(self, *a, **k):
            raise ConnectionError("redis down")

        def get(self, *a, **k):
            raise ConnectionError("redis down")

        put = add = incr = delete = get

        def events_since(self, *a, **k):
            raise ConnectionError("redis down")

        def lock(self, *a, **k):
            import contextlib

            return contextlib.nullcontext(True)

    app.extensions["toetsbatterij"].state_store = Broken()
    world.open(world.a)
    proctor = app.test_client()
    login_staff(proctor, world.a, "proctor")
    assert proctor.post(f"/beheer/kandidaten/{world.a['candidates'][0]}/vrijgeven",
                        data={"confirm": "y"}).status_code == 302
    assert proctor.get(f"/beheer/sessies/{world.a['session']}/zaal.json").json["events"] == []

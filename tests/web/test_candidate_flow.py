"""The candidate's way through, over HTTP (Flask test client)."""

import re

from delivery_support import candidate_login, form_for
from sqlalchemy import select

from toetsbatterij.delivery.models import Presentation


def test_login_before_open_is_refused_in_dutch(client, world):
    resp = candidate_login(client, world.a)
    assert resp.status_code == 409
    assert "nog niet geopend" in resp.get_data(as_text=True)


def test_wrong_codes(client, world):
    world.open(world.a)
    resp = client.post("/aanmelden", data={"session_code": world.a["session_code"],
                                           "access_code": "ZZZZZZZZ"})
    assert resp.status_code == 401
    assert "klopt niet" in resp.get_data(as_text=True)


def test_whole_way_through_with_reload(client, world, content, db_session):
    world.open(world.a)
    assert candidate_login(client, world.a).status_code == 302
    page = client.get("/toets").get_data(as_text=True)
    assert "Zo werkt de toets" in page
    client.post("/toets/verder", data={"step": "practice"})
    seen_kinds = []
    reloaded = False
    for _ in range(40):
        resp = client.get("/toets")
        html = resp.get_data(as_text=True)
        assert resp.status_code == 200
        if "U bent klaar" in html:
            break
        if "Oefenvraag" in html or "oefenvraag" in html:
            seen_kinds.append("practice")
        if 'name="step" value="section"' in html:
            idx = re.search(r'name="section_index" value="(\d+)"', html).group(1)
            client.post("/toets/verder", data={"step": "section", "section_index": idx})
            seen_kinds.append("intro")
            continue
        data = form_for(client, html, content)
        if not reloaded and 'id="timer"' in html:
            timer = re.search(r'data-remaining="(\d+)"', html).group(1)
            again = client.get("/toets").get_data(as_text=True)
            assert data["presentation_id"] in again
            assert re.search(r'data-remaining="(\d+)"', again).group(1) == timer
            reloaded = True
        resp = client.post("/toets/antwoord", data=data)
        assert resp.status_code == 302
        # a double click on "Volgende" is harmless
        assert client.post("/toets/antwoord", data=data).status_code == 302
    else:
        raise AssertionError("never finished")
    assert seen_kinds.count("practice") == 2 and seen_kinds.count("intro") == 2 and reloaded
    positions = db_session.execute(select(Presentation.section_index, Presentation.position)
                                   ).all()
    assert len(positions) == len(set(positions))


def test_status_json_and_audio_plays(client, world, content):
    world.open(world.a)
    candidate_login(client, world.a)
    client.post("/toets/verder", data={"step": "practice"})
    html = client.get("/toets").get_data(as_text=True)
    client.post("/toets/antwoord", data=form_for(client, html, content))  # reading practice
    html = client.get("/toets").get_data(as_text=True)  # listening practice with audio
    play_url = re.search(r'data-play-url="([^"]+)"', html).group(1)
    r1 = client.post(play_url)
    assert r1.status_code == 200 and r1.json["plays_left"] == 1
    media = client.get(r1.json["url"])
    assert media.status_code == 200 and media.mimetype == "audio/ogg"
    media.close()
    assert client.post(play_url).json["plays_left"] == 0
    r3 = client.post(play_url, headers={"Accept": "application/json"})
    assert r3.status_code == 409
    status = client.get("/toets/status.json").json
    assert status["kind"] == "practice"


def test_media_url_is_bound_to_the_attempt(app, world, content):
    world.open(world.a)
    c1, c2 = app.test_client(), app.test_client()
    candidate_login(c1, world.a, 0)
    candidate_login(c2, world.a, 1)
    for c in (c1, c2):
        c.post("/toets/verder", data={"step": "practice"})
        c.post("/toets/antwoord", data=form_for(c, c.get("/toets").get_data(as_text=True), content))
    html = c1.get("/toets").get_data(as_text=True)
    url = c1.post(re.search(r'data-play-url="([^"]+)"', html).group(1)).json["url"]
    assert c2.get(url).status_code == 401
    assert c1.get(url[:-3] + "abc").status_code == 401


def test_second_device_refused_until_released(app, world):
    world.open(world.a)
    first, second = app.test_client(), app.test_client()
    assert candidate_login(first, world.a).status_code == 302
    resp = candidate_login(second, world.a)
    assert resp.status_code == 409 and "ander toestel" in resp.get_data(as_text=True)
    # the first browser may reload and even log in again
    assert first.get("/toets").status_code == 200
    assert candidate_login(first, world.a).status_code == 302


def test_candidate_cannot_reach_staff_routes(client, world):
    world.open(world.a)
    candidate_login(client, world.a)
    for url in ("/beheer/", f"/beheer/sessies/{world.a['session']}",
                f"/beheer/sessies/{world.a['session']}/zaal.json"):
        resp = client.get(url)
        assert resp.status_code in (302, 401), url
        if resp.status_code == 302:
            assert "/beheer/aanmelden" in resp.headers["Location"]


def test_a_candidate_cannot_answer_or_play_another_candidates_unit(app, world, content,
                                                                  db_session):
    world.open(world.a)
    a, b = app.test_client(), app.test_client()
    candidate_login(a, world.a, 0)
    candidate_login(b, world.a, 1)
    for c in (a, b):
        c.post("/toets/verder", data={"step": "practice"})
    html_a = a.get("/toets").get_data(as_text=True)
    b.get("/toets")
    stolen = form_for(a, html_a, content)
    resp = b.post("/toets/antwoord", data=stolen)
    assert resp.status_code == 400
    pres = db_session.get(Presentation, int(stolen["presentation_id"]))
    assert pres.answered_at is None
    assert b.post(f"/toets/audio/{stolen['presentation_id']}").status_code == 400


def test_image_stimulus_is_served_through_a_bound_url(app, world, content, db_session):
    world.open(world.a)
    client = app.test_client()
    candidate_login(client, world.a)
    client.post("/toets/verder", data={"step": "practice"})
    from toetsbatterij.delivery.models import Attempt

    attempt = db_session.scalar(select(Attempt))
    # The practice block's first unit was presented by the POST; make it the image unit.
    pres = db_session.scalar(select(Presentation).where(Presentation.attempt_id == attempt.id,
                                                        Presentation.position == 0))
    pres.unit_id, pres.item_ids = "R-A1-0301", ["R-A1-0301"]
    db_session.commit()
    html = client.get("/toets").get_data(as_text=True)
    src = re.search(r'<img class="stimulus-image" src="([^"]+)" alt="([^"]+)"', html)
    assert src and "bibliotheek" in src.group(2)
    img = client.get(src.group(1))
    assert img.status_code == 200 and img.mimetype == "image/png" and img.data[:4] == b"\x89PNG"
    img.close()
    other = app.test_client()
    candidate_login(other, world.a, 1)
    assert other.get(src.group(1)).status_code == 401


def test_logout_and_login_again_on_the_same_pc_a_change_of_pc_needs_the_proctor(app, world):
    """After a candidate logs out, the same browser is recognised (no "already logged in on
    another device"); another PC is refused until the proctor releases the device."""
    world.open(world.a)
    pc = app.test_client()
    assert candidate_login(pc, world.a).status_code == 302
    assert pc.post("/afmelden-kandidaat").status_code == 302
    assert pc.get("/toets").status_code == 302  # logged out
    assert candidate_login(pc, world.a).status_code == 302  # the same PC: welcome back
    assert pc.get("/toets").status_code == 200
    other = app.test_client()
    refused = candidate_login(other, world.a)
    assert refused.status_code == 409 and "ander toestel" in refused.get_data(as_text=True)

"""Media under the rules (issue 10, item 2): each counted audio play is a single-use grant for
one playback, bound to the attempt and the presentation; no tags in the served audio.

The findings of the probe, reproduced: the URL served 10 more times after one counted play, 5
more after the third play was refused, 3 more after the item was answered.
"""

from __future__ import annotations

import io
import re

import mutagen
import pytest
from delivery_support import candidate_login, form_for
from sqlalchemy import select

from toetsbatterij.delivery.models import Presentation

SERVED = (200, 206)


def _listening_screen(client, content):
    """Log in, start the practice, answer until the listening unit (audio) is on screen."""
    client.post("/toets/verder", data={"step": "practice"})
    for _ in range(5):
        html = client.get("/toets").get_data(as_text=True)
        if "data-play-url" in html:
            return html
        client.post("/toets/antwoord", data=form_for(client, html, content))
    raise AssertionError("no listening unit in the practice")


class Fetched:
    def __init__(self, response):
        self.status_code, self.data = response.status_code, response.get_data()
        response.close()


def fetch(client, url, headers=None):
    """GET a media URL and close the streamed file at once."""
    return Fetched(client.get(url, headers=headers or {}))


def _play(client, html):
    return client.post(re.search(r'data-play-url="([^"]+)"', html).group(1))


@pytest.fixture
def listening(client, world, content):
    world.open(world.a)
    assert candidate_login(client, world.a).status_code == 302
    return _listening_screen(client, content)


def test_one_counted_play_serves_one_playback_not_ten(client, listening):
    url = _play(client, listening).json["url"]
    assert fetch(client, url).status_code in SERVED
    # The probe fetched the same URL 10 more times; each is a new playback from byte 0.
    for headers in ({}, {"Range": "bytes=0-"}) * 5:
        assert fetch(client, url, headers).status_code == 409


def test_the_range_requests_of_one_playback_within_its_window(client, world, app, listening):
    url = _play(client, listening).json["url"]
    first = fetch(client, url, {"Range": "bytes=0-99"})
    assert first.status_code == 206 and len(first.data) == 100
    seek = fetch(client, url, {"Range": "bytes=100-"})
    assert seek.status_code == 206 and len(seek.data) > 0
    assert fetch(client, url, {"Range": "bytes=0-"}).status_code == 409  # a replay
    window = app.config["MEDIA_GRANT_WINDOW_SECONDS"]
    world.clock.advance(seconds=window + 1)
    assert fetch(client, url, {"Range": "bytes=200-"}).status_code == 409


def test_a_grant_serves_a_bounded_number_of_requests(client, app, listening):
    url = _play(client, listening).json["url"]
    limit = app.config["MEDIA_GRANT_MAX_REQUESTS"]
    codes = [fetch(client, url, {"Range": f"bytes={i * 10}-"}).status_code
             for i in range(limit + 3)]
    assert all(code in SERVED for code in codes[:limit]) and set(codes[limit:]) == {409}


def test_after_the_last_allowed_play_no_url_serves_anything(client, world, listening):
    first = _play(client, listening).json["url"]
    assert fetch(client, first).status_code in SERVED
    second = _play(client, listening)
    assert second.json["plays_left"] == 0
    # A counted newer play supersedes the older grant at once, even inside its window.
    assert fetch(client, first, {"Range": "bytes=10-"}).status_code == 409
    url = second.json["url"]
    assert fetch(client, url).status_code in SERVED
    assert _play(client, listening).status_code == 409  # the third play is refused
    for _ in range(5):  # ... and the URL the probe kept fetching afterwards
        assert fetch(client, url).status_code == 409


def test_after_the_item_is_answered_its_audio_is_refused(client, world, content, listening):
    url = _play(client, listening).json["url"]
    play_url = re.search(r'data-play-url="([^"]+)"', listening).group(1)
    assert client.post("/toets/antwoord", data=form_for(client, listening, content)).status_code == 302
    for _ in range(3):
        assert fetch(client, url).status_code == 400
    assert client.post(play_url).status_code == 400


def test_after_the_section_is_over_its_audio_is_refused(client, world, content, listening):
    client.post("/toets/antwoord", data=form_for(client, listening, content))
    client.post("/toets/verder", data={"step": "section", "section_index": "0"})
    world.clock.advance(minutes=21)  # the reading section's 20 minutes are over
    client.post("/toets/status.json")
    client.post("/toets/verder", data={"step": "section", "section_index": "1"})
    html = client.get("/toets").get_data(as_text=True)
    assert "data-play-url" in html, "the listening section starts with an audio unit"
    url = _play(client, html).json["url"]
    world.clock.advance(minutes=21)  # the grant was never used, but the section is over
    assert fetch(client, url).status_code == 400
    assert _play(client, html).status_code == 400


def test_another_attempts_grant_or_a_forged_play_number_is_refused(app, client, world,
                                                                   listening):
    from toetsbatterij.web.candidate import media_token

    url = _play(client, listening).json["url"]
    pres = world.db.scalar(select(Presentation).where(Presentation.audio_plays == 1))
    with app.test_request_context():
        forged = media_token(pres.attempt_id, pres.id, "audio", play=2)
    assert fetch(client, f"/media/{forged}").status_code == 409
    other = app.test_client()
    candidate_login(other, world.a, 1)
    assert fetch(other, url).status_code == 401


def test_served_audio_carries_no_tags(client, content, listening):
    """The bank's Ogg/Opus files carry a TITLE with the item id (and the id names the level);
    what is served has no comment tags at all and is still valid audio."""
    pres_unit = re.search(r'data-play-url="([^"]+)"', listening)
    assert pres_unit
    url = _play(client, listening).json["url"]
    served = fetch(client, url).data
    original = next(p for p in content.bank.root.rglob("*.ogg"))
    assert mutagen.File(original).tags  # the bank's file has tags (the finding)
    audio = mutagen.File(io.BytesIO(served))
    assert audio is not None and audio.info.length > 0
    assert list(audio.tags or []) == []
    for item_id in content.items:
        assert item_id.encode() not in served
    assert b"SCRIPT_SHA256" not in served and b"ENCODER_OPTIONS" not in served


def test_without_a_working_state_store_no_grant_is_served(client, app, listening):
    url = _play(client, listening).json["url"]

    class Down:
        shared = False

        def __getattr__(self, _name):
            def fail(*_a, **_k):
                raise ConnectionError("redis down")
            return fail

    real = app.extensions["toetsbatterij"].state_store
    app.extensions["toetsbatterij"].state_store = Down()
    try:
        assert fetch(client, url).status_code == 409
    finally:
        app.extensions["toetsbatterij"].state_store = real

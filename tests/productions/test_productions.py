"""Writing autosave and speaking recordings over HTTP: every refusal and the happy paths.

The candidate takes the test bank's "schrijven-spreken" test (one writing task, one speaking
task). Recordings are real Ogg/Opus files of the item bank cut into chunks, so "the chunks
concatenate into a playable file" is checked with mutagen, an independent parser.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import mutagen
import pytest
from bankfixture import ROOT
from delivery_support import login_staff
from sqlalchemy import select

from toetsbatterij.delivery import sessions
from toetsbatterij.delivery.models import Presentation, Response
from toetsbatterij.productions import service
from toetsbatterij.productions.models import RecordingTake

SHORT_OGG = ROOT / "itembank" / "practice" / "PL-A1-0004.ogg"  # 8.1 s
LONG_OGG = ROOT / "itembank" / "items" / "listening" / "a1" / "L-A1-0005.ogg"  # 29.3 s
OGG = "audio/ogg;codecs=opus"


@pytest.fixture
def exam(world):
    """A session of the writing + speaking test, opened, with two candidates."""
    sess = sessions.create_session(
        world.db, world.clock, organisation_id=world.a["org"], actor_id=None,
        location_id=world.a["location"],
        test_definition_id=world.definitions["schrijven-spreken"].id,
        starts_at=world.clock.now() - dt.timedelta(minutes=30),
        ends_at=world.clock.now() + dt.timedelta(hours=8))
    cands = [world.candidate(world.a["org"], sess.id, 10 + i) for i in range(2)]
    world.db.commit()
    world.open({"org": world.a["org"], "session": sess.id})
    return {"session": sess.id, "code": sess.code, "access": [c.access_code for c in cands]}


def login(app, exam, i=0):
    client = app.test_client()
    resp = client.post("/aanmelden", data={"session_code": exam["code"],
                                           "access_code": exam["access"][i]})
    assert resp.status_code == 302
    client.post("/toets/verder", data={"step": "practice"})
    assert "Deel 1 van 2" in client.get("/toets").get_data(as_text=True)  # no practice here
    return client


def start_section(client, index):
    client.post("/toets/verder", data={"step": "section", "section_index": str(index)})
    html = client.get("/toets").get_data(as_text=True)
    return int(re.search(r'name="presentation_id" value="(\d+)"', html).group(1)), html


def name_of(client, pid, item):
    """The opaque name the candidate's page gives ``item`` (delivery/opaque.py)."""
    from toetsbatterij.delivery.models import Attempt
    from toetsbatterij.delivery.opaque import OpaqueIds

    app = client.application
    with app.extensions["toetsbatterij"].unit_of_work() as db:
        pres = db.get(Presentation, pid) if isinstance(pid, int) else None
        if pres is None:  # a presentation that does not exist: any name will do
            return item
        attempt = db.get(Attempt, pres.attempt_id)
        return OpaqueIds(app.config["SECRET_KEY"], attempt.id, attempt.seed).of(item)


def save(client, pid, version, text, item="W-A2-0001"):
    return client.post("/toets/tekst", json={"presentation_id": pid,
                                             "item_id": name_of(client, pid, item),
                                             "version": version, "text": text})


def chunks_of(data, size):
    return [data[i:i + size] for i in range(0, len(data), size)]


def at_speaking(client):
    """Answer the writing task, pass the microphone check, start the speaking section."""
    pid, _ = start_section(client, 0)
    client.post("/toets/antwoord", data={"presentation_id": pid, f"r.{name_of(client, pid, 'W-A2-0001')}": "Een tekst."})
    assert "Microfoontest" in client.get("/toets").get_data(as_text=True)
    client.post("/toets/microfoon", data={"result": "ok"})
    return start_section(client, 1)[0]


def start(client, pid, new_take=False, mime=OGG, item="S-A2-0001"):
    return client.post("/toets/opname/start", json={"presentation_id": pid,
                                             "item_id": name_of(client, pid, item),
                                                    "mime_type": mime, "new_take": new_take})


def chunk(client, pid, take, part, seq, data, mime=OGG, item="S-A2-0001"):
    return client.post(f"/toets/opname/stuk?presentation_id={pid}&item_id={name_of(client, pid, item)}"
                       f"&take={take}"
                       f"&part={part}&seq={seq}", data=data, content_type=mime,
                       headers={"Accept": "application/json"})


def storage(app):
    return app.extensions["toetsbatterij.recordings"]


# -- writing -------------------------------------------------------------------------------------


def test_saves_are_versioned_and_the_page_shows_the_latest(app, exam):
    client = login(app, exam)
    pid, html = start_section(client, 0)
    assert 'spellcheck="false"' in html and 'autocomplete="off"' in html
    assert 'data-paste="blocked"' in html and 'data-version="0"' in html
    assert save(client, pid, 0, "Beste juf").get_json() == {"version": 1}
    assert save(client, pid, 1, "Beste juf, mijn zoon is ziek.").get_json() == {"version": 2}
    html = client.get("/toets").get_data(as_text=True)  # a reload, or another computer
    assert 'data-version="2"' in html and ">Beste juf, mijn zoon is ziek.</textarea>" in html


def test_an_older_save_never_overwrites_a_newer_one(app, exam, db_session):
    client = login(app, exam)
    pid, _ = start_section(client, 0)
    save(client, pid, 0, "eerste")
    save(client, pid, 1, "tweede, nieuwer")
    late = save(client, pid, 1, "een late herhaling van een oudere save")
    assert late.status_code == 409
    body = late.get_json()
    assert body["version"] == 2 and "nieuwere versie" in body["error"]
    assert save(client, pid, 7, "een versie die de server nooit gaf").status_code == 409
    draft = service.draft(db_session, pid, "W-A2-0001")
    assert (draft.version, draft.text) == (2, "tweede, nieuwer")


def test_save_refusals(app, exam, world):
    client = login(app, exam)
    pid, _ = start_section(client, 0)
    assert save(client, pid, 0, "x" * 20001).status_code == 400
    assert save(client, pid, 0, 12).status_code == 400
    assert save(client, pid, "1", "tekst").status_code == 400
    assert save(client, pid, 0, "tekst", item="S-A2-0001").status_code == 400  # not on screen
    assert save(client, pid + 999, 0, "tekst").status_code == 400  # never presented
    other = login(app, exam, 1)
    assert save(other, pid, 0, "tekst van een ander").status_code == 400  # another's task
    client.post("/toets/antwoord", data={"presentation_id": pid, f"r.{name_of(client, pid, 'W-A2-0001')}": "klaar"})
    assert save(client, pid, 0, "na het afgeven").status_code == 409  # already answered
    assert client.post("/toets/tekst", data="geen json").status_code == 400


def test_an_empty_post_uses_the_last_confirmed_text(app, exam, db_session):
    client = login(app, exam)
    pid, _ = start_section(client, 0)
    save(client, pid, 0, "Mijn bevestigde tekst.")
    client.post("/toets/antwoord", data={"presentation_id": pid, f"r.{name_of(client, pid, 'W-A2-0001')}": ""})
    raw = db_session.scalar(select(Response.raw).where(Response.presentation_id == pid))
    assert raw == "Mijn bevestigde tekst."


def test_the_deadline_takes_the_last_confirmed_text(app, exam, db_session, clock):
    client = login(app, exam)
    pid, _ = start_section(client, 0)
    save(client, pid, 0, "Tekst voor de deadline.")
    save(client, pid, 1, "Tekst voor de deadline, iets langer.")
    clock.advance(minutes=31)  # 30 minutes + the grace: the browser sent nothing (it crashed)
    assert save(client, pid, 2, "te laat").status_code == 409
    client.post("/toets/status.json")  # the page's heartbeat closes the section (a GET never writes)
    html = client.get("/toets").get_data(as_text=True)
    assert "Microfoontest" in html  # the section closed: next is the speaking section
    pres = db_session.get(Presentation, pid)
    db_session.refresh(pres)
    assert pres.answered_at is not None
    raw = db_session.scalar(select(Response.raw).where(Response.presentation_id == pid))
    assert raw == "Tekst voor de deadline, iets langer."


# -- speaking ------------------------------------------------------------------------------------


def test_chunks_are_stored_and_the_take_plays(app, exam, db_session):
    client = login(app, exam)
    pid = at_speaking(client)
    html = client.get("/toets").get_data(as_text=True)
    assert 'data-response="20"' in html and 'data-retakes="1"' in html
    assert start(client, pid).get_json() == {"take": 1, "part": 0, "takes_left": 1,
                                             "seconds_left": 20.0}
    data = SHORT_OGG.read_bytes()
    for seq, piece in enumerate(chunks_of(data, 4096)):
        resp = chunk(client, pid, 1, 0, seq, piece)
        assert resp.status_code == 200, resp.get_json()
        assert resp.get_json() == {"seq": seq, "duplicate": False}
    # a retry of the last chunk (its acknowledgement was lost) is acknowledged, not stored twice
    assert chunk(client, pid, 1, 0, seq, piece).get_json() == {"seq": seq, "duplicate": True}
    assert client.post("/toets/opname/stop", json={"presentation_id": pid,
                                                   "item_id": name_of(client, pid, "S-A2-0001"),
                                                   "take": 1}).status_code == 200
    take = db_session.scalar(select(RecordingTake))
    audio = service.take_audio(db_session, storage(app), take.uid)
    assert audio.mime_type == "audio/ogg" and audio.data == data
    parsed = mutagen.File(io.BytesIO(audio.data))
    assert type(parsed).__name__ == "OggOpus" and 7.5 < parsed.info.length < 8.5
    client.post("/toets/antwoord", data={"presentation_id": pid})
    raw = db_session.scalar(select(Response.raw).where(Response.presentation_id == pid))
    assert raw == take.uid


def test_wrong_type_and_oversize_chunks_are_refused(app, exam):
    client = login(app, exam)
    pid = at_speaking(client)
    assert start(client, pid, mime="audio/mpeg").status_code == 415
    assert start(client, pid, mime="audio/webm;codecs=vorbis").status_code == 415
    assert start(client, pid).status_code == 200
    first = SHORT_OGG.read_bytes()[:4096]
    assert chunk(client, pid, 1, 0, 0, first, mime="audio/webm").status_code == 415
    assert chunk(client, pid, 1, 0, 0, first, mime="text/plain").status_code == 415
    assert chunk(client, pid, 1, 0, 0, b"RIFF....WAVEfmt ").status_code == 415  # not Ogg
    big = chunk(client, pid, 1, 0, 0, first + b"\0" * (256 * 1024))
    assert big.status_code == 413 and "te groot" in big.get_json()["error"]
    huge = chunk(client, pid, 1, 0, 0, b"\0" * (3 * 1024 * 1024))  # over MAX_CONTENT_LENGTH
    assert huge.status_code == 413 and huge.get_json()["error"]
    assert chunk(client, pid, 1, 0, 0, b"").status_code == 415
    assert chunk(client, pid, 1, 0, 0, first).status_code == 200  # nothing above was stored


def test_chunks_out_of_order_are_refused(app, exam):
    client = login(app, exam)
    pid = at_speaking(client)
    start(client, pid)
    pieces = chunks_of(SHORT_OGG.read_bytes(), 4096)
    skipped = chunk(client, pid, 1, 0, 1, pieces[1])
    assert skipped.status_code == 409 and skipped.get_json()["expected"] == 0
    assert chunk(client, pid, 1, 0, 0, pieces[0]).status_code == 200
    assert chunk(client, pid, 1, 0, 2, pieces[2]).get_json()["expected"] == 1
    assert chunk(client, pid, 1, 0, 1, pieces[1]).status_code == 200
    assert chunk(client, pid, 1, 1, 2, pieces[2]).status_code == 409  # a part that is not open
    assert chunk(client, pid, 2, 0, 2, pieces[2]).status_code == 409  # a take that is not open
    assert chunk(client, pid, 1, 0, "x", pieces[2]).status_code == 400


def test_a_recording_longer_than_the_task_is_refused(app, exam):
    client = login(app, exam)
    pid = at_speaking(client)
    start(client, pid)
    # by the container: 29 s of Opus in 4 chunks, time stamps (granules) beyond 20 + 3 s
    pieces = chunks_of(LONG_OGG.read_bytes(), 21000)
    codes = [chunk(client, pid, 1, 0, seq, p).status_code for seq, p in enumerate(pieces)]
    assert codes[:2] == [200, 200] and 409 in codes
    refused = chunk(client, pid, 1, 0, codes.index(409), pieces[codes.index(409)])
    assert "langer dan de tijd" in refused.get_json()["error"]


def test_more_chunks_than_the_timeslice_allows_are_refused(app, exam):
    client = login(app, exam)
    pid = at_speaking(client)
    start(client, pid)
    assert chunk(client, pid, 1, 0, 0, b"OggS" + b"\0" * 60).status_code == 200
    # 20 s + 3 s margin at 2 s per chunk: 12 chunks at most
    codes = [chunk(client, pid, 1, 0, seq, b"\1" * 100).status_code for seq in range(1, 13)]
    assert codes == [200] * 11 + [409]


def test_uploads_only_for_the_task_on_screen(app, exam, db_session):
    client = login(app, exam)
    other = login(app, exam, 1)
    # the writing task is on screen: no recording for it, nor for the speaking task yet
    wpid, _ = start_section(client, 0)
    assert start(client, wpid, item="W-A2-0001").status_code == 400
    assert start(client, wpid).status_code == 400  # S-A2-0001 is not part of this presentation
    assert start(client, wpid + 100).status_code == 400  # never presented
    client.post("/toets/antwoord", data={"presentation_id": wpid, f"r.{name_of(client, wpid, 'W-A2-0001')}": "tekst"})
    assert "Microfoontest" in client.get("/toets").get_data(as_text=True)
    client.post("/toets/microfoon", data={"result": "ok"})
    pid = start_section(client, 1)[0]
    assert start(other, pid).status_code == 400  # another candidate's presentation
    assert start(client, wpid, item="W-A2-0001").status_code == 409  # answered
    assert start(client, pid).status_code == 200
    first = SHORT_OGG.read_bytes()[:4096]
    assert chunk(other, pid, 1, 0, 0, first).status_code == 400
    assert chunk(client, pid, 1, 0, 0, first).status_code == 200
    client.post("/toets/antwoord", data={"presentation_id": pid})
    assert chunk(client, pid, 1, 0, 1, first).status_code == 409  # already answered
    assert start(client, pid, new_take=True).status_code == 409


def test_a_retake_counts_and_the_retakes_are_limited(app, exam, db_session):
    client = login(app, exam)
    pid = at_speaking(client)
    data = SHORT_OGG.read_bytes()
    start(client, pid)
    chunk(client, pid, 1, 0, 0, data[:4096])
    again = start(client, pid, new_take=True).get_json()
    assert again == {"take": 2, "part": 0, "takes_left": 0, "seconds_left": 20.0}
    assert chunk(client, pid, 1, 0, 1, data[4096:8192]).status_code == 409  # take 1 is closed
    for seq, piece in enumerate(chunks_of(data, 8192)):
        assert chunk(client, pid, 2, 0, seq, piece).status_code == 200
    third = start(client, pid, new_take=True)
    assert third.status_code == 409 and third.get_json()["error"]
    client.post("/toets/antwoord", data={"presentation_id": pid, f"r.{name_of(client, pid, 'S-A2-0001')}": "vervalst-id"})
    takes = {t.number: t.uid for t in db_session.scalars(select(RecordingTake))}
    raw = db_session.scalar(select(Response.raw).where(Response.presentation_id == pid))
    assert raw == takes[2]  # the last take; never what the browser posts


def test_an_interrupted_take_resumes_as_a_new_part(app, exam, db_session):
    client = login(app, exam)
    pid = at_speaking(client)
    one, two = SHORT_OGG.read_bytes(), (ROOT / "itembank" / "practice" / "PL-A1-0001.ogg").read_bytes()
    start(client, pid)
    for seq, piece in enumerate(chunks_of(one, 4096)):
        chunk(client, pid, 1, 0, seq, piece)
    # the browser crashed; after the reload the same take goes on as part 1, with the time left
    html = client.get("/toets").get_data(as_text=True)
    assert 'data-takes="1"' in html and 'data-has-sound="true"' in html
    resumed = start(client, pid).get_json()
    assert resumed["take"] == 1 and resumed["part"] == 1 and 9 < resumed["seconds_left"] < 12
    for seq, piece in enumerate(chunks_of(two, 4096)):
        assert chunk(client, pid, 1, 1, seq, piece).status_code == 200
    take = db_session.scalar(select(RecordingTake))
    audio = service.take_audio(db_session, storage(app), take.uid)
    assert audio.parts == [one, two]
    assert [round(mutagen.File(io.BytesIO(p)).info.length) for p in audio.parts] == [8, 3]


def test_the_deadline_keeps_the_recording(app, exam, db_session, clock):
    client = login(app, exam)
    pid = at_speaking(client)
    start(client, pid)
    chunk(client, pid, 1, 0, 0, SHORT_OGG.read_bytes()[:4096])
    clock.advance(minutes=11)
    assert chunk(client, pid, 1, 0, 1, b"\1").status_code == 409  # the time is over
    client.post("/toets/status.json")  # the page's heartbeat closes the section (a GET never writes)
    assert "klaar" in client.get("/toets").get_data(as_text=True)
    take = db_session.scalar(select(RecordingTake))
    raw = db_session.scalar(select(Response.raw).where(Response.presentation_id == pid))
    assert raw == take.uid


# -- the microphone check ------------------------------------------------------------------------


def test_microphone_check_before_speaking_and_the_proctor_sees_a_failure(app, exam, world):
    client = login(app, exam)
    wpid, _ = start_section(client, 0)
    assert "Microfoontest" not in client.get("/toets").get_data(as_text=True)
    client.post("/toets/antwoord", data={"presentation_id": wpid, f"r.{name_of(client, wpid, 'W-A2-0001')}": "tekst"})
    page = client.get("/toets").get_data(as_text=True)
    assert "Microfoontest" in page and "Toch verder gaan" not in page
    assert client.post("/toets/microfoon", data={"result": "proceed"}).status_code == 409
    assert client.post("/toets/microfoon", data={"result": "maybe"}).status_code == 400
    client.post("/toets/microfoon", data={"result": "failed"})
    page = client.get("/toets").get_data(as_text=True)
    assert "Steek uw hand op" in page and "Toch verder gaan" in page
    staff = app.test_client()
    login_staff(staff, world.a, "proctor")
    rows = staff.get(f"/beheer/sessies/{exam['session']}/zaal.json").get_json()["candidates"]
    assert sorted(r["microphone"] or "-" for r in rows) == ["-", "failed"]
    room = staff.get(f"/beheer/sessies/{exam['session']}/zaal").get_data(as_text=True)
    assert "mislukt" in room
    client.post("/toets/microfoon", data={"result": "proceed"})
    assert "Deel 2 van 2" in client.get("/toets").get_data(as_text=True)
    rows = staff.get(f"/beheer/sessies/{exam['session']}/zaal.json").get_json()["candidates"]
    assert "failed" in [r["microphone"] for r in rows]  # going on does not hide the failure
    # the other agency's proctor sees nothing of this session
    other = app.test_client()
    login_staff(other, world.b, "proctor")
    assert other.get(f"/beheer/sessies/{exam['session']}/zaal.json").status_code == 404


def webm_cluster(ms: int) -> bytes:
    """A WebM Cluster of unknown size (as MediaRecorder writes it) with its Timecode."""
    return (b"\x1f\x43\xb6\x75" + b"\x01\xff\xff\xff\xff\xff\xff\xff"
            + b"\xe7\x83" + ms.to_bytes(3, "big") + b"\xa3\x84\x81\x00\x00\x80")


def test_webm_parts_are_measured_by_their_cluster_time_stamps(app, exam):
    client = login(app, exam)
    pid = at_speaking(client)
    webm = "audio/webm;codecs=opus"
    assert start(client, pid, mime=webm).status_code == 200
    header = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01" + b"\0" * 30  # EBML magic, then a header
    assert chunk(client, pid, 1, 0, 0, header + webm_cluster(0), mime=webm).status_code == 200
    assert chunk(client, pid, 1, 0, 1, webm_cluster(18_000), mime=webm).status_code == 200
    # 24 s into a 20 s task (+ 3 s margin): refused although only three chunks came
    late = chunk(client, pid, 1, 0, 2, b"\0\0" + webm_cluster(24_000), mime=webm)
    assert late.status_code == 409 and "langer dan de tijd" in late.get_json()["error"]
    assert chunk(client, pid, 1, 0, 2, webm_cluster(22_000), mime=webm).status_code == 200
    assert chunk(client, pid, 1, 0, 3, b"OggS" + b"\0" * 40).status_code == 415  # not this part's type


def test_a_longer_preparation_is_applied_on_the_speaking_screen(app, exam, world, db_session):
    """The accommodation "longer speaking preparation" (a percentage on the candidate) sets the
    preparation time the speaking screen counts down (the task has 5 s; +100 % gives 10 s)."""
    from toetsbatterij.delivery.models import Candidate

    plain, helped = (db_session.scalar(select(Candidate).where(Candidate.access_code == code))
                     for code in exam["access"])
    helped.speaking_prep_percent = 100
    db_session.commit()
    pages = {}
    for i in (0, 1):
        client = login(app, exam, i)
        at_speaking(client)
        pages[i] = client.get("/toets").get_data(as_text=True)
    assert 'data-preparation="5"' in pages[0] and plain.speaking_prep_percent == 0
    assert 'data-preparation="10"' in pages[1]

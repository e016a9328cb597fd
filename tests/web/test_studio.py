"""The recording studio over HTTP, on a private copy of the test bank (the studio writes into
the bank it is configured with): speakers, a take per turn, the preview, the replacement, the
audit record and the bank check afterwards; and every refusal with its Dutch reason."""

from __future__ import annotations

import pytest
from delivery_support import login_staff
from sqlalchemy import select
from studio_support import DIALOGUE, DIALOGUE_FILE, SCRIPT, studio_bank, take

from toetsbatterij.audit.models import AuditEntry
from toetsbatterij.items import load_bank
from toetsbatterij.items.check import check_bank
from toetsbatterij.items.voice import Speaker, read_voice, recording_script_sha256
from toetsbatterij.items.voice_check import form_voices

pytestmark = pytest.mark.slow


@pytest.fixture
def bank_root(tmp_path):
    return studio_bank(tmp_path / "studio-bank")


@pytest.fixture
def studio_app(make_app, bank_root):
    return make_app(WTF_CSRF_ENABLED=False, ITEMBANK_PATH=str(bank_root),
                    STUDIO_TAKE_MAX_BYTES=200_000, STUDIO_TAKE_MAX_SECONDS=8)


@pytest.fixture
def author(studio_app, world):
    client = studio_app.test_client()
    login_staff(client, world.a, "psychometrician")
    return client


def _upload(client, turn, data, mime="audio/webm;codecs=opus", unit=DIALOGUE):
    return client.post(f"/beheer/studio/opname?stimulus={unit}&turn={turn}", data=data,
                       content_type=mime, headers={"Accept": "application/json"})


def _speakers(client, unit=DIALOGUE, **names):
    data = {"stimulus": unit}
    for role, (name, region) in names.items():
        data[f"name.{role}"], data[f"region.{role}"] = name, region
    return client.post("/beheer/studio/sprekers", data=data)


def test_record_review_and_replace(author, bank_root, db_session, world):
    before = (bank_root / f"{DIALOGUE_FILE}.ogg").read_bytes()
    page = author.get("/beheer/studio").get_data(as_text=True)
    assert f'id="stimulus-{DIALOGUE}" data-voice="synthetic"' in page
    assert "lezen-luisteren" in page
    page = author.get(f"/beheer/studio/opnemen?stimulus={DIALOGUE}").get_data(as_text=True)
    assert SCRIPT[1]["text"] in page and "Spreker B" in page and "recorder.js" in page

    assert _speakers(author, A=("Els (schuilnaam)", "Vlaanderen"),
                     B=("Jan", "Brussel")).status_code == 302
    for turn in range(3):
        resp = _upload(author, turn, take(1.4 + turn / 10, freq=200 + 50 * turn,
                                          container="ogg" if turn == 1 else "webm"),
                       mime="audio/ogg" if turn == 1 else "audio/webm;codecs=opus")
        assert resp.status_code == 200, resp.json
        assert resp.json["turn"] == turn and resp.json["seconds"] == pytest.approx(
            2.0 + turn / 10, abs=0.1)
    # Re-recording a turn replaces its take.
    assert _upload(author, 2, take(1.6)).status_code == 200
    listened = author.get(f"/beheer/studio/opname/beluisteren?stimulus={DIALOGUE}&turn=1")
    assert listened.status_code == 200 and listened.mimetype == "audio/ogg"
    assert listened.headers["Cache-Control"] == "no-store"
    assert author.get(f"/beheer/studio/voorbeeld?stimulus={DIALOGUE}").status_code == 404

    resp = author.post("/beheer/studio/samenvoegen", data={"stimulus": DIALOGUE})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("#review")
    preview = author.get(f"/beheer/studio/voorbeeld?stimulus={DIALOGUE}")
    assert preview.status_code == 200 and preview.data[:4] == b"OggS"
    page = author.get(f"/beheer/studio/opnemen?stimulus={DIALOGUE}").get_data(as_text=True)
    assert "Bestand in de itembank vervangen" in page
    # Nothing in the bank has changed yet.
    assert (bank_root / f"{DIALOGUE_FILE}.ogg").read_bytes() == before

    resp = author.post("/beheer/studio/vervangen", data={"stimulus": DIALOGUE, "confirm": "y"})
    assert resp.status_code == 302, resp.data[:400]
    voice = read_voice(bank_root / f"{DIALOGUE_FILE}.ogg")
    assert voice.human and voice.problems == ()
    assert voice.speakers == (Speaker("A", "Els (schuilnaam)", "Vlaanderen"),
                              Speaker("B", "Jan", "Brussel"))
    assert voice.script_sha256 == recording_script_sha256(SCRIPT)
    assert voice.recorded_at.startswith(world.clock.now().date().isoformat())
    # The bank check passes and counts the stimulus as human.
    report = check_bank(bank_root)
    assert report.ok, report.problems
    bank = load_bank(bank_root)
    assert DIALOGUE in form_voices(bank, bank.tests["lezen-luisteren"]).human
    page = author.get("/beheer/studio").get_data(as_text=True)
    assert f'id="stimulus-{DIALOGUE}" data-voice="human"' in page and "Jan (Brussel)" in page
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action ==
                                                       "studio.replace_audio"))
    assert entry.organisation_id == world.a["org"]
    assert entry.actor_id == world.a["staff"]["psychometrician"]
    assert entry.details["unit"] == DIALOGUE and entry.details["previous_voice"] == "synthetic"
    # The author's takes are gone once replaced.
    assert author.get(f"/beheer/studio/opname/beluisteren?stimulus={DIALOGUE}&turn=0"
                      ).status_code == 404


def test_refusals_say_why(author, bank_root):
    def error(resp, status):
        assert resp.status_code == status, resp.data[:300]
        return resp.json["error"]

    assert "WebM of Ogg" in error(_upload(author, 0, take(1.0), mime="audio/mpeg"), 400)
    assert "geen geldige opname" in error(_upload(author, 0, b"\x1a\x45\xdf\xa3nonsense"), 400)
    assert "te lang" in error(_upload(author, 0, take(8.5, lead=0, tail=0)), 400)
    assert "te groot" in error(_upload(author, 0, b"\x1a\x45\xdf\xa3" + b"\0" * 200_001), 400)
    assert "niet in het script" in error(_upload(author, 3, take(1.0)), 400)
    assert "niet in het script" in error(_upload(author, "x", take(1.0)), 400)
    assert "bestaat niet" in error(_upload(author, 0, take(1.0), unit="L-A1-T999"), 404)
    assert "bestaat niet" in error(_upload(author, 0, take(1.0), unit="R-A2-0101"), 404)
    assert author.get("/beheer/studio/opnemen?stimulus=L-A1-T999").status_code == 404
    assert author.get("/beheer/studio/opnemen").status_code == 400
    # Replace and assemble need every turn, the speakers, the preview and a confirmation.
    assert _upload(author, 0, take(1.0)).status_code == 200
    resp = author.post("/beheer/studio/samenvoegen", data={"stimulus": DIALOGUE})
    assert resp.status_code == 409 and "beurt 2, 3" in resp.get_data(as_text=True)
    for turn in (1, 2):
        assert _upload(author, turn, take(1.0)).status_code == 200
    resp = author.post("/beheer/studio/vervangen", data={"stimulus": DIALOGUE, "confirm": "y"})
    assert resp.status_code == 409 and "naam (of schuilnaam)" in resp.get_data(as_text=True)
    resp = _speakers(author, A=("Els", "Vlaanderen"), B=("", "Vlaanderen"))
    assert resp.status_code == 400
    assert _speakers(author, A=("Els", "Vlaanderen"), B=("Jan", "Vlaanderen")).status_code == 302
    resp = author.post("/beheer/studio/vervangen", data={"stimulus": DIALOGUE, "confirm": "y"})
    assert resp.status_code == 409 and "Beluister eerst" in resp.get_data(as_text=True)
    assert author.post("/beheer/studio/samenvoegen", data={"stimulus": DIALOGUE}).status_code == 302
    resp = author.post("/beheer/studio/vervangen", data={"stimulus": DIALOGUE})
    assert resp.status_code == 409 and "Bevestig" in resp.get_data(as_text=True)
    # A new take after the preview: the preview must be made again.
    assert _upload(author, 1, take(1.2)).status_code == 200
    resp = author.post("/beheer/studio/vervangen", data={"stimulus": DIALOGUE, "confirm": "y"})
    assert resp.status_code == 409 and "Beluister eerst" in resp.get_data(as_text=True)
    assert read_voice(bank_root / f"{DIALOGUE_FILE}.ogg").synthetic


def test_a_script_edited_after_a_take_needs_that_turn_again(author, bank_root):
    _speakers(author, A=("Els", "Vlaanderen"), B=("Jan", "Vlaanderen"))
    for turn in range(3):
        assert _upload(author, turn, take(1.2)).status_code == 200
    path = bank_root / f"{DIALOGUE_FILE}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("om tien uur", "om elf uur"),
                    encoding="utf-8")
    page = author.get(f"/beheer/studio/opnemen?stimulus={DIALOGUE}").get_data(as_text=True)
    assert "Het script is gewijzigd: neem deze beurt opnieuw op" in page
    resp = author.post("/beheer/studio/samenvoegen", data={"stimulus": DIALOGUE})
    assert resp.status_code == 409 and "beurt 2 is gewijzigd" in resp.get_data(as_text=True)
    assert _upload(author, 1, take(1.2)).status_code == 200
    assert author.post("/beheer/studio/samenvoegen", data={"stimulus": DIALOGUE}).status_code == 302


def test_a_speech_rate_that_does_not_fit_the_script_is_refused(author, bank_root):
    _speakers(author, A=("Els", "Vlaanderen"), B=("Jan", "Vlaanderen"))
    for turn in range(3):  # 16 words in 3.3 s: faster than anyone speaks (4.5 words/s at most)
        assert _upload(author, turn, take(0.2, lead=0.16, tail=0.16)).status_code == 200
    assert author.post("/beheer/studio/samenvoegen", data={"stimulus": DIALOGUE}).status_code == 302
    resp = author.post("/beheer/studio/vervangen", data={"stimulus": DIALOGUE, "confirm": "y"})
    assert resp.status_code == 400 and "past niet bij het script" in resp.get_data(as_text=True)
    assert read_voice(bank_root / f"{DIALOGUE_FILE}.ogg").synthetic


def test_takes_belong_to_their_author(studio_app, author, world):
    assert _upload(author, 0, take(1.0)).status_code == 200
    url = f"/beheer/studio/opname/beluisteren?stimulus={DIALOGUE}&turn=0"
    assert author.get(url).status_code == 200
    other = studio_app.test_client()
    login_staff(other, world.b, "psychometrician")
    assert other.get(url).status_code == 404
    page = other.get(f"/beheer/studio/opnemen?stimulus={DIALOGUE}").get_data(as_text=True)
    assert "Nog niet opgenomen" in page
    # Discarding removes the author's takes.
    assert author.post("/beheer/studio/weggooien", data={"stimulus": DIALOGUE}).status_code == 302
    assert author.get(url).status_code == 404


@pytest.mark.parametrize("role", ["agency_admin", "proctor", "rater"])
def test_other_roles_cannot_record(studio_app, world, bank_root, role):
    client = studio_app.test_client()
    login_staff(client, world.a, role)
    assert client.get("/beheer/studio").status_code == 403
    assert _upload(client, 0, take(1.0)).status_code == 403
    assert not (studio_app.instance_path and list(
        (bank_root / "items" / "listening" / "a1").glob(".studio-*")))


def test_candidates_never_get_the_speakers_of_a_recording(bank_root, tmp_path):
    """The speaker names travel in the bank's file; the delivery serves audio without its
    comments (delivery/media.py), so a candidate's browser never receives them."""
    from toetsbatterij.delivery.media import stripped_copy
    from toetsbatterij.items.voice import HUMAN, Voice, write_voice

    path = bank_root / f"{DIALOGUE_FILE}.ogg"
    write_voice(path, Voice(kind=HUMAN, speakers=(Speaker("A", "Els Peeters", "Vlaanderen"),
                                                  Speaker("B", "Jan", "Brussel")),
                            recorded_at="2026-12-04T10:00:00+00:00", marked=True,
                            script_sha256=recording_script_sha256(SCRIPT)))
    assert b"Els Peeters" in path.read_bytes()
    served = stripped_copy(path, tmp_path / "served").read_bytes()
    assert b"Els Peeters" not in served and b"TB_SPEAKERS" not in served
    assert read_voice(served).marked is False

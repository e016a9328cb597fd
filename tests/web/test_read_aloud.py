"""The read-aloud clips of the candidate screens (toetsbatterij/web/read_aloud.py): for every text
in every instruction language there is a clip that speaks the current catalog text, or the
language is listed as having no voice; no stale clip, no file the manifest does not know, every
clip a valid Ogg/Opus file of a sane length. The page offers a button only for current clips."""

from __future__ import annotations

import json
import re

import pytest
from mutagen.oggopus import OggOpus

from toetsbatterij.i18n import LANGUAGES
from toetsbatterij.web import make_read_aloud, read_aloud
from toetsbatterij.web.read_aloud import FOLDER, HUMAN_SUFFIX, TEXTS, load_manifest, text_sha256

from .test_catalogs import template_ids

MANIFEST = load_manifest()
CLIPS = {(c["language"], c["text_id"]): c for c in MANIFEST["clips"]}


def test_every_text_is_a_fixed_catalog_message():
    known = set(template_ids())
    for text_id, msgids in TEXTS.items():
        assert re.fullmatch(r"[a-z][a-z-]*", text_id)
        for msgid in msgids:
            assert msgid in known, f"{text_id}: {msgid!r} is not (any more) in messages.pot"
            assert "%(" not in msgid, f"{text_id}: a pre-made clip cannot say a parameter"


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_every_text_has_a_current_clip_or_the_language_no_voice(lang):
    for text_id in TEXTS:
        clip = CLIPS.get((lang, text_id))
        if clip is None:
            assert lang in MANIFEST["no_voice"], f"{lang}/{text_id}: no clip (run make_read_aloud)"
            continue
        assert clip["msgid_sha256"] == text_sha256(lang, text_id), (
            f"{lang}/{text_id}: stale clip, the catalog text changed (run make_read_aloud)")
        assert (FOLDER / clip["file"]).is_file()
        assert clip["synthetic"] is (not clip["file"].endswith(HUMAN_SUFFIX))
        assert clip["voice"]


def test_no_voice_is_only_where_espeak_has_none():
    assert set(MANIFEST["no_voice"]) == {lang for lang, v in read_aloud.VOICES.items() if v is None}
    assert set(read_aloud.VOICES) == set(LANGUAGES)
    # Tigrinya and Somali: espeak-ng 1.51 has no voice (Amharic is another language)
    assert {"ti", "so"} <= set(MANIFEST["no_voice"])


def test_the_manifest_is_what_the_tool_would_write():
    clips, build, _notes = make_read_aloud.plan(MANIFEST)
    assert build == [], "stale or missing clips: python -m toetsbatterij.web.make_read_aloud"
    assert make_read_aloud.manifest_document(clips) == MANIFEST


def test_every_file_is_in_the_manifest_and_is_valid_opus():
    listed = {c["file"] for c in MANIFEST["clips"]}
    on_disk = {p.relative_to(FOLDER).as_posix() for p in FOLDER.glob("*/*.ogg")}
    assert on_disk - listed == set(), "clips the manifest does not know (adopt or remove them)"
    for file in sorted(listed) + [MANIFEST["sound_check"]]:
        audio = OggOpus(FOLDER / file)
        assert audio.info.channels == 1
        assert 0.5 < audio.info.length < 60, file
    assert OggOpus(FOLDER / "nl" / "login.ogg").tags["TEXT_SHA256"] == [
        text_sha256("nl", "login")]


def test_a_stale_clip_is_never_offered(monkeypatch, tmp_path):
    # The catalog text changed after the clip was made: no button, never the old words.
    folder = tmp_path / "read-aloud"
    (folder / "nl").mkdir(parents=True)
    (folder / "nl" / "login.ogg").write_bytes((FOLDER / "nl" / "login.ogg").read_bytes())
    (folder / "nl" / "practice.ogg").write_bytes((FOLDER / "nl" / "practice.ogg").read_bytes())
    manifest = {"clips": [
        {"language": "nl", "text_id": "login", "msgid_sha256": text_sha256("nl", "login"),
         "synthetic": True, "voice": "x", "file": "nl/login.ogg"},
        {"language": "nl", "text_id": "practice", "msgid_sha256": "0" * 64,
         "synthetic": True, "voice": "x", "file": "nl/practice.ogg"}], "no_voice": {}}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    monkeypatch.setattr(read_aloud, "FOLDER", folder)
    monkeypatch.setattr(read_aloud, "MANIFEST", folder / "manifest.json")
    monkeypatch.setattr(read_aloud, "load_manifest",
                        lambda path=folder / "manifest.json": json.loads(path.read_text()))
    read_aloud._fresh_clips.cache_clear()
    try:
        assert read_aloud.clip_files("nl", ["login"]) == ["nl/login.ogg"]
        assert read_aloud.clip_files("nl", ["practice"]) == []
        assert read_aloud.clip_files("nl", ["login", "practice"]) == []  # never half a reading
        assert read_aloud.clip_files("ti", ["login"]) == []
    finally:
        read_aloud._fresh_clips.cache_clear()


def test_a_human_recording_replaces_the_synthetic_clip_once_adopted(monkeypatch, tmp_path):
    folder = tmp_path / "read-aloud"
    (folder / "ti").mkdir(parents=True)
    (folder / "ti" / f"login{HUMAN_SUFFIX}").write_bytes((FOLDER / "nl" / "login.ogg").read_bytes())
    monkeypatch.setattr(make_read_aloud, "FOLDER", folder)
    clips, _build, notes = make_read_aloud.plan({"clips": []})
    assert ("ti", "login") not in {(c["language"], c["text_id"]) for c in clips}
    assert any("ti/login.human.ogg" in n and "--adopt-human" in n for n in notes)
    clips, build, _ = make_read_aloud.plan({"clips": []}, adopt_human=True)
    ti = [c for c in clips if c["language"] == "ti"]
    assert ti == [{"language": "ti", "text_id": "login", "msgid_sha256": text_sha256("ti", "login"),
                   "synthetic": False, "voice": "human", "file": f"ti/login{HUMAN_SUFFIX}"}]
    assert ("ti", "login") not in build
    # Adopted once, it stays while the text is the same; a changed text makes it stale again.
    again, _, _ = make_read_aloud.plan({"clips": clips})
    assert [c for c in again if c["language"] == "ti"] == ti
    stale = [dict(c, msgid_sha256="0" * 64) if c["language"] == "ti" else c for c in clips]
    later, _, notes = make_read_aloud.plan({"clips": stale})
    assert [c for c in later if c["language"] == "ti"] == []
    assert any("no longer" in n for n in notes)


def test_login_page_has_a_button_only_where_there_is_a_voice(make_app):
    app = make_app()
    client = app.test_client()
    nl = client.get("/?taal=nl").get_data(as_text=True)
    assert 'class="read-aloud"' in nl and "/static/read-aloud/nl/login.ogg" in nl
    ar = client.get("/?taal=ar").get_data(as_text=True)
    assert "/static/read-aloud/ar/login.ogg" in ar
    ti = client.get("/?taal=ti").get_data(as_text=True)
    assert 'class="read-aloud"' not in ti
    with client.get("/static/read-aloud/ar/login.ogg") as clip:
        assert clip.status_code == 200 and clip.data[:4] == b"OggS"

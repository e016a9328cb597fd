"""Voices of the bank's audio: the mark in the file, the bank's view of it, and the check's
share per form, high-stakes rule and waivers. On a temporary bank (tests/bankfixture.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from bankfixture import write_bank

from toetsbatterij.items import load_bank
from toetsbatterij.items.__main__ import main as items_cli
from toetsbatterij.items.check import check_bank
from toetsbatterij.items.voice import (
    Speaker,
    Voice,
    read_voice,
    recording_script_sha256,
    write_voice,
)
from toetsbatterij.items.voice_check import form_voices, load_waivers

WHEN = "2026-12-04T10:00:00+00:00"
LISTENING = "items/listening/a1/L-A1-T001"


@pytest.fixture
def bank_root(tmp_path: Path) -> Path:
    return write_bank(tmp_path / "bank")


def _script(root: Path, rel: str = LISTENING) -> list[dict]:
    data = yaml.safe_load((root / f"{rel}.yaml").read_text(encoding="utf-8"))
    return data["stimulus"]["script"]


def _human(root: Path, rel: str = LISTENING, **changes) -> Voice:
    script = _script(root, rel)
    voice = Voice(kind="human", speakers=(Speaker("A", "Els (pseudoniem)", "Vlaanderen"),),
                  recorded_at=WHEN, script_sha256=recording_script_sha256(script), marked=True)
    voice = Voice(**{**voice.__dict__, **changes})
    write_voice(root / f"{rel}.ogg", voice)
    return voice


def _high_stakes(root: Path, test_id: str = "lezen-luisteren") -> None:
    path = root / "tests" / f"{test_id}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["high_stakes"] = True
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _waive(root: Path, entries: list[dict], test_id: str = "lezen-luisteren") -> None:
    (root / "waivers").mkdir(exist_ok=True)
    (root / "waivers" / f"{test_id}.yaml").write_text(
        yaml.safe_dump({"test": test_id, "synthetic_audio": entries}, allow_unicode=True),
        encoding="utf-8")


def _waiver(unit: str, **changes) -> dict:
    return {"unit": unit, "reviewer": "R. Reviewer", "date": dt.date(2026, 12, 4),
            "reason": "nog geen menselijke opname", **changes}


# -- the mark in the file and the bank's view ------------------------------------------------------


def test_unmarked_audio_is_synthetic_and_a_written_voice_reads_back(bank_root):
    bank = load_bank(bank_root)
    testlet = bank.testlets["L-A1-T001"]
    before = bank.voice(testlet)
    assert before.kind == "synthetic" and before.synthetic and not before.marked
    assert bank.voice(bank.testlets["R-B1-T001"]) is None  # a text stimulus has no voice
    written = _human(bank_root)
    voice = load_bank(bank_root).voice(testlet)
    assert voice.human and voice.marked and voice.problems == ()
    assert voice.speakers == (Speaker("A", "Els (pseudoniem)", "Vlaanderen"),)
    assert voice.recorded_at == WHEN and voice.script_sha256 == written.script_sha256
    assert read_voice(bank_root / f"{LISTENING}.ogg") == voice
    # The file is still playable Ogg/Opus, and its bytes (so the item's content hash) changed.
    assert load_bank(bank_root).items["L-A1-T001-1"].content_hash != \
        bank.items["L-A1-T001-1"].content_hash
    # The practice set's audio has a voice too.
    assert "practice/PL-A1-0001.ogg" in bank.voices


def test_the_recording_hash_follows_the_spoken_words_not_the_engine_settings():
    script = [{"speaker": "A", "voice": "nl+f2", "speed": 120, "text": "De bus  komt."}]
    same = [{"speaker": "A", "voice": "nl+m3", "speed": 160, "pitch": 40, "text": "De bus komt."}]
    assert recording_script_sha256(script) == recording_script_sha256(same)
    assert recording_script_sha256(script) != recording_script_sha256(
        [{"speaker": "B", "text": "De bus komt."}])
    assert recording_script_sha256(script) != recording_script_sha256(
        [{"speaker": "A", "text": "De tram komt."}])


@pytest.mark.parametrize("changes, message", [
    ({"speakers": ()}, "TB_SPEAKERS must be a non-empty list"),
    ({"recorded_at": "gisteren"}, "TB_RECORDED_AT is not an ISO 8601 time"),
    ({"recorded_at": "2026-12-04T10:00:00"}, "needs a time zone"),
    ({"script_sha256": "abc"}, "needs TB_SCRIPT_SHA256"),
    ({"speakers": (Speaker("B", "Jan", "Vlaanderen"),)}, "the script has A"),
    ({"script_sha256": "0" * 64}, "the script changed after this human recording"),
])
def test_the_check_refuses_an_incomplete_or_stale_human_recording(bank_root, changes, message):
    _human(bank_root, **changes)
    report = check_bank(bank_root)
    assert any(message in p.message and p.file == f"{LISTENING}.yaml"
               for p in report.problems), report.problems
    # ... and a file with incomplete tags never counts as human.
    bank = load_bank(bank_root, strict=False)
    if "script" not in message:
        assert bank.voice(bank.testlets["L-A1-T001"]).human is False


def test_editing_the_script_after_the_recording_is_caught(bank_root):
    _human(bank_root)
    assert check_bank(bank_root).ok
    path = bank_root / f"{LISTENING}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("tien uur", "elf uur"),
                    encoding="utf-8")
    problems = check_bank(bank_root).problems
    assert [p.message for p in problems if "script changed" in p.message]


def test_an_unknown_voice_kind_is_refused(bank_root):
    from mutagen.oggopus import OggOpus

    audio = OggOpus(bank_root / f"{LISTENING}.ogg")
    audio.tags["TB_VOICE"] = ["robot"]
    audio.save()
    assert any("TB_VOICE must be synthetic or human" in p.message
               for p in check_bank(bank_root).problems)


# -- share per form, high stakes, waivers -------------------------------------------------------------


def test_the_share_of_synthetic_audio_per_form(bank_root, capsys):
    bank = load_bank(bank_root)
    report = form_voices(bank, bank.tests["lezen-luisteren"])
    assert report.total == 8 and len(report.synthetic) == 8 and report.synthetic_share == 1.0
    # A form without listening has no audio.
    assert form_voices(bank, bank.tests["lezen-schrijven"]).total == 0
    _human(bank_root)
    _human(bank_root, "items/listening/a1/L-A1-T002")
    bank = load_bank(bank_root)
    report = form_voices(bank, bank.tests["lezen-luisteren"])
    assert report.human == ("L-A1-T001", "L-A1-T002") and report.synthetic_share == 0.75
    assert items_cli(["check", str(bank_root)]) == 0
    out = capsys.readouterr().out
    assert "audio lezen-luisteren: 8 stimuli, 6 synthetic (75 %), 2 human" in out
    assert items_cli(["stats", str(bank_root)]) == 0
    out = capsys.readouterr().out
    assert "audio voices: 7 synthetic, 2 human (9 files, practice included)" in out
    assert "audio lezen-luisteren: 8 stimuli, 6 synthetic (75 %), 2 human" in out


def test_a_high_stakes_form_refuses_synthetic_audio_without_a_waiver(bank_root):
    assert check_bank(bank_root).ok
    _high_stakes(bank_root)
    problems = check_bank(bank_root).problems
    refused = sorted(p.file for p in problems if "synthetic speech in the high-stakes form "
                     "lezen-luisteren" in p.message)
    assert len(refused) == 8 and refused[0] == "items/listening/a1/L-A1-T001.yaml"
    # Another form with the same audio but not high stakes is not refused by it.
    assert all("lezen-schrijven" not in p.message for p in problems)


def test_waivers_with_a_reason_are_accepted_and_a_recording_makes_one_unneeded(bank_root):
    _high_stakes(bank_root)
    units = [f"L-{lv}-T{i:03d}" for i, lv in enumerate(["A1", "A1", "A2", "A2", "B1", "B1",
                                                          "B2", "B2"], 1)]
    _waive(bank_root, [_waiver(u) for u in units[1:]])
    problems = check_bank(bank_root).problems
    assert [p.file for p in problems] == [f"{LISTENING}.yaml"]  # the one left unwaived
    _human(bank_root)  # recorded: no waiver needed
    report = check_bank(bank_root)
    assert report.ok, report.problems
    _waive(bank_root, [_waiver(u) for u in units] + [_waiver("R-A2-0101")])
    bank = load_bank(bank_root)
    waivers, probs = load_waivers(bank_root, "lezen-luisteren")
    assert probs == [] and waivers[0].reviewer == "R. Reviewer"
    voices = form_voices(bank, bank.tests["lezen-luisteren"], waivers)
    assert voices.unneeded_waivers == ("L-A1-T001",) and voices.stray_waivers == ("R-A2-0101",)
    assert len(voices.waived) == 7
    assert check_bank(bank_root).ok
    assert "1 waiver(s) no longer needed" in voices.line()


@pytest.mark.parametrize("changes, message", [
    ({"reason": ""}, "synthetic_audio[0].reason"),
    ({"reason": None}, "synthetic_audio[0].reason"),
    ({"reviewer": None}, "synthetic_audio[0].reviewer"),
    ({"date": "morgen"}, "synthetic_audio[0].date"),
])
def test_a_waiver_without_reason_reviewer_or_date_is_refused(bank_root, changes, message):
    _high_stakes(bank_root)
    entry = {k: v for k, v in _waiver("L-A1-T001", **changes).items() if v is not None}
    _waive(bank_root, [entry])
    problems = check_bank(bank_root).problems
    assert any(p.file == "waivers/lezen-luisteren.yaml" and p.field == message
               for p in problems), problems
    # The refused waiver does not waive: the stimulus is refused too.
    assert any(p.file == f"{LISTENING}.yaml" and "synthetic speech" in p.message
               for p in problems)


def test_a_unit_waived_twice_and_a_wrong_test_are_refused(bank_root):
    _waive(bank_root, [_waiver("L-A1-T001"), _waiver("L-A1-T001")])
    text = (bank_root / "waivers" / "lezen-luisteren.yaml").read_text(encoding="utf-8")
    (bank_root / "waivers" / "lezen-luisteren.yaml").write_text(
        text.replace("test: lezen-luisteren", "test: attest-9"), encoding="utf-8")
    messages = [p.message for p in check_bank(bank_root).problems]
    assert "L-A1-T001 is waived twice" in messages
    assert "must be 'lezen-luisteren' (the file name)" in messages


def test_high_stakes_must_be_true_or_false(bank_root):
    path = bank_root / "tests" / "lezen-luisteren.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["high_stakes"] = "ja graag"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert any(p.field == "high_stakes" for p in check_bank(bank_root).problems)
    assert load_bank(bank_root, strict=False).tests.get("lezen-luisteren") is None


def test_the_real_bank_marks_attest_4_high_stakes_with_a_waiver_per_synthetic_stimulus():
    root = Path(__file__).resolve().parents[2] / "itembank"
    bank = load_bank(root)
    assert bank.tests["attest-4"].high_stakes
    waivers, problems = load_waivers(root, "attest-4")
    assert problems == []
    report = form_voices(bank, bank.tests["attest-4"], waivers)
    assert report.total > 0 and set(report.synthetic) <= set(report.waived)
    assert all(w.reason and w.reviewer for w in waivers)


def test_waive_synthetic_writes_waivers_a_reviewer_decided(bank_root, capsys):
    _high_stakes(bank_root)
    _waive(bank_root, [_waiver("L-A1-T002")])
    assert items_cli(["waive-synthetic", str(bank_root), "lezen-luisteren", "--reviewer",
                      "R. Reviewer", "--reason", "nog geen menselijke opname", "--units",
                      "L-A1-T001"]) == 0
    waivers, problems = load_waivers(bank_root, "lezen-luisteren")
    assert problems == [] and [w.unit for w in waivers] == ["L-A1-T002", "L-A1-T001"]
    assert waivers[1].reviewer == "R. Reviewer" and waivers[1].date == dt.date.today()
    # Already waived, unknown or a reason missing: refused, nothing written.
    for extra in (["--units", "L-A1-T001"], ["--units", "R-A2-0101"]):
        assert items_cli(["waive-synthetic", str(bank_root), "lezen-luisteren", "--reviewer",
                          "R", "--reason", "x", *extra]) == 1
    assert items_cli(["waive-synthetic", str(bank_root), "lezen-luisteren", "--reviewer",
                      "R", "--reason", " "]) == 1
    assert items_cli(["waive-synthetic", str(bank_root), "lezen-luisteren", "--reviewer",
                      "R. Reviewer", "--reason", "nog geen menselijke opname"]) == 0
    assert "waived 6 synthetic stimuli" in capsys.readouterr().out
    assert check_bank(bank_root).ok

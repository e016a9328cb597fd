"""make_audio.py and human recordings: it never overwrites one (unless --replace-human), and
--check compares the recording's own script hash (speakers and words), not engine settings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml
from bankfixture import write_bank

from toetsbatterij.items.voice import Speaker, Voice, recording_script_sha256, write_voice

MAKE_AUDIO = Path(__file__).resolve().parents[2] / "itembank" / "tools" / "make_audio.py"
REL = "items/listening/a1/L-A1-T001"


def _run(*args):
    return subprocess.run([sys.executable, str(MAKE_AUDIO), *map(str, args)],
                          capture_output=True, text=True)


def _recorded(tmp_path):
    root = write_bank(tmp_path / "bank")
    yaml_path = root / f"{REL}.yaml"
    doc = yaml.safe_load(yaml_path.read_text(encoding="utf-8"))
    write_voice(root / f"{REL}.ogg", Voice(
        kind="human", speakers=(Speaker("A", "Els", "Vlaanderen"),),
        recorded_at="2026-12-04T10:00:00+00:00", marked=True,
        script_sha256=recording_script_sha256(doc["stimulus"]["script"])))
    return yaml_path, doc


def _write(path, doc):
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_a_human_recording_is_kept_and_checked_by_its_own_hash(tmp_path):
    yaml_path, doc = _recorded(tmp_path)
    result = _run("--check", yaml_path)
    assert result.returncode == 0, result.stdout + result.stderr
    doc["stimulus"]["script"][0]["speed"] = 200  # an engine setting: not what a person read
    _write(yaml_path, doc)
    assert _run("--check", yaml_path).returncode == 0
    result = _run("--dry-run", "--force", yaml_path)
    assert "kept human recording" in result.stdout and "would build" not in result.stdout
    assert "would build" in _run("--dry-run", "--force", "--replace-human", yaml_path).stdout
    doc["stimulus"]["script"][0]["text"] += " Tot morgen."
    _write(yaml_path, doc)
    result = _run("--check", yaml_path)
    assert result.returncode == 1 and "(human recording)" in result.stdout

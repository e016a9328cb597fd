"""Listening audio of the item bank: committed audio matches its script, is mono Ogg/Opus of a
plausible length, and the scripts are written out for the speech engine.

None of these tests needs espeak-ng, sox or opusenc: they read the committed ``.ogg`` files
with mutagen and run ``itembank/tools/make_audio.py --check`` (which builds nothing).

The bank checks cover the YAML files that git tracks under ``itembank/`` (the whole item bank
in a CI checkout), so that an item another writer has not yet committed, and whose audio is
not generated yet, does not fail the suite. Outside a git checkout they cover every YAML file.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from mutagen.oggopus import OggOpus, OggOpusHeaderError

REPO = Path(__file__).resolve().parents[2]
ITEMBANK = REPO / "itembank"
MAKE_AUDIO = ITEMBANK / "tools" / "make_audio.py"

# Plausible length of the audio for its script (make_audio adds 0.4 s at both ends and 0.7 s
# between turns): overall seconds per word, and the speech alone against the nominal speed.
SECONDS_PER_WORD = (0.15, 1.2)
SPEECH_VS_NOMINAL = (0.5, 2.0)
DURATION_SECONDS = (1.0, 180.0)


def _load_make_audio():
    spec = importlib.util.spec_from_file_location("make_audio", MAKE_AUDIO)
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_audio"] = module  # dataclasses look the module up while it loads
    spec.loader.exec_module(module)
    return module


make_audio = _load_make_audio()


def bank_yaml_files() -> list[Path]:
    """The item bank's YAML files that git tracks (all of them outside a git checkout)."""
    try:
        listed = subprocess.run(
            ["git", "-C", str(REPO), "ls-files", "-z", "--", "itembank"],
            capture_output=True,
            check=True,
        ).stdout.decode("utf-8")
    except (OSError, subprocess.CalledProcessError):
        return make_audio.collect_yaml([ITEMBANK])
    files = (REPO / name for name in listed.split("\0") if name.endswith((".yaml", ".yml")))
    return sorted(path for path in files if path.is_file())


BANK_FILES = bank_yaml_files()
JOBS = [job for path in BANK_FILES for job in make_audio.jobs_for_file(path)]


def run_check(*paths: Path) -> subprocess.CompletedProcess[str]:
    """``make_audio.py --check`` with the interpreter running the tests (the venv's python)."""
    return subprocess.run(
        [sys.executable, str(MAKE_AUDIO), "--check", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def word_count(job) -> int:
    return sum(len(turn.text.split()) for turn in job.turns)


def audio_problems(job) -> list[str]:
    """What is wrong with the audio file of one stimulus (empty list: nothing)."""
    try:
        audio = OggOpus(job.audio_path)
    except (OggOpusHeaderError, OSError) as exc:  # OggOpusHeaderError covers non-Ogg files too
        return [f"not a readable Ogg Opus file: {exc}"]
    problems = []
    info = audio.info
    if info.channels != 1:
        problems.append(f"{info.channels} channels, expected mono")
    low, high = DURATION_SECONDS
    if not low <= info.length <= high:
        problems.append(f"duration {info.length:.1f} s outside {low:g}-{high:g} s")
    words = word_count(job)
    per_word = info.length / words
    low, high = SECONDS_PER_WORD
    if not low <= per_word <= high:
        problems.append(
            f"{per_word:.2f} s per word ({info.length:.1f} s, {words} words) "
            f"outside {low:g}-{high:g}"
        )
    silence = 2 * make_audio.EDGE_SECONDS + make_audio.PAUSE_SECONDS * (len(job.turns) - 1)
    nominal = sum(len(turn.text.split()) * 60 / turn.speed for turn in job.turns)
    ratio = (info.length - silence) / nominal
    low, high = SPEECH_VS_NOMINAL
    if not low <= ratio <= high:
        problems.append(
            f"speech lasts {ratio:.2f} times what {words} words at the script's speed take, "
            f"outside {low:g}-{high:g}"
        )
    return problems


# A word with two or more capitals (OCMW, VDAB, KdG) or a lone capital letter (maat M), except
# the Dutch one-letter words U (pronoun) and O (interjection).
_ABBREVIATION = re.compile(r"\b(?:\w*[A-Z]\w*[A-Z]\w*|(?![UO]\b)[A-Z])\b")
_DIGIT = re.compile(r"\d")
# Symbols the speech engine reads oddly or not at all; written out in the script instead.
_SYMBOL = re.compile(r"[€$£%&@#+=/§]")


def script_problems(text: str) -> list[str]:
    """What the speech engine would mispronounce in one spoken turn."""
    problems = [f"digit {m.group()!r}" for m in _DIGIT.finditer(text)]
    problems += [f"abbreviation {m.group()!r}" for m in _ABBREVIATION.finditer(text)]
    problems += [f"symbol {m.group()!r}" for m in _SYMBOL.finditer(text)]
    return problems


def _job_id(job) -> str:
    return str(job.audio_path.relative_to(ITEMBANK))


# --- (a) committed audio matches its script -----------------------------------------------


def test_bank_has_audio_stimuli():
    assert len(JOBS) >= 50, "expected the listening items and practice sets to have audio"


def test_make_audio_check_passes_on_the_bank():
    result = run_check(*BANK_FILES)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(JOBS)} audio stimuli checked, 0 missing or stale, 0 invalid" in result.stdout


@pytest.fixture
def stimulus_copy(tmp_path):
    """A copy of one real listening item and its audio in tmp_path, as a YAML document."""
    job = next(j for j in JOBS if "/listening/" in j.yaml_path.as_posix())
    doc = yaml.safe_load(job.yaml_path.read_text(encoding="utf-8"))
    target = tmp_path / job.yaml_path.name
    shutil.copy(job.audio_path, tmp_path / job.audio_path.name)

    def write(d):
        target.write_text(yaml.safe_dump(d, allow_unicode=True, sort_keys=False), "utf-8")
        return target

    return doc, write, tmp_path / job.audio_path.name


def test_make_audio_check_accepts_an_unchanged_copy(stimulus_copy):
    doc, write, _ = stimulus_copy
    result = run_check(write(doc))
    assert result.returncode == 0, result.stdout + result.stderr


def test_make_audio_check_fails_on_an_edited_script(stimulus_copy):
    doc, write, audio = stimulus_copy
    doc["stimulus"]["script"][0]["text"] += " Tot morgen."
    result = run_check(write(doc))
    assert result.returncode == 1
    assert f"stale    {audio}" in result.stdout


def test_make_audio_check_fails_on_a_changed_speed(stimulus_copy):
    doc, write, _ = stimulus_copy
    doc["stimulus"]["script"][0]["speed"] = 200
    assert run_check(write(doc)).returncode == 1


def test_make_audio_check_fails_on_missing_audio(stimulus_copy):
    doc, write, audio = stimulus_copy
    audio.unlink()
    result = run_check(write(doc))
    assert result.returncode == 1
    assert f"missing  {audio}" in result.stdout


# --- (b) the audio files: mono Ogg/Opus, plausible length ----------------------------------


@pytest.mark.parametrize("job", JOBS, ids=_job_id)
def test_audio_is_mono_opus_of_plausible_length(job):
    assert job.audio_path.is_file(), f"{job.audio_path} missing"
    assert audio_problems(job) == []


def test_audio_check_rejects_a_file_that_is_not_opus(tmp_path):
    job = JOBS[0]
    fake = tmp_path / job.audio_path.name
    fake.write_bytes(job.yaml_path.read_bytes())
    problems = audio_problems(make_audio.AudioJob(job.yaml_path, fake, job.level, job.turns))
    assert len(problems) == 1 and problems[0].startswith("not a readable Ogg Opus file")


def test_audio_check_rejects_audio_too_short_for_its_script():
    job = min(JOBS, key=lambda j: OggOpus(j.audio_path).info.length)
    long_script = tuple(
        make_audio.Turn(t.speaker, t.voice, t.speed, " ".join([t.text] * 10)) for t in job.turns
    )
    problems = audio_problems(
        make_audio.AudioJob(job.yaml_path, job.audio_path, job.level, long_script)
    )
    assert any("s per word" in p for p in problems)
    assert any("times what" in p for p in problems)


def test_audio_check_rejects_audio_too_long_for_its_script():
    job = max(JOBS, key=lambda j: OggOpus(j.audio_path).info.length)
    one_word = (make_audio.Turn("A", "nl", 140, "Goeiedag."),)
    problems = audio_problems(
        make_audio.AudioJob(job.yaml_path, job.audio_path, job.level, one_word)
    )
    assert any("s per word" in p for p in problems)


# --- (c) scripts written out for the speech engine ------------------------------------------


@pytest.mark.parametrize("job", JOBS, ids=_job_id)
def test_script_has_no_digits_abbreviations_or_symbols(job):
    problems = {
        f"turn {n} ({turn.speaker}): {problem}"
        for n, turn in enumerate(job.turns, 1)
        for problem in script_problems(turn.text)
    }
    assert not problems, sorted(problems)


@pytest.mark.parametrize(
    "text",
    [
        "De trein vertrekt om 10.15 uur.",
        "Spoor 4.",
        "Met An van het OCMW.",
        "Breng uw CV mee.",
        "Een afspraak bij de VDAB-consulent.",
        "Hebt u deze trui in maat M?",
        "Wacht in wachtzaal B.",
        "Het kost € twee.",
        "Dertig % korting.",
    ],
)
def test_script_check_finds_what_the_engine_mispronounces(text):
    assert script_problems(text)


@pytest.mark.parametrize(
    "text",
    [
        "Met An van het oo see em wee.",
        "U kunt het ophalen aan loket drie.",
        "O, dat is jammer.",
        "Wacht in wachtzaal bee. De Lijn rijdt normaal.",
        "Om half drie, 's middags.",
        "Hebt u deze trui in maat em?",
    ],
)
def test_script_check_accepts_written_out_text(text):
    assert script_problems(text) == []

#!/usr/bin/env python3
"""Regenerate the listening audio of the item bank from the stimulus scripts.

Every YAML file in the item bank that contains an audio stimulus (``kind: audio``
with ``src`` and ``script``, see ``itembank/FORMAT.md``, "Stimuli") gets its
``src`` file rebuilt beside it: each spoken turn is synthesised with espeak-ng
(Dutch voice and speed per turn), the turns are joined with short pauses, and
the result is encoded to mono Ogg/Opus at 24 kbit/s.

External programs (needed ONLY to regenerate audio, not to run the app, which
just serves the committed .ogg files)::

    apt-get install -y espeak-ng sox opus-tools

Usage::

    python itembank/tools/make_audio.py                 # whole item bank
    python itembank/tools/make_audio.py itembank/items/listening/a1
    python itembank/tools/make_audio.py --force L-A1-T001.yaml
    python itembank/tools/make_audio.py --check         # stale/missing audio? exit 1

A file is skipped when its audio is up to date: the script hash recorded in the
audio matches the current script, or (audio without a recorded hash) the audio
is newer than the YAML file. ``--force`` rebuilds anyway; ``-j N`` builds N
files at a time. Output is deterministic: the same script and
the same tool versions give byte-identical files (no dither, fixed Ogg serial
derived from the file name). The SHA-256 of the script is written into the
Opus comments (``SCRIPT_SHA256``) so ``--check`` can find audio that no longer
matches its script, whatever the file times say.

A human recording (Opus comment ``TB_VOICE=human``, made in the recording studio,
``/beheer/studio``; see ``toetsbatterij/items/voice.py``) is never overwritten unless
``--replace-human`` is given; ``--check`` compares its ``TB_SCRIPT_SHA256`` (the hash of the
speakers and words it was recorded from) with the current script. Every file this tool writes
carries ``TB_VOICE=synthetic``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import wave
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import yaml

from toetsbatterij.items.voice import read_voice, recording_script_sha256

ITEMBANK = Path(__file__).resolve().parent.parent

# Words per minute when a turn has no `speed`: slower for beginners (A1/A2).
DEFAULT_SPEED = {"A1": 130, "A2": 140, "B1": 160, "B2": 170}
DEFAULT_VOICE = "nl"
PAUSE_SECONDS = 0.7  # between turns
EDGE_SECONDS = 0.4  # silence at the start and the end
BITRATE_KBPS = 24
SAMPLE_RATE = 22050  # espeak-ng's native rate; opusenc resamples to 48 kHz itself
REQUIRED_PROGRAMS = ("espeak-ng", "sox", "opusenc")


@dataclass(frozen=True)
class Turn:
    speaker: str
    voice: str
    speed: int
    text: str


@dataclass(frozen=True)
class AudioJob:
    yaml_path: Path
    audio_path: Path
    level: str | None
    turns: tuple[Turn, ...]

    @property
    def script_sha256(self) -> str:
        payload = json.dumps(
            [[t.speaker, t.voice, t.speed, t.text] for t in self.turns]
            + [[PAUSE_SECONDS, EDGE_SECONDS, BITRATE_KBPS]],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    @property
    def recording_sha256(self) -> str:
        """The hash a human recording of this script carries (speakers and words only)."""
        return recording_script_sha256([{"speaker": t.speaker, "text": t.text}
                                        for t in self.turns])


class ScriptError(ValueError):
    """A stimulus script that cannot be turned into audio."""


def _audio_stimuli(node, level=None):
    """Yield (stimulus mapping, level) for every audio stimulus anywhere in a YAML document."""
    if isinstance(node, dict):
        level = node.get("level", level)
        if node.get("kind") == "audio" and "script" in node:
            yield node, level
        for value in node.values():
            yield from _audio_stimuli(value, level)
    elif isinstance(node, list):
        for value in node:
            yield from _audio_stimuli(value, level)


def jobs_for_file(path: Path) -> list[AudioJob]:
    """Read one YAML file and return the audio it should produce (maybe none)."""
    with path.open(encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    jobs = []
    for stim, level in _audio_stimuli(doc):
        src = stim.get("src")
        if not src or Path(src).name != src or not src.endswith(".ogg"):
            raise ScriptError(f"{path}: audio stimulus needs `src: <name>.ogg` beside the file")
        script = stim["script"]
        if not isinstance(script, list) or not script:
            raise ScriptError(f"{path}: `script` must be a non-empty list of turns")
        turns = []
        for n, turn in enumerate(script, 1):
            if not isinstance(turn, dict) or not str(turn.get("text", "")).strip():
                raise ScriptError(f"{path}: script turn {n} has no `text`")
            speed = int(turn.get("speed") or DEFAULT_SPEED.get(str(level), 150))
            if not 80 <= speed <= 260:
                raise ScriptError(f"{path}: script turn {n}: speed {speed} outside 80-260 wpm")
            turns.append(
                Turn(
                    speaker=str(turn.get("speaker", "")),
                    voice=str(turn.get("voice") or DEFAULT_VOICE),
                    speed=speed,
                    text=" ".join(str(turn["text"]).split()),
                )
            )
        jobs.append(AudioJob(path, path.parent / src, level, tuple(turns)))
    return jobs


def collect_yaml(paths: list[Path]) -> list[Path]:
    files: set[Path] = set()
    for p in paths:
        if p.is_dir():
            files.update(q for q in p.rglob("*.yaml") if q.is_file())
        elif p.suffix in (".yaml", ".yml") and p.is_file():
            files.add(p)
        else:
            raise SystemExit(f"make_audio: not a YAML file or directory: {p}")
    return sorted(files)


def _run(cmd: list[str], stdin: bytes | None = None) -> None:
    program = shutil.which(cmd[0])
    if program is None:
        raise RuntimeError(f"{cmd[0]} not found (apt-get install -y espeak-ng sox opus-tools)")
    # A fixed argument list without a shell; the script text only ever goes in on stdin.
    result = subprocess.run([program, *cmd[1:]], input=stdin, capture_output=True)  # noqa: S603
    if result.returncode != 0:
        raise RuntimeError(
            f"{cmd[0]} failed ({result.returncode}): {result.stderr.decode(errors='replace')}"
        )


def _serial(audio_path: Path) -> int:
    # A fixed Ogg stream serial keeps the output byte-identical between runs.
    return int.from_bytes(hashlib.sha256(audio_path.name.encode()).digest()[:4], "big") & 0x7FFFFFFF


def render(job: AudioJob) -> float:
    """Synthesise, join and encode one audio file; return its duration in seconds."""
    with tempfile.TemporaryDirectory(prefix="make_audio_") as tmp:
        tmpdir = Path(tmp)
        parts = []
        silence = tmpdir / "pause.wav"
        edge = tmpdir / "edge.wav"
        for wav, seconds in ((silence, PAUSE_SECONDS), (edge, EDGE_SECONDS)):
            _run(
                [
                    "sox",
                    "-R",
                    "-D",
                    "-n",
                    "-r",
                    str(SAMPLE_RATE),
                    "-c",
                    "1",
                    "-b",
                    "16",
                    str(wav),
                    "trim",
                    "0",
                    f"{seconds}",
                ]
            )
        parts.append(edge)
        for n, turn in enumerate(job.turns):
            raw = tmpdir / f"turn{n:03d}.wav"
            # Text goes in on stdin so that a leading "-" is never read as an option.
            _run(
                ["espeak-ng", "-v", turn.voice, "-s", str(turn.speed), "-w", str(raw), "--stdin"],
                stdin=turn.text.encode("utf-8"),
            )
            norm = tmpdir / f"turn{n:03d}n.wav"
            # Same format for every turn; trim espeak's own leading/trailing silence.
            _run(
                [
                    "sox",
                    "-R",
                    "-D",
                    str(raw),
                    "-r",
                    str(SAMPLE_RATE),
                    "-c",
                    "1",
                    "-b",
                    "16",
                    str(norm),
                    "silence",
                    "1",
                    "0.02",
                    "0.1%",
                    "reverse",
                    "silence",
                    "1",
                    "0.02",
                    "0.1%",
                    "reverse",
                ]
            )
            if n:
                parts.append(silence)
            parts.append(norm)
        parts.append(edge)
        joined = tmpdir / "joined.wav"
        _run(["sox", "-R", "-D", *map(str, parts), str(joined), "norm", "-1"])
        with wave.open(str(joined), "rb") as wav:
            duration = wav.getnframes() / wav.getframerate()
        out = tmpdir / "out.ogg"
        _run(
            [
                "opusenc",
                "--quiet",
                "--bitrate",
                str(BITRATE_KBPS),
                "--speech",
                "--downmix-mono",
                "--serial",
                str(_serial(job.audio_path)),
                "--padding",
                "0",
                "--title",
                job.audio_path.stem,
                "--comment",
                f"SCRIPT_SHA256={job.script_sha256}",
                "--comment",
                "TB_VOICE=synthetic",
                str(joined),
                str(out),
            ]
        )
        shutil.move(str(out), job.audio_path)
    return duration


def recorded_sha(audio_path: Path) -> str | None:
    try:
        from mutagen.oggopus import OggOpus
    except ImportError:  # pragma: no cover - mutagen is a project dependency
        return None
    try:
        tags = OggOpus(audio_path).tags or {}
    except Exception:
        return None
    values = tags.get("SCRIPT_SHA256") or tags.get("script_sha256")
    return values[0] if values else None


def is_human(audio_path: Path) -> bool:
    """A recording made by people (the studio), which this tool must not overwrite."""
    return audio_path.exists() and read_voice(audio_path).kind == "human"


def is_stale(job: AudioJob) -> bool:
    """Audio that does not match the current script: a synthetic file by make_audio's own hash,
    a human recording by the hash of the speakers and words it was recorded from."""
    if is_human(job.audio_path):
        return read_voice(job.audio_path).script_sha256 != job.recording_sha256
    return recorded_sha(job.audio_path) != job.script_sha256


def is_up_to_date(job: AudioJob) -> bool:
    """Audio that still carries the hash of the current script is up to date, whatever the
    file times say (a git checkout scrambles them). Audio without a recorded hash (made by
    other means) counts as up to date when it is newer than its YAML file."""
    if not job.audio_path.exists():
        return False
    recorded = recorded_sha(job.audio_path)
    if recorded is not None:
        return recorded == job.script_sha256
    return job.audio_path.stat().st_mtime >= job.yaml_path.stat().st_mtime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="make_audio.py",
        description="Regenerate the Ogg/Opus audio of listening stimuli from their `script` "
        "(espeak-ng Dutch voices, one voice and speed per turn, short pauses between turns). "
        "Needs espeak-ng, sox and opusenc (apt-get install espeak-ng sox opus-tools).",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help=f"YAML files or directories (default: the whole item bank, {ITEMBANK})",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="rebuild even when the audio is up to date (recorded script hash unchanged, "
        "or, without a recorded hash, audio newer than its YAML file)",
    )
    parser.add_argument("--dry-run", action="store_true", help="only list what would be rebuilt")
    parser.add_argument(
        "--replace-human",
        action="store_true",
        help="also overwrite human recordings (TB_VOICE=human) with synthetic speech",
    )
    parser.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=1,
        help="build this many files at the same time (default 1)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="rebuild nothing; exit 1 if audio is missing or does not match its script",
    )
    args = parser.parse_args(argv)

    files = collect_yaml(args.paths or [ITEMBANK])
    jobs: list[AudioJob] = []
    errors = 0
    for f in files:
        try:
            jobs.extend(jobs_for_file(f))
        except (ScriptError, yaml.YAMLError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            errors += 1

    if args.check:
        stale = 0
        for job in jobs:
            if not job.audio_path.exists():
                print(f"missing  {job.audio_path}")
                stale += 1
            elif is_stale(job):
                kind = "human recording" if is_human(job.audio_path) else "synthetic"
                print(f"stale    {job.audio_path} ({kind})")
                stale += 1
        print(f"{len(jobs)} audio stimuli checked, {stale} missing or stale, {errors} invalid")
        return 1 if stale or errors else 0

    missing = [p for p in REQUIRED_PROGRAMS if shutil.which(p) is None]
    if missing and not args.dry_run:
        print(
            f"make_audio: missing programs: {', '.join(missing)} "
            "(apt-get install -y espeak-ng sox opus-tools)",
            file=sys.stderr,
        )
        return 2

    todo = [job for job in jobs if args.force or not is_up_to_date(job)]
    if not args.replace_human:
        human = [job for job in todo if is_human(job.audio_path)]
        for job in human:
            print(f"kept human recording {job.audio_path} (--replace-human to overwrite)")
        todo = [job for job in todo if job not in human]
    skipped = len(jobs) - len(todo)
    if args.dry_run:
        for job in todo:
            print(f"would build {job.audio_path}")
        print(f"{len(todo)} to build, {skipped} up to date, {errors} invalid")
        return 1 if errors else 0

    built = 0
    total = 0.0
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        # Each job runs its own external programs, so threads are enough; results are
        # reported in input order whatever the finishing order.
        futures = [(job, pool.submit(render, job)) for job in todo]
        for job, future in futures:
            try:
                seconds = future.result()
            except RuntimeError as exc:
                print(f"error: {job.yaml_path}: {exc}", file=sys.stderr)
                errors += 1
                continue
            total += seconds
            built += 1
            size_kb = job.audio_path.stat().st_size / 1024
            print(f"built {job.audio_path}  {seconds:5.1f} s  {size_kb:5.1f} kB")
    print(f"{built} built ({total / 60:.1f} min), {skipped} up to date, {errors} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

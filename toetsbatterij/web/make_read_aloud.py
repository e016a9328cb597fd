"""Regenerate the read-aloud clips of the candidate screens and their manifest.

For every text of ``toetsbatterij.web.read_aloud.TEXTS`` and every instruction language with an
espeak-ng voice, the catalog text (see ``read_aloud.spoken_text``) is spoken by espeak-ng, its
lines joined with short pauses, and encoded as mono Ogg/Opus at 16 kbit/s into
``static/read-aloud/<language>/<text id>.ogg``; ``manifest.json`` beside the files records per
clip the language, text id, SHA-256 of the spoken text, voice, ``synthetic: true``. It also makes
the short sound of the sound check (``static/read-aloud/sound-check.ogg``, three tones).

A human recording replaces a synthetic clip: put it at ``<language>/<text id>.human.ogg``
(Ogg/Opus, mono), listen to it against the current text, then run ``--adopt-human``: the manifest
then uses it (``synthetic: false``) for as long as the text is unchanged. When the catalog text
changes later, the recording is stale: the tool falls back to a new synthetic clip (or to no
clip where there is no voice) and says so.

External programs (only to regenerate; the app just serves the committed files)::

    apt-get install -y espeak-ng sox opus-tools

Usage::

    python -m toetsbatterij.web.make_read_aloud            # build what is missing or stale
    python -m toetsbatterij.web.make_read_aloud --check    # exit 1 when anything is stale
    python -m toetsbatterij.web.make_read_aloud --force    # rebuild every synthetic clip
    python -m toetsbatterij.web.make_read_aloud --adopt-human   # take the *.human.ogg files

Deterministic: the same text and tool versions give byte-identical files (fixed Ogg serial).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from toetsbatterij.i18n import LANGUAGES
from toetsbatterij.web.read_aloud import (
    FOLDER,
    HUMAN_SUFFIX,
    MANIFEST,
    SPEED_WPM,
    TEXTS,
    VOICES,
    load_manifest,
    spoken_text,
    text_sha256,
)

BITRATE_KBPS = 16
SAMPLE_RATE = 22050
PAUSE_SECONDS = 0.6
EDGE_SECONDS = 0.3
SOUND_CHECK = FOLDER / "sound-check.ogg"
TONES = ((523.25, 0.35), (659.25, 0.35), (783.99, 0.6))  # C5 E5 G5: a calm rising chime
REQUIRED_PROGRAMS = ("espeak-ng", "sox", "opusenc")


def _run(cmd: list[str], stdin: bytes | None = None) -> None:
    program = shutil.which(cmd[0])
    if program is None:
        raise RuntimeError(f"{cmd[0]} not found (apt-get install -y espeak-ng sox opus-tools)")
    # A fixed argument list without a shell; the text only ever goes in on stdin.
    result = subprocess.run([program, *cmd[1:]], input=stdin, capture_output=True)  # noqa: S603
    if result.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({result.returncode}): "
                           f"{result.stderr.decode(errors='replace')}")


def _sox_format() -> list[str]:
    return ["-r", str(SAMPLE_RATE), "-c", "1", "-b", "16"]


def _silence(path: Path, seconds: float) -> None:
    _run(["sox", "-R", "-D", "-n", *_sox_format(), str(path), "trim", "0", f"{seconds}"])


def _encode(wav: Path, out: Path, title: str, comment: str) -> None:
    serial = int.from_bytes(hashlib.sha256(title.encode()).digest()[:4], "big") & 0x7FFFFFFF
    tmp = out.with_suffix(".tmp")
    _run(["opusenc", "--quiet", "--bitrate", str(BITRATE_KBPS), "--speech", "--downmix-mono",
          "--serial", str(serial), "--padding", "0", "--title", title, "--comment", comment,
          str(wav), str(tmp)])
    tmp.replace(out)


def render_clip(language: str, text_id: str, out: Path) -> None:
    """Speak the catalog text of ``text_id`` in ``language`` into ``out`` (Ogg/Opus)."""
    voice = VOICES[language]
    assert voice is not None
    lines = [line for line in spoken_text(language, text_id).split("\n") if line.strip()]
    with tempfile.TemporaryDirectory(prefix="read_aloud_") as tmp:
        d = Path(tmp)
        pause, edge = d / "pause.wav", d / "edge.wav"
        _silence(pause, PAUSE_SECONDS)
        _silence(edge, EDGE_SECONDS)
        parts = [edge]
        for n, line in enumerate(lines):
            raw, norm = d / f"l{n:02d}.wav", d / f"l{n:02d}n.wav"
            _run(["espeak-ng", "-v", voice, "-s", str(SPEED_WPM), "-w", str(raw), "--stdin"],
                 stdin=line.encode("utf-8"))
            _run(["sox", "-R", "-D", str(raw), *_sox_format(), str(norm),
                  "silence", "1", "0.02", "0.1%", "reverse", "silence", "1", "0.02", "0.1%",
                  "reverse"])
            if n:
                parts.append(pause)
            parts.append(norm)
        parts.append(edge)
        joined = d / "joined.wav"
        _run(["sox", "-R", "-D", *map(str, parts), str(joined), "norm", "-1"])
        out.parent.mkdir(parents=True, exist_ok=True)
        _encode(joined, out, f"{language}/{text_id}",
                f"TEXT_SHA256={text_sha256(language, text_id)}")


def render_sound_check(out: Path = SOUND_CHECK) -> None:
    with tempfile.TemporaryDirectory(prefix="read_aloud_") as tmp:
        d = Path(tmp)
        parts = []
        for n, (freq, seconds) in enumerate(TONES):
            tone = d / f"t{n}.wav"
            _run(["sox", "-R", "-D", "-n", *_sox_format(), str(tone), "synth", f"{seconds}",
                  "sine", f"{freq}", "fade", "q", "0.02", f"{seconds}", "0.12"])
            parts.append(tone)
        joined = d / "joined.wav"
        _run(["sox", "-R", "-D", *map(str, parts), str(joined), "gain", "-n", "-3"])
        _encode(joined, out, "sound-check", "SOUND=sound check chime")


def plan(manifest: dict[str, Any], *, force: bool = False, adopt_human: bool = False,
         ) -> tuple[list[dict[str, Any]], list[tuple[str, str]], list[str]]:
    """The new manifest's clips, the (language, text id) synthetic clips to (re)build, and
    notes for the person running the tool."""
    old = {(c["language"], c["text_id"]): c for c in manifest.get("clips", [])}
    clips: list[dict[str, Any]] = []
    build: list[tuple[str, str]] = []
    notes: list[str] = []
    for lang in LANGUAGES:
        for text_id in TEXTS:
            sha = text_sha256(lang, text_id)
            human = FOLDER / lang / f"{text_id}{HUMAN_SUFFIX}"
            before = old.get((lang, text_id))
            human_entry = {"language": lang, "text_id": text_id, "msgid_sha256": sha,
                           "synthetic": False, "voice": "human",
                           "file": f"{lang}/{text_id}{HUMAN_SUFFIX}"}
            if human.is_file():
                if before and not before["synthetic"] and before["msgid_sha256"] == sha:
                    clips.append(before)
                    continue
                if adopt_human:
                    clips.append(human_entry)
                    notes.append(f"adopted  {human_entry['file']}")
                    continue
                notes.append(f"human recording {human_entry['file']} is not (or no longer) "
                             "adopted: listen to it against the current text, then --adopt-human")
            voice = VOICES.get(lang)
            if voice is None:
                continue
            entry = {"language": lang, "text_id": text_id, "msgid_sha256": sha,
                     "synthetic": True, "voice": f"espeak-ng {voice} {SPEED_WPM} wpm",
                     "file": f"{lang}/{text_id}.ogg"}
            if (force or before != entry or not (FOLDER / entry["file"]).is_file()):
                build.append((lang, text_id))
            clips.append(entry)
    return clips, build, notes


def manifest_document(clips: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "about": "Read-aloud clips of the candidate screens; made by python -m "
                 "toetsbatterij.web.make_read_aloud (see toetsbatterij/web/read_aloud.py). "
                 "msgid_sha256 is the SHA-256 of the catalog text the clip speaks.",
        "human_recordings": "<language>/<text id>.human.ogg replaces <text id>.ogg once "
                            "adopted with --adopt-human (synthetic: false)",
        "sound_check": SOUND_CHECK.name,
        "no_voice": {lang: "espeak-ng has no voice for this language: no read-aloud button "
                           "until a human recording is adopted"
                     for lang, voice in VOICES.items() if voice is None},
        "clips": clips,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m toetsbatterij.web.make_read_aloud",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="build nothing; exit 1 when a clip is missing or stale")
    parser.add_argument("--force", action="store_true", help="rebuild every synthetic clip")
    parser.add_argument("--adopt-human", action="store_true",
                        help="use the <language>/<text id>.human.ogg recordings found")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    args = parser.parse_args(argv)

    manifest = load_manifest()
    clips, build, notes = plan(manifest, force=args.force, adopt_human=args.adopt_human)
    for note in notes:
        print(note)
    if args.check:
        stale = list(build)
        if not SOUND_CHECK.is_file():
            stale.append(("", "sound-check"))
        if manifest_document(clips) != manifest:
            print("manifest.json is not up to date")
        for lang, text_id in stale:
            print(f"stale or missing  {lang}/{text_id}")
        return 1 if stale or manifest_document(clips) != manifest else 0
    missing = [p for p in REQUIRED_PROGRAMS if shutil.which(p) is None]
    if missing and (build or not SOUND_CHECK.is_file()):
        print(f"missing programs: {', '.join(missing)} "
              "(apt-get install -y espeak-ng sox opus-tools)", file=sys.stderr)
        return 2
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(render_clip, lang, tid, FOLDER / lang / f"{tid}.ogg")
                   for lang, tid in build]
        for (lang, tid), future in zip(build, futures, strict=True):
            future.result()
            print(f"built {lang}/{tid}.ogg")
    if args.force or not SOUND_CHECK.is_file():
        render_sound_check()
        print(f"built {SOUND_CHECK.name}")
    used = {FOLDER / c["file"] for c in clips}
    for path in sorted(FOLDER.glob("*/*.ogg")):
        if path not in used and not path.name.endswith(HUMAN_SUFFIX):
            path.unlink()
            print(f"removed {path.relative_to(FOLDER)} (no longer used)")
    MANIFEST.write_text(json.dumps(manifest_document(clips), ensure_ascii=False, indent=1)
                        + "\n", encoding="utf-8")
    print(f"{len(clips)} clips in the manifest, {len(build)} built")
    return 0


if __name__ == "__main__":
    sys.exit(main())

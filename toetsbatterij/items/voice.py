"""Who speaks in a listening file: synthetic speech or a human recording, with its speakers.

The bank's audio is Ogg/Opus; what made it is written in the file's Opus comments, so the mark
travels with the file (``itembank/FORMAT.md``, "Voices"):

- ``TB_VOICE``: ``synthetic`` or ``human``. A file without it counts as synthetic: every file
  ``itembank/tools/make_audio.py`` wrote before the mark existed is espeak-ng speech, and a file
  only counts as a human recording when it says so.
- ``TB_SPEAKERS`` (human): JSON, a list of ``{"role", "name", "region"}``, one per speaker role of
  the script (``role`` is the script's ``speaker``; ``name`` a name or pseudonym; ``region``
  where the speaker's Dutch comes from, e.g. ``Vlaanderen``).
- ``TB_RECORDED_AT`` (human): the UTC time of the recording, ISO 8601.
- ``TB_SCRIPT_SHA256`` (human): :func:`recording_script_sha256` of the script that was read, so
  a script edited after the recording is caught (``make_audio.py`` writes ``SCRIPT_SHA256``,
  its own hash, for synthetic files).

:func:`read_voice` never raises on a file's tags: what is wrong is listed in ``Voice.problems``,
which the bank check reports (``toetsbatterij.items.voice_check``).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .model import sha256_of

SYNTHETIC = "synthetic"
HUMAN = "human"
VOICE_KINDS = (SYNTHETIC, HUMAN)

TAG_VOICE = "TB_VOICE"
TAG_SPEAKERS = "TB_SPEAKERS"
TAG_RECORDED_AT = "TB_RECORDED_AT"
TAG_SCRIPT = "TB_SCRIPT_SHA256"
TAG_SYNTHETIC_SCRIPT = "SCRIPT_SHA256"   # make_audio.py's hash of a synthetic file
MAX_NAME = 100


@dataclass(frozen=True)
class Speaker:
    role: str        # the script's ``speaker`` (A, B, ...)
    name: str        # name or pseudonym of the person who spoke the role
    region: str      # where the speaker's Dutch comes from (Vlaanderen, Brussel, ...)

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "name": self.name, "region": self.region}


@dataclass(frozen=True)
class Voice:
    """What made one audio file. ``marked`` is False for a file without ``TB_VOICE``."""

    kind: str = SYNTHETIC
    speakers: tuple[Speaker, ...] = ()
    recorded_at: str | None = None
    script_sha256: str | None = None
    marked: bool = False
    problems: tuple[str, ...] = ()

    @property
    def human(self) -> bool:
        return self.kind == HUMAN and not self.problems

    @property
    def synthetic(self) -> bool:
        return not self.human

    def tags(self) -> dict[str, str]:
        """The Opus comments that say this (for :func:`write_voice`)."""
        out = {TAG_VOICE: self.kind}
        if self.kind == HUMAN:
            out[TAG_SPEAKERS] = json.dumps([s.as_dict() for s in self.speakers],
                                           ensure_ascii=False, separators=(",", ":"))
            out[TAG_RECORDED_AT] = self.recorded_at or ""
            out[TAG_SCRIPT] = self.script_sha256 or ""
        return out


def script_roles(script: Iterable[Mapping[str, Any]]) -> list[str]:
    """The speaker roles of a script, in the order they first speak."""
    return list(dict.fromkeys(str(t.get("speaker", "")) for t in script))


def recording_script_sha256(script: Iterable[Mapping[str, Any]]) -> str:
    """The hash of what a human reads aloud: each turn's speaker and text (white space folded).
    Voice, speed and pitch are instructions to the speech engine and do not count."""
    return sha256_of([[str(t.get("speaker", "")), " ".join(str(t.get("text", "")).split())]
                      for t in script])


def _first(tags: Mapping[str, list[str]], name: str) -> str | None:
    for key in (name, name.lower()):
        values = tags.get(key)
        if values:
            return str(values[0])
    return None


def voice_from_tags(tags: Mapping[str, list[str]]) -> Voice:
    """The voice an Opus comment block describes (tag names in either case)."""
    kind = _first(tags, TAG_VOICE)
    if kind is None:
        return Voice(script_sha256=_first(tags, TAG_SYNTHETIC_SCRIPT))
    problems: list[str] = []
    if kind not in VOICE_KINDS:
        return Voice(kind=kind, marked=True,
                     problems=(f"{TAG_VOICE} must be {' or '.join(VOICE_KINDS)}, is {kind!r}",))
    if kind == SYNTHETIC:
        return Voice(marked=True, script_sha256=_first(tags, TAG_SYNTHETIC_SCRIPT))
    speakers: list[Speaker] = []
    raw = _first(tags, TAG_SPEAKERS)
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        data = None
        problems.append(f"{TAG_SPEAKERS} is not valid JSON")
    if data is not None:
        if not isinstance(data, list) or not data:
            problems.append(f"{TAG_SPEAKERS} must be a non-empty list of speakers")
        else:
            for n, entry in enumerate(data, 1):
                fields = entry if isinstance(entry, dict) else {}
                values = [fields.get(k) for k in ("role", "name", "region")]
                if not all(isinstance(v, str) and v.strip() and len(v) <= MAX_NAME
                           for v in values):
                    problems.append(f"{TAG_SPEAKERS} entry {n} needs role, name and region "
                                    f"(text, at most {MAX_NAME} characters)")
                    continue
                speakers.append(Speaker(*(v.strip() for v in values)))
    elif raw is None:
        problems.append(f"a human recording needs {TAG_SPEAKERS}")
    roles = [s.role for s in speakers]
    if len(set(roles)) != len(roles):
        problems.append(f"{TAG_SPEAKERS} names a role twice")
    recorded = _first(tags, TAG_RECORDED_AT)
    if not recorded:
        problems.append(f"a human recording needs {TAG_RECORDED_AT}")
    else:
        try:
            when = dt.datetime.fromisoformat(recorded)
            if when.tzinfo is None:
                problems.append(f"{TAG_RECORDED_AT} needs a time zone (UTC)")
        except ValueError:
            problems.append(f"{TAG_RECORDED_AT} is not an ISO 8601 time: {recorded!r}")
    script = _first(tags, TAG_SCRIPT)
    if not script or len(script) != 64:
        problems.append(f"a human recording needs {TAG_SCRIPT} (the SHA-256 of its script)")
    return Voice(kind=HUMAN, speakers=tuple(speakers), recorded_at=recorded,
                 script_sha256=script, marked=True, problems=tuple(problems))


def read_voice(data: bytes | Path) -> Voice:
    """The voice of an Ogg/Opus file (its bytes or its path); a file mutagen cannot read gives a
    synthetic voice without problems here: the asset check reports an unplayable file."""
    from mutagen import MutagenError
    from mutagen.oggopus import OggOpus

    try:
        audio = OggOpus(io.BytesIO(data)) if isinstance(data, bytes) else OggOpus(data)
    except (MutagenError, OSError, ValueError):
        return Voice()
    tags: dict[str, list[str]] = {}
    for key, value in (audio.tags.items() if audio.tags is not None else []):
        tags.setdefault(key.upper(), []).extend(value if isinstance(value, list) else [value])
    return voice_from_tags(tags)


def write_voice(path: Path, voice: Voice) -> None:
    """Write ``voice`` into the Opus comments of the file at ``path`` (other tags kept, a
    synthetic script hash dropped from a human recording)."""
    from mutagen.oggopus import OggOpus

    audio = OggOpus(path)
    if audio.tags is None:
        audio.add_tags()
    for key in (TAG_VOICE, TAG_SPEAKERS, TAG_RECORDED_AT, TAG_SCRIPT, TAG_SYNTHETIC_SCRIPT):
        for name in (key, key.lower()):
            if name in audio.tags:
                del audio.tags[name]
    for key, value in voice.tags().items():
        audio.tags[key] = [value]
    audio.save()


__all__ = ["HUMAN", "SYNTHETIC", "Speaker", "Voice", "read_voice", "recording_script_sha256",
           "script_roles", "voice_from_tags", "write_voice"]

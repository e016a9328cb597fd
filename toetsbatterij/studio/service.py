"""The recording studio's use-cases: the audio stimuli of the bank, an author's takes per turn,
the speakers per role, the assembled preview, and the replacement of the bank's file.

An author's work in progress lives in the studio folder (``STUDIO_PATH``, by default
``<instance>/studio``), one folder per staff account and stimulus: ``turn-NN.<webm|ogg>`` (the
last take of each turn), ``state.json`` (the speakers, and per take its length and the hash of
the turn's words when it was recorded) and ``preview.ogg``. Nobody else sees it. Replacing
writes the assembled file over the stimulus's ``.ogg`` in the bank folder the platform serves
(the working copy of the item bank), with the speakers in its Opus comments
(``toetsbatterij.items.voice``), records it in the audit log and empties the folder.

A take whose turn's words changed in the bank since it was recorded is stale: it must be
recorded again before the stimulus can be replaced.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from toetsbatterij.audit import service as audit
from toetsbatterij.clock import Clock
from toetsbatterij.errors import Conflict, InvalidInput, NotFound
from toetsbatterij.i18n import N_
from toetsbatterij.items import Bank, Item, Testlet
from toetsbatterij.items.check import SPEECH_RATE, audio_duration
from toetsbatterij.items.voice import (
    HUMAN,
    Speaker,
    Voice,
    read_voice,
    recording_script_sha256,
    script_roles,
    write_voice,
)
from toetsbatterij.textinput import clean_text

from .assembly import InvalidTake, TakeLimits, assemble, probe_take, take_type

EXTENSIONS = {"audio/webm": "webm", "audio/ogg": "ogg"}
STATE = "state.json"
PREVIEW = "preview.ogg"
MAX_SPEAKER_TEXT = 100
DEFAULT_REGION = "Vlaanderen"


@dataclass(frozen=True)
class AudioStimulus:
    """One audio stimulus of the bank: the unit that carries it and its script."""

    unit_id: str
    level: str
    skill: str
    title: str | None
    source: str                       # the unit's YAML file, relative to the bank
    audio: str                        # the .ogg file, relative to the bank
    script: tuple[dict, ...]
    roles: tuple[str, ...]
    voice: Voice
    practice: bool = False

    @property
    def script_sha256(self) -> str:
        return recording_script_sha256(self.script)

    def turn_sha256(self, index: int) -> str:
        return recording_script_sha256([self.script[index]])


@dataclass(frozen=True)
class Take:
    turn: int
    seconds: float
    size: int
    recorded_at: str
    stale: bool                       # the turn's words changed since


@dataclass(frozen=True)
class Workspace:
    stimulus: AudioStimulus
    speakers: dict[str, dict[str, str]]       # role -> {name, region}
    takes: dict[int, Take] = field(default_factory=dict)
    preview_seconds: float | None = None      # set while the preview matches the takes

    @property
    def complete(self) -> bool:
        """Every turn has a current take and every role a speaker."""
        return (all(i in self.takes and not self.takes[i].stale
                    for i in range(len(self.stimulus.script)))
                and all(self.speakers.get(r, {}).get("name") for r in self.stimulus.roles))


def _units(bank: Bank) -> list[tuple[Item | Testlet, bool]]:
    units: list[tuple[Item | Testlet, bool]] = [(t, False) for t in bank.testlets.values()]
    units += [(i, False) for i in bank.items.values() if i.testlet_id is None]
    for ps in bank.practice.values():
        units += [(t, True) for t in ps.testlets.values()]
        units += [(i, True) for i in ps.items.values() if i.testlet_id is None]
    return units


def audio_stimuli(bank: Bank) -> list[AudioStimulus]:
    """Every audio stimulus with a script, by skill, level and id."""
    out = []
    for unit, practice in _units(bank):
        stim = unit.stimulus
        if stim is None or stim.kind != "audio" or not stim.src or not stim.script:
            continue
        audio = (Path(unit.source).parent / stim.src).as_posix()
        out.append(AudioStimulus(
            unit_id=unit.id, level=unit.level, skill=unit.skill, title=stim.title,
            source=unit.source, audio=audio, script=tuple(dict(t) for t in stim.script),
            roles=tuple(script_roles(stim.script)), voice=bank.voice(unit) or Voice(),
            practice=practice))
    return sorted(out, key=lambda s: (s.practice, s.level, s.unit_id))


def stimulus(bank: Bank, unit_id: Any) -> AudioStimulus:
    if not isinstance(unit_id, str) or not unit_id or len(unit_id) > 64:
        raise NotFound(N_("Deze stimulus bestaat niet in de itembank."))
    for s in audio_stimuli(bank):
        if s.unit_id == unit_id:
            return s
    raise NotFound(N_("Deze stimulus bestaat niet in de itembank."))


class Studio:
    """The studio folder of one platform, over the bank it serves."""

    def __init__(self, root: Path, limits: TakeLimits | None = None) -> None:
        self.root = Path(root)
        self.limits = limits or TakeLimits()

    # -- the folder of one author and stimulus ---------------------------------------------------

    def folder(self, account_id: int, unit_id: str) -> Path:
        return self.root / str(int(account_id)) / unit_id

    def _state(self, account_id: int, unit_id: str) -> dict[str, Any]:
        path = self.folder(account_id, unit_id) / STATE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"speakers": {}, "takes": {}}
        return data if isinstance(data, dict) else {"speakers": {}, "takes": {}}

    def _write_state(self, account_id: int, unit_id: str, state: Mapping[str, Any]) -> None:
        folder = self.folder(account_id, unit_id)
        folder.mkdir(parents=True, exist_ok=True)
        _atomic_write(folder / STATE, json.dumps(state, ensure_ascii=False, indent=1).encode())

    def workspace(self, bank: Bank, account_id: int, unit_id: str) -> Workspace:
        stim = stimulus(bank, unit_id)
        state = self._state(account_id, unit_id)
        takes = {}
        for key, info in (state.get("takes") or {}).items():
            index = int(key)
            path = self._take_path(account_id, unit_id, index, info.get("ext", ""))
            if index >= len(stim.script) or path is None or not path.exists():
                continue
            takes[index] = Take(turn=index, seconds=float(info["seconds"]),
                                size=int(info["size"]), recorded_at=str(info["recorded_at"]),
                                stale=info.get("turn_sha256") != stim.turn_sha256(index))
        speakers = {r: dict((state.get("speakers") or {}).get(r) or {}) for r in stim.roles}
        for role in stim.roles:
            speakers[role].setdefault("name", "")
            speakers[role].setdefault("region", DEFAULT_REGION)
        preview = state.get("preview") or {}
        current = preview.get("takes") == _take_key(state) and (
            self.folder(account_id, unit_id) / PREVIEW).exists()
        return Workspace(stimulus=stim, speakers=speakers, takes=takes,
                         preview_seconds=float(preview["seconds"]) if current else None)

    def _take_path(self, account_id: int, unit_id: str, turn: int, ext: str) -> Path | None:
        if ext not in EXTENSIONS.values():
            return None
        return self.folder(account_id, unit_id) / f"turn-{turn:02d}.{ext}"

    def take_file(self, bank: Bank, account_id: int, unit_id: str, turn: Any) -> tuple[Path, str]:
        """The stored take of a turn, to listen to: (path, content type)."""
        stimulus(bank, unit_id)
        index = _turn(turn)
        info = (self._state(account_id, unit_id).get("takes") or {}).get(str(index))
        path = self._take_path(account_id, unit_id, index, (info or {}).get("ext", ""))
        if path is None or not path.exists():
            raise NotFound(N_("Voor deze beurt is nog geen opname."))
        return path, f"audio/{info['ext']}"

    def preview_file(self, bank: Bank, account_id: int, unit_id: str) -> Path:
        if self.workspace(bank, account_id, unit_id).preview_seconds is None:
            raise NotFound(N_("Er is nog geen samengevoegde opname om te beluisteren."))
        return self.folder(account_id, unit_id) / PREVIEW

    # -- writing -------------------------------------------------------------------------------

    def save_take(self, bank: Bank, clock: Clock, account_id: int, unit_id: str, turn: Any,
                  data: bytes, content_type: str) -> Take:
        """Store one take of one turn (replacing an earlier take of that turn) after decoding
        it completely: type, size, duration and sound are checked first."""
        stim = stimulus(bank, unit_id)
        index = _turn(turn)
        if index >= len(stim.script):
            raise InvalidInput(N_("Deze beurt staat niet in het script."))
        ext = EXTENSIONS[take_type(content_type)]
        seconds = probe_take(data, content_type, self.limits)
        state = self._state(account_id, unit_id)
        folder = self.folder(account_id, unit_id)
        folder.mkdir(parents=True, exist_ok=True)
        old = (state.get("takes") or {}).get(str(index))
        path = self._take_path(account_id, unit_id, index, ext)
        _atomic_write(path, data)
        if old and old.get("ext") != ext:
            old_path = self._take_path(account_id, unit_id, index, old.get("ext", ""))
            if old_path is not None:
                old_path.unlink(missing_ok=True)
        now = clock.now().astimezone(dt.UTC).isoformat(timespec="seconds")
        state.setdefault("takes", {})[str(index)] = {
            "ext": ext, "seconds": round(seconds, 2), "size": len(data), "recorded_at": now,
            "turn_sha256": stim.turn_sha256(index), "sha256": hashlib.sha256(data).hexdigest()}
        self._write_state(account_id, unit_id, state)
        return Take(turn=index, seconds=seconds, size=len(data), recorded_at=now, stale=False)

    def save_speakers(self, bank: Bank, account_id: int, unit_id: str,
                      form: Mapping[str, Any]) -> dict[str, dict[str, str]]:
        """The speaker of each role: ``name.<role>`` (name or pseudonym) and ``region.<role>``."""
        stim = stimulus(bank, unit_id)
        speakers = {}
        for role in stim.roles:
            name = clean_text(form.get(f"name.{role}"), field=f"name.{role}",
                              label=f"Spreker {role}", max_length=MAX_SPEAKER_TEXT, required=True)
            region = clean_text(form.get(f"region.{role}"), field=f"region.{role}",
                                label=f"Regio van spreker {role}", max_length=MAX_SPEAKER_TEXT,
                                required=True)
            speakers[role] = {"name": name, "region": region}
        state = self._state(account_id, unit_id)
        state["speakers"] = speakers
        self._write_state(account_id, unit_id, state)
        return speakers

    def _ordered_takes(self, ws: Workspace, account_id: int) -> list[bytes]:
        stim = ws.stimulus
        missing = [str(i + 1) for i in range(len(stim.script)) if i not in ws.takes]
        if missing:
            raise Conflict(N_("Neem eerst elke beurt op (nog niet opgenomen: beurt %(turns)s)."),
                           params={"turns": ", ".join(missing)})
        stale = [str(i + 1) for i, t in sorted(ws.takes.items()) if t.stale]
        if stale:
            raise Conflict(N_("Het script van beurt %(turns)s is gewijzigd sinds de opname: neem "
                              "die beurt opnieuw op."), params={"turns": ", ".join(stale)})
        state = self._state(account_id, stim.unit_id)
        out = []
        for i in range(len(stim.script)):
            info = state["takes"][str(i)]
            data = self._take_path(account_id, stim.unit_id, i, info["ext"]).read_bytes()
            if hashlib.sha256(data).hexdigest() != info.get("sha256"):
                raise Conflict(N_("De opname van beurt %(turns)s is beschadigd: neem ze opnieuw "
                                  "op."), params={"turns": str(i + 1)})
            out.append(data)
        return out

    def assemble_preview(self, bank: Bank, account_id: int, unit_id: str) -> float:
        """Join the takes into ``preview.ogg`` to listen to before replacing."""
        ws = self.workspace(bank, account_id, unit_id)
        takes = self._ordered_takes(ws, account_id)
        dest = self.folder(account_id, unit_id) / PREVIEW
        seconds = assemble(takes, dest, title=unit_id, max_seconds=self.limits.max_seconds)
        state = self._state(account_id, unit_id)
        state["preview"] = {"takes": _take_key(state), "seconds": round(seconds, 2)}
        self._write_state(account_id, unit_id, state)
        return seconds

    def replace(self, db: Session, clock: Clock, bank: Bank, *, organisation_id: int,
                account_id: int, unit_id: str) -> Voice:
        """Write the human recording over the stimulus's file in the bank (after the same
        checks as the bank check: playable, duration, speech rate), with the speakers in its
        Opus comments; audited; the author's folder for this stimulus is emptied."""
        ws = self.workspace(bank, account_id, unit_id)
        stim = ws.stimulus
        missing = [r for r in stim.roles if not ws.speakers[r].get("name")]
        if missing:
            raise Conflict(N_("Vul eerst de naam (of schuilnaam) en de regio van elke spreker in "
                              "(ontbreekt: %(roles)s)."), params={"roles": ", ".join(missing)})
        if ws.preview_seconds is None:
            raise Conflict(N_("Beluister eerst de samengevoegde opname (de opnames zijn gewijzigd "
                              "sinds de laatste keer)."))
        self._ordered_takes(ws, account_id)  # still complete, none stale, none damaged
        preview = self.folder(account_id, unit_id) / PREVIEW
        target = bank.root / stim.audio
        if not os.access(target.parent, os.W_OK):
            raise Conflict(N_("De map van de itembank is niet beschrijfbaar op deze server: "
                              "de studio werkt op een werkkopie van de itembank."))
        recorded_at = clock.now().astimezone(dt.UTC).isoformat(timespec="seconds")
        voice = Voice(kind=HUMAN, marked=True, recorded_at=recorded_at,
                      script_sha256=stim.script_sha256,
                      speakers=tuple(Speaker(r, ws.speakers[r]["name"], ws.speakers[r]["region"])
                                     for r in stim.roles))
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".studio-", suffix=".ogg")
        os.close(fd)
        try:
            shutil.copyfile(preview, tmp)
            write_voice(Path(tmp), voice)
            seconds = audio_duration(Path(tmp))
            words = sum(len(str(t.get("text", "")).split()) for t in stim.script)
            rate = words / seconds
            if not SPEECH_RATE[0] <= rate <= SPEECH_RATE[1]:
                raise InvalidTake(N_("De opname past niet bij het script: %(words)s woorden in "
                                     "%(seconds)s seconden. Controleer de opnames per beurt."),
                                  params={"words": words, "seconds": f"{seconds:.1f}"})
            if read_voice(Path(tmp)) != voice:
                raise Conflict(N_("De gegevens van de sprekers konden niet in het bestand "
                                  "geschreven worden."))
            digest = hashlib.sha256(Path(tmp).read_bytes()).hexdigest()
            previous = hashlib.sha256(target.read_bytes()).hexdigest() if target.exists() else None
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        audit.record(db, clock, organisation_id=organisation_id, actor_id=account_id,
                     action="studio.replace_audio", object_type="stimulus", object_id=None,
                     unit=unit_id, file=stim.audio, sha256=digest, previous_sha256=previous,
                     previous_voice=stim.voice.kind, seconds=round(seconds, 2),
                     turns=len(stim.script), roles=list(stim.roles))
        self.discard(account_id, unit_id)
        return voice

    def discard(self, account_id: int, unit_id: str) -> None:
        """Remove the author's takes, speakers and preview of a stimulus."""
        folder = self.folder(account_id, unit_id)
        if folder.is_dir():
            shutil.rmtree(folder)

    def in_progress(self, account_id: int) -> set[str]:
        """The stimuli this author has takes for."""
        folder = self.root / str(int(account_id))
        if not folder.is_dir():
            return set()
        return {p.name for p in folder.iterdir() if p.is_dir() and any(p.glob("turn-*"))}


def _turn(value: Any) -> int:
    try:
        if isinstance(value, bool):
            raise ValueError
        index = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(N_("Deze beurt staat niet in het script.")) from None
    if not 0 <= index < 100:
        raise InvalidInput(N_("Deze beurt staat niet in het script."))
    return index


def _take_key(state: Mapping[str, Any]) -> list[list[Any]]:
    """What a preview was made of: each turn's take by its hash."""
    return sorted([int(k), v.get("sha256")] for k, v in (state.get("takes") or {}).items())


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def studio_for(config: Mapping[str, Any], instance_path: Path) -> Studio:
    root = config.get("STUDIO_PATH") or Path(instance_path) / "studio"
    return Studio(Path(root), TakeLimits(max_bytes=int(config["STUDIO_TAKE_MAX_BYTES"]),
                                         max_seconds=float(config["STUDIO_TAKE_MAX_SECONDS"])))


__all__ = ["AudioStimulus", "Studio", "Take", "Workspace", "audio_stimuli", "stimulus",
           "studio_for"]

"""Human or synthetic listening audio, per test form: the share, the high-stakes rule, waivers.

A manifest marked ``high_stakes: true`` refuses synthetic listening audio: every audio stimulus
the form can present (the listening units of its sections: fixed items, or the operational and
pretest pool of an adaptive section) must be a human recording (``items.voice``), or be waived
by a reviewer with a reason in ``waivers/<test id>.yaml`` beside the manifests' folder
(``itembank/FORMAT.md``, "Voices and waivers"):

.. code-block:: yaml

    test: attest-4
    synthetic_audio:
      - {unit: L-A1-T001, reviewer: Coördinator itemontwikkeling, date: 2026-12-04,
         reason: nog geen menselijke opname}

A waiver names the unit (testlet or item id) whose stimulus it covers. The check refuses a
waiver without reviewer, date or reason and a unit waived twice; a waiver for a unit that is now
a human recording is reported as no longer needed, and one for a unit the form does not present
(retired, another skill) is listed in the report line, neither is an error. The check also refuses a human recording whose tags
are incomplete, whose speakers do not match the script's roles, or whose script changed after
it was recorded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .bank import Bank
from .errors import Problem
from .exposure import POOL_STATUSES
from .manifest import Manifest
from .model import Item, Testlet
from .validation import Checker, join
from .voice import Voice, recording_script_sha256, script_roles

WAIVER_DIR = "waivers"
MAX_REASON = 500


@dataclass(frozen=True)
class Waiver:
    unit: str
    reviewer: str
    date: dt.date
    reason: str


@dataclass(frozen=True)
class FormVoices:
    """The audio stimuli of one form and what made them."""

    test_id: str
    high_stakes: bool
    synthetic: tuple[str, ...]          # unit ids whose audio is synthetic
    human: tuple[str, ...]              # unit ids whose audio is a human recording
    waived: tuple[str, ...]             # synthetic units with a valid waiver
    unneeded_waivers: tuple[str, ...]   # waivers of units that are human recordings now
    stray_waivers: tuple[str, ...] = () # waivers of units the form does not present

    @property
    def total(self) -> int:
        return len(self.synthetic) + len(self.human)

    @property
    def synthetic_share(self) -> float:
        return len(self.synthetic) / self.total if self.total else 0.0

    def line(self) -> str:
        rule = ""
        if self.high_stakes:
            rule = f"; high stakes: {len(self.waived)} synthetic waived"
            if self.unneeded_waivers:
                rule += f", {len(self.unneeded_waivers)} waiver(s) no longer needed"
            if self.stray_waivers:
                rule += (f", {len(self.stray_waivers)} waiver(s) for units outside the form: "
                         + ", ".join(self.stray_waivers))
        return (f"audio {self.test_id}: {self.total} stimuli, {len(self.synthetic)} synthetic "
                f"({100 * self.synthetic_share:.0f} %), {len(self.human)} human{rule}")


def waivers_path(root: Path, test_id: str) -> Path:
    return Path(root) / WAIVER_DIR / f"{test_id}.yaml"


def load_waivers(root: Path, test_id: str) -> tuple[list[Waiver], list[Problem]]:
    """The waivers of one test (none without a file) and what is wrong with the file."""
    path = waivers_path(root, test_id)
    rel = f"{WAIVER_DIR}/{test_id}.yaml"
    if not path.exists():
        return [], []
    c = Checker(rel)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        return [], [Problem(rel, "", f"not valid YAML: {exc}")]
    m = c.mapping(data, "")
    if m is None:
        return [], c.problems
    c.unknown_fields(m, {"test", "synthetic_audio", "notes"}, "")
    if m.get("test") != test_id:
        c.add("test", f"must be {test_id!r} (the file name)")
    out: list[Waiver] = []
    seen: set[str] = set()
    for k, raw in enumerate(c.listing(m, "synthetic_audio", "", min_len=1) or []):
        p = join("synthetic_audio", k)
        w = c.mapping(raw, p)
        if w is None:
            continue
        c.unknown_fields(w, {"unit", "reviewer", "date", "reason"}, p)
        unit = c.ident(w, "unit", p)
        reviewer = c.text(w, "reviewer", p, max_len=200)
        reason = c.text(w, "reason", p, max_len=MAX_REASON)
        date = w.get("date")
        if isinstance(date, str):
            try:
                date = dt.date.fromisoformat(date)
            except ValueError:
                date = None
        if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
            c.add(join(p, "date"), "needs the date of the review (YYYY-MM-DD)")
            date = None
        if unit is not None and unit in seen:
            c.add(join(p, "unit"), f"{unit} is waived twice")
            continue
        if unit is not None:
            seen.add(unit)
        if None not in (unit, reviewer, reason, date):
            out.append(Waiver(unit=unit, reviewer=reviewer, date=date, reason=reason))
    return out, c.problems


def form_units(bank: Bank, manifest: Manifest) -> list[Item | Testlet]:
    """The listening units of a form that carry audio (testlets, standalone items), in the
    order of the bank; the same units the test form can present (``items.form``)."""
    wanted: set[str] = set()
    for section in manifest.sections:
        if section.skill != "listening":
            continue
        if section.mode == "fixed":
            for unit_id in section.items:
                testlet = bank.testlets.get(unit_id)
                wanted.update(testlet.item_ids if testlet else [unit_id])
        else:
            wanted.update(i.id for i in bank.items.values()
                          if i.skill == "listening" and i.status in POOL_STATUSES)
    units: dict[str, Item | Testlet] = {}
    for item in bank.items.values():
        if item.id not in wanted:
            continue
        unit = bank.testlets[item.testlet_id] if item.testlet_id else item
        if bank.voice(unit) is not None:
            units[unit.id] = unit
    return list(units.values())


def form_voices(bank: Bank, manifest: Manifest,
                waivers: Iterable[Waiver] = ()) -> FormVoices:
    by_unit = {w.unit: w for w in waivers}
    synthetic, human = [], []
    for unit in form_units(bank, manifest):
        (human if bank.voice(unit).human else synthetic).append(unit.id)
    present = set(synthetic) | set(human)
    return FormVoices(test_id=manifest.id, high_stakes=manifest.high_stakes,
                      synthetic=tuple(synthetic), human=tuple(human),
                      waived=tuple(u for u in synthetic if u in by_unit),
                      unneeded_waivers=tuple(u for u in human if u in by_unit),
                      stray_waivers=tuple(sorted(u for u in by_unit if u not in present)))


def recording_problems(bank: Bank) -> list[Problem]:
    """Human recordings whose tags are incomplete, whose speakers are not the script's roles,
    or whose script changed after the recording; and unknown ``TB_VOICE`` values."""
    problems: list[Problem] = []
    units: list[Item | Testlet] = [*bank.testlets.values(), *bank.items.values()]
    for ps in bank.practice.values():
        units += [*ps.testlets.values(), *ps.items.values()]
    for unit in units:
        voice: Voice | None = bank.voice(unit)
        if voice is None or (not voice.marked and not voice.problems):
            continue
        fld = "stimulus.src"
        src = unit.stimulus.src
        for message in voice.problems:
            problems.append(Problem(unit.source, fld, f"{src}: {message}"))
        if voice.kind != "human" or voice.problems:
            continue
        script = unit.stimulus.script
        roles = sorted(script_roles(script))
        named = sorted(s.role for s in voice.speakers)
        if named != roles:
            problems.append(Problem(unit.source, fld, f"{src}: the recording names the speakers "
                                    f"{', '.join(named)}, the script has {', '.join(roles)}"))
        if voice.script_sha256 != recording_script_sha256(script):
            problems.append(Problem(unit.source, fld, f"{src}: the script changed after this "
                                    "human recording: record it again (studio) or restore the "
                                    "script"))
    return problems


def voice_problems(bank: Bank) -> list[Problem]:
    """Everything the check refuses about voices: bad recordings, bad waiver files, and
    synthetic audio without a waiver in a high-stakes form."""
    problems = recording_problems(bank)
    for manifest in bank.tests.values():
        waivers, probs = load_waivers(bank.root, manifest.id)
        problems += probs
        rel = f"{WAIVER_DIR}/{manifest.id}.yaml"
        if not manifest.high_stakes:
            continue
        report = form_voices(bank, manifest, waivers)
        for unit_id in report.synthetic:
            if unit_id in report.waived:
                continue
            unit = bank.testlets.get(unit_id) or bank.items[unit_id]
            problems.append(Problem(unit.source, "stimulus.src",
                                    f"{unit.stimulus.src}: synthetic speech in the high-stakes "
                                    f"form {manifest.id}: record it (studio) or waive it in {rel} "
                                    "(reviewer, date, reason)"))
    return problems


def add_waivers(bank: Bank, test_id: str, *, reviewer: str, reason: str, date: dt.date,
                units: Iterable[str] | None = None) -> list[str]:
    """Append waivers to ``waivers/<test id>.yaml`` for the given synthetic units (default:
    every synthetic unit of the form without one) and return the units waived. For a reviewer
    who has decided; the file is reviewed and committed like other content."""
    if test_id not in bank.tests:
        raise ValueError(f"no test manifest {test_id!r}")
    if not reviewer.strip() or not reason.strip():
        raise ValueError("a waiver needs a reviewer and a reason")
    waivers, problems = load_waivers(bank.root, test_id)
    if problems:
        raise ValueError(f"{WAIVER_DIR}/{test_id}.yaml has problems; run the check first")
    report = form_voices(bank, bank.tests[test_id], waivers)
    open_units = [u for u in report.synthetic if u not in report.waived]
    wanted = open_units if units is None else list(dict.fromkeys(units))
    unknown = [u for u in wanted if u not in open_units]
    if unknown:
        raise ValueError(f"not an unwaived synthetic stimulus of {test_id}: {', '.join(unknown)}")
    path = waivers_path(bank.root, test_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    # Rewritten in one layout: the file's leading comments, the test, one waiver per line.
    header = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        header.append(line)
    entries = [{"unit": w.unit, "reviewer": w.reviewer, "date": w.date, "reason": w.reason}
               for w in waivers]
    entries += [{"unit": u, "reviewer": reviewer.strip(), "date": date, "reason": reason.strip()}
                for u in wanted]
    lines = [*header, f"test: {test_id}", "synthetic_audio:"]
    lines += ["  - " + yaml.safe_dump(e, allow_unicode=True, sort_keys=False,
                                      default_flow_style=True, width=10_000).strip()
              for e in entries]
    if wanted:
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return wanted


def voice_reports(bank: Bank) -> list[FormVoices]:
    """The share per form (waiver files that do not load count as no waivers)."""
    return [form_voices(bank, m, load_waivers(bank.root, m.id)[0])
            for _, m in sorted(bank.tests.items())]


def voice_lines(bank: Bank) -> list[str]:
    """For ``stats``: audio files by voice over the whole bank, then the share per form."""
    voices: Mapping[str, Any] = bank.voices
    human = sum(1 for v in voices.values() if v.human)
    lines = [f"audio voices: {len(voices) - human} synthetic, {human} human "
             f"({len(voices)} files, practice included)"]
    return lines + [r.line() for r in voice_reports(bank)]


__all__ = ["FormVoices", "Waiver", "add_waivers", "form_units", "form_voices", "load_waivers",
           "recording_problems", "voice_lines", "voice_problems", "voice_reports",
           "waivers_path"]

"""The bank check: everything ``load_bank`` validates, plus playable assets, key scoring and
blueprint satisfiability. ``python -m toetsbatterij.items check itembank``."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .api import score
from .bank import Bank, load_bank
from .errors import InvalidResponse, Problem
from .manifest import Blueprint, Manifest
from .model import Item, Stimulus, Testlet
from .voice_check import voice_lines, voice_problems

MAX_AUDIO_SECONDS = 600.0
#: Plausible speech rates (words per second) for audio generated from a script: the real bank
#: runs at 1.2-2.9; outside these bounds the audio is stale or truncated.
SPEECH_RATE = (0.6, 4.5)


@dataclass(frozen=True)
class CheckReport:
    bank: Bank
    problems: tuple[Problem, ...]
    seconds: float
    audio_seconds: float
    forms: dict[str, str] = field(default_factory=dict)   # test id -> form version (clean bank)

    @property
    def ok(self) -> bool:
        return not self.problems


def audio_duration(path: Path) -> float:
    """Duration in seconds of an Ogg/Opus file; raises ValueError when it is not one."""
    from mutagen import MutagenError
    from mutagen.oggopus import OggOpus

    try:
        info = OggOpus(path).info
    except MutagenError as exc:
        raise ValueError(f"not a playable Ogg/Opus file ({exc})") from None
    length = float(getattr(info, "length", 0.0) or 0.0)
    if length <= 0:
        raise ValueError("Ogg/Opus file has no audio (duration 0)")
    return length


def check_image(path: Path) -> None:
    """Raise ValueError when ``path`` is not a decodable PNG/JPEG or a well-formed SVG."""
    if path.suffix.lower() == ".svg":
        from xml.etree.ElementTree import ParseError

        import defusedxml.ElementTree as DET
        from defusedxml import DefusedXmlException

        try:
            root = DET.parse(path).getroot()
        except (ParseError, DefusedXmlException) as exc:
            raise ValueError(f"not a safe, well-formed SVG ({exc})") from None
        if not root.tag.endswith("svg"):
            raise ValueError("not an SVG document")
        return
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            if img.format not in ("PNG", "JPEG"):
                raise ValueError(f"image must be PNG or JPEG, is {img.format}")
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValueError(f"image cannot be decoded ({exc})") from None


def _stimuli(bank: Bank) -> Iterable[tuple[str, str, Stimulus, Item | Testlet]]:
    seen = set()
    units: list[Item | Testlet] = [*bank.testlets.values(), *bank.items.values()]
    for ps in bank.practice.values():
        units += [*ps.testlets.values(), *ps.items.values()]
    for unit in units:
        stim = unit.stimulus
        if stim is None or stim.src is None:
            continue
        if isinstance(unit, Testlet):
            fld = "stimulus.src"
        elif unit.testlet_id:
            fld = f"items[{unit.position - 1}].stimulus.src"
        else:
            fld = "stimulus.src"
        key = (unit.source, fld, stim.src)
        if key in seen:
            continue
        seen.add(key)
        yield unit.source, fld, stim, unit


def check_assets(bank: Bank) -> tuple[list[Problem], float]:
    problems: list[Problem] = []
    total = 0.0
    for source, fld, stim, _unit in _stimuli(bank):
        path = bank.root / Path(source).parent / stim.src
        if not path.exists():
            continue  # reported by load_bank
        try:
            if stim.kind == "audio":
                seconds = audio_duration(path)
                if seconds > MAX_AUDIO_SECONDS:
                    problems.append(Problem(source, fld, f"audio lasts {seconds:.0f} s, more than {MAX_AUDIO_SECONDS:.0f} s"))
                words = sum(len(turn["text"].split()) for turn in stim.script)
                rate = words / seconds
                if words and not SPEECH_RATE[0] <= rate <= SPEECH_RATE[1]:
                    problems.append(Problem(source, fld, f"{stim.src}: {words} words in {seconds:.1f} s "
                                            f"({rate:.1f} words/s): the audio does not match the script; "
                                            "regenerate it (itembank/tools)"))
                if not source.startswith("practice/"):
                    total += seconds
            else:
                check_image(path)
        except ValueError as exc:
            problems.append(Problem(source, fld, f"{stim.src}: {exc}"))
    return problems, total


def _field(item: Item) -> str:
    return f"items[{item.position - 1}].key" if item.testlet_id else "key"


def check_keys(items: Iterable[Item]) -> list[Problem]:
    """Every full-credit response (the key, each accepted answer) scores the max; each
    distractor-only response scores 0."""
    problems = []
    for item in items:
        if item.rated:
            continue
        top = item.max_score
        for resp in item.itype.full_credit_responses(item.definition):
            try:
                got = score(item, resp)
            except InvalidResponse as exc:
                problems.append(Problem(item.source, _field(item), f"{item.id}: the key is not a valid response: {exc}"))
                continue
            if got != top:
                problems.append(Problem(item.source, _field(item), f"{item.id}: the key {resp!r} scores {got}, not the maximum {top}"))
        for resp in item.itype.zero_credit_responses(item.definition):
            got = score(item, resp)
            if got != 0:
                problems.append(Problem(item.source, _field(item), f"{item.id}: the response {resp!r} scores {got}, not 0"))
    return problems


def _unit_names(bank: Bank, unit_id: str) -> set[str]:
    """The ids that stand for the same unit as ``unit_id``: an item with its testlet, a
    testlet with its members (a testlet is always shown whole)."""
    if unit_id in bank.testlets:
        return {unit_id, *bank.testlets[unit_id].item_ids}
    item = bank.items.get(unit_id)
    if item is not None and item.testlet_id:
        return {unit_id, item.testlet_id}
    return {unit_id}


def one_sided_enemies(bank: Bank) -> list[Problem]:
    """Enemy links listed on one side only. README § 7: two units that give each other away
    name each other in ``enemies``, in **both** files, so that a reviewer reading either file
    sees the link (the delivery binds both sides anyway). A testlet stands for its members: a
    link to a testlet is answered by the testlet or by one of its members naming this side."""
    declared: list[tuple[str, str, str]] = []     # (owner id, enemy id, source file)
    for testlet in bank.testlets.values():
        declared += [(testlet.id, e, testlet.source) for e in testlet.enemies]
    for item in bank.items.values():
        inherited = set(bank.testlets[item.testlet_id].enemies) if item.testlet_id else set()
        declared += [(item.id, e, item.source) for e in item.enemies if e not in inherited]
    listed: dict[str, set[str]] = {}
    for owner, enemy, _source in declared:
        listed.setdefault(owner, set()).add(enemy)
    problems = []
    for owner, enemy, source in declared:
        if enemy not in bank.items and enemy not in bank.testlets:
            continue  # reported by load_bank
        owner_names = _unit_names(bank, owner)
        if not any(listed.get(x, set()) & owner_names for x in _unit_names(bank, enemy)):
            problems.append(Problem(source, "enemies", f"{owner} lists {enemy} as an enemy, but "
                                    f"{enemy} does not list {owner}: name the link in both files"))
    return problems


def blueprint_problems(bank: Bank, manifest: Manifest) -> list[Problem]:
    """Can the operational items satisfy each section's blueprint? Checked per attribute:
    enough items per constrained value, minima summing to at most the length, and enough
    room under the maxima to fill the length."""
    problems = []
    for i, section in enumerate(manifest.sections):
        bp: Blueprint | None = section.blueprint
        fld = f"sections[{i}].blueprint"
        if section.mode == "fixed":
            continue
        pool = bank.select(skill=section.skill, statuses=("operational",))
        if bp is None:
            continue
        if len(pool) < bp.length:
            problems.append(Problem(manifest.source, f"{fld}.length", f"{section.skill}: {len(pool)} operational items, fewer than the length {bp.length}"))
        for attr in sorted({c.attribute for c in bp.constraints}):
            counts = Counter(getattr(it, attr) for it in pool)
            cons = [c for c in bp.constraints if c.attribute == attr]
            for k, c in enumerate(bp.constraints):
                if c.attribute == attr and counts[c.value] < c.min:
                    problems.append(Problem(manifest.source, f"{fld}.constraints[{k}]", f"{section.skill}: needs at least {c.min} operational items with {attr} {c.value}, the bank has {counts[c.value]}"))
            capped = {c.value: c.max for c in cons if c.max is not None}
            room = sum(min(n, capped.get(v, n)) for v, n in counts.items())
            if room < bp.length:
                problems.append(Problem(manifest.source, f"{fld}.constraints", f"{section.skill}: the maxima for {attr} leave room for {room} items, fewer than the length {bp.length}"))
    return problems


def check_bank(path: str | Path) -> CheckReport:
    start = time.perf_counter()
    bank = load_bank(path, strict=False)
    problems = list(bank.problems)
    asset_problems, audio_seconds = check_assets(bank)
    problems += asset_problems
    problems += one_sided_enemies(bank)
    problems += check_keys(bank.items.values())
    for ps in bank.practice.values():
        problems += check_keys(ps.items.values())
    for manifest in bank.tests.values():
        problems += blueprint_problems(bank, manifest)
    problems += voice_problems(bank)
    forms: dict[str, str] = {}
    if not problems:
        # The forms of a clean bank: the K files must fit their manifests to build them.
        from .exposure import ExposureFileError
        from .form import build_forms

        try:
            forms = {test_id: f.version for test_id, f in build_forms(bank).items()}
        except (ExposureFileError, OSError) as exc:
            problems.append(Problem("exposure/", "", str(exc)))
    return CheckReport(bank=bank, problems=tuple(problems), seconds=time.perf_counter() - start,
                       audio_seconds=audio_seconds, forms=forms)


def stats_table(bank: Bank, audio_seconds: float | None = None) -> str:
    """Counts per skill × level × task type (items; testlet members counted one by one)."""
    lines = []
    levels = list(bank.vocabulary.levels)
    head = f"{'skill':<10} {'task type':<14}" + "".join(f"{lv:>6}" for lv in levels) + f"{'total':>7}"
    lines.append(head)
    lines.append("-" * len(head))
    grand = Counter()
    for skill in bank.vocabulary.skills:
        items = [i for i in bank.items.values() if i.skill == skill]
        per = Counter((i.task_type, i.level) for i in items)
        for tt in bank.vocabulary.task_types.get(skill, {}):
            row = [per[(tt, lv)] for lv in levels]
            if sum(row):
                lines.append(f"{skill:<10} {tt:<14}" + "".join(f"{n:>6}" for n in row) + f"{sum(row):>7}")
        row = [sum(per[(tt, lv)] for tt in bank.vocabulary.task_types.get(skill, {})) for lv in levels]
        lines.append(f"{skill:<10} {'(all)':<14}" + "".join(f"{n:>6}" for n in row) + f"{sum(row):>7}")
        lines.append("")
        for lv, n in zip(levels, row, strict=True):
            grand[lv] += n
    auto = [i for i in bank.items.values() if not i.rated]
    in_testlets = sum(1 for i in auto if i.testlet_id)
    status = Counter(i.status for i in bank.items.values())
    types = Counter(i.type for i in bank.items.values())
    lines.append(f"items: {len(bank.items)} (auto-scored {len(auto)}, of which {in_testlets} in "
                 f"{len(bank.testlets)} testlets); rated: {len(bank.items) - len(auto)}")
    lines.append("status: " + ", ".join(f"{k} {v}" for k, v in sorted(status.items())))
    lines.append("interaction types: " + ", ".join(f"{k} {v}" for k, v in sorted(types.items())))
    lines.append(f"rubrics: {len(bank.rubrics)}; practice sets: {', '.join(sorted(bank.practice)) or 'none'}; "
                 f"test manifests: {', '.join(sorted(bank.tests)) or 'none'}")
    lines.extend(cue_lines(bank.items.values()))
    from .keypatterns import MAX_SHARE, key_pattern_problems, key_patterns

    above = key_pattern_problems(key_patterns(bank.items.values(), levels))
    lines.append(f"key patterns (position, longest, hedged; bar {100 * MAX_SHARE:.0f} % per level and type): "
                 + ("passed" if not above else f"{len(above)} above the bar (run key-patterns)"))
    lines.extend(voice_lines(bank))
    if audio_seconds is not None:
        lines.append(f"audio: {audio_seconds / 60:.1f} minutes")
    lines.append(f"bank version: {bank.version}")
    return "\n".join(lines)


def cue_lines(items: Iterable[Item]) -> list[str]:
    """Test-wiseness cues in single-choice items: where the key sits, and how often it is the
    (strictly) longest option, against what chance would give."""
    choice = [i for i in items if i.type == "single_choice"]
    if not choice:
        return []
    position = Counter()
    longest = 0
    chance = 0.0
    for it in choice:
        opts = it.definition["options"]
        ids = [o["id"] for o in opts]
        position[ids.index(it.definition["key"]) + 1] += 1
        lengths = [len(o["text"]) for o in opts]
        key_len = lengths[ids.index(it.definition["key"])]
        if key_len == max(lengths) and lengths.count(key_len) == 1:
            longest += 1
        chance += 1 / len(opts)
    n = len(choice)
    return [
        "single choice key position: " + ", ".join(f"{k}: {position[k]}" for k in sorted(position)),
        f"single choice key is the longest option: {longest}/{n} ({100 * longest / n:.0f} %, "
        f"chance about {100 * chance / n:.0f} %)",
    ]

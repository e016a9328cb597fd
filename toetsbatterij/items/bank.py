"""Loading the item bank from ``itembank/``: items, testlets, rubrics, practice sets, manifests.

``load_bank(path)`` reads every file once and returns an immutable :class:`Bank`;
``load_bank_cached(path)`` returns the same object while no file under the bank changed (the
web app calls it per request and pays for a directory walk, not a reload).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from .errors import BankError, Problem
from .manifest import Manifest, parse_manifest
from .model import Item, Rubric, Testlet, sha256_of
from .parse import parse_document, parse_rubric
from .validation import Checker
from .vocabulary import DEFAULT_VOCABULARY_PATH, SKILL_LETTERS, Vocabulary, safe_load
from .voice import Voice, read_voice

BANK_FORMAT_VERSION = 1


@dataclass(frozen=True)
class PracticeSet:
    """The unscored practice set of one skill (``practice/<skill>.yaml``)."""

    skill: str
    title: str | None
    instructions: str | None
    items: dict[str, Item]
    testlets: dict[str, Testlet]
    source: str


@dataclass(frozen=True, eq=False)
class Bank:
    """An immutable, validated item bank.

    ``items`` maps id -> :class:`Item` for every scored item, testlet members included (each
    knows its ``testlet_id``); ``testlets`` maps id -> :class:`Testlet`; ``rubrics``, ``practice``
    (skill -> :class:`PracticeSet`) and ``tests`` (manifest id -> :class:`Manifest`) likewise.
    ``version`` is the SHA-256 over everything that affects scoring.
    """

    root: Path
    vocabulary: Vocabulary
    items: dict[str, Item]
    testlets: dict[str, Testlet]
    rubrics: dict[str, Rubric]
    practice: dict[str, PracticeSet]
    tests: dict[str, Manifest]
    problems: tuple[Problem, ...] = ()
    version: str = field(default="")
    files: dict[str, str] = field(default_factory=dict, repr=False)   # item/testlet id -> file
    # What made each audio file (synthetic or human, speakers), by its path in the bank.
    voices: dict[str, Voice] = field(default_factory=dict, repr=False)

    # -- look-ups ----------------------------------------------------------------------

    def item(self, item_id: str) -> Item:
        return self.items[item_id]

    def testlet_of(self, item: Item | str) -> Testlet | None:
        item = self.items[item] if isinstance(item, str) else item
        return self.testlets.get(item.testlet_id) if item.testlet_id else None

    def select(self, *, skill: str | None = None, statuses: Iterable[str] | None = None,
               level: str | None = None) -> list[Item]:
        statuses = set(statuses) if statuses is not None else None
        return [i for i in self.items.values()
                if (skill is None or i.skill == skill)
                and (statuses is None or i.status in statuses)
                and (level is None or i.level == level)]

    def asset_path(self, item: Item | Testlet, src: str) -> Path:
        return self.root / Path(item.source).parent / src

    def voice(self, unit: Item | Testlet) -> Voice | None:
        """The voice of the audio stimulus of ``unit`` (None without one)."""
        stim = unit.stimulus
        if stim is None or stim.kind != "audio" or not stim.src:
            return None
        return self.voices.get((PurePosixPath(unit.source).parent / stim.src).as_posix(), Voice())

    def pool(self, skill: str, statuses: Iterable[str] = ("operational",), **kwargs: Any):
        """The items of ``skill`` with a status in ``statuses`` as a scoring ``ItemPool``."""
        from .pool import to_pool

        return to_pool(self, skill, statuses=statuses, **kwargs)


# ---------------------------------------------------------------------------------------


def _read_yaml(path: Path, rel: str, problems: list[Problem]) -> Any:
    try:
        return safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        problems.append(Problem(rel, "", f"not UTF-8 text ({exc.reason})"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problems.append(Problem(rel, "", f"not valid YAML{where}: {getattr(exc, 'problem', None) or exc}"))
    except OSError as exc:
        problems.append(Problem(rel, "", f"cannot read: {exc.strerror}"))
    except RecursionError:
        problems.append(Problem(rel, "", "not valid YAML: nested too deeply"))
    return None


def _stimulus_sources(data: Any) -> list[tuple[str, str]]:
    """(field path, src) of every stimulus in a document, before validation."""
    out = []
    if not isinstance(data, Mapping):
        return out
    stim = data.get("stimulus")
    if isinstance(stim, Mapping) and isinstance(stim.get("src"), str):
        out.append(("stimulus.src", stim["src"]))
    members = data.get("items")
    if isinstance(members, list):
        for k, m in enumerate(members):
            if isinstance(m, Mapping) and isinstance(m.get("stimulus"), Mapping):
                s = m["stimulus"].get("src")
                if isinstance(s, str):
                    out.append((f"items[{k}].stimulus.src", s))
    return out


def _asset_digests(data: Any, folder: Path, rel: str, problems: list[Problem],
                   voices: dict[str, Voice] | None = None) -> dict[str, str]:
    """The SHA-256 of every stimulus file of a document; with ``voices``, the voice of each of
    its audio files too (read from the same bytes), keyed by the file's path in the bank."""
    digests = {}
    for fld, src in _stimulus_sources(data):
        p = folder / src
        if "/" in src or "\\" in src or src.startswith("."):
            continue  # reported by the stimulus validation
        try:
            content = p.read_bytes()
            digests[src] = hashlib.sha256(content).hexdigest()
            if voices is not None and src.lower().endswith(".ogg"):
                voices[(PurePosixPath(rel).parent / src).as_posix()] = read_voice(content)
        except FileNotFoundError:
            problems.append(Problem(rel, fld, f"asset {src!r} not found beside the file"))
        except OSError as exc:
            problems.append(Problem(rel, fld, f"asset {src!r} cannot be read: {exc.strerror}"))
    return digests


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def load_bank(path: str | os.PathLike, *, strict: bool = True) -> Bank:
    """Load and validate the bank under ``path``.

    With ``strict`` (the default) any problem raises :class:`BankError` listing all of them;
    with ``strict=False`` the bank holds every valid part and ``bank.problems`` the rest (the
    bank check uses this to report everything in one run).
    """
    root = Path(path)
    problems: list[Problem] = []
    vocab_path = root / "vocabulary.yaml"
    vocab = Vocabulary.load(vocab_path if vocab_path.exists() else DEFAULT_VOCABULARY_PATH)

    # Rubrics first: rated items take their max score from them.
    rubrics: dict[str, Rubric] = {}
    for p in sorted((root / "rubrics").glob("*.yaml")):
        rel = _rel(p, root)
        before = len(problems)
        data = _read_yaml(p, rel, problems)
        if len(problems) > before:
            continue
        rubric, probs = parse_rubric(data, rel, vocab)
        problems.extend(probs)
        if rubric is None:
            continue
        if rubric.id != p.stem:
            problems.append(Problem(rel, "id", f"file name must be the id: {rubric.id}.yaml"))
        elif rubric.id in rubrics:
            problems.append(Problem(rel, "id", f"duplicate rubric id {rubric.id}"))
        else:
            rubrics[rubric.id] = rubric
    rubric_max = {r.id: r.max_score for r in rubrics.values()}
    rubric_criteria = {r.id: {c.id: c.max_score for c in r.criteria} for r in rubrics.values()}

    items: dict[str, Item] = {}
    testlets: dict[str, Testlet] = {}
    files: dict[str, str] = {}
    voices: dict[str, Voice] = {}
    item_files = sorted((root / "items").rglob("*.yaml"))
    for p in item_files:
        rel = _rel(p, root)
        before = len(problems)
        data = _read_yaml(p, rel, problems)
        if data is None:
            if len(problems) == before:
                problems.append(Problem(rel, "", "empty file"))
            continue
        before = len(problems)
        digests = _asset_digests(data, p.parent, rel, problems, voices)
        missing_asset = len(problems) > before
        doc_items, testlet, probs = parse_document(data, rel, vocab, asset_digests=digests,
                                                   rubric_max=rubric_max,
                                                   rubric_criteria=rubric_criteria)
        problems.extend(probs)
        if probs or missing_asset:
            continue
        doc_id = testlet.id if testlet else doc_items[0].id
        head = testlet or doc_items[0]
        if doc_id != p.stem:
            problems.append(Problem(rel, "id", f"file name must be the id: {doc_id}.yaml"))
            continue
        expected_dir = f"items/{head.skill}/{head.level.lower()}"
        if p.parent.relative_to(root).as_posix() != expected_dir:
            problems.append(Problem(rel, "id", f"a {head.skill} {head.level} file belongs in {expected_dir}/"))
        ids = [doc_id] + [i.id for i in doc_items if i.id != doc_id]
        clash = [i for i in ids if i in files]
        if clash:
            problems.append(Problem(rel, "id", f"duplicate id {clash[0]} (also in {files[clash[0]]})"))
            continue
        for i in ids:
            files[i] = rel
        if testlet:
            testlets[testlet.id] = testlet
        for it in doc_items:
            items[it.id] = it
            if it.rated and it.rubric not in rubrics:
                problems.append(Problem(rel, "rubric", f"rubric {it.rubric!r} not found in rubrics/"))
            elif it.rated and rubrics[it.rubric].skill != it.skill:
                problems.append(Problem(rel, "rubric", f"rubric {it.rubric!r} is for {rubrics[it.rubric].skill}, not {it.skill}"))

    _check_enemies(items, testlets, files, problems)

    practice: dict[str, PracticeSet] = {}
    for p in sorted((root / "practice").glob("*.yaml")):
        rel = _rel(p, root)
        data = _read_yaml(p, rel, problems)
        ps = _parse_practice(data, p, rel, vocab, rubric_max, problems, rubric_criteria, voices)
        if ps is not None:
            practice[ps.skill] = ps

    tests: dict[str, Manifest] = {}
    for p in sorted((root / "tests").glob("*.yaml")):
        rel = _rel(p, root)
        data = _read_yaml(p, rel, problems)
        manifest, probs = parse_manifest(data, rel, vocab, items=items)
        problems.extend(probs)
        if manifest is None:
            continue
        if manifest.id != p.stem:
            problems.append(Problem(rel, "id", f"file name must be the id: {manifest.id}.yaml"))
            continue
        tests[manifest.id] = manifest

    version = bank_version(items, rubrics, tests)
    bank = Bank(root=root, vocabulary=vocab, items=items, testlets=testlets, rubrics=rubrics,
                practice=practice, tests=tests, problems=tuple(problems), version=version,
                files=files, voices=voices)
    if strict and problems:
        raise BankError(problems)
    return bank


def _check_enemies(items, testlets, files, problems) -> None:
    for it in items.values():
        for e in it.enemies:
            if e == it.id or (it.testlet_id and e == it.testlet_id):
                problems.append(Problem(it.source, "enemies", f"{it.id} lists itself as an enemy"))
            elif e not in items and e not in testlets:
                problems.append(Problem(it.source, "enemies", f"enemy {e!r} does not exist in the bank"))


def _parse_practice(data, p: Path, rel: str, vocab, rubric_max, problems,
                    rubric_criteria=None, voices=None) -> PracticeSet | None:
    if data is None:
        return None
    c = Checker(rel)
    m = c.mapping(data, "")
    if m is None:
        problems.extend(c.problems)
        return None
    c.unknown_fields(m, {"skill", "title", "instructions", "items"}, "")
    skill = c.choice(m, "skill", "", vocab.skills)
    title = c.text(m, "title", "", required=False, max_len=300)
    instructions = c.text(m, "instructions", "", required=False, max_len=5000)
    docs = c.listing(m, "items", "", min_len=1, max_len=30)
    if skill is not None and p.stem != skill:
        c.add("skill", f"file name must be the skill: {skill}.yaml")
    problems.extend(c.problems)
    if c.problems or docs is None:
        return None
    items: dict[str, Item] = {}
    testlets: dict[str, Testlet] = {}
    ok = True
    for k, doc in enumerate(docs):
        before = len(problems)
        digests = _asset_digests(doc, p.parent, rel, problems, voices)
        if len(problems) > before:
            ok = False
        doc_items, testlet, probs = parse_document(doc, rel, vocab, practice=True,
                                                   asset_digests=digests, rubric_max=rubric_max,
                                                   rubric_criteria=rubric_criteria)
        for pr in probs:
            problems.append(Problem(rel, f"items[{k}].{pr.field}" if pr.field else f"items[{k}]", pr.message))
        if probs:
            ok = False
            continue
        for it in doc_items:
            if it.skill != skill:
                problems.append(Problem(rel, f"items[{k}].skill", f"{it.id} is not a {skill} item"))
                ok = False
            if it.id in items:
                problems.append(Problem(rel, f"items[{k}].id", f"duplicate id {it.id}"))
                ok = False
            items[it.id] = it
        if testlet:
            testlets[testlet.id] = testlet
    if not ok:
        return None
    return PracticeSet(skill=skill, title=title, instructions=instructions, items=items,
                       testlets=testlets, source=rel)


def scoring_projection(item: Item) -> dict:
    """The parts of an item that affect scoring or selection (the bank version covers these)."""
    out = {
        "id": item.id, "skill": item.skill, "level": item.level, "topic": item.topic,
        "task_type": item.task_type, "status": item.status, "type": item.type,
        "testlet": item.testlet_id, "enemies": list(item.enemies),
        "definition": {k: v for k, v in item.definition.items() if k != "prompt"},
        "parameters": item.parameters.as_dict() if item.parameters else None,
        "max_score": item.max_score if item.parameters else None,
    }
    if item.criterion_parameters:  # rated items: the parameters per rubric criterion
        out["criterion_parameters"] = {k: p.as_dict()
                                       for k, p in item.criterion_parameters.items()}
    return out


def bank_version(items: Mapping[str, Item], rubrics: Mapping[str, Rubric],
                 tests: Mapping[str, Manifest]) -> str:
    return sha256_of({
        "format": BANK_FORMAT_VERSION,
        "items": [scoring_projection(items[k]) for k in sorted(items)],
        "rubrics": {k: [[c.id, c.max_score] for c in r.criteria] for k, r in sorted(rubrics.items())},
        "tests": {k: t.data for k, t in sorted(tests.items())},
    })


# -- cache ------------------------------------------------------------------------------

_CACHE: dict[str, tuple[tuple, Bank]] = {}


def _signature(root: Path) -> tuple:
    sig = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            st = os.stat(os.path.join(dirpath, name))
            sig.append((dirpath, name, st.st_mtime_ns, st.st_size))
    return tuple(sig)


def load_bank_cached(path: str | os.PathLike, *, strict: bool = True) -> Bank:
    """``load_bank(path)`` once per process, reloaded only when a file under ``path`` changed."""
    root = Path(path).resolve()
    sig = _signature(root)
    key = f"{root}|{strict}"
    hit = _CACHE.get(key)
    if hit is not None and hit[0] == sig:
        return hit[1]
    bank = load_bank(root, strict=strict)
    _CACHE[key] = (sig, bank)
    return bank


__all__ = ["Bank", "PracticeSet", "SKILL_LETTERS", "load_bank", "load_bank_cached"]

"""From YAML data to validated items, testlets and rubrics (one file at a time)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from .errors import ItemValidationError
from .model import Criterion, Item, Parameters, Rubric, Stimulus, Testlet, sha256_of
from .parameters import parse_parameters, provisional
from .types import REGISTRY
from .validation import MISSING, Checker, join
from .vocabulary import SKILL_LETTERS, SKILL_TYPES, Vocabulary

META_FIELDS = ("id", "skill", "level", "topic", "task_type", "status", "author")
COMMON_ITEM_FIELDS = frozenset({*META_FIELDS, "enemies", "stimulus", "type", "parameters", "notes",
                                "feedback", "criterion_parameters"})
TESTLET_FIELDS = frozenset({*META_FIELDS, "enemies", "stimulus", "items", "notes"})
MEMBER_EXTRA = frozenset({"id", "type", "enemies", "parameters", "notes", "feedback", "stimulus",
                          "skill", "level", "topic", "task_type", "status", "author",
                          "criterion_parameters"})
STIMULUS_KINDS = ("text", "image", "audio")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".svg")
AUDIO_SUFFIXES = (".ogg", ".opus")
SAFE_SRC = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def id_pattern(skill: str, level: str, practice: bool) -> re.Pattern:
    letter = ("P" if practice else "") + SKILL_LETTERS.get(skill, "?")
    return re.compile(rf"^{letter}-{re.escape(level)}-(\d{{4}}|T\d{{3}})$")


def parse_stimulus(raw: Any, c: Checker, path: str) -> Stimulus | None:
    m = c.mapping(raw, path)
    if m is None:
        return None
    kind = c.choice(m, "kind", path, STIMULUS_KINDS)
    if kind is None:
        return None
    title = c.text(m, "title", path, required=False, max_len=300)
    allowed = {"kind", "title"}
    if kind == "text":
        allowed |= {"text"}
        c.unknown_fields(m, allowed, path)
        text = c.text(m, "text", path, max_len=20000)
        return None if text is None else Stimulus(kind="text", title=title, text=text)
    src = c.text(m, "src", path, max_len=200)
    if src is not None and not SAFE_SRC.match(src):
        c.add(join(path, "src"), f"must be a plain file name beside the item file, got {src!r}")
        src = None
    if kind == "image":
        allowed |= {"src", "alt"}
        c.unknown_fields(m, allowed, path)
        alt = c.text(m, "alt", path, max_len=2000)
        if src is not None and not src.lower().endswith(IMAGE_SUFFIXES):
            c.add(join(path, "src"), f"an image must be PNG, JPEG or SVG, got {src!r}")
            src = None
        if None in (src, alt):
            return None
        return Stimulus(kind="image", title=title, src=src, alt=alt)
    allowed |= {"src", "transcript", "script", "max_plays"}
    c.unknown_fields(m, allowed, path)
    if src is not None and not src.lower().endswith(AUDIO_SUFFIXES):
        c.add(join(path, "src"), f"audio must be Ogg/Opus (.ogg), got {src!r}")
        src = None
    transcript = c.text(m, "transcript", path, max_len=20000)
    max_plays = c.integer(m, "max_plays", path, required=False, minimum=1, maximum=5, default=2)
    turns = c.listing(m, "script", path, min_len=1, max_len=60)
    script: list[dict] | None = None
    if turns is not None:
        script = []
        for i, t in enumerate(turns):
            tp = join(join(path, "script"), i)
            t = c.mapping(t, tp)
            if t is None:
                script = None
                break
            c.unknown_fields(t, {"speaker", "voice", "speed", "pitch", "text", "pause_after"}, tp)
            speaker = c.ident(t, "speaker", tp)
            voice = c.text(t, "voice", tp, required=False, max_len=40)
            speed = c.integer(t, "speed", tp, required=False, minimum=80, maximum=450)
            pitch = c.integer(t, "pitch", tp, required=False, minimum=0, maximum=99)
            pause = c.number(t, "pause_after", tp, required=False, minimum=0, maximum=10)
            text = c.text(t, "text", tp, max_len=5000)
            if speaker is None or text is None:
                script = None
                break
            turn = {"speaker": speaker, "text": text}
            for k, v in (("voice", voice), ("speed", speed), ("pitch", pitch), ("pause_after", pause)):
                if v is not None:
                    turn[k] = v
            if script is not None:
                script.append(turn)
            if re.search(r"\d", text):
                c.add(join(tp, "text"), "write numbers out in words so that the speech engine says them right")
    if None in (src, transcript, script, max_plays):
        return None
    return Stimulus(kind="audio", title=title, src=src, transcript=transcript,
                    script=tuple(script), max_plays=max_plays)


def _enemies(m: Mapping, c: Checker, path: str) -> tuple[str, ...] | None:
    raw = c.listing(m, "enemies", path, required=False)
    if raw is None:
        return () if m.get("enemies") is None else None
    out = [c.ident_value(e, join(join(path, "enemies"), i)) for i, e in enumerate(raw)]
    if None in out:
        return None
    return tuple(dict.fromkeys(out))


def _meta(m: Mapping, c: Checker, vocab: Vocabulary, *, practice: bool) -> dict | None:
    out: dict[str, Any] = {}
    out["id"] = c.ident(m, "id", "")
    out["skill"] = c.choice(m, "skill", "", vocab.skills)
    out["level"] = c.choice(m, "level", "", vocab.levels)
    out["topic"] = c.choice(m, "topic", "", vocab.topics, required=not practice)
    task_types = vocab.task_types.get(out["skill"] or "", {})
    if out["skill"] is not None:
        out["task_type"] = c.choice(m, "task_type", "", task_types, required=not practice)
    else:
        out["task_type"] = None
    out["status"] = c.choice(m, "status", "", vocab.statuses, required=not practice,
                             default="operational" if practice else None)
    out["author"] = c.text(m, "author", "", required=not practice, max_len=200)
    required = ["id", "skill", "level", "status"] + ([] if practice else ["topic", "task_type", "author"])
    if any(out[k] is None for k in required):
        return None
    if not id_pattern(out["skill"], out["level"], practice).match(out["id"]):
        prefix = ("P" if practice else "") + SKILL_LETTERS[out["skill"]]
        c.add("id", f"{out['id']!r} does not follow {prefix}-{out['level']}-NNNN or "
                    f"{prefix}-{out['level']}-TNNN for a {out['skill']} item at {out['level']}")
        return None
    return out


def _content_hash(doc: dict, asset_digests: Mapping[str, str]) -> str:
    return sha256_of({"definition": doc, "assets": dict(sorted(asset_digests.items()))})


def _interaction(m: Mapping, c: Checker, path: str, skill: str, allowed_extra: frozenset) -> tuple[str, dict] | None:
    itype_name = c.choice(m, "type", path, REGISTRY)
    if itype_name is None:
        return None
    itype = REGISTRY[itype_name]
    if itype_name not in SKILL_TYPES[skill]:
        c.add(join(path, "type"), f"a {skill} item cannot be {itype_name} (allowed: {', '.join(SKILL_TYPES[skill])})")
        return None
    c.unknown_fields(m, allowed_extra | itype.fields, path)
    d = itype.validate(m, c, path)
    if d is None:
        return None
    return itype_name, d


def _optional_text(m: Mapping, c: Checker, name: str, path: str) -> str | None:
    return c.text(m, name, path, required=False, max_len=5000)


def parse_document(data: Any, file: str, vocab: Vocabulary, *, practice: bool = False,
                   asset_digests: Mapping[str, str] | None = None,
                   rubric_max: Mapping[str, int] | None = None,
                   rubric_criteria: Mapping[str, Mapping[str, int]] | None = None,
                   ) -> tuple[list[Item], Testlet | None, list]:
    """Parse one item or testlet file.

    Returns ``(items, testlet_or_None, problems)``; ``items`` is empty when the file has problems.
    ``rubric_max`` maps rubric id -> max score, to give rated items their max score and
    provisional parameters; ``rubric_criteria`` maps rubric id -> {criterion id: max score} (in
    the rubric's order), to give rated items their parameters per criterion (written ones
    checked against the rubric, provisional ones for the rest). A rubric in
    ``rubric_criteria`` needs no entry in ``rubric_max``.
    """
    c = Checker(file)
    asset_digests = asset_digests or {}
    rubric_criteria = rubric_criteria or {}
    rubric_max = {**{r: sum(cr.values()) for r, cr in rubric_criteria.items()},
                  **(rubric_max or {})}
    m = c.mapping(data, "")
    if m is None:
        return [], None, c.problems
    meta = _meta(m, c, vocab, practice=practice)
    if meta is None:
        return [], None, c.problems
    stimulus = None
    if m.get("stimulus") is not None:
        stimulus = parse_stimulus(m["stimulus"], c, "stimulus")
        if stimulus is None:
            return [], None, c.problems
    enemies = _enemies(m, c, "")
    notes = _optional_text(m, c, "notes", "")
    is_testlet = "items" in m
    if is_testlet:
        return _parse_testlet(m, c, meta, stimulus, enemies, notes, vocab, asset_digests,
                              rubric_max, practice, rubric_criteria)
    if re.search(r"-T\d{3}$", meta["id"]):
        c.add("items", f"{meta['id']} is a testlet id: a testlet needs items")
        return [], None, c.problems
    inter = _interaction(m, c, "", meta["skill"], COMMON_ITEM_FIELDS)
    feedback = _optional_text(m, c, "feedback", "")
    if inter is None or enemies is None:
        return [], None, c.problems
    item = _make_item(m, c, "", meta, inter, stimulus=stimulus, enemies=enemies, notes=notes,
                      feedback=feedback, testlet_id=None, position=0, file=file,
                      asset_digests=asset_digests, rubric_max=rubric_max, practice=practice,
                      rubric_criteria=rubric_criteria)
    if item is None or c.problems:
        return [], None, c.problems
    return [item], None, c.problems


def _make_item(m, c, path, meta, inter, *, stimulus, enemies, notes, feedback, testlet_id,
               position, file, asset_digests, rubric_max, practice,
               testlet_doc=None, rubric_criteria=None) -> Item | None:
    itype_name, d = inter
    itype = REGISTRY[itype_name]
    rmax = rubric_max.get(d["rubric"]) if itype.rated else None
    max_score = itype.max_score(d, rmax) if (not itype.rated or rmax is not None) else None
    params: Parameters | None = None
    explicit = m.get("parameters") is not None
    if explicit:
        params = parse_parameters(m["parameters"], c, join(path, "parameters"), max_score)
        if params is None:
            return None
    elif max_score is not None:
        params = provisional(meta["id"], meta["level"], max_score)
    criteria = (rubric_criteria or {}).get(d["rubric"]) if itype.rated else None
    per_criterion = _criterion_parameters(m, c, path, meta, itype.rated, criteria)
    if per_criterion is None:
        return None
    by_criterion, written = per_criterion
    doc = {**meta, "type": itype_name, **d, "enemies": list(enemies),
           "stimulus": stimulus.as_dict() if stimulus else None,
           "parameters": params.as_dict() if (params and explicit) else None,
           "testlet": testlet_doc}
    if written:  # only what the file wrote: provisional values follow from id, level, rubric
        doc["criterion_parameters"] = {k: by_criterion[k].as_dict() for k in written}
    return Item(id=meta["id"], skill=meta["skill"], level=meta["level"], topic=meta["topic"],
                task_type=meta["task_type"], status=meta["status"], type=itype_name, definition=d,
                author=meta["author"], stimulus=stimulus, parameters=params, enemies=enemies,
                testlet_id=testlet_id, position=position, notes=notes, feedback=feedback,
                source=file, content_hash=_content_hash(doc, asset_digests), rubric_max=rmax,
                explicit_parameters=explicit, criterion_parameters=by_criterion,
                explicit_criteria=written)


def _criterion_parameters(m: Mapping, c: Checker, path: str, meta: Mapping, rated: bool,
                          criteria: Mapping[str, int] | None,
                          ) -> tuple[dict[str, Parameters], tuple[str, ...]] | None:
    """The GPCM parameters per rubric criterion of a rated item and the criteria the file wrote
    (None on a problem). ``criteria``: the rubric's criterion id -> max score (None while the
    rubric is unknown: written blocks are then checked without their criterion's max)."""
    raw = m.get("criterion_parameters")
    p = join(path, "criterion_parameters")
    if raw is not None and not rated:
        c.add(p, "only a rated item (extended_text, spoken_response) has criterion_parameters")
        return None
    written: dict[str, Parameters] = {}
    if raw is not None:
        block = c.mapping(raw, p)
        if block is None:
            return None
        ok = True
        for cid, value in block.items():
            cp = join(p, str(cid))
            if criteria is not None and cid not in criteria:
                c.add(cp, f"no criterion {cid!r} in the item's rubric "
                          f"(criteria: {', '.join(criteria)})")
                ok = False
                continue
            params = parse_parameters(value, c, cp, None if criteria is None else criteria[cid])
            if params is None:
                ok = False
            elif params.model != "gpcm":
                c.add(join(cp, "model"), f"a rubric criterion is scored with gpcm, not {params.model}")
                ok = False
            else:
                written[str(cid)] = params
        if not ok:
            return None
    if not rated:
        return {}, ()
    out: dict[str, Parameters] = {}
    for cid, max_score in (criteria or {}).items():
        out[cid] = written.get(cid) or provisional(f"{meta['id']}/{cid}", meta["level"], max_score)
    if criteria is None:
        out.update(written)
    order = list(criteria or written)
    return out, tuple(k for k in order if k in written)


def _parse_testlet(m, c, meta, stimulus, enemies, notes, vocab, asset_digests, rubric_max, practice,
                   rubric_criteria=None):
    c.unknown_fields(m, TESTLET_FIELDS, "")
    if not re.search(r"-T\d{3}$", meta["id"]):
        c.add("id", f"{meta['id']!r} is not a testlet id (…-TNNN) but the file has items")
        return [], None, c.problems
    if stimulus is None:
        c.add("stimulus", "a testlet needs the stimulus its items share")
    raw_items = c.listing(m, "items", "", min_len=2 if not practice else 1, max_len=6)
    if raw_items is None or stimulus is None or enemies is None:
        return [], None, c.problems
    items: list[Item] = []
    testlet_doc = {"id": meta["id"], "stimulus": stimulus.as_dict()}
    seen: set[str] = set()
    for k, raw in enumerate(raw_items, start=1):
        p = join("items", k - 1)
        im = c.mapping(raw, p)
        if im is None:
            continue
        iid = c.ident(im, "id", p)
        if iid is None:
            continue
        if iid != f"{meta['id']}-{k}":
            c.add(join(p, "id"), f"item {k} of testlet {meta['id']} must have id {meta['id']}-{k}, got {iid!r}")
            continue
        if iid in seen:
            c.add(join(p, "id"), f"duplicate id {iid}")
            continue
        seen.add(iid)
        for name in ("skill", "level", "topic", "task_type", "status", "author"):
            if name in im and im[name] != meta[name]:
                c.add(join(p, name), f"differs from the testlet ({im[name]!r} vs {meta[name]!r}); members inherit it")
        own_stim = None
        if im.get("stimulus") is not None:
            own_stim = parse_stimulus(im["stimulus"], c, join(p, "stimulus"))
            if own_stim is None:
                continue
        own_enemies = _enemies(im, c, p)
        inter = _interaction(im, c, p, meta["skill"], MEMBER_EXTRA)
        if inter is None or own_enemies is None:
            continue
        item = _make_item(im, c, p, {**meta, "id": iid}, inter, stimulus=own_stim,
                          enemies=tuple(dict.fromkeys(enemies + own_enemies)),
                          notes=_optional_text(im, c, "notes", p),
                          feedback=_optional_text(im, c, "feedback", p), testlet_id=meta["id"],
                          position=k, file=c.file, asset_digests=asset_digests,
                          rubric_max=rubric_max, practice=practice, testlet_doc=testlet_doc,
                          rubric_criteria=rubric_criteria)
        if item is not None:
            items.append(item)
    if c.problems:
        return [], None, c.problems
    testlet = Testlet(id=meta["id"], skill=meta["skill"], level=meta["level"], topic=meta["topic"],
                      task_type=meta["task_type"], status=meta["status"], stimulus=stimulus,
                      items=tuple(items), author=meta["author"], enemies=enemies, notes=notes,
                      source=c.file)
    return items, testlet, c.problems


def parse_item(data: Any, file: str = "<item>", vocab: Vocabulary | None = None, *,
               practice: bool = False, rubric_max: Mapping[str, int] | None = None,
               rubric_criteria: Mapping[str, Mapping[str, int]] | None = None) -> list[Item]:
    """Parse one item or testlet document; raise :class:`ItemValidationError` on any problem."""
    from .vocabulary import DEFAULT_VOCABULARY_PATH

    vocab = vocab or Vocabulary.load(DEFAULT_VOCABULARY_PATH)
    items, _, problems = parse_document(data, file, vocab, practice=practice, rubric_max=rubric_max,
                                        rubric_criteria=rubric_criteria)
    if problems:
        raise ItemValidationError(problems)
    return items


def parse_rubric(data: Any, file: str, vocab: Vocabulary) -> tuple[Rubric | None, list]:
    c = Checker(file)
    m = c.mapping(data, "")
    if m is None:
        return None, c.problems
    c.unknown_fields(m, {"id", "skill", "level", "name", "criteria", "notes"}, "")
    rid = c.ident(m, "id", "")
    skill = c.choice(m, "skill", "", ("writing", "speaking"))
    level = c.choice(m, "level", "", vocab.levels, required=False)
    name = c.text(m, "name", "", required=False, max_len=200)
    raw_criteria = c.listing(m, "criteria", "", min_len=1, max_len=12)
    criteria: list[Criterion] = []
    if raw_criteria is not None:
        seen: set[str] = set()
        for i, cr in enumerate(raw_criteria):
            p = join("criteria", i)
            cr = c.mapping(cr, p)
            if cr is None:
                continue
            c.unknown_fields(cr, {"id", "name", "levels"}, p)
            cid = c.ident(cr, "id", p)
            cname = c.text(cr, "name", p, max_len=200)
            levels = c.listing(cr, "levels", p, min_len=2, max_len=10)
            if cid is not None and cid in seen:
                c.add(join(p, "id"), f"duplicate criterion id {cid!r}")
            if cid is not None:
                seen.add(cid)
            if None in (cid, cname, levels):
                continue
            out_levels = []
            for j, lv in enumerate(levels):
                lp = join(join(p, "levels"), j)
                lv = c.mapping(lv, lp)
                if lv is None:
                    continue
                c.unknown_fields(lv, {"score", "descriptor"}, lp)
                score = c.integer(lv, "score", lp, minimum=0, maximum=20)
                desc = c.text(lv, "descriptor", lp, max_len=2000)
                if score is not None and desc is not None:
                    out_levels.append({"score": score, "descriptor": desc})
            scores = [lv["score"] for lv in out_levels]
            if len(out_levels) == len(levels) and scores != list(range(len(scores))):
                c.add(join(p, "levels"), f"scores must be 0, 1, 2, ... in order, got {scores}")
                continue
            criteria.append(Criterion(id=cid, name=cname, levels=tuple(out_levels)))
    if c.problems or None in (rid, skill):
        return None, c.problems
    return Rubric(id=rid, skill=skill, level=level, criteria=tuple(criteria), source=file,
                  name=name), c.problems


def with_rubric(item: Item, rubric_max: int) -> Item:
    """A rated item with its rubric's max score (and provisional parameters if it had none)."""
    params = item.parameters or provisional(item.id, item.level, rubric_max)
    return replace(item, rubric_max=rubric_max, parameters=params)


__all__ = ["MISSING", "parse_document", "parse_item", "parse_rubric", "parse_stimulus"]

"""Text entry / gap fill: one or more gaps in a text, accepted answers per gap.

Response: a mapping gap id -> typed text (a gap left out or null counts as empty).
Answers are compared after :func:`toetsbatterij.items.normalise.normalise` with the item's
``normalisation`` rules. ``per_gap``: one point per right gap; ``all_or_nothing``: 1 when every
gap is right.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from typing import Any

from ..errors import InvalidResponse
from ..normalise import Normalisation, normalise
from ..validation import MISSING, Checker, join
from .base import MAX_SHORT_ANSWER, ItemType

GAP_RE = re.compile(r"\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}")
NORMALISATION_FIELDS = ("case", "spaces", "punctuation", "diacritics")


def split_gaps(text: str) -> list[dict]:
    """``"Ik woon in {{g1}}."`` -> ``[{"text": "Ik woon in "}, {"gap": "g1"}, {"text": "."}]``."""
    out: list[dict] = []
    pos = 0
    for m in GAP_RE.finditer(text):
        if m.start() > pos:
            out.append({"text": text[pos:m.start()]})
        out.append({"gap": m.group(1)})
        pos = m.end()
    if pos < len(text):
        out.append({"text": text[pos:]})
    return out


class TextEntry(ItemType):
    name = "text_entry"
    fields = frozenset({"prompt", "text", "gaps", "normalisation", "scoring"})
    scorings = ("per_gap", "all_or_nothing")

    def validate(self, data: Mapping, c: Checker, path: str) -> dict | None:
        prompt = c.text(data, "prompt", path, max_len=2000)
        text = c.text(data, "text", path, max_len=5000)
        scoring = c.choice(data, "scoring", path, self.scorings, required=False, default="per_gap")
        rules = Normalisation()
        raw_norm = c.get(data, "normalisation", path, required=False)
        norm_ok = True
        if raw_norm is not MISSING:
            np = join(path, "normalisation")
            m = c.mapping(raw_norm, np)
            if m is None:
                norm_ok = False
            else:
                c.unknown_fields(m, NORMALISATION_FIELDS, np)
                rules = Normalisation(**{
                    f: c.boolean(m, f, np, default=getattr(rules, f)) for f in NORMALISATION_FIELDS
                })
        raw_gaps = c.listing(data, "gaps", path, min_len=1, max_len=12)
        gaps = None
        if raw_gaps is not None:
            gaps = []
            for i, g in enumerate(raw_gaps):
                gp = join(join(path, "gaps"), i)
                g = c.mapping(g, gp)
                if g is None:
                    gaps = None
                    break
                c.unknown_fields(g, {"id", "accepted"}, gp)
                gid = c.ident(g, "id", gp)
                acc = c.listing(g, "accepted", gp, min_len=1, max_len=30)
                if gid is None or acc is None:
                    gaps = None
                    break
                answers = []
                for j, a in enumerate(acc):
                    if isinstance(a, int | float) and not isinstance(a, bool):
                        a = str(a)
                    if not isinstance(a, str) or not a.strip() or len(a) > MAX_SHORT_ANSWER:
                        c.add(join(join(gp, "accepted"), j), "must be non-empty text (quote numbers)")
                        answers = None
                        break
                    if answers is not None:
                        answers.append(a)
                if answers is None:
                    gaps = None
                    break
                gaps.append({"id": gid, "accepted": answers})
        if gaps is not None:
            ids = [g["id"] for g in gaps]
            if len(set(ids)) != len(ids):
                c.add(join(path, "gaps"), "duplicate gap id")
                gaps = None
        if gaps is not None and text is not None:
            in_text = [s["gap"] for s in split_gaps(text) if "gap" in s]
            for gid in in_text:
                if in_text.count(gid) > 1:
                    c.add(join(path, "text"), f"gap {{{{{gid}}}}} appears more than once")
                    gaps = None
                    break
            if gaps is not None:
                missing = [g["id"] for g in gaps if g["id"] not in in_text]
                extra = [gid for gid in in_text if gid not in [g["id"] for g in gaps]]
                if missing:
                    c.add(join(path, "text"), f"gap {missing[0]!r} is listed under gaps but not written as {{{{{missing[0]}}}}} in the text")
                    gaps = None
                elif extra:
                    c.add(join(path, "gaps"), f"the text has gap {{{{{extra[0]}}}}} that is not listed under gaps")
                    gaps = None
                else:
                    order = {gid: n for n, gid in enumerate(in_text)}
                    gaps.sort(key=lambda g: order[g["id"]])
        if gaps is not None:
            for i, g in enumerate(gaps):
                normed = [normalise(a, rules) for a in g["accepted"]]
                if "" in normed:
                    c.add(join(join(path, "gaps"), i), "an accepted answer is empty after normalisation")
                    gaps = None
                    break
        if None in (prompt, text, gaps, scoring) or not norm_ok:
            return None
        return {"prompt": prompt, "text": text, "gaps": gaps, "normalisation": rules.as_dict(),
                "scoring": scoring}

    def view(self, d: dict, rng: random.Random | None) -> dict:
        return {"prompt": d["prompt"], "segments": split_gaps(d["text"]),
                "gaps": [{"id": g["id"]} for g in d["gaps"]]}

    def gap_scores(self, d: dict, raw: Any) -> dict[str, int]:
        if raw is None or raw == "":
            raw = {}
        if not isinstance(raw, Mapping):
            raise InvalidResponse(f"gaps: expected a mapping gap id -> text, got {type(raw).__name__}")
        ids = {g["id"] for g in d["gaps"]}
        for k, v in raw.items():
            if k not in ids:
                raise InvalidResponse(f"gaps: unknown gap {str(k)[:40]!r}")
            if v is not None and not isinstance(v, str):
                raise InvalidResponse(f"gap {k}: expected text, got {type(v).__name__}")
            if v is not None and len(v) > MAX_SHORT_ANSWER:
                raise InvalidResponse(f"gap {k}: answer longer than {MAX_SHORT_ANSWER} characters")
        rules = Normalisation(**d["normalisation"])
        out = {}
        for g in d["gaps"]:
            answer = raw.get(g["id"]) or ""
            given = normalise(answer, rules)
            out[g["id"]] = int(bool(given) and given in {normalise(a, rules) for a in g["accepted"]})
        return out

    def parse_posted(self, view, name, get, getlist):
        return {g["id"]: get(f"{name}.{g['id']}", "") for g in view["gaps"]}

    def score(self, d: dict, raw: Any) -> int:
        per_gap = self.gap_scores(d, raw)
        if d["scoring"] == "all_or_nothing":
            return int(all(per_gap.values()))
        return sum(per_gap.values())

    def max_score(self, d: dict, rubric_max: int | None = None) -> int:
        return 1 if d["scoring"] == "all_or_nothing" else len(d["gaps"])

    def full_credit_responses(self, d: dict) -> list[Any]:
        width = max(len(g["accepted"]) for g in d["gaps"])
        return [{g["id"]: g["accepted"][min(i, len(g["accepted"]) - 1)] for g in d["gaps"]}
                for i in range(width)]

    def zero_credit_responses(self, d: dict) -> list[Any]:
        return [{}, {g["id"]: "" for g in d["gaps"]}, {g["id"]: "qqqxqqq" for g in d["gaps"]}]

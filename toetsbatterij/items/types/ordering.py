"""Ordering and matching, both answerable with the keyboard alone.

Ordering response: the list of all option ids in the candidate's order. The page posts one
select list per place; with script it shows them as a list with "omhoog"/"omlaag" buttons and
fills every place once the candidate has moved a fragment (an untouched item posts nothing, as
without script). Matching response:
a mapping source id -> target id (a source left open is null, "" or missing; the page uses
one select list per source).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from typing import Any

from ..errors import InvalidResponse
from ..validation import MISSING, Checker, join
from .base import ItemType, expect_id, shuffled, validate_options


class Ordering(ItemType):
    name = "ordering"
    fields = frozenset({"prompt", "options", "key", "scoring"})
    scorings = ("all_or_nothing", "per_position")

    def validate(self, data: Mapping, c: Checker, path: str) -> dict | None:
        prompt = c.text(data, "prompt", path, max_len=2000)
        options = validate_options(c, data, path, min_len=3, max_len=7)
        scoring = c.choice(data, "scoring", path, self.scorings, required=False,
                           default="all_or_nothing")
        raw_key = c.listing(data, "key", path, min_len=1)
        key = None
        if raw_key is not None:
            key = [c.ident_value(k, join(join(path, "key"), i)) for i, k in enumerate(raw_key)]
            if None in key:
                key = None
        if options is not None and key is not None:
            ids = [o["id"] for o in options]
            if sorted(key) != sorted(ids) or len(set(key)) != len(key):
                c.add(join(path, "key"), "key must list every option id exactly once")
                return None
        if None in (prompt, options, key, scoring):
            return None
        return {"prompt": prompt, "options": options, "key": key, "scoring": scoring}

    def view(self, d: dict, rng: random.Random | None) -> dict:
        # Options are always shown shuffled (the file order is often the key order), with a
        # generator derived from the item itself when no seed is given. A shuffle that happens
        # to give the right order is rotated once, so the start position is never the answer.
        if rng is None:
            rng = random.Random(hashlib.sha256(repr(sorted(o["id"] for o in d["options"])).encode()).hexdigest())
        opts = sorted(({"id": o["id"], "text": o["text"]} for o in d["options"]), key=lambda o: o["id"])
        opts = shuffled(opts, rng)
        if [o["id"] for o in opts] == d["key"]:
            opts = opts[1:] + opts[:1]
        return {"prompt": d["prompt"], "options": opts}

    def _answer(self, d: dict, raw: Any) -> list[str] | None:
        if raw is None or raw == "" or raw == []:
            return None
        if not isinstance(raw, list | tuple):
            raise InvalidResponse(f"order: expected a list of option ids, got {type(raw).__name__}")
        ids = [o["id"] for o in d["options"]]
        if len(raw) != len(ids):
            raise InvalidResponse(f"order: expected all {len(ids)} options, got {len(raw)}")
        order = [expect_id(r, set(ids), "order") for r in raw]
        if len(set(order)) != len(order):
            raise InvalidResponse("order: an option appears twice")
        return order

    def parse_posted(self, view, name, get, getlist):
        chosen = [get(f"{name}.{i}", "") for i in range(len(view["options"]))]
        # With one select list per place a candidate can pick an option twice or leave a place
        # empty: that order cannot be right, and must not become an error page.
        complete = all(chosen) and len(set(chosen)) == len(chosen)
        return chosen if complete else None

    def score(self, d: dict, raw: Any) -> int:
        order = self._answer(d, raw)
        if order is None:
            return 0
        if d["scoring"] == "all_or_nothing":
            return int(order == d["key"])
        return sum(a == b for a, b in zip(order, d["key"], strict=True))

    def max_score(self, d: dict, rubric_max: int | None = None) -> int:
        return 1 if d["scoring"] == "all_or_nothing" else len(d["key"])

    def full_credit_responses(self, d: dict) -> list[Any]:
        return [list(d["key"])]

    def zero_credit_responses(self, d: dict) -> list[Any]:
        key = d["key"]
        return [key[1:] + key[:1], None]


class Matching(ItemType):
    name = "matching"
    fields = frozenset({"prompt", "sources", "targets", "key", "scoring", "shuffle"})
    scorings = ("per_pair", "all_or_nothing")

    def validate(self, data: Mapping, c: Checker, path: str) -> dict | None:
        prompt = c.text(data, "prompt", path, max_len=2000)
        sources = validate_options(c, data, path, min_len=2, max_len=8, name="sources")
        targets = validate_options(c, data, path, min_len=2, max_len=10, name="targets")
        scoring = c.choice(data, "scoring", path, self.scorings, required=False, default="per_pair")
        shuffle = c.boolean(data, "shuffle", path, default=True)
        raw_key = c.get(data, "key", path)
        key = None
        if isinstance(raw_key, Mapping):
            key = {}
            for s, t in raw_key.items():
                sid = c.ident_value(s, join(join(path, "key"), str(s)))
                tid = c.ident_value(t, join(join(path, "key"), str(s)))
                if sid is None or tid is None:
                    key = None
                    break
                key[sid] = tid
        elif raw_key is not MISSING:
            c.add(join(path, "key"), "must be a mapping source id -> target id")
        if sources is not None and targets is not None:
            sids = {s["id"] for s in sources}
            if sids & {t["id"] for t in targets}:
                c.add(join(path, "targets"), "source and target ids must differ")
                return None
        if sources is not None and targets is not None and key is not None:
            sids = [s["id"] for s in sources]
            tids = {t["id"] for t in targets}
            if set(key) != set(sids):
                c.add(join(path, "key"), "key must map every source id, and only source ids")
                return None
            bad = [t for t in key.values() if t not in tids]
            if bad:
                c.add(join(path, "key"), f"target {bad[0]!r} is not one of the target ids")
                return None
            key = {s: key[s] for s in sids}
        if None in (prompt, sources, targets, key, scoring):
            return None
        return {"prompt": prompt, "sources": sources, "targets": targets, "key": key,
                "scoring": scoring, "shuffle": shuffle}

    def view(self, d: dict, rng: random.Random | None) -> dict:
        targets = [{"id": t["id"], "text": t["text"]} for t in d["targets"]]
        return {"prompt": d["prompt"],
                "sources": [{"id": s["id"], "text": s["text"]} for s in d["sources"]],
                "targets": shuffled(targets, rng if d["shuffle"] else None)}

    def _answer(self, d: dict, raw: Any) -> dict[str, str]:
        if raw is None or raw == "":
            return {}
        if not isinstance(raw, Mapping):
            raise InvalidResponse(f"pairs: expected a mapping source id -> target id, got {type(raw).__name__}")
        sids = {s["id"] for s in d["sources"]}
        tids = {t["id"] for t in d["targets"]}
        out = {}
        for s, t in raw.items():
            s = expect_id(s, sids, "pair source")
            if t is None or t == "":
                continue
            out[s] = expect_id(t, tids, "pair target")
        return out

    def parse_posted(self, view, name, get, getlist):
        return {s["id"]: get(f"{name}.{s['id']}") for s in view["sources"]
                if get(f"{name}.{s['id']}")}

    def score(self, d: dict, raw: Any) -> int:
        pairs = self._answer(d, raw)
        right = sum(pairs.get(s) == t for s, t in d["key"].items())
        if d["scoring"] == "all_or_nothing":
            return int(right == len(d["key"]))
        return right

    def max_score(self, d: dict, rubric_max: int | None = None) -> int:
        return 1 if d["scoring"] == "all_or_nothing" else len(d["key"])

    def full_credit_responses(self, d: dict) -> list[Any]:
        return [dict(d["key"])]

    def zero_credit_responses(self, d: dict) -> list[Any]:
        tids = [t["id"] for t in d["targets"]]
        wrong = {s: next(x for x in tids if x != t) for s, t in d["key"].items()}
        return [wrong, {}]

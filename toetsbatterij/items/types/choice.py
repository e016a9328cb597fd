"""Single choice and multiple response."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from ..errors import InvalidResponse
from ..validation import Checker, join
from .base import ItemType, expect_id, shuffled, validate_options


class SingleChoice(ItemType):
    """One right option among 2-5. Response: the chosen option id (text), or null/"" if none."""

    name = "single_choice"
    fields = frozenset({"prompt", "options", "key", "shuffle"})

    def validate(self, data: Mapping, c: Checker, path: str) -> dict | None:
        prompt = c.text(data, "prompt", path, max_len=2000)
        options = validate_options(c, data, path, min_len=2, max_len=5)
        key = c.ident(data, "key", path)
        shuffle = c.boolean(data, "shuffle", path, default=True)
        if options is not None and key is not None and key not in {o["id"] for o in options}:
            c.add(join(path, "key"), f"key {key!r} is not one of the option ids")
            return None
        if None in (prompt, options, key):
            return None
        return {"prompt": prompt, "options": options, "key": key, "shuffle": shuffle}

    def view(self, d: dict, rng: random.Random | None) -> dict:
        opts = [{"id": o["id"], "text": o["text"]} for o in d["options"]]
        return {"prompt": d["prompt"], "options": shuffled(opts, rng if d["shuffle"] else None)}

    def _answer(self, d: dict, raw: Any) -> str | None:
        if raw is None or raw == "":
            return None
        return expect_id(raw, {o["id"] for o in d["options"]}, "choice")

    def score(self, d: dict, raw: Any) -> int:
        return int(self._answer(d, raw) == d["key"])

    def parse_posted(self, view, name, get, getlist):
        return get(name) or None

    def max_score(self, d: dict, rubric_max: int | None = None) -> int:
        return 1

    def full_credit_responses(self, d: dict) -> list[Any]:
        return [d["key"]]

    def zero_credit_responses(self, d: dict) -> list[Any]:
        return [o["id"] for o in d["options"] if o["id"] != d["key"]] + [None]


class MultipleResponse(ItemType):
    """Several right options. Response: a list of chosen option ids (a single id is read as a
    list of one). ``all_or_nothing``: 1 when the chosen set equals the key; ``per_option``:
    max(0, right - wrong) choices, 0..len(key)."""

    name = "multiple_response"
    fields = frozenset({"prompt", "options", "key", "scoring", "shuffle"})
    scorings = ("all_or_nothing", "per_option")

    def validate(self, data: Mapping, c: Checker, path: str) -> dict | None:
        prompt = c.text(data, "prompt", path, max_len=2000)
        options = validate_options(c, data, path, min_len=2, max_len=8)
        scoring = c.choice(data, "scoring", path, self.scorings, required=False,
                           default="all_or_nothing")
        shuffle = c.boolean(data, "shuffle", path, default=True)
        raw_key = c.listing(data, "key", path, min_len=1)
        key = None
        if raw_key is not None:
            key = [c.ident_value(k, join(join(path, "key"), i)) for i, k in enumerate(raw_key)]
            if None in key:
                key = None
            elif len(set(key)) != len(key):
                c.add(join(path, "key"), "key lists an option twice")
                key = None
        if options is not None and key is not None:
            ids = [o["id"] for o in options]
            unknown = [k for k in key if k not in ids]
            if unknown:
                c.add(join(path, "key"), f"key {unknown[0]!r} is not one of the option ids")
                return None
            if len(key) == len(ids):
                c.add(join(path, "key"), "every option is in the key: nothing to choose")
                return None
            key = [i for i in ids if i in key]  # canonical order: the order of the options
        if None in (prompt, options, key, scoring):
            return None
        return {"prompt": prompt, "options": options, "key": key, "scoring": scoring,
                "shuffle": shuffle}

    def view(self, d: dict, rng: random.Random | None) -> dict:
        opts = [{"id": o["id"], "text": o["text"]} for o in d["options"]]
        return {"prompt": d["prompt"], "options": shuffled(opts, rng if d["shuffle"] else None)}

    def _answer(self, d: dict, raw: Any) -> set[str]:
        if raw is None or raw == "":
            return set()
        if isinstance(raw, str | int) and not isinstance(raw, bool):
            raw = [raw]
        if not isinstance(raw, list | tuple):
            raise InvalidResponse(f"choices: expected a list of ids, got {type(raw).__name__}")
        allowed = {o["id"] for o in d["options"]}
        if len(raw) > len(allowed):
            raise InvalidResponse("choices: more choices than options")
        chosen = [expect_id(r, allowed, "choice") for r in raw]
        if len(set(chosen)) != len(chosen):
            raise InvalidResponse("choices: an option is chosen twice")
        return set(chosen)

    def parse_posted(self, view, name, get, getlist):
        return [x for x in getlist(name) if x]

    def score(self, d: dict, raw: Any) -> int:
        chosen = self._answer(d, raw)
        key = set(d["key"])
        if d["scoring"] == "all_or_nothing":
            return int(chosen == key)
        return max(0, len(chosen & key) - len(chosen - key))

    def max_score(self, d: dict, rubric_max: int | None = None) -> int:
        return 1 if d["scoring"] == "all_or_nothing" else len(d["key"])

    def full_credit_responses(self, d: dict) -> list[Any]:
        return [list(d["key"])]

    def zero_credit_responses(self, d: dict) -> list[Any]:
        return [[o["id"]] for o in d["options"] if o["id"] not in d["key"]] + [[]]

"""The interface every interaction type implements.

A type works on the *normalised definition* of an item: the plain dict its ``validate``
returned (ids as text, defaults filled in). It never sees metadata or parameters, which is
one reason the view model cannot leak them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from ..errors import InvalidResponse, NotAutoScored
from ..validation import Checker, join

#: The longest answer accepted in one gap or one choice field; longer posts are malformed.
MAX_SHORT_ANSWER = 200
#: The longest written text accepted for an extended-text task (characters).
MAX_LONG_ANSWER = 20000


class ItemType:
    """One interaction type: schema + validation, view model, scoring."""

    name: ClassVar[str]
    #: Scored later by raters on a rubric (writing, speaking).
    rated: ClassVar[bool] = False
    #: Interaction fields allowed in the item definition, besides the metadata.
    fields: ClassVar[frozenset[str]]

    def validate(self, data: Mapping, c: Checker, path: str) -> dict | None:
        """Check ``data`` and return the normalised definition, or ``None`` after recording problems."""
        raise NotImplementedError

    def view(self, d: dict, rng: random.Random | None) -> dict:
        """The candidate's view (JSON-safe): no key, no accepted answers, no rubric, no parameters."""
        raise NotImplementedError

    def score(self, d: dict, raw: Any) -> int:
        raise NotImplementedError

    def max_score(self, d: dict, rubric_max: int | None = None) -> int:
        raise NotImplementedError

    def full_credit_responses(self, d: dict) -> list[Any]:
        """Raw responses that must score ``max_score`` (the key, every accepted answer)."""
        raise NotImplementedError

    def zero_credit_responses(self, d: dict) -> list[Any]:
        """Raw responses that must score 0 (each distractor, a derangement, empty answers)."""
        raise NotImplementedError

    def check_response(self, d: dict, raw: Any) -> None:
        """Raise :class:`InvalidResponse` when ``raw`` is malformed."""
        self.score(d, raw)

    def parse_posted(self, view: dict, name: str, get: Callable[..., Any],
                     getlist: Callable[[str], list]) -> Any:
        """The raw response from a posted HTML form: ``view`` is the item's candidate view,
        ``name`` the field name of the item (``r.<item id>``), ``get(key, default=None)`` and
        ``getlist(key)`` read the posted fields. Types without a form control answer None."""
        return None

    # shared helpers ---------------------------------------------------------------------


class RatedType(ItemType):
    rated = True

    def score(self, d: dict, raw: Any) -> int:
        raise NotAutoScored(f"item type {self.name} is scored by raters on rubric {d.get('rubric')!r}")

    def max_score(self, d: dict, rubric_max: int | None = None) -> int:
        if rubric_max is None:
            raise ValueError(f"max score of a {self.name} item needs its rubric {d.get('rubric')!r}")
        return rubric_max

    def full_credit_responses(self, d: dict) -> list[Any]:
        return []

    def zero_credit_responses(self, d: dict) -> list[Any]:
        return []


def validate_options(c: Checker, data: Mapping, path: str, *, min_len: int, max_len: int,
                     name: str = "options") -> list[dict] | None:
    """A list of ``{id, text}``; ids unique."""
    raw = c.listing(data, name, path, min_len=min_len, max_len=max_len)
    if raw is None:
        return None
    out: list[dict] = []
    seen: set[str] = set()
    ok = True
    for i, opt in enumerate(raw):
        p = join(join(path, name), i)
        opt = c.mapping(opt, p)
        if opt is None:
            ok = False
            continue
        c.unknown_fields(opt, {"id", "text"}, p)
        oid = c.ident(opt, "id", p)
        text = c.text(opt, "text", p, max_len=2000)
        if oid is None or text is None:
            ok = False
            continue
        if oid in seen:
            c.add(join(p, "id"), f"duplicate option id {oid!r}")
            ok = False
            continue
        seen.add(oid)
        out.append({"id": oid, "text": text})
    texts = [o["text"].strip().casefold() for o in out]
    if len(set(texts)) != len(texts):
        c.add(join(path, name), "two options have the same text")
        ok = False
    return out if ok else None


def expect_id(raw: Any, allowed: set[str] | list[str], what: str) -> str:
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str):
        raise InvalidResponse(f"{what}: expected an identifier, got {type(raw).__name__}")
    if len(raw) > MAX_SHORT_ANSWER:
        raise InvalidResponse(f"{what}: identifier too long")
    if raw not in allowed:
        raise InvalidResponse(f"{what}: unknown identifier {raw[:40]!r}")
    return raw


def shuffled(seq: list, rng: random.Random | None) -> list:
    out = list(seq)
    if rng is not None:
        rng.shuffle(out)
    return out

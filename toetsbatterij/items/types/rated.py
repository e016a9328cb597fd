"""Extended text (writing task) and spoken response (speaking task): rated on a rubric.

The response is kept for raters: the written text, or the id of the stored recording.
``score`` raises :class:`NotAutoScored`; the item's score is the sum of the rubric criterion
scores the raters give (see :func:`toetsbatterij.items.rubric_score`).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from ..errors import InvalidResponse
from ..validation import Checker, join
from .base import MAX_LONG_ANSWER, MAX_SHORT_ANSWER, RatedType

PASTE_POLICIES = ("allowed", "blocked")
DEFAULT_RETAKES = 1
MAX_RETAKES = 3


class ExtendedText(RatedType):
    name = "extended_text"
    fields = frozenset({"prompt", "min_words", "max_words", "rubric", "paste"})

    def validate(self, data: Mapping, c: Checker, path: str) -> dict | None:
        prompt = c.text(data, "prompt", path, max_len=5000)
        lo = c.integer(data, "min_words", path, minimum=0, maximum=2000)
        hi = c.integer(data, "max_words", path, minimum=1, maximum=2000)
        rubric = c.ident(data, "rubric", path)
        # Pasting text copied outside the page (another program, a website) is blocked unless
        # the task allows it; copying within the candidate's own text always works.
        paste = c.choice(data, "paste", path, PASTE_POLICIES, required=False, default="blocked")
        if lo is not None and hi is not None and lo > hi:
            c.add(join(path, "min_words"), f"min_words {lo} is above max_words {hi}")
            return None
        if None in (prompt, lo, hi, rubric, paste):
            return None
        return {"prompt": prompt, "min_words": lo, "max_words": hi, "rubric": rubric,
                "paste": paste}

    def view(self, d: dict, rng: random.Random | None) -> dict:
        return {"prompt": d["prompt"], "min_words": d["min_words"], "max_words": d["max_words"],
                "paste": d.get("paste", "blocked")}

    def parse_posted(self, view, name, get, getlist):
        return get(name) or None

    def check_response(self, d: dict, raw: Any) -> None:
        if raw is None:
            return
        if not isinstance(raw, str):
            raise InvalidResponse(f"text: expected text, got {type(raw).__name__}")
        if len(raw) > MAX_LONG_ANSWER:
            raise InvalidResponse(f"text: longer than {MAX_LONG_ANSWER} characters")


class SpokenResponse(RatedType):
    name = "spoken_response"
    fields = frozenset({"prompt", "preparation_seconds", "response_seconds", "rubric", "retakes"})

    def validate(self, data: Mapping, c: Checker, path: str) -> dict | None:
        prompt = c.text(data, "prompt", path, max_len=5000)
        prep = c.integer(data, "preparation_seconds", path, minimum=0, maximum=600)
        resp = c.integer(data, "response_seconds", path, minimum=5, maximum=900)
        rubric = c.ident(data, "rubric", path)
        # How often the candidate may record again (the last take counts).
        retakes = c.integer(data, "retakes", path, required=False, minimum=0, maximum=MAX_RETAKES,
                            default=DEFAULT_RETAKES)
        if None in (prompt, prep, resp, rubric, retakes):
            return None
        return {"prompt": prompt, "preparation_seconds": prep, "response_seconds": resp,
                "rubric": rubric, "retakes": retakes}

    def view(self, d: dict, rng: random.Random | None) -> dict:
        return {"prompt": d["prompt"], "preparation_seconds": d["preparation_seconds"],
                "response_seconds": d["response_seconds"],
                "retakes": d.get("retakes", DEFAULT_RETAKES)}

    def check_response(self, d: dict, raw: Any) -> None:
        """The response is the id of the stored recording."""
        if raw is None:
            return
        if not isinstance(raw, str) or not raw or len(raw) > MAX_SHORT_ANSWER:
            raise InvalidResponse("recording: expected the id of a stored recording")

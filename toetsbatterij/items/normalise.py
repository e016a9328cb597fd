"""Normalisation of typed answers for text-entry items.

Both the candidate's answer and every accepted answer pass through the same function, and
the comparison is exact equality afterwards. The rules, each switchable per item under
``normalisation`` (defaults in brackets):

1. always: Unicode NFC, so that a precomposed ``é`` and ``e`` + combining accent are equal,
   and typographic apostrophes (’ ‘ ʼ `) are read as the plain apostrophe ``'``;
2. ``spaces`` [true]: surrounding white space is dropped and runs of white space inside
   become one space;
3. ``punctuation`` [true]: punctuation at either end is dropped (``maandag.`` = ``maandag``);
   punctuation inside the answer (``'s morgens``, ``10.30``) still counts, apart from the
   leading apostrophe rule: an apostrophe is not stripped, because ``'s`` is a Dutch word;
4. ``case`` [true]: upper and lower case are the same (Unicode case folding);
5. ``diacritics`` [false]: accents count (``één`` ≠ ``een``) unless set to true, when
   combining marks are removed after NFD decomposition (``één`` = ``een``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Normalisation:
    case: bool = True
    spaces: bool = True
    punctuation: bool = True
    diacritics: bool = False

    def as_dict(self) -> dict[str, bool]:
        return {"case": self.case, "spaces": self.spaces, "punctuation": self.punctuation,
                "diacritics": self.diacritics}


DEFAULT = Normalisation()


def _is_strippable(ch: str) -> bool:
    return ch != "'" and unicodedata.category(ch).startswith("P")


def normalise(text: str, rules: Normalisation = DEFAULT) -> str:
    """Normalise one answer according to ``rules`` (see the module docstring)."""
    text = unicodedata.normalize("NFC", text).translate(_APOSTROPHES)
    if rules.spaces:
        text = _SPACES.sub(" ", text).strip()
    if rules.punctuation:
        start, end = 0, len(text)
        while start < end and (_is_strippable(text[start]) or (rules.spaces and text[start].isspace())):
            start += 1
        while end > start and (_is_strippable(text[end - 1]) or (rules.spaces and text[end - 1].isspace())):
            end -= 1
        text = text[start:end]
    if rules.case:
        text = text.casefold()
    if rules.diacritics:
        decomposed = unicodedata.normalize("NFD", text)
        text = unicodedata.normalize(
            "NFC", "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
        )
    return text

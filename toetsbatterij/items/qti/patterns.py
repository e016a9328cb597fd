"""Text-entry normalisation as XML Schema regular expressions (``qti-pattern-match``).

Our scorer compares ``normalise(answer) == normalise(accepted)``
(:mod:`toetsbatterij.items.normalise`). A QTI 3.0 player has no such function, but it has
``qti-pattern-match``, whose pattern is an XML Schema regular expression (XSD part 2, appendix
F: implicitly anchored, character classes with ranges, ``|``, ``( )``, ``*``, ``+``). For each gap
:func:`gap_pattern` builds one pattern whose language is exactly the set of answers that
normalise to one of the gap's accepted answers:

    pattern = LEAD* ( core(N1) | core(N2) | ... ) TRAIL*

- ``LEAD``/``TRAIL``: the characters the rules strip at either end (punctuation other than the
  apostrophe, and white space when ``spaces`` is on);
- ``core(N)``: for each character of the normalised answer ``N`` the class of every character
  that normalises to it (``[Dd]``, ``['’‘ʼ`´]``, the Kelvin sign for ``k``; with ``diacritics``
  on ``[eéèëêȩ…]``); a space of ``N`` becomes a run of white space when ``spaces`` is on;
  characters that fold to more than one (``ß`` → ``ss``) are alternatives spanning several
  positions; a precomposed letter (``ë``) also accepts its canonically equivalent decomposed
  spellings (``e`` + combining diaeresis), because the scorer applies Unicode NFC first; with
  ``diacritics`` on, combining marks (which the scorer drops) may stand between any two
  characters.

Every class is computed from :func:`~toetsbatterij.items.normalise.normalise` itself, character
by character over the Unicode repertoire of this Python, so the pattern and the scorer cannot
drift apart. The only answers for which they can differ contain characters XML 1.0 cannot carry
(C0 controls other than tab, line feed and carriage return), which a QTI response cannot hold
either and which the battery refuses as typed input (``toetsbatterij.textinput``).
"""

from __future__ import annotations

import functools
import itertools
import sys
import unicodedata
from collections.abc import Iterable

from ..normalise import Normalisation, normalise

_ESCAPE = {"\\": "\\\\", "[": "\\[", "]": "\\]", "-": "\\-", "^": "\\^"}


def _xml_char(cp: int) -> bool:
    """A character an XML 1.0 document (and so an attribute value) can contain."""
    return (cp in (0x9, 0xA, 0xD) or 0x20 <= cp <= 0xD7FF or 0xE000 <= cp <= 0xFFFD
            or 0x10000 <= cp <= 0x10FFFF)


@functools.cache
def _repertoire() -> tuple[str, ...]:
    """Every assigned, non-private character XML can carry. Unassigned and private-use
    characters are left to themselves by every rule (no case, no decomposition, not
    punctuation, not white space), so they never belong to a class but their own."""
    out = []
    for cp in range(sys.maxunicode + 1):
        if not _xml_char(cp):
            continue
        ch = chr(cp)
        if unicodedata.category(ch) in ("Cn", "Co"):
            continue
        out.append(ch)
    return tuple(out)


@functools.cache
def _stripped(spaces: bool, punctuation: bool) -> frozenset[str]:
    """The characters the rules strip at the ends of an answer."""
    if not (spaces or punctuation):
        return frozenset()
    rules = Normalisation(case=False, spaces=spaces, punctuation=punctuation, diacritics=False)
    return frozenset(ch for ch in _repertoire() if normalise(ch, rules) == "")


@functools.cache
def _white() -> frozenset[str]:
    rules = Normalisation(case=False, spaces=True, punctuation=False, diacritics=False)
    return frozenset(ch for ch in _repertoire() if normalise(ch, rules) == "")


def _char_rules(rules: Normalisation) -> Normalisation:
    return Normalisation(case=rules.case, spaces=False, punctuation=False,
                         diacritics=rules.diacritics)


@functools.cache
def _folds(case: bool, diacritics: bool) -> tuple[dict[str, frozenset[str]], frozenset[str]]:
    """``(classes, vanishing)``: target string -> the characters that normalise to it on their
    own (other than the target itself), and the characters that normalise to nothing
    (combining marks when ``diacritics`` is on)."""
    rules = Normalisation(case=case, spaces=False, punctuation=False, diacritics=diacritics)
    classes: dict[str, set[str]] = {}
    vanishing = set()
    for ch in _repertoire():
        out = normalise(ch, rules)
        if out == ch:
            continue
        if out == "":
            vanishing.add(ch)
        else:
            classes.setdefault(out, set()).add(ch)
    return {k: frozenset(v) for k, v in classes.items()}, frozenset(vanishing)


def _klass(chars: Iterable[str]) -> str:
    """An XSD character class of ``chars`` (ranges where consecutive)."""
    cps = sorted({ord(c) for c in chars if _xml_char(ord(c))})
    if not cps:
        raise ValueError("no character of the class can be written in XML")
    parts = []
    for _, run in itertools.groupby(enumerate(cps), key=lambda t: t[1] - t[0]):
        run = [cp for _, cp in run]
        lo, hi = chr(run[0]), chr(run[-1])
        esc = _ESCAPE.get
        if len(run) == 1:
            parts.append(esc(lo, lo))
        elif len(run) == 2:
            parts.append(esc(lo, lo) + esc(hi, hi))
        else:
            parts.append(f"{esc(lo, lo)}-{esc(hi, hi)}")
    return "[" + "".join(parts) + "]"


class _Builder:
    def __init__(self, rules: Normalisation):
        self.rules = rules
        self.char_rules = _char_rules(rules)
        self.classes, self.vanishing = _folds(rules.case, rules.diacritics)
        self.longer: dict[str, list[str]] = {}
        for target in self.classes:
            if len(target) > 1:
                self.longer.setdefault(target[0], []).append(target)
        self.strip = _stripped(rules.spaces, rules.punctuation)

    def members(self, target: str) -> set[str]:
        """The characters that normalise, on their own, to ``target``."""
        out = set(self.classes.get(target, ()))
        if len(target) == 1 and normalise(target, self.char_rules) == target:
            out.add(target)
        return out

    def char_class(self, target: str) -> str:
        return _klass(self.members(target))

    def spellings(self, ch: str) -> list[str]:
        """Canonically equivalent spellings of a precomposed ``ch`` other than ``ch`` itself
        (NFC turns each back into ``ch``): base + marks in every order NFC accepts, with the
        base partly composed."""
        nfd = unicodedata.normalize("NFD", ch)
        if len(nfd) == 1 or len(nfd) > 5:
            return []
        base, marks = nfd[0], nfd[1:]
        out = set()
        for perm in set(itertools.permutations(marks)):
            if unicodedata.normalize("NFD", base + "".join(perm)) != nfd:
                continue
            for k in range(len(perm) + 1):
                head = unicodedata.normalize("NFC", base + "".join(perm[:k]))
                candidate = head + "".join(perm[k:])
                if candidate != ch and unicodedata.normalize("NFC", candidate) == ch:
                    out.add(candidate)
        return sorted(out)

    def position(self, ch: str, following: str = "") -> str:
        """The pattern for one character of a normalised answer (``following``: the next
        one)."""
        if ch == " " and self.rules.spaces:
            return _klass(_white()) + "+"
        members = self.members(ch)
        if following and unicodedata.combining(following):
            # The answer keeps a letter and the next mark apart (casefold made them: ß́ -> sś);
            # a typed letter that NFC would join with that mark (s + ́ -> ś) normalises otherwise.
            members = {m for m in members
                       if unicodedata.normalize("NFC", m + following)
                       == unicodedata.normalize("NFC", m) + following}
        own = _klass(members)
        if self.rules.diacritics:
            return own  # marks vanish: decomposed spellings are base + vanishing marks
        alternatives = [own]
        for spelling in self.spellings(ch):
            parts = []
            for c in spelling:
                members = self.members(normalise(c, self.char_rules))
                members.add(c)
                parts.append(_klass(members))
            alternatives.append("".join(parts))
        return alternatives[0] if len(alternatives) == 1 else "(" + "|".join(alternatives) + ")"

    def marks(self, required: bool) -> str:
        if not self.rules.diacritics or not self.vanishing:
            return ""
        return _klass(self.vanishing) + ("+" if required else "*")

    def core(self, n: str) -> str:
        """The pattern of every answer whose core (between what is stripped) normalises to
        ``n``."""
        length = len(n)
        white = self.rules.spaces

        def mark_loop(j: int) -> str:
            # A combining mark that vanishes may stand before, between and after characters.
            # Where its absence would let the rules strip or merge (n starts or ends with a
            # character they strip; two spaces in a row), one is required.
            if j == 0:
                return self.marks(n[0] in self.strip)
            if j == length:
                return self.marks(n[-1] in self.strip)
            return self.marks(white and n[j - 1] == " " and n[j] == " ")

        @functools.cache
        def rest(i: int) -> str:
            if i == length:
                return ""
            edges = [(i + 1, self.position(n[i], n[i + 1] if i + 1 < length else ""))]
            for target in self.longer.get(n[i], ()):
                if n.startswith(target, i):
                    edges.append((i + len(target), _klass(self.classes[target])))
            options = [pat + mark_loop(j) + rest(j) for j, pat in edges]
            return options[0] if len(options) == 1 else "(" + "|".join(options) + ")"

        return mark_loop(0) + rest(0)


def gap_pattern(accepted: Iterable[str], rules: Normalisation) -> str:
    """One XSD pattern that matches exactly the answers our scorer accepts for a gap with the
    ``accepted`` answers under ``rules``."""
    builder = _Builder(rules)
    targets = sorted({normalise(a, rules) for a in accepted})
    if "" in targets or not targets:
        raise ValueError("an accepted answer is empty after normalisation")
    cores = [builder.core(t) for t in targets]
    body = cores[0] if len(cores) == 1 else "(" + "|".join(cores) + ")"
    ends = _klass(builder.strip) + "*" if builder.strip else ""
    return ends + body + ends


__all__ = ["gap_pattern"]

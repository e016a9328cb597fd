"""Conformant scoring: the exported QTI response processing, executed as a QTI 3.0 player
executes it (``qti_rp``), gives every response the score our scorer gives it.

On the whole real bank: every choice, every subset, every order (sampled when large), every
pairing (sampled), and for text entry the accepted answers with hundreds of spelling variants
per gap: case, surrounding and inner punctuation and white space, typographic apostrophes,
decomposed and stripped accents, near misses, other gaps' answers, empty and absent answers.
The pattern builder is also checked, under all sixteen normalisation settings, against
``normalise`` on random texts (hypothesis).
"""

from __future__ import annotations

import itertools
import random
import string
import unicodedata

import defusedxml.ElementTree as DET
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toetsbatterij.items.normalise import Normalisation, normalise
from toetsbatterij.items.qti import build_package
from toetsbatterij.items.qti.common import encode_id
from toetsbatterij.items.qti.patterns import gap_pattern

from .qti_rp import EXPRESSIONS, RULES, STRUCTURE, Container, Item, _regex

PUNCT = ".,;:!?()[]\"'’‘`´«»-–—/…¿¡"
SPACES = [" ", "  ", "\t", "\n", "\u00a0", "\u2009", "\u3000"]


def qti_responses(item, raw) -> dict:
    """Our raw response as the QTI response variables a player would hold."""
    d = item.definition
    if item.type == "single_choice":
        return {"RESPONSE": encode_id(raw) if raw else None}
    if item.type == "multiple_response":
        return {"RESPONSE": Container("multiple", tuple(encode_id(x) for x in raw or ()))}
    if item.type == "ordering":
        return {"RESPONSE": Container("ordered", tuple(encode_id(x) for x in raw)) if raw else None}
    if item.type == "matching":
        return {"RESPONSE": Container("multiple", tuple((encode_id(s), encode_id(t))
                                                        for s, t in (raw or {}).items() if t))}
    if item.type == "text_entry":
        return {f"RESPONSE_{g['id']}": (raw or {}).get(g["id"]) for g in d["gaps"]}
    raise AssertionError(item.type)


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def spelling_variants(answer: str) -> set[str]:
    """Spellings of one answer that our normalisation may or may not accept."""
    a = answer
    out = {a, a.upper(), a.lower(), a.title(), a.swapcase(), a.capitalize()}
    for p in ".!?,;:)\"'’-…":
        out |= {a + p, p + a, f"{p}{a}{p}", f"{a} {p}", f"{p} {a}"}
    out |= {f"({a})", f"«{a}»", f"¿{a}?", f"'{a}'", f"“{a}”", f"{a}...", f" {a} ", f"\t{a}\n",
            f"\u00a0{a}\u2009", f"{a}.\u00a0", f". {a} .", f".{a}."}
    for sp in SPACES:
        out |= {a.replace(" ", sp), sp + a + sp}
    out |= {a.replace(" ", ""), a.replace(" ", " . "), a.replace(" ", "-"),
            a.replace("'", "’"), a.replace("'", "‘"), a.replace("'", "ʼ"), a.replace("'", "`"),
            a.replace("'", "´"), a.replace("'", ""), a.replace(".", ","), a.replace(",", "."),
            a.replace(":", "."), a.replace(".", ":"), a.replace("-", " "), a.replace("-", ""),
            a.replace("/", " "), a.replace("€", "EUR"), a.replace("s", "ß"), a.replace("ss", "ß"),
            a.replace("k", "\u212a"), a.replace("e", "é", 1), a.replace("e", "ë", 1),
            a.replace("ë", "e"), a.replace("ë", "e\u0308"), a.replace("ë", "E\u0308"),
            unicodedata.normalize("NFD", a), unicodedata.normalize("NFD", a.upper()),
            _strip_accents(a), a + "\u0301", "\u0301" + a, a + a[-1], a[:-1], a[1:], "x" + a,
            a + "s", a + "n", a[::-1], a.replace("a", "aa", 1), a + " " + a, a + "\u200b"}
    return out


def _mutations(answer: str, rng: random.Random, n: int) -> set[str]:
    pool = string.ascii_letters + string.digits + PUNCT + "éëèêïöüçàß\u0301\u0308" + "".join(SPACES)
    out = set()
    for _ in range(n):
        s = list(answer)
        for _ in range(rng.randint(1, 3)):
            op = rng.randrange(5)
            i = rng.randrange(len(s) + 1)
            if op == 0:
                s.insert(i, rng.choice(pool))
            elif op == 1 and s:
                del s[min(i, len(s) - 1)]
            elif op == 2 and s:
                j = min(i, len(s) - 1)
                s[j] = s[j].swapcase()
            elif op == 3:
                s.insert(0, rng.choice(PUNCT + " "))
                s.append(rng.choice(PUNCT + " "))
            elif s:
                j = min(i, len(s) - 1)
                s[j] = unicodedata.normalize("NFD", s[j])
        out.add("".join(s))
    return out


def gap_answers(item, gap, rng) -> list[str | None]:
    others = [a for g in item.definition["gaps"] if g is not gap for a in g["accepted"]]
    out = {None, "", " ", ".", "qqq", *others}
    for a in gap["accepted"]:
        out |= spelling_variants(a)
        out |= _mutations(a, rng, 40)
    return sorted(out, key=lambda x: (x is None, x or ""))


def raw_responses(item, rng) -> list:
    d = item.definition
    if item.type == "single_choice":
        return [o["id"] for o in d["options"]] + [None]
    if item.type == "multiple_response":
        ids = [o["id"] for o in d["options"]]
        return [list(c) for r in range(len(ids) + 1) for c in itertools.combinations(ids, r)]
    if item.type == "ordering":
        perms = list(itertools.permutations(d["key"]))
        return [list(p) for p in (perms if len(perms) <= 720 else rng.sample(perms, 720))]
    if item.type == "matching":
        sids = [s["id"] for s in d["sources"]]
        tids = [t["id"] for t in d["targets"]] + [None]
        out = [dict(d["key"]), {}]
        for _ in range(300):
            out.append({s: t for s in sids if (t := rng.choice(tids)) is not None})
        return out
    if item.type == "text_entry":
        gaps = d["gaps"]
        per_gap = {g["id"]: gap_answers(item, g, rng) for g in gaps}
        out = []
        for g in gaps:  # each variant of one gap, the others right, then empty
            for fill in ({h["id"]: h["accepted"][0] for h in gaps}, {}):
                for answer in per_gap[g["id"]]:
                    out.append({**fill, g["id"]: answer})
        for _ in range(200):  # random combinations
            out.append({g["id"]: rng.choice(per_gap[g["id"]]) for g in gaps})
        return out
    raise AssertionError(item.type)


@pytest.fixture(scope="module")
def exported(real_bank):
    files = build_package(real_bank)
    return {item_id: Item(DET.fromstring(files[f"items/{item_id}.xml"])) for item_id in real_bank.items}


def test_every_response_scores_the_same_through_the_exported_response_processing(real_bank, exported):
    rng = random.Random(15)
    counts: dict[str, int] = {}
    scored_right: dict[str, int] = {}
    for item in real_bank.items.values():
        qti = exported[item.id]
        if item.rated:  # human scoring: no response processing, scoringMode human
            assert qti.processing is None
            continue
        for raw in raw_responses(item, rng):
            ours = item.itype.score(item.definition, raw)
            theirs = qti.run(qti_responses(item, raw))["SCORE"]
            assert theirs == ours, (item.id, raw, ours, theirs)
            counts[item.type] = counts.get(item.type, 0) + 1
            scored_right[item.type] = scored_right.get(item.type, 0) + (ours > 0)
    # Every scored type was exercised, with credit and without.
    assert set(counts) == {"single_choice", "multiple_response", "text_entry", "ordering", "matching"}
    assert all(0 < scored_right[t] < counts[t] for t in counts), (scored_right, counts)
    assert counts["text_entry"] > 20000, counts


def test_text_entry_answers_the_bank_accepts_only_after_normalisation_are_right_in_qti(real_bank, exported):
    """The review's case: "3." and friends, which case-insensitive mapping alone marked wrong."""
    seen = 0
    for item in real_bank.items.values():
        if item.type != "text_entry":
            continue
        qti = exported[item.id]
        for g in item.definition["gaps"]:
            for a in g["accepted"]:
                for variant in (f"{a}.", f"  {a.upper()}  ", f"({a})!", a.replace(" ", "\t\t")):
                    raw = {h["id"]: h["accepted"][0] for h in item.definition["gaps"]}
                    raw[g["id"]] = variant
                    score = item.itype.score(item.definition, raw)
                    assert score == item.max_score
                    assert qti.run(qti_responses(item, raw))["SCORE"] == score
                    seen += 1
    assert seen > 1000


def test_the_interpreter_runs_every_rule_and_operator_the_export_emits(exported):
    used = set().union(*(i.elements() for i in exported.values()))
    assert used <= RULES | EXPRESSIONS | STRUCTURE, used - (RULES | EXPRESSIONS | STRUCTURE)
    assert "qti-pattern-match" in used


def test_the_conformance_check_can_fail(real_bank, exported):
    """A pattern that ignores the normalisation (bare accepted answer) disagrees."""
    item = next(i for i in real_bank.items.values() if i.type == "text_entry")
    qti = exported[item.id]
    pm = next(e for e in qti.processing.iter() if e.tag.endswith("qti-pattern-match"))
    original = pm.get("pattern")
    g = item.definition["gaps"][0]
    pm.set("pattern", g["accepted"][0].replace(".", "\\."))
    try:
        raw = {h["id"]: h["accepted"][0] for h in item.definition["gaps"]}
        raw[g["id"]] = g["accepted"][0] + "."
        assert qti.run(qti_responses(item, raw))["SCORE"] != item.itype.score(item.definition, raw)
    finally:
        pm.set("pattern", original)


# -- the pattern builder under every normalisation setting -----------------------------

ALL_RULES = [Normalisation(*flags) for flags in itertools.product((True, False), repeat=4)]
ALPHABET = st.sampled_from(list("aAeEéÉëßsSkK\u212a'’` .,-!?\u00a0\t") + ["\u0301", "\u0308", "e\u0301"])
TEXT = st.lists(ALPHABET, min_size=1, max_size=8).map("".join)


@settings(max_examples=400, deadline=None)
@given(rules=st.sampled_from(ALL_RULES), accepted=st.lists(TEXT, min_size=1, max_size=3),
       answers=st.lists(TEXT, min_size=1, max_size=12))
def test_gap_pattern_accepts_exactly_what_normalise_accepts(rules, accepted, answers):
    normed = {normalise(a, rules) for a in accepted}
    if "" in normed:
        return  # refused by the bank check: an accepted answer must not normalise to nothing
    rx = _regex(gap_pattern(accepted, rules))
    for answer in [*answers, *accepted, *(a.upper() for a in accepted),
                   *(f" {a}. " for a in accepted), *(unicodedata.normalize("NFD", a) for a in accepted)]:
        ours = bool(normalise(answer, rules)) and normalise(answer, rules) in normed
        assert (rx.match(answer) is not None) == ours, (rules, accepted, answer)


def test_gap_pattern_refuses_an_answer_that_normalises_to_nothing():
    with pytest.raises(ValueError):
        gap_pattern(["..."], Normalisation())

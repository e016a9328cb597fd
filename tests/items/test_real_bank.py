"""The real bank under itembank/: every file validates, every key scores full credit, every
distractor 0, no candidate view leaks a key, an accepted answer, a rubric or a parameter."""

from __future__ import annotations

import copy
import json
import random
import re

from toetsbatterij.items import REGISTRY, score, view_model, view_model_of_testlet
from toetsbatterij.items.check import check_bank

from .itemfixtures import REAL_BANK

LEAK_FIELDS = {"key", "accepted", "parameters", "provenance", "rubric", "transcript", "script",
               "feedback", "notes", "a", "b", "c", "thresholds", "author", "status", "rule",
               "calibration_id", "descriptor", "criteria"}


def keys_in(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from keys_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from keys_in(v)


def strings_in(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from strings_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings_in(v)
    elif isinstance(value, str):
        yield value


def test_real_bank_check_is_clean():
    # Its duration is printed by `python -m toetsbatterij.items check` (no timed unit test: on
    # a loaded machine a wall-clock bar only measures the neighbours).
    report = check_bank(REAL_BANK)
    assert not report.problems, "\n".join(map(str, report.problems))
    assert len(report.bank.items) > 0


def test_every_key_scores_full_and_every_distractor_zero(real_bank):
    items = list(real_bank.items.values())
    for ps in real_bank.practice.values():
        items += list(ps.items.values())
    checked = 0
    for item in items:
        if item.rated:
            continue
        for resp in item.itype.full_credit_responses(item.definition):
            assert score(item, resp) == item.max_score, (item.id, resp)
        for resp in item.itype.zero_credit_responses(item.definition):
            assert score(item, resp) == 0, (item.id, resp)
        checked += 1
    assert checked > 0


def _mutated_key(item):
    """The same definition with a different key / accepted answers (None: nothing to vary)."""
    d = copy.deepcopy(item.definition)
    if item.type == "single_choice":
        d["key"] = next(o["id"] for o in d["options"] if o["id"] != d["key"])
    elif item.type == "multiple_response":
        d["key"] = [o["id"] for o in d["options"] if o["id"] not in d["key"]][:1]
    elif item.type == "text_entry":
        for g in d["gaps"]:
            g["accepted"] = ["zzz-anders"]
    elif item.type == "matching":
        first = d["targets"][0]["id"]
        d["key"] = {s: first for s in d["key"]}
    else:
        return None
    return d


def test_no_view_model_leaks_key_accepted_answers_rubric_or_parameters(real_bank):
    units = list(real_bank.items.values())
    for ps in real_bank.practice.values():
        units += list(ps.items.values())
    rubric_texts = {lv["descriptor"] for r in real_bank.rubrics.values() for c in r.criteria
                    for lv in c.levels}
    for item in units:
        for seed in (None, 1, 2):
            view = view_model(item, seed=seed)
            text = json.dumps(view, ensure_ascii=False)
            assert not LEAK_FIELDS & set(keys_in(view)), item.id
            strings = set(strings_in(view))
            assert not strings & rubric_texts, item.id
            for g in item.definition.get("gaps", []):
                assert not set(g["accepted"]) & strings, (item.id, g["id"])
            if item.parameters is not None:
                assert item.parameters.provenance.get("rule", "\0") not in text
            if item.type == "ordering":
                assert [o["id"] for o in view["options"]] != item.definition["key"], item.id
            mutated = _mutated_key(item)
            if mutated is not None:
                rng = None if seed is None else random.Random(f"{seed}:{item.id}")
                rng2 = None if seed is None else random.Random(f"{seed}:{item.id}")
                itype = REGISTRY[item.type]
                assert itype.view(item.definition, rng) == itype.view(mutated, rng2), item.id
    for testlet in real_bank.testlets.values():
        view = view_model_of_testlet(testlet, seed=3)
        assert not LEAK_FIELDS & set(keys_in(view)), testlet.id
        if testlet.stimulus.transcript:
            assert testlet.stimulus.transcript not in json.dumps(view, ensure_ascii=False)


def test_practice_sets_show_every_interaction_type(real_bank):
    from toetsbatterij.items.vocabulary import SKILL_TYPES

    for skill, ps in real_bank.practice.items():
        shown = {i.type for i in ps.items.values()}
        assert set(SKILL_TYPES[skill]) <= shown, (skill, set(SKILL_TYPES[skill]) - shown)


def test_operational_items_have_parameters_and_pool(real_bank):
    for skill in ("reading", "listening"):
        pool = real_bank.pool(skill, statuses=("operational", "pretest"))
        ops = [i for i in real_bank.items.values() if i.skill == skill and i.status in ("operational", "pretest")]
        assert pool.n == len(ops)
        for i in ops:
            row = pool.index[i.id]
            assert pool.n_categories[row] == i.max_score + 1


def test_real_manifests_build_designs_and_fixed_sections_resolve(real_bank):
    assert {"attest-4", "reading-listening"} <= set(real_bank.tests)
    attest = real_bank.tests["attest-4"]
    assert [s.skill for s in attest.sections] == ["reading", "listening", "writing", "speaking"]
    for m in real_bank.tests.values():
        for s in m.sections:
            assert m.cut_scores[s.skill]["A2"] == -1.2
            if s.mode == "adaptive":
                design = m.design(s.skill, version=real_bank.version)
                assert design.max_items == s.blueprint.length
                assert design.name == f"{m.id}/{s.skill}" and design.version == real_bank.version
            else:
                for x in s.items:
                    assert real_bank.items[x].rated and real_bank.items[x].skill == s.skill


def test_adaptive_sections_run_on_the_real_pool(real_bank):
    """The scoring engine can administer every adaptive section of every real manifest from the
    operational items (seeded simulation, 12 simulees per section)."""
    import numpy as np

    from toetsbatterij.scoring import simulate

    for m in real_bank.tests.values():
        for s in m.sections:
            if s.mode != "adaptive":
                continue
            design = m.design(s.skill, version=real_bank.version)
            pool = real_bank.pool(s.skill)
            report = simulate(design, pool, np.linspace(-2.5, 2.5, 12), seed=7)
            lengths = np.asarray(report.lengths)
            assert lengths.min() >= design.min_items, (m.id, s.skill)
            assert lengths.max() <= design.max_items + max(len(t.items) for t in real_bank.testlets.values()), (m.id, s.skill)
            assert np.all(np.isfinite(report.theta_hat))


def test_practice_feedback_names_no_option_letter(real_bank):
    # Options are shuffled and shown without letters: "Het goede antwoord is A" means nothing
    # to the candidate. Feedback refers to the option's text.
    offenders = []
    for ps in real_bank.practice.values():
        for item in ps.items.values():
            d = item.definition
            ids = {o["id"] for key in ("options", "targets", "sources") for o in d.get(key) or []}
            for option_id in ids:
                if re.search(rf"(?<!\w){re.escape(option_id)}(?!\w)", item.feedback or ""):
                    offenders.append(f"{item.id}: {option_id} in {item.feedback!r}")
    assert offenders == []


def test_enough_productive_tasks_and_long_b2_texts(real_bank):
    """Issue #15: at least 12 writing and 12 speaking tasks per level A1-B2, each rated on the
    rubric of its own skill and level and covering every topic of the level; at least three B2
    reading testlets of about 400-600 words and three B2 listening testlets with longer
    conversations or radio fragments (250+ spoken words)."""
    from collections import Counter

    live = [i for i in real_bank.items.values() if i.status != "retired"]
    for skill in ("writing", "speaking"):
        per_level = Counter(i.level for i in live if i.skill == skill)
        assert all(per_level[lv] >= 12 for lv in ("A1", "A2", "B1", "B2")), (skill, per_level)
        for item in (i for i in live if i.skill == skill):
            assert item.rubric == f"{skill}-{item.level.lower()}", item.id
        for lv in ("A1", "A2", "B1", "B2"):
            topics = {i.topic for i in live if i.skill == skill and i.level == lv}
            assert topics == set(real_bank.vocabulary.topics), (skill, lv, set(real_bank.vocabulary.topics) - topics)
    long_reading = [t for t in real_bank.testlets.values() if t.skill == "reading" and t.level == "B2"
                    and 400 <= len(t.stimulus.text.split()) <= 600]
    assert len(long_reading) >= 3, [t.id for t in long_reading]
    long_listening = [t for t in real_bank.testlets.values() if t.skill == "listening" and t.level == "B2"
                      and sum(len(turn["text"].split()) for turn in t.stimulus.script) >= 250]
    assert len(long_listening) >= 3, [t.id for t in long_listening]

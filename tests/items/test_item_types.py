"""Item types: validation messages, scoring, normalisation, view models."""

from __future__ import annotations

import copy
import json

import pytest

from toetsbatterij.items import (
    InvalidResponse,
    ItemValidationError,
    Normalisation,
    NotAutoScored,
    normalise,
    parse_item,
    review_model,
    rubric_score,
    score,
    view_model,
    view_model_of_testlet,
)
from toetsbatterij.items.bank import load_bank
from toetsbatterij.items.parameters import LEVEL_ANCHORS, id_offset, provisional

from .itemfixtures import GAPS, MATCH, MULTI, ORDER, RUBRIC, SINGLE, TESTLET, WRITING


def one(doc, **kw):
    return parse_item(copy.deepcopy(doc), "x.yaml", **kw)


def problems_of(doc):
    with pytest.raises(ItemValidationError) as exc:
        parse_item(doc, "x.yaml")
    return [(p.field, p.message) for p in exc.value.problems]


def test_single_choice_scores_key_and_distractors():
    item = one(SINGLE)[0]
    assert score(item, "B") == 1
    assert score(item, "A") == 0
    assert score(item, None) == 0
    assert score(item, "") == 0
    assert item.max_score == 1


@pytest.mark.parametrize("raw", ["Z", 3.5, ["B"], {"x": 1}, "B" * 500, True])
def test_single_choice_malformed_raises(raw):
    with pytest.raises(InvalidResponse, match="R-A2-0001"):
        score(one(SINGLE)[0], raw)


def test_multiple_response_per_option_and_all_or_nothing():
    item = one(MULTI)[0]
    assert item.max_score == 2
    assert score(item, ["A", "C"]) == 2
    assert score(item, ["A"]) == 1
    assert score(item, ["A", "B"]) == 0
    assert score(item, ["A", "B", "C"]) == 1
    assert score(item, "A") == 1
    aon = one({**MULTI, "scoring": "all_or_nothing"})[0]
    assert aon.max_score == 1
    assert score(aon, ["C", "A"]) == 1
    assert score(aon, ["A"]) == 0
    with pytest.raises(InvalidResponse):
        score(item, ["A", "A"])
    with pytest.raises(InvalidResponse):
        score(item, ["A", "Q"])


def test_text_entry_per_gap_with_normalisation():
    item = one(GAPS)[0]
    assert item.max_score == 2
    assert score(item, {"g1": "  Maandag. ", "g2": "één uur"}) == 2
    assert score(item, {"g1": "MA", "g2": "een uur"}) == 1     # accents count by default
    assert score(item, {"g1": "dinsdag"}) == 0
    loose = one({**GAPS, "normalisation": {"diacritics": True}})[0]
    assert score(loose, {"g1": "ma", "g2": "een  uur!"}) == 2
    strict = one({**GAPS, "normalisation": {"case": False}, "scoring": "all_or_nothing"})[0]
    assert score(strict, {"g1": "Maandag", "g2": "één uur"}) == 0
    assert score(strict, {"g1": "maandag", "g2": "één uur"}) == 1
    with pytest.raises(InvalidResponse):
        score(item, {"g9": "x"})
    with pytest.raises(InvalidResponse):
        score(item, {"g1": 4})
    with pytest.raises(InvalidResponse):
        score(item, ["maandag"])


def test_normalise_rules():
    assert normalise("  Maandag . ") == "maandag"
    assert normalise("’s Avonds") == "'s avonds"
    assert normalise("e\u0301e\u0301n") == normalise("één")              # NFC
    assert normalise("één", Normalisation(diacritics=True)) == "een"
    assert normalise("10.30") == "10.30"                                # inner punctuation counts
    assert normalise("A  B", Normalisation(spaces=False)) == "a  b"
    assert normalise("Ja!", Normalisation(punctuation=False)) == "ja!"


def test_ordering_and_matching():
    order = one(ORDER)[0]
    assert order.max_score == 4
    assert score(order, ["A", "B", "C", "D"]) == 4
    assert score(order, ["B", "A", "C", "D"]) == 2
    assert score(order, ["B", "C", "D", "A"]) == 0
    with pytest.raises(InvalidResponse):
        score(order, ["A", "B", "C"])
    with pytest.raises(InvalidResponse):
        score(order, ["A", "A", "C", "D"])
    match = one(MATCH)[0]
    assert match.max_score == 2
    assert score(match, {"s1": "t2", "s2": "t1"}) == 2
    assert score(match, {"s1": "t2", "s2": ""}) == 1
    assert score(match, {"s1": "t3"}) == 0
    with pytest.raises(InvalidResponse):
        score(match, {"s1": "t9"})
    with pytest.raises(InvalidResponse):
        score(match, {"s9": "t1"})


def test_rated_items_are_not_auto_scored_and_rubric_sums():
    item = one(WRITING, rubric_max={"writing-a2": 3})[0]
    assert item.max_score == 3
    assert item.parameters.model == "gpcm" and len(item.parameters.thresholds) == 3
    with pytest.raises(NotAutoScored):
        score(item, "Beste juf")
    from toetsbatterij.items.parse import parse_rubric
    from toetsbatterij.items.vocabulary import DEFAULT_VOCABULARY_PATH, Vocabulary

    rubric, probs = parse_rubric(RUBRIC, "r.yaml", Vocabulary.load(DEFAULT_VOCABULARY_PATH))
    assert not probs and rubric.max_score == 3
    assert rubric_score(rubric, {"task": 2, "grammar": 1}) == 3
    with pytest.raises(InvalidResponse):
        rubric_score(rubric, {"task": 3, "grammar": 1})
    with pytest.raises(InvalidResponse):
        rubric_score(rubric, {"task": 1})


@pytest.mark.parametrize("mutate, field, fragment", [
    (lambda d: d.update(key="Q"), "key", "not one of the option ids"),
    (lambda d: d.pop("prompt"), "prompt", "required"),
    (lambda d: d.update(topic="weather"), "topic", "must be one of"),
    (lambda d: d.update(task_type="dialogue"), "task_type", "must be one of"),
    (lambda d: d.update(level="C2"), "level", "must be one of"),
    (lambda d: d.update(id="R-A1-0001"), "id", "does not follow"),
    (lambda d: d.update(type="spoken_response"), "type", "cannot be"),
    (lambda d: d.update(colour="red"), "colour", "unknown field"),
    (lambda d: d["options"].append({"id": "A", "text": "dubbel"}), "options[3].id", "duplicate"),
    (lambda d: d.update(options=[{"id": "A", "text": "x"}]), "options", "at least 2"),
    (lambda d: d.update(parameters={"model": "2pl", "a": -1, "b": 0,
                                    "provenance": {"source": "expert"}}), "parameters.a", "above"),
    (lambda d: d.update(parameters={"model": "2pl", "a": 1, "b": 9,
                                    "provenance": {"source": "expert"}}), "parameters.b", "at most"),
    (lambda d: d.update(parameters={"model": "2pl", "a": 1, "b": 0,
                                    "provenance": {"source": "calibration"}}),
     "parameters.provenance.calibration_id", "required"),
    (lambda d: d["stimulus"].update(kind="audio"), "stimulus.src", "required"),
])
def test_validation_names_field(mutate, field, fragment):
    doc = copy.deepcopy(SINGLE)
    mutate(doc)
    found = problems_of(doc)
    assert any(f == field and fragment in m for f, m in found), found


def test_validation_of_other_types():
    assert any(f == "key" for f, _ in problems_of({**ORDER, "key": ["A", "B", "C"]}))
    assert any(f == "key" for f, _ in problems_of({**MATCH, "key": {"s1": "t1"}}))
    assert any(f == "text" for f, _ in problems_of({**GAPS, "text": "Alleen {{g1}}."}))
    assert any(f == "parameters.thresholds" for f, _ in problems_of(
        {**ORDER, "parameters": {**ORDER["parameters"], "thresholds": [0.1]}}))
    assert any(f == "parameters.model" for f, _ in problems_of(
        {**ORDER, "parameters": {"model": "2pl", "a": 1, "b": 0, "provenance": {"source": "expert"}}}))
    assert any(f == "key" and "every option" in m
               for f, m in problems_of({**MULTI, "key": ["A", "B", "C", "D"]}))
    bad_testlet = copy.deepcopy(TESTLET)
    bad_testlet["items"][1]["id"] = "L-A2-T001-7"
    assert any(f == "items[1].id" for f, _ in problems_of(bad_testlet))
    spoken_digits = copy.deepcopy(TESTLET)
    spoken_digits["stimulus"]["script"][0]["text"] = "Spoor 4."
    assert any("script[0].text" in f for f, _ in problems_of(spoken_digits))


def test_provisional_parameters_follow_the_rule():
    for level, anchor in LEVEL_ANCHORS.items():
        p = provisional(f"R-{level}-0007", level, 1)
        assert p.model == "2pl" and p.a == 1.0
        assert abs(p.b - anchor) <= 0.4 + 1e-9
        assert p.provenance == {"source": "provisional", "rule": "level-anchor-v1"}
    assert provisional("X", "A1", 1) == provisional("X", "A1", 1)
    assert len({round(id_offset(f"R-A1-{k:04d}"), 6) for k in range(50)}) == 50
    poly = provisional("R-B1-0002", "B1", 3)
    t = poly.thresholds
    assert poly.model == "gpcm" and len(t) == 3
    assert t[2] - t[0] == pytest.approx(1.6) and t[1] == pytest.approx(0.6 + id_offset("R-B1-0002"), abs=1e-5)
    item = one(SINGLE)[0]
    assert item.parameters.provisional and not item.explicit_parameters
    calibrated = one(ORDER)[0]
    assert calibrated.parameters.model == "gpcm" and not calibrated.parameters.provisional


LEAK_FIELDS = {"key", "accepted", "parameters", "provenance", "rubric", "transcript", "script",
               "feedback", "notes", "a", "b", "c", "thresholds", "author", "status"}


def all_keys(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from all_keys(v)
    elif isinstance(value, list):
        for v in value:
            yield from all_keys(v)


@pytest.mark.parametrize("doc", [SINGLE, MULTI, GAPS, ORDER, MATCH])
def test_view_model_is_json_safe_and_independent_of_key(doc):
    item = one(doc)[0]
    view = view_model(item, seed=7)
    json.dumps(view)
    assert not LEAK_FIELDS & set(all_keys(view))
    # Changing the key, accepted answers or parameters never changes the view (ordering aside,
    # which is rotated when the shuffle happens to show the key).
    changed = copy.deepcopy(doc)
    changed["parameters"] = {"model": "gpcm", "a": 2.0, "thresholds": [0.5] * item.max_score,
                             "provenance": {"source": "expert"}} if item.max_score > 1 else \
        {"model": "3pl", "a": 2.0, "b": 1.5, "c": 0.2, "provenance": {"source": "expert"}}
    if doc is SINGLE:
        changed["key"] = "C"
    elif doc is MULTI:
        changed["key"] = ["B", "D"]
    elif doc is GAPS:
        changed["gaps"] = [{"id": "g1", "accepted": ["zzz"]}, {"id": "g2", "accepted": ["yyy"]}]
    elif doc is MATCH:
        changed["key"] = {"s1": "t3", "s2": "t3"}
    if doc is not ORDER:
        assert view_model(one(changed)[0], seed=7) == view
    text = json.dumps(view, ensure_ascii=False)
    for g in item.definition.get("gaps", []):
        for a in g["accepted"]:
            assert f'"{a}"' not in text


def test_view_model_shuffle_is_seeded():
    item = one({**SINGLE, "options": [{"id": c, "text": f"optie {c}"} for c in "ABCDE"], "key": "A"})[0]
    orders = {tuple(o["id"] for o in view_model(item, seed=s)["options"]) for s in range(30)}
    assert len(orders) > 5
    assert view_model(item, seed=3) == view_model(item, seed=3)
    assert [o["id"] for o in view_model(item)["options"]] == list("ABCDE")
    fixed = one({**SINGLE, "shuffle": False})[0]
    assert [o["id"] for o in view_model(fixed, seed=5)["options"]] == ["A", "B", "C"]


def test_ordering_view_never_shows_the_key_order():
    item = one(ORDER)[0]
    for seed in [None, *range(200)]:
        assert [o["id"] for o in view_model(item, seed=seed)["options"]] != item.definition["key"]


def test_testlet_view_hides_transcript(mini_bank_path):
    bank = load_bank(mini_bank_path)
    view = view_model_of_testlet(bank.testlets["L-A2-T001"], seed=1)
    assert view["stimulus"] == {"kind": "audio", "src": "L-A2-T001.ogg", "max_plays": 2}
    assert "tien uur" not in json.dumps(view) and "10.15" not in json.dumps(view)
    assert [i["id"] for i in view["items"]] == ["L-A2-T001-1", "L-A2-T001-2"]


def test_review_model_has_everything_and_is_json_safe():
    item = one(GAPS)[0]
    review = review_model(item)
    json.dumps(review)
    assert review["definition"]["gaps"][0]["accepted"] == ["maandag", "ma"]
    assert review["parameters"]["provenance"]["source"] == "provisional"


def test_paste_and_retake_policies_of_rated_tasks():
    writing = one(WRITING)[0]
    assert writing.definition["paste"] == "blocked"  # the default: no paste from outside
    assert view_model(writing, 1)["paste"] == "blocked"
    assert one({**WRITING, "paste": "allowed"})[0].definition["paste"] == "allowed"
    assert any(f == "paste" and "must be one of" in m
               for f, m in problems_of({**WRITING, "paste": "sometimes"}))
    speaking = {"id": "S-A2-0001", "skill": "speaking", "level": "A2", "topic": "health",
                "task_type": "describe", "status": "operational", "author": "test",
                "type": "spoken_response", "prompt": "Vertel over de dokter.",
                "preparation_seconds": 10, "response_seconds": 30, "rubric": "speaking-a2"}
    assert one(speaking)[0].definition["retakes"] == 1  # the default: one re-recording
    assert view_model(one({**speaking, "retakes": 0})[0], 1)["retakes"] == 0
    for bad, fragment in ((4, "at most 3"), (-1, "at least 0"), ("1", "whole number")):
        assert any(f == "retakes" and fragment in m
                   for f, m in problems_of({**speaking, "retakes": bad}))

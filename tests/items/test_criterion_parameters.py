"""GPCM parameters per rubric criterion of rated items: written in the item file or provisional
per criterion, validated, part of the form document (and so of the form version), carried
through QTI, and the scoring of rated sections through the form."""

from __future__ import annotations

import copy
import io
from pathlib import Path

import numpy as np
import pytest
import yaml
from bankfixture import write_bank as write_delivery_bank

from toetsbatterij.items import (
    TestForm,
    UnknownContent,
    build_form,
    build_forms,
    load_bank,
    provisional,
)
from toetsbatterij.items.check import check_bank
from toetsbatterij.items.qti import export_package, import_package
from toetsbatterij.rating.resolution import Observation, RatingValues, Thresholds, resolve
from toetsbatterij.scoring import CutScores, RatedObservation, classify, rated_eap

from .itemfixtures import MANIFEST, REAL_BANK, RUBRIC, WRITING, write_bank

WRITTEN = {"task": {"model": "gpcm", "a": 1.3, "thresholds": [-1.25, 0.35],
                    "provenance": {"source": "calibration", "calibration_id": "cal-rated",
                                   "n": 420}}}


def _docs(writing: dict) -> list[dict]:
    from .itemfixtures import GAPS, MATCH, MULTI, ORDER, SINGLE, TESTLET

    return [SINGLE, MULTI, GAPS, ORDER, MATCH, TESTLET, writing]


def _bank(root: Path, writing: dict | None = None) -> Path:
    return write_bank(root, _docs(writing or WRITING))


def test_provisional_per_criterion_by_the_items_rule(tmp_path):
    item = load_bank(_bank(tmp_path)).items["W-A2-0001"]
    assert list(item.criterion_parameters) == ["task", "grammar"]  # the rubric's order
    assert item.explicit_criteria == ()
    for criterion in RUBRIC["criteria"]:
        cid, top = criterion["id"], max(lv["score"] for lv in criterion["levels"])
        assert item.criterion_parameters[cid] == provisional(f"W-A2-0001/{cid}", "A2", top)
    assert item.criterion_parameters["task"].model == "gpcm"
    assert len(item.criterion_parameters["task"].thresholds) == 2
    assert item.criterion_parameters["grammar"].model == "2pl"  # 0/1: the one-threshold GPCM
    machine = load_bank(_bank(tmp_path / "b")).items["R-A2-0001"]
    assert machine.criterion_parameters == {}


def test_written_parameters_are_used_and_the_rest_stays_provisional(tmp_path):
    bank = load_bank(_bank(tmp_path, {**WRITING, "criterion_parameters": WRITTEN}))
    item = bank.items["W-A2-0001"]
    task = item.criterion_parameters["task"]
    assert (task.model, task.a, task.thresholds) == ("gpcm", 1.3, (-1.25, 0.35))
    assert task.provenance["source"] == "calibration"
    assert item.criterion_parameters["grammar"] == provisional("W-A2-0001/grammar", "A2", 1)
    assert item.explicit_criteria == ("task",)
    # The written block is part of the item's content hash and of the bank version.
    plain = load_bank(_bank(tmp_path / "plain"))
    assert plain.items["W-A2-0001"].content_hash != item.content_hash
    assert plain.version != bank.version


BAD = {
    "unknown criterion": ({"spelling": WRITTEN["task"]}, "criterion_parameters.spelling",
                          "no criterion 'spelling'"),
    "not gpcm": ({"task": {"model": "grm", "a": 1.0, "thresholds": [-1.0, 0.5],
                           "provenance": {"source": "expert"}}},
                 "criterion_parameters.task.model", "gpcm"),
    "threshold count": ({"task": {**WRITTEN["task"], "thresholds": [-1.0]}},
                        "criterion_parameters.task.thresholds", "needs 2 thresholds"),
    "no provenance": ({"task": {"model": "gpcm", "a": 1.0, "thresholds": [-1.0, 0.5]}},
                      "criterion_parameters.task.provenance", ""),
    "a out of range": ({"task": {**WRITTEN["task"], "a": 9.0}}, "criterion_parameters.task.a",
                       ""),
    "not a mapping": (["task"], "criterion_parameters", ""),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_the_check_refuses_bad_criterion_parameters(case, tmp_path):
    block, field, words = BAD[case]
    report = check_bank(_bank(tmp_path, {**WRITING, "criterion_parameters": block}))
    assert not report.ok
    found = [p for p in report.problems if p.file.endswith("W-A2-0001.yaml")]
    assert any(p.field == field and words in p.message for p in found), found


def test_only_rated_items_have_criterion_parameters(tmp_path):
    from .itemfixtures import SINGLE

    docs = _docs(WRITING)
    docs[0] = {**SINGLE, "criterion_parameters": WRITTEN}
    report = check_bank(write_bank(tmp_path, docs))
    assert any(p.field == "criterion_parameters" and "only a rated item" in p.message
               for p in report.problems), report.problems


def test_every_rated_item_of_the_real_forms_has_parameters_for_every_criterion():
    forms = build_forms(load_bank(REAL_BANK))
    rated = 0
    for form in forms.values():
        for item in form.items.values():
            if not item.rated:
                assert form.criterion_parameters(item.id) == {}
                continue
            rated += 1
            rubric = form.rubric_of(item.id) or form.rubrics[item.rubric]
            params = form.criterion_parameters(item.id)
            assert set(params) == {c.id for c in rubric.criteria}, item.id
            for c in rubric.criteria:
                assert params[c.id].n_categories == c.max_score + 1
    assert rated >= 5


# -- the form document and its version ------------------------------------------------------------


def _delivery_bank(root: Path, block: dict | None = None) -> Path:
    write_delivery_bank(root)
    if block is not None:
        path = root / "items" / "writing" / "a2" / "W-A2-0001.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["criterion_parameters"] = block
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
    return root


def _version(root: Path, test_id: str) -> str:
    return build_form(load_bank(root), test_id).version


def test_criterion_parameters_are_in_the_form_document(tmp_path):
    form = build_form(load_bank(_delivery_bank(tmp_path / "a", WRITTEN)), "lezen-schrijven")
    doc = form.to_document()
    (item_doc,) = [d for d in doc["items"] if d["id"] == "W-A2-0001"]
    assert set(item_doc["criterion_parameters"]) == {"task", "coherence", "vocabulary", "grammar"}
    assert item_doc["criterion_parameters"]["task"]["thresholds"] == [-1.25, 0.35]
    again = TestForm.from_document(doc, form._asset_root)
    assert again.version == form.version
    assert again.criterion_parameters("W-A2-0001") == form.criterion_parameters("W-A2-0001")
    assert again.item("W-A2-0001") == form.item("W-A2-0001")


@pytest.mark.parametrize("change", ["a", "threshold", "provenance", "another_criterion_written"])
def test_changing_one_criterion_parameter_changes_the_form_version(change, tmp_path):
    base_root = _delivery_bank(tmp_path / "base", WRITTEN)
    base = {t: _version(base_root, t) for t in ("lezen-schrijven", "lezen-luisteren")}
    assert _version(_delivery_bank(tmp_path / "same", WRITTEN), "lezen-schrijven") == \
        base["lezen-schrijven"]
    block = copy.deepcopy(WRITTEN)
    if change == "a":
        block["task"]["a"] = 1.31
    elif change == "threshold":
        block["task"]["thresholds"][1] = 0.36
    elif change == "provenance":
        block["task"]["provenance"]["n"] = 421
    else:
        # Written parameters for a criterion that had provisional ones
        block["grammar"] = {"model": "gpcm", "a": 1.0, "thresholds": [-1.0, 0.0],
                            "provenance": {"source": "expert"}}
    root = _delivery_bank(tmp_path / "changed", block)
    assert _version(root, "lezen-schrijven") != base["lezen-schrijven"]
    assert _version(root, "lezen-luisteren") == base["lezen-luisteren"]  # no rated task there


def test_the_provisional_criterion_parameters_are_part_of_the_version(tmp_path):
    """Writing down exactly the provisional values still changes the version: the provenance
    (written in the file, not derived) is content."""
    root = _delivery_bank(tmp_path / "a")
    form = build_form(load_bank(root), "lezen-schrijven")
    prov = form.criterion_parameters("W-A2-0001")["task"]
    block = {"task": {"model": "gpcm", "a": prov.a, "thresholds": list(prov.thresholds),
                      "provenance": {"source": "expert"}}}
    other = build_form(load_bank(_delivery_bank(tmp_path / "b", block)), "lezen-schrijven")
    assert other.criterion_parameters("W-A2-0001")["task"].thresholds == prov.thresholds
    assert other.version != form.version


def test_qti_exchange_keeps_written_criterion_parameters(tmp_path):
    bank = load_bank(_bank(tmp_path, {**WRITING, "criterion_parameters": WRITTEN}))
    buf = io.BytesIO()
    export_package(bank, buf)
    result = import_package(buf.getvalue())
    assert not result.problems
    (doc,) = [d for d in result.documents if d["id"] == "W-A2-0001"]
    assert doc["criterion_parameters"]["task"]["thresholds"] == [-1.25, 0.35]
    assert "grammar" not in doc["criterion_parameters"]  # provisional: not written out


def test_the_real_bank_check_stays_green():
    report = check_bank(REAL_BANK)
    assert report.ok, report.problems[:5]


# -- rated sections scored through the form ------------------------------------------------------

CRITERIA = {"task": 2, "coherence": 2, "vocabulary": 2, "grammar": 2}


@pytest.fixture(scope="module")
def rated_form(tmp_path_factory) -> TestForm:
    root = _delivery_bank(tmp_path_factory.mktemp("rated") / "bank", WRITTEN)
    return build_form(load_bank(root), "schrijven-spreken")


def _resolution(response_id: int, scores_a: dict, scores_b: dict, raters=(11, 12)):
    return resolve(response_id=response_id, item_id="W-A2-0001", rubric_id="writing-a2",
                   criteria=CRITERIA,
                   ratings=[RatingValues(1, raters[0], scores_a), RatingValues(2, raters[1], scores_b)],
                   thresholds=Thresholds())


def test_rated_classification_is_the_weighted_gpcm_eap_of_the_form_parameters(rated_form):
    res = _resolution(7, {"task": 2, "coherence": 1, "vocabulary": 1, "grammar": 0},
                      {"task": 1, "coherence": 1, "vocabulary": 2, "grammar": 1})
    got = rated_form.rated_classification(0, [res])
    params = rated_form.criterion_parameters("W-A2-0001")
    obs = [RatedObservation(params[o.criterion].a, params[o.criterion].thresholds, o.score,
                            o.weight) for o in res.observations]
    est = rated_eap(obs)
    decision = classify(est, CutScores.from_mapping(rated_form.cut_scores["writing"]), "A2")
    assert got.theta == pytest.approx(est.theta, abs=1e-12)
    assert got.se == pytest.approx(est.se, abs=1e-12)
    assert got.level == decision.level and got.target == "A2"
    assert got.probabilities == pytest.approx(decision.probabilities)
    assert got.p_correct == pytest.approx(decision.probabilities[decision.level])
    assert got.p_at_least_target == pytest.approx(decision.p_at_least_target)
    assert sum(got.probabilities.values()) == pytest.approx(1.0)
    # The task criterion's written parameters are used (a = 1.3), not the provisional ones.
    assert params["task"].a == 1.3


def test_severities_shift_the_thresholds_of_that_raters_observations(rated_form):
    scores = {"task": 1, "coherence": 1, "vocabulary": 1, "grammar": 1}
    res = _resolution(7, scores, scores)
    raw = rated_form.rated_classification(0, [res])
    assert rated_form.rated_classification(0, [res], {}).theta == raw.theta
    severe = rated_form.rated_classification(0, [res], {11: 0.6, 12: 0.6})
    lenient = rated_form.rated_classification(0, [res], {11: -0.6, 12: -0.6})
    assert lenient.theta < raw.theta < severe.theta
    # A shift of every threshold by s is a shift of theta by s in the likelihood: with a flat
    # enough prior the posterior mean moves by nearly s (the N(0, 1) prior pulls it back).
    assert 0.2 < severe.theta - raw.theta < 0.6
    # A rater without a severity counts as 0.
    assert rated_form.rated_classification(0, [res], {99: 3.0}).theta == raw.theta


def test_rated_classification_refuses_what_does_not_fit(rated_form):
    with pytest.raises(UnknownContent):
        rated_form.rated_classification(0, [_FakeProduction("W-A2-0001", "spelling", 1)])
    with pytest.raises(UnknownContent):
        rated_form.rated_classification(0, [_FakeProduction("W-A2-0001", "task", 3)])
    with pytest.raises(UnknownContent):
        rated_form.rated_classification(0, [_FakeProduction("R-A2-0001", "task", 1)])
    assert rated_form.rated_classification(1, []).as_tuple() == (None, None, "")


def test_rated_classification_refuses_an_adaptive_section(tmp_path):
    form = build_form(load_bank(_delivery_bank(tmp_path / "b")), "lezen-schrijven")
    with pytest.raises(UnknownContent):
        form.rated_classification(0, [])
    res = _resolution(3, dict.fromkeys(CRITERIA, 2), dict.fromkeys(CRITERIA, 2))
    assert form.rated_classification(1, [res]).level  # the fixed writing section


class _FakeProduction:
    def __init__(self, item_id: str, criterion: str, score: int) -> None:
        self.item_id = item_id
        self.observations = (Observation(criterion, score, 1.0, 5),)


def test_mini_manifest_rubric_with_a_dichotomous_criterion(tmp_path):
    form = build_form(load_bank(_bank(tmp_path)), MANIFEST["id"])
    res = resolve(response_id=1, item_id="W-A2-0001", rubric_id="writing-a2",
                  criteria={"task": 2, "grammar": 1},
                  ratings=[RatingValues(1, 1, {"task": 2, "grammar": 1}),
                           RatingValues(2, 2, {"task": 2, "grammar": 1})],
                  thresholds=Thresholds())
    got = form.rated_classification(1, [res])
    grammar = form.criterion_parameters("W-A2-0001")["grammar"]
    obs = [RatedObservation(form.criterion_parameters("W-A2-0001")["task"].a,
                            form.criterion_parameters("W-A2-0001")["task"].thresholds, 2, 1.0),
           RatedObservation(grammar.a, (grammar.b,), 1, 1.0)]
    assert got.theta == pytest.approx(rated_eap(obs).theta, abs=1e-12)
    assert np.isfinite(got.se) and got.se > 0


def test_a_document_from_before_criterion_parameters_gets_the_provisional_ones(tmp_path):
    """Forms pinned before the parameters per criterion were part of the document rebuild with
    the provisional parameters the bank gave their rated items (id, level, rubric: all in the
    document), and keep their version."""
    from toetsbatterij.items.form import _digest

    form = build_form(load_bank(_delivery_bank(tmp_path / "a")), "schrijven-spreken")
    doc = form.to_document()
    for d in doc["items"]:
        d.pop("criterion_parameters")
        d.pop("explicit_criteria")
    doc["version"] = _digest(doc)
    old = TestForm.from_document(doc, form._asset_root)
    assert old.version == doc["version"] != form.version
    for item_id in ("W-A2-0001", "S-A2-0001"):
        assert old.criterion_parameters(item_id) == form.criterion_parameters(item_id)

"""The typed, versioned test form (issue 8): its version covers exactly what can change a score
or a decision, its document rebuilds it without the bank, and it delivers what BankContent
delivered (same views, scores, selections and classifications)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from bankfixture import write_bank

from toetsbatterij.errors import InvalidInput
from toetsbatterij.items import (
    FormDocumentError,
    Selection,
    TestForm,
    UnknownContent,
    build_form,
    build_forms,
    load_bank,
)
from toetsbatterij.items.exposure import ExposureFileError
from toetsbatterij.scoring import rng_for

from .bank_reference import BankContent
from .itemfixtures import REAL_BANK

TEST = "lezen-luisteren"


def _bank(root: Path, *, sh: bool = True, k: dict | None = None) -> Path:
    """The delivery test bank; with Sympson-Hetter on in the reading section of lezen-luisteren
    and a K file for it."""
    write_bank(root)
    if sh:
        path = root / "tests" / f"{TEST}.yaml"
        manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
        manifest["sections"][0]["design"]["exposure"] = {"method": "sympson_hetter", "r_max": 0.5}
        path.write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
        (root / "exposure").mkdir()
        (root / "exposure" / f"{TEST}.yaml").write_text(yaml.safe_dump({
            "test": TEST, "sections": {"reading": {
                "r_max": 0.5, "k": k or {"R-A1-0001": 0.5, "R-A2-0008": 0.7}}}}),
            encoding="utf-8")
    return root


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _version(root: Path, test_id: str = TEST) -> str:
    return build_form(load_bank(root), test_id).version


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> tuple[Path, str]:
    root = _bank(tmp_path_factory.mktemp("form") / "bank")
    return root, _version(root)


def _set_k(d):
    d["sections"]["reading"]["k"]["R-A1-0001"] = 0.4


def _set_a(d):
    d["parameters"]["a"] = 1.5


def _set_member_b(d):
    d["items"][1]["parameters"]["b"] = 0.1


def _set_descriptor(d):
    d["criteria"][0]["levels"][0]["descriptor"] = "Iets anders."


def _set_cut(d):
    d["cut_scores"]["listening"]["B1"] = 0.1


def _set_scale(d):
    d["reporting_scale"] = {"intercept": 500, "slope": 50}


def _set_prompt(d):
    d["prompt"] = "Vraag 1: welke dag van de week?"


def _set_option(d):
    d["options"][0]["text"] = "maandagochtend"


def _set_practice_feedback(d):
    d["items"][0]["feedback"] = "Het juiste antwoord is A."


def _set_pretest_prompt(d):
    d["prompt"] = "Een andere vraag."


CHANGES = {
    "K value": ("exposure/lezen-luisteren.yaml", _set_k),
    "parameter": ("items/reading/a1/R-A1-0001.yaml", _set_a),
    "testlet member parameter": ("items/listening/a1/L-A1-T001.yaml", _set_member_b),
    "cut score": ("tests/lezen-luisteren.yaml", _set_cut),
    "reporting scale": ("tests/lezen-luisteren.yaml", _set_scale),
    "item text": ("items/reading/a1/R-A1-0001.yaml", _set_prompt),
    "option text": ("items/reading/b2/R-B2-0020.yaml", _set_option),
    "practice item": ("practice/reading.yaml", _set_practice_feedback),
    "pretest item": ("items/reading/a2/R-A2-0201.yaml", _set_pretest_prompt),
}


@pytest.mark.parametrize("what", sorted(CHANGES))
def test_changing_one_thing_changes_the_version(what, base, tmp_path):
    root = _bank(tmp_path / "bank")
    assert _version(root) == base[1]  # written twice, same content: same version
    rel, change = CHANGES[what]
    _edit(root / rel, change)
    assert _version(root) != base[1]


def test_changing_a_rubric_changes_the_version_of_the_form_that_uses_it(tmp_path):
    root = _bank(tmp_path / "bank")
    before = {t: _version(root, t) for t in (TEST, "lezen-schrijven")}
    _edit(root / "rubrics" / "writing-a2.yaml", _set_descriptor)
    assert _version(root, "lezen-schrijven") != before["lezen-schrijven"]
    assert _version(root, TEST) == before[TEST]  # no rated task there


@pytest.mark.parametrize("asset", ["items/listening/a1/L-A1-T001.ogg",
                                   "items/reading/a1/R-A1-0301.png",
                                   "practice/PL-A1-0001.ogg"])
def test_changing_a_stimulus_file_changes_the_version(asset, base, tmp_path):
    root = _bank(tmp_path / "bank")
    path = root / asset
    path.write_bytes(path.read_bytes() + b"\0")
    assert _version(root) != base[1]


def test_unrelated_files_leave_the_version_alone(base, tmp_path):
    root = _bank(tmp_path / "bank")
    # The other manifest, a writing item and the writing practice set are not on this form.
    _edit(root / "tests" / "lezen-schrijven.yaml", lambda d: d.update(name="Iets anders"))
    _edit(root / "items" / "writing" / "a2" / "W-A2-0001.yaml",
          lambda d: d.update(prompt="Schrijf een mail aan de juf."))
    _edit(root / "rubrics" / "writing-a2.yaml", _set_descriptor)
    (root / "practice" / "writing.yaml").write_text(yaml.safe_dump({
        "skill": "writing", "items": [{
            "id": "PW-A1-0001", "skill": "writing", "level": "A1", "type": "extended_text",
            "prompt": "Schrijf je naam.", "min_words": 1, "max_words": 10,
            "rubric": "writing-a2"}]}), encoding="utf-8")
    (root / "README.md").write_text("notes\n", encoding="utf-8")
    assert load_bank(root).version != load_bank(_bank(tmp_path / "other")).version
    assert _version(root) == base[1]


def test_k_values_are_checked_against_the_manifest(tmp_path):
    root = _bank(tmp_path / "bank")
    _edit(root / "exposure" / f"{TEST}.yaml", lambda d: d["sections"]["reading"].update(r_max=0.3))
    with pytest.raises(ExposureFileError, match="r_max"):
        build_form(load_bank(root), TEST)
    assert build_form(load_bank(root), "lezen-schrijven").k_values == {}


def test_k_values_only_when_the_section_uses_sympson_hetter(base):
    form = build_form(load_bank(base[0]), TEST)
    reading, listening = form.pool(0), form.pool(1)
    assert reading.sh_k[reading.index["R-A1-0001"]] == 0.5
    assert reading.sh_k[reading.index["R-A2-0008"]] == 0.7
    assert float(listening.sh_k.min()) == 1.0
    assert form.pool(0) is form.pool(0)  # built once per form
    assert form.design(0) is form.design(0)


def test_sections_and_pinned_designs_are_typed(base):
    form = build_forms(load_bank(base[0]))["lezen-schrijven"]
    reading, writing = form.sections
    assert (reading.skill, reading.mode, reading.time_limit_minutes) == ("reading", "adaptive", 20)
    assert (writing.mode, writing.units, writing.design_name) == ("fixed", ("W-A2-0001",), "")
    design = form.design(0)
    assert (design.name, design.version) == ("lezen-schrijven/reading", form.version)
    assert form.design_version(0) == form.version and form.design_version(1) == ""
    assert design.cut_scores.cut_of("B1") == 0.0
    assert form.rubric_of("W-A2-0001").id == "writing-a2"
    assert set(form.rubrics) == {"writing-a2"}
    lezen = build_form(load_bank(base[0]), TEST)
    assert lezen.sections[0].pretest_positions == (2,)
    assert lezen.sections[0].pretest_due(1) and not lezen.sections[0].pretest_due(2)
    with pytest.raises(UnknownContent):
        form.design(1)
    with pytest.raises(UnknownContent):
        build_form(load_bank(base[0]), "bestaat-niet")


def test_the_form_holds_only_what_it_can_present(base):
    form = build_form(load_bank(base[0]), TEST)
    assert {i.skill for i in form.items.values()} == {"reading", "listening"}
    assert "W-A2-0001" not in form.items
    assert form.practice_units("reading") == ["PR-A1-0001"]
    assert form.practice_units("writing") == []
    assert form.pretest_units("reading") == ["R-A2-0201"]
    with pytest.raises(UnknownContent):
        form.unit("W-A2-0001")
    with pytest.raises(InvalidInput):  # the delivery's 400, never a 500
        form.score("W-A2-0001", "tekst")


# -- the document ---------------------------------------------------------------------------------


def _simulate(form, section_index, seed, n=12, pretest=True):
    """Drive a section as the delivery does; returns the selections and the final history."""
    rng = np.random.default_rng(seed)
    history: list[tuple[str, float]] = []
    seen: list[str] = []
    out = []
    presented: frozenset[str] = frozenset()
    for position in range(n):
        due = pretest and form.sections[section_index].pretest_due(position)
        choice = form.select(section_index, history, seen, seed, position, due, presented)
        out.append(choice)
        if choice.unit_id is None:
            break
        seen.append(choice.unit_id)
        presented |= set(form.item_ids(choice.unit_id))
        if choice.kind == "operational":
            history += [(i, float(rng.random() < 0.6)) for i in form.item_ids(choice.unit_id)]
    return out, history


def test_document_round_trip_behaves_identically(base, tmp_path):
    form = build_form(load_bank(base[0]), TEST)
    doc = form.to_document()
    text = json.dumps(doc)  # JSON-safe
    again = TestForm.from_document(json.loads(text), base[0])
    assert again.version == form.version
    assert again.to_document() == doc
    assert again.sections == form.sections
    for unit_id in form.unit_ids():
        assert again.candidate_view(unit_id, 7) == form.candidate_view(unit_id, 7)
        assert again.max_plays(unit_id) == form.max_plays(unit_id)
        assert again.feedback(unit_id) == form.feedback(unit_id)
        assert again.asset_path(unit_id, "audio") == form.asset_path(unit_id, "audio")
    for item_id in form.items:
        for raw in (None, "A", "B", ["A", "C"], {"g1": "zaterdagmarker"}, ["A", "B", "C"],
                    {"s1": "t2", "s2": "t1"}):
            try:
                expected = form.score(item_id, raw)
            except InvalidInput:
                with pytest.raises(InvalidInput):
                    again.score(item_id, raw)
            else:
                assert again.score(item_id, raw) == expected
    for index in (0, 1):
        for seed in range(5):
            ours, history = _simulate(form, index, seed)
            theirs, _ = _simulate(again, index, seed)
            assert ours == theirs
            assert again.classification(index, history) == form.classification(index, history)


def test_document_assets_can_come_from_a_content_addressed_store(base, tmp_path):
    form = build_form(load_bank(base[0]), TEST)
    store = tmp_path / "store"
    store.mkdir()
    for digest, rel in form.assets():
        (store / digest).write_bytes((base[0] / rel).read_bytes())
    again = TestForm.from_document(form.to_document(), lambda digest, rel: store / digest)
    again.verify_assets()
    path = again.asset_path("L-A1-T001", "audio")
    assert path.parent == store and path.read_bytes() == form.asset_path("L-A1-T001", "audio").read_bytes()
    assert ("items/listening/a1/L-A1-T001.ogg" in {rel for _, rel in form.assets()})
    (store / path.name).write_bytes(b"other")
    with pytest.raises(FormDocumentError):
        again.verify_assets()


@pytest.mark.parametrize("tamper", ["parameter", "k", "cut", "text", "asset", "version", "format"])
def test_a_tampered_document_is_refused(tamper, base):
    doc = build_form(load_bank(base[0]), TEST).to_document()
    item = next(d for d in doc["items"] if d["id"] == "R-A1-0001")
    if tamper == "parameter":
        item["parameters"]["b"] += 0.01
    elif tamper == "k":
        doc["exposure"]["reading"]["k"]["R-A1-0001"] = 1.0
    elif tamper == "cut":
        doc["manifest"]["cut_scores"]["reading"]["A2"] = -1.0
    elif tamper == "text":
        item["definition"]["prompt"] = "Vraag 1: welke maand?"
    elif tamper == "asset":
        rel = next(iter(doc["assets"]))
        doc["assets"][rel] = "0" * 64
    elif tamper == "version":
        doc["version"] = "f" * 64
    else:
        doc["format"] = 99
    with pytest.raises(FormDocumentError):
        TestForm.from_document(doc, base[0])


# -- same behaviour as BankContent ----------------------------------------------------------------


def _compare(bank, test_id, seeds, n=40):
    """Selections and classifications of the form equal BankContent's on seeded runs (pretest
    slots compared separately: the form draws them with the attempt's numpy generator)."""
    content = BankContent(bank)
    form = build_form(bank, test_id)
    manifest = dict(bank.tests[test_id].data)
    for index, section in enumerate(form.sections):
        for seed in seeds:
            rng = np.random.default_rng(seed)
            history: list[tuple[str, float]] = []
            seen: list[str] = []
            presented: frozenset[str] = frozenset()
            for position in range(n):
                ours = form.select(index, history, seen, seed, position, False, presented)
                theirs = content.select(manifest, index, history, seen, seed, position, False,
                                        presented)
                assert ours == theirs, (test_id, index, seed, position)
                if ours.unit_id is None:
                    break
                assert form.candidate_view(ours.unit_id, seed) == content.candidate_view(
                    ours.unit_id, seed)
                assert form.max_plays(ours.unit_id) == content.max_plays(ours.unit_id)
                seen.append(ours.unit_id)
                presented |= set(form.item_ids(ours.unit_id))
                history += [(i, float(rng.random() < 0.55)) for i in form.item_ids(ours.unit_id)]
                assert form.classify(index, history) == content.classify(manifest, index, history)
            if section.adaptive:
                assert ours.unit_id is None and ours.stop_reason  # every run ends
                full = form.classification(index, history)
                assert full.as_tuple() == content.classify(manifest, index, history)
                assert full.p_correct == full.probabilities[full.level]
                assert sum(full.probabilities.values()) == pytest.approx(1.0)


def test_form_selects_and_classifies_as_bank_content_on_the_test_bank(base):
    bank = load_bank(base[0])
    _compare(bank, TEST, seeds=range(6))
    _compare(bank, "lezen-schrijven", seeds=range(3))


def test_form_selects_and_classifies_as_bank_content_on_the_real_bank():
    bank = load_bank(REAL_BANK)
    for test_id in sorted(bank.tests):
        _compare(bank, test_id, seeds=(3, 11))


def test_form_views_and_scores_as_bank_content(base):
    bank = load_bank(base[0])
    content = BankContent(bank)
    form = build_form(bank, TEST)
    for unit_id in form.unit_ids():
        assert form.candidate_view(unit_id, 5) == content.candidate_view(unit_id, 5)
        assert form.item_ids(unit_id) == content.item_ids(unit_id)
        assert form.feedback(unit_id) == content.feedback(unit_id)
        assert form.asset_path(unit_id, "image") == content.asset_path(unit_id, "image")
        assert form.asset_path(unit_id, "audio") == content.asset_path(unit_id, "audio")
    for item_id in form.items:
        assert form.score(item_id, None) == content.score(item_id, None)
    assert form.score("R-A2-0102", {"g1": "Zaterdagmarker"}) == 1.0
    with pytest.raises(InvalidInput) as err:
        form.score("R-A2-0102", {"nope": "x"})
    assert err.value.msgid == "Dit antwoord kan niet verwerkt worden."
    assert form.practice_units("listening") == content.practice_units("listening")
    assert form.excluded_by_enemies(frozenset({"R-A1-0001"})) == content.excluded_by_enemies(
        frozenset({"R-A1-0001"}))


def test_enemies_bind_across_sections(tmp_path):
    root = _bank(tmp_path / "bank", sh=False)
    _edit(root / "items" / "reading" / "a1" / "R-A1-0001.yaml",
          lambda d: d.update(enemies=["L-A1-T001"]))
    form = build_form(load_bank(root), TEST)
    assert form.excluded_by_enemies({"R-A1-0001"}) == {"L-A1-T001-1", "L-A1-T001-2"}
    assert form.excluded_by_enemies({"L-A1-T001-2"}) == {"R-A1-0001"}
    for seed in range(10):
        choice = form.select(1, [], [], seed, 0, False, frozenset({"R-A1-0001"}))
        assert choice.unit_id != "L-A1-T001"


def test_pretest_units_are_drawn_with_the_attempts_numpy_generator(tmp_path):
    root = write_bank(tmp_path / "bank")
    for n in (202, 203, 204):
        src = yaml.safe_load((root / "items/reading/a2/R-A2-0201.yaml").read_text(encoding="utf-8"))
        src["id"] = f"R-A2-0{n}"
        src["prompt"] = f"Pretestvraag {n}?"
        (root / f"items/reading/a2/R-A2-0{n}.yaml").write_text(yaml.safe_dump(src),
                                                                encoding="utf-8")
    form = build_form(load_bank(root), TEST)
    units = form.pretest_units("reading")
    assert len(units) == 4
    drawn = set()
    for seed in range(20):
        for position in (1, 3):
            choice = form.select(0, [], [], seed, position, True)
            assert choice == Selection(
                units[int(rng_for(seed, position).integers(len(units)))], kind="pretest")
            drawn.add(choice.unit_id)
    assert drawn == set(units)
    # a seen pretest unit is never drawn again; none left: the adaptive part goes on
    choice = form.select(0, [], units, 1, 1, True)
    assert choice.kind == "operational" and choice.unit_id not in units


def test_the_bank_check_lists_every_form_and_refuses_k_values_that_do_not_fit(tmp_path):
    from toetsbatterij.items.check import check_bank

    root = _bank(tmp_path / "bank")
    report = check_bank(root)
    assert report.ok and report.forms == {t: f.version
                                          for t, f in build_forms(load_bank(root)).items()}
    _edit(root / "exposure" / f"{TEST}.yaml", lambda d: d["sections"]["reading"].update(r_max=0.3))
    report = check_bank(root)
    assert not report.ok and not report.forms
    assert any("r_max" in p.message for p in report.problems)

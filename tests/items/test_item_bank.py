"""Bank loading, version hash, the check command, and conversion to an ItemPool."""

from __future__ import annotations

import copy
import os
import subprocess
import sys

import numpy as np
import pytest
import yaml

from toetsbatterij.items import BankError, load_bank, load_bank_cached
from toetsbatterij.items.check import check_bank

from .itemfixtures import (
    GAPS,
    MANIFEST,
    MATCH,
    MULTI,
    ORDER,
    ROOT,
    SINGLE,
    TESTLET,
    WRITING,
    opus_bytes,
    png_bytes,
    write_bank,
)


def test_load_bank_flattens_testlets(mini_bank_path):
    bank = load_bank(mini_bank_path)
    assert set(bank.items) == {"R-A2-0001", "R-A2-0002", "R-B1-0001", "R-B1-0002", "R-A1-0001",
                               "L-A2-T001-1", "L-A2-T001-2", "W-A2-0001"}
    member = bank.items["L-A2-T001-2"]
    assert member.testlet_id == "L-A2-T001" and member.position == 2
    assert member.topic == "transport" and member.status == "operational"
    assert bank.testlet_of(member).item_ids == ("L-A2-T001-1", "L-A2-T001-2")
    assert bank.items["W-A2-0001"].max_score == 3
    assert bank.rubrics["writing-a2"].max_score == 3
    assert bank.tests["mini"].section("writing").items == ("W-A2-0001",)
    assert len(bank.version) == 64 and all(len(i.content_hash) == 64 for i in bank.items.values())


def test_version_changes_with_scoring_but_not_with_wording(tmp_path):
    base = load_bank(write_bank(tmp_path / "a")).version
    assert load_bank(write_bank(tmp_path / "b")).version == base
    reworded = copy.deepcopy(SINGLE)
    reworded["prompt"] = "Welke dag is het voor de gele zak?"
    assert load_bank(write_bank(tmp_path / "c", [reworded, GAPS, ORDER, MATCH, TESTLET, WRITING,
                                                  MULTI])).version == base
    for n, change in enumerate([
        lambda d: d.update(key="C"),
        lambda d: d.update(status="retired"),
        lambda d: d.update(parameters={"model": "2pl", "a": 1.2, "b": 0.1,
                                       "provenance": {"source": "expert"}}),
        lambda d: d["options"][0].update(text="op zondag"),
    ]):
        doc = copy.deepcopy(SINGLE)
        change(doc)
        docs = [doc, GAPS, ORDER, MATCH, TESTLET, WRITING, MULTI]
        assert load_bank(write_bank(tmp_path / f"d{n}", docs)).version != base, n
    cuts = copy.deepcopy(MANIFEST)
    cuts["cut_scores"]["reading"]["B1"] = 0.1
    assert load_bank(write_bank(tmp_path / "e", manifests=[cuts])).version != base


def test_content_hash_covers_assets(tmp_path):
    a = load_bank(write_bank(tmp_path / "a"))
    b = load_bank(write_bank(tmp_path / "b", assets={"items/listening/a2/L-A2-T001.ogg": opus_bytes(2.5)}))
    assert a.items["L-A2-T001-1"].content_hash != b.items["L-A2-T001-1"].content_hash
    assert a.items["R-A2-0001"].content_hash == b.items["R-A2-0001"].content_hash


def test_strict_load_lists_every_problem(tmp_path):
    dup = copy.deepcopy(SINGLE)
    root = write_bank(tmp_path / "bank", [SINGLE, {**GAPS, "key": "x"}, {**MATCH, "enemies": ["R-A2-9999"]}])
    (root / "items/reading/a2/R-A2-0005.yaml").write_text(yaml.safe_dump(dup), encoding="utf-8")
    (root / "items/reading/a2/R-A2-0006.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(BankError) as exc:
        load_bank(root)
    text = str(exc.value)
    assert "items/reading/b1/R-B1-0001.yaml: key: unknown field" in text
    assert "items/reading/a1/R-A1-0001.yaml: enemies: enemy 'R-A2-9999' does not exist" in text
    assert "R-A2-0005.yaml: id: file name must be the id" in text
    assert "R-A2-0006.yaml: -: not valid YAML" in text
    assert "tests/mini.yaml: sections[1].items[0]: item 'W-A2-0001' does not exist" in text


def test_check_reports_assets_keys_and_blueprint(tmp_path):
    img = copy.deepcopy(SINGLE)
    img["stimulus"] = {"kind": "image", "src": "R-A2-0001.png", "alt": "Een kalender."}
    audio_bad = copy.deepcopy(TESTLET)
    greedy = copy.deepcopy(MANIFEST)
    greedy["sections"][0]["blueprint"]["constraints"].append({"attribute": "topic", "value": "work", "min": 2})
    root = write_bank(tmp_path / "bank", [img, GAPS, ORDER, MATCH, audio_bad, WRITING],
                      manifests=[greedy],
                      assets={"items/reading/a2/R-A2-0001.png": b"not a png",
                              "items/listening/a2/L-A2-T001.ogg": b"OggS garbage"})
    report = check_bank(root)
    text = "\n".join(map(str, report.problems))
    assert "R-A2-0001.yaml: stimulus.src: R-A2-0001.png: image cannot be decoded" in text
    assert "L-A2-T001.yaml: stimulus.src: L-A2-T001.ogg: not a playable Ogg/Opus file" in text
    assert "tests/mini.yaml: sections[0].blueprint.constraints[1]: reading: needs at least 2 operational items with topic work, the bank has 1" in text
    greedy["sections"][0]["blueprint"]["constraints"][1]["min"] = 3
    from toetsbatterij.items.manifest import parse_manifest

    _, probs = parse_manifest(greedy, "t.yaml", report.bank.vocabulary)
    assert "t.yaml: sections[0].blueprint.constraints: the minimum counts for topic add up to 4, above the length 3" in map(str, probs)
    good = write_bank(tmp_path / "good", [img, GAPS, ORDER, MATCH, TESTLET, WRITING],
                      assets={"items/reading/a2/R-A2-0001.png": png_bytes(),
                              "items/listening/a2/L-A2-T001.ogg": opus_bytes(3.0)})
    report = check_bank(good)
    assert report.ok, report.problems
    assert report.audio_seconds == pytest.approx(3.0, abs=0.01)
    stale = write_bank(tmp_path / "stale", [TESTLET],
                       assets={"items/listening/a2/L-A2-T001.ogg": opus_bytes(0.5)})
    assert any("does not match the script" in p.message for p in check_bank(stale).problems)


def test_check_catches_a_key_that_does_not_score(tmp_path, monkeypatch):
    from toetsbatterij.items.check import check_keys
    from toetsbatterij.items.types.choice import SingleChoice

    bank = load_bank(write_bank(tmp_path / "bank"))
    monkeypatch.setattr(SingleChoice, "score", lambda self, d, raw: 0)
    problems = check_keys(bank.items.values())
    assert any("R-A2-0001" in p.message and "not the maximum" in p.message for p in problems)


def test_cli_check_exit_codes(tmp_path):
    good = write_bank(tmp_path / "good")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "toetsbatterij.items", "check", str(good)],
                         capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "bank check: OK" in out.stdout
    from toetsbatterij.items import build_forms

    forms = build_forms(load_bank(good))
    assert forms  # the mini bank has a manifest
    assert out.stdout.splitlines()[-len(forms):] == [
        f"form {test_id} {forms[test_id].version}" for test_id in sorted(forms)]
    bad = write_bank(tmp_path / "bad", [{**SINGLE, "key": "Q"}])
    out = subprocess.run([sys.executable, "-m", "toetsbatterij.items", "check", str(bad)],
                         capture_output=True, text=True, env=env)
    assert out.returncode == 1
    assert "items/reading/a2/R-A2-0001.yaml: key: key 'Q' is not one of the option ids" in out.stdout
    out = subprocess.run([sys.executable, "-m", "toetsbatterij.items", "stats", str(good)],
                         capture_output=True, text=True, env=env)
    assert out.returncode == 0 and "audio: 0.1 minutes" in out.stdout and "reading" in out.stdout
    # SINGLE has its key at position 2 and no strictly longest key; the testlet's first item at 1.
    assert "single choice key position: 1: 1, 2: 1" in out.stdout
    assert "key is the longest option: 0/2" in out.stdout


def test_cached_load_reloads_on_change(mini_bank_path):
    first = load_bank_cached(mini_bank_path)
    assert load_bank_cached(mini_bank_path) is first
    p = mini_bank_path / "items/reading/a2/R-A2-0001.yaml"
    doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    doc["key"] = "C"
    p.write_text(yaml.safe_dump(doc), encoding="utf-8")
    os.utime(p, ns=(1, 1))
    second = load_bank_cached(mini_bank_path)
    assert second is not first and second.version != first.version


def test_pool_conversion(mini_bank_path):
    bank = load_bank(mini_bank_path)
    pool = bank.pool("reading", statuses=("operational", "pretest"))
    assert set(pool.ids) == {"R-A2-0001", "R-A2-0002", "R-B1-0001", "R-B1-0002", "R-A1-0001"}
    i = pool.index["R-B1-0002"]
    assert pool.model[i] == 4 or pool.n_categories[i] == 5
    assert pool.a[i] == pytest.approx(0.9)
    assert list(pool.b[i, :4]) == pytest.approx([-0.5, 0.0, 0.4, 1.0])
    assert pool.n_categories[pool.index["R-A2-0002"]] == 3       # per_option, two keys
    assert not pool.selectable[pool.index["R-A1-0001"]]           # pretest
    assert pool.selectable[pool.index["R-A2-0001"]]
    enemies = {frozenset(pool.ids[j] for j in g) for g in pool.enemy_groups}
    assert frozenset({"R-A1-0001", "R-A2-0001"}) in enemies
    assert pool.attributes["topic"][pool.index["R-A2-0001"]] == "housing"
    op = bank.pool("reading")
    assert "R-A1-0001" not in op.ids
    listening = bank.pool("listening")
    assert listening.testlet[0] == listening.testlet[1] >= 0
    writing = bank.pool("writing")
    assert writing.n_categories[0] == 4 and np.all(np.isfinite(writing.b[0, :3]))


def test_check_refuses_one_sided_enemy_links(tmp_path):
    """README § 7: an enemy link is named in both files. A testlet stands for its members."""
    lonely = copy.deepcopy(SINGLE)
    del lonely["enemies"]                     # MATCH names R-A2-0001, R-A2-0001 stays silent
    to_testlet = copy.deepcopy(GAPS)
    to_testlet["enemies"] = ["L-A2-T001"]     # answered below by a member, not the testlet
    testlet = copy.deepcopy(TESTLET)
    root = write_bank(tmp_path / "one", [lonely, MULTI, to_testlet, ORDER, MATCH, testlet, WRITING])
    messages = [str(p) for p in check_bank(root).problems]
    assert messages == [
        "items/reading/a1/R-A1-0001.yaml: enemies: R-A1-0001 lists R-A2-0001 as an enemy, but "
        "R-A2-0001 does not list R-A1-0001: name the link in both files",
        "items/reading/b1/R-B1-0001.yaml: enemies: R-B1-0001 lists L-A2-T001 as an enemy, but "
        "L-A2-T001 does not list R-B1-0001: name the link in both files",
    ]
    answered = copy.deepcopy(SINGLE)          # names R-A1-0001 back
    testlet["items"][1]["enemies"] = ["R-B1-0001"]   # a member answers for its testlet
    root = write_bank(tmp_path / "both", [answered, MULTI, to_testlet, ORDER, MATCH, testlet, WRITING])
    assert check_bank(root).ok, check_bank(root).problems
    # ... and the command line refuses the one-sided bank.
    out = subprocess.run([sys.executable, "-m", "toetsbatterij.items", "check", str(tmp_path / "one")],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 1 and "does not list R-A1-0001" in out.stdout

"""Standard setting: Bookmark on simulated panellists with known intended cuts, a hand-computed
modified Angoff, the report and its figures, and the cuts published into a copy of the bank."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from psychometrics.cli import main
from psychometrics.cutscores import read_cut_scores
from psychometrics.data import InputError, write_params, write_rows
from psychometrics.standard_setting import (
    angoff_study,
    bookmark_study,
    build_booklet,
    read_angoff,
    read_bookmarks,
    rp_location,
    write_cut_file,
    write_report,
)
from toetsbatterij.scoring import ItemParameters

REAL = Path(__file__).resolve().parents[2] / "itembank"
INTENDED = {"A1": -2.1, "A2": -1.0, "B1": 0.25, "B2": 1.4}


def synthetic_params(n=120, seed=5):
    rng = np.random.default_rng(seed)
    b = np.sort(rng.uniform(-3.5, 3.0, n))
    a = np.exp(np.log(1.2) + 0.25 * rng.standard_normal(n))
    return {f"R-B1-{k:04d}": ItemParameters.from_values(f"R-B1-{k:04d}", "2pl", {"a": float(ak), "b": float(bk)})
            for k, (ak, bk) in enumerate(zip(a, b, strict=True))}


def simulated_bookmarks(booklet, rng, n_panel=12, rounds=(0.45, 0.25)):
    """Each panellist perceives the intended cut with an error (smaller in later rounds, after
    the discussion and the impact data) and bookmarks the last page a just-qualified candidate
    at that θ masters with probability ≥ RP: the last page whose location is ≤ the perceived cut."""
    locs = np.array([p.location for p in booklet.pages])
    out = {}
    for r, spread in enumerate(rounds, start=1):
        out[r] = {}
        for level, cut in INTENDED.items():
            perceived = cut + spread * rng.standard_normal(n_panel)
            pages = np.clip(np.searchsorted(locs, perceived, side="right"), 1, len(locs))
            out[r][level] = {f"p{j:02d}": int(pg) for j, pg in enumerate(pages)}
    return out


def test_rp_location_closed_forms_and_polytomous_root():
    p2 = ItemParameters.from_values("x", "2pl", {"a": 1.5, "b": 0.4})
    assert rp_location(p2, 1, 0.67) == pytest.approx(0.4 + math.log(0.67 / 0.33) / 1.5)
    p3 = ItemParameters.from_values("y", "3pl", {"a": 1.0, "b": 0.0, "c": 0.2})
    assert rp_location(p3, 1, 0.67) == pytest.approx(math.log(0.47 / 0.33))
    gp = ItemParameters.from_values("z", "gpcm", {"a": 1.0, "b1": -1.0, "b2": 1.0})
    from psychometrics.models import probs

    for k in (1, 2):
        t = rp_location(gp, k, 0.67)
        assert probs("gpcm", gp.vector(), np.array([t]))[k:].sum() == pytest.approx(0.67, abs=1e-8)
    assert rp_location(gp, 1, 0.67) < rp_location(gp, 2, 0.67)


def test_booklet_is_ordered_by_location_and_marks_provisional_parameters():
    params = synthetic_params(30)
    params["R-A2-9999"] = ItemParameters("2pl", 1.0, -0.5, provenance={"source": "provisional"}, item="R-A2-9999")
    booklet = build_booklet(params, rp=0.67)
    locs = [p.location for p in booklet.pages]
    assert locs == sorted(locs) and len(locs) == 31
    assert [p.page for p in booklet.pages] == list(range(1, 32))
    assert booklet.provisional_share == pytest.approx(1 / 31)
    with pytest.raises(InputError):
        build_booklet(params, rp=0.4)


def test_bookmark_recovers_the_intended_cuts_within_their_standard_error():
    booklet = build_booklet(synthetic_params())
    study = bookmark_study(booklet, simulated_bookmarks(booklet, np.random.default_rng(11)), "reading")
    assert [r.round for r in study.rounds] == [1, 2]
    for level, intended in INTENDED.items():
        final = study.final.cut(level)
        assert final.n == 12
        assert abs(final.cut - intended) <= 2 * final.se, (level, final.cut, final.se)
        # the second round is closer together (the panel converged)
        assert final.sd < study.rounds[0].cut(level).sd
    # over many panels, the ±1.96 SE interval covers the intended cut about 95 % of the time
    covered, total = 0, 0
    for seed in range(150):
        s = bookmark_study(booklet, simulated_bookmarks(booklet, np.random.default_rng(1000 + seed), rounds=(0.3,)),
                           "reading")
        for level, intended in INTENDED.items():
            c = s.final.cut(level)
            covered += abs(c.cut - intended) <= 1.96 * c.se
            total += 1
    assert 0.88 <= covered / total <= 0.99, covered / total


def test_impact_between_rounds_sums_to_one_and_follows_the_cuts():
    booklet = build_booklet(synthetic_params())
    study = bookmark_study(booklet, simulated_bookmarks(booklet, np.random.default_rng(3)), "reading",
                           reference=(0.0, 1.0))
    for rr in study.rounds:
        assert sum(rr.impact.values()) == pytest.approx(1.0)
        from scipy.stats import norm

        assert rr.impact["onder A1"] == pytest.approx(norm.cdf(rr.cut("A1").cut))
    observed = bookmark_study(booklet, simulated_bookmarks(booklet, np.random.default_rng(3)), "reading",
                              reference=np.array([-3.0, -1.5, 0.0, 0.5, 2.0]))
    assert observed.final.impact["onder A1"] == pytest.approx(0.2)
    assert sum(observed.final.impact.values()) == pytest.approx(1.0)


def test_report_renders_with_its_figures(tmp_path):
    booklet = build_booklet(synthetic_params())
    study = bookmark_study(booklet, simulated_bookmarks(booklet, np.random.default_rng(11)), "reading")
    index = write_report(study, tmp_path / "rapport")
    page = index.read_text(encoding="utf-8")
    for name in ("boekje.png", "rondes.png", "impact.png"):
        assert f'src="{name}"' in page
        png = tmp_path / "rapport" / name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    assert "Geordend itemboekje" in page and "Impact tussen de rondes" in page
    assert "Cesuren per ronde" in page


def hand_angoff(tmp_path):
    """Four dichotomous criteria with a = 1, b = 0: the TCC is 4σ(θ), so a raw cut R gives
    θ = ln(R / (4 − R))."""
    params = [ItemParameters.from_values(f"W-A2-0001/c{k}", "2pl", {"a": 1.0, "b": 0.0}) for k in range(1, 5)]
    ppath = tmp_path / "criteria.csv"
    write_params(ppath, params)
    judgements = {"p1": [0.8, 0.7, 0.9, 0.6], "p2": [0.5, 0.5, 0.5, 0.5], "p3": [0.9, 0.9, 0.6, 0.6]}
    rows = [[who, 1, "A2", "W-A2-0001", f"c{k + 1}", s] for who, scores in judgements.items()
            for k, s in enumerate(scores)]
    jpath = tmp_path / "angoff.csv"
    write_rows(jpath, ["panellist", "round", "level", "task", "criterion", "score"], rows)
    return ppath, jpath, {p.item: p for p in params}


def test_modified_angoff_hand_computed(tmp_path):
    _, jpath, params = hand_angoff(tmp_path)
    study = angoff_study(read_angoff(jpath), params, "writing")
    cut = study.final.cut("A2")
    # raw cuts 3.0, 2.0, 3.0 -> θ = ln 3, 0, ln 3
    assert cut.raw == {"p1": pytest.approx(3.0), "p2": pytest.approx(2.0), "p3": pytest.approx(3.0)}
    assert cut.panellists["p1"] == pytest.approx(math.log(3), abs=1e-8)
    assert cut.panellists["p2"] == pytest.approx(0.0, abs=1e-8)
    mean = 2 * math.log(3) / 3
    sd = math.sqrt(((math.log(3) - mean) ** 2 * 2 + mean**2) / 2)
    assert cut.cut == pytest.approx(mean, abs=1e-8)
    assert cut.sd == pytest.approx(sd, abs=1e-8)
    assert cut.se == pytest.approx(sd / math.sqrt(3), abs=1e-8)
    assert cut.median == pytest.approx(math.log(3), abs=1e-8)


def test_angoff_refuses_a_score_above_the_maximum_and_bad_files(tmp_path):
    _, jpath, params = hand_angoff(tmp_path)
    text = jpath.read_text(encoding="utf-8").replace(",0.8", ",1.5")
    jpath.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="boven het maximum"):
        angoff_study(read_angoff(jpath), params, "writing")
    bad = tmp_path / "bad.csv"
    bad.write_text("panellist,round,level,page\np1,1,A9,3\n", encoding="utf-8")
    with pytest.raises(InputError, match="niveau"):
        read_bookmarks(bad, 10)
    bad.write_text("panellist,round,level,page\np1,1,A2,30\n", encoding="utf-8")
    with pytest.raises(InputError, match="pagina 30"):
        read_bookmarks(bad, 10)


def test_cut_file_round_trips_with_provenance(tmp_path):
    booklet = build_booklet(synthetic_params())
    study = bookmark_study(booklet, simulated_bookmarks(booklet, np.random.default_rng(11)), "reading")
    path = write_cut_file(study, tmp_path / "cuts.yaml", version="2026-1", panel="Panel NT2", date="2026-11-30")
    cuts = read_cut_scores(path)
    assert cuts.method == "bookmark" and cuts.panel_size == 12 and cuts.rp == 0.67 and cuts.rounds == 2
    assert set(cuts.se) == set(INTENDED) and all(v > 0 for v in cuts.se.values())
    assert cuts.cuts["A2"] == pytest.approx(study.final.cut("A2").cut, abs=1e-4)


@pytest.fixture
def bank_copy(tmp_path):
    root = tmp_path / "itembank"
    shutil.copytree(REAL, root, ignore=shutil.ignore_patterns("releases"))
    return root


def test_cli_bookmark_to_published_cuts_in_the_form(tmp_path, bank_copy, capsys):
    assert main(["booklet", "--bank", str(bank_copy), "--skill", "reading", "--out", str(tmp_path / "b.csv")]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["provisional_share"] == 1.0  # the shipped bank has no calibrated item yet
    from psychometrics.commands import _bank_or_params

    class A:
        params, bank, skill, include_pretest = None, str(bank_copy), "reading", False

    params, levels = _bank_or_params(A)
    booklet = build_booklet(params, levels=levels)
    marks = simulated_bookmarks(booklet, np.random.default_rng(2))
    write_rows(tmp_path / "marks.csv", ["panellist", "round", "level", "page"],
               [[who, r, lv, pg] for r, per in marks.items() for lv, ps in per.items() for who, pg in ps.items()])
    assert main(["standard-setting", "--method", "bookmark", "--bank", str(bank_copy), "--skill", "reading",
                 "--bookmarks", str(tmp_path / "marks.csv"), "--out", str(tmp_path / "rapport"),
                 "--cuts-out", str(tmp_path / "cuts.yaml"), "--panel", "Panel NT2 Vlaanderen",
                 "--version", "2026-1", "--date", "2026-11-30"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (tmp_path / "rapport" / "index.html").exists() and out["panel_size"] == 12
    from toetsbatterij.items import load_bank
    from toetsbatterij.items.form import build_form

    before = build_form(load_bank(bank_copy), "attest-4").version
    assert main(["publish", "--bank", str(bank_copy), "--cuts", str(tmp_path / "cuts.yaml"),
                 "--test", "attest-4"]) == 0
    capsys.readouterr()
    manifest = yaml.safe_load((bank_copy / "tests" / "attest-4.yaml").read_text(encoding="utf-8"))
    cuts = read_cut_scores(tmp_path / "cuts.yaml")
    assert manifest["cut_scores"]["reading"] == {k: pytest.approx(v, abs=1e-4) for k, v in cuts.cuts.items()} | {
        "C1": 2.4}
    prov = manifest["cut_score_provenance"]["reading"]
    assert prov["method"] == "bookmark" and prov["panel_size"] == 12 and prov["date"] == "2026-11-30"
    assert set(prov["se"]) == set(INTENDED) and prov["levels"] == ["A1", "A2", "B1", "B2"]
    assert manifest["cut_scores"]["listening"]["A2"] == -1.2  # other skills untouched
    form = build_form(load_bank(bank_copy), "attest-4")
    assert form.version != before and form.cut_scores["reading"]["A2"] == pytest.approx(cuts.cuts["A2"], abs=1e-4)
    assert "# Cesuren: θ waar elk niveau begint" in (bank_copy / "tests" / "attest-4.yaml").read_text(encoding="utf-8")


def test_publish_refuses_cuts_that_break_the_order_and_leaves_the_manifest(tmp_path, bank_copy, capsys):
    path = tmp_path / "cuts.yaml"
    path.write_text(yaml.safe_dump({"skill": "reading", "version": "x", "method": "bookmark", "date": "2026-11-30",
                                    "panel": "p", "cuts": {"A2": 0.5}}), encoding="utf-8")
    manifest = bank_copy / "tests" / "attest-4.yaml"
    original = manifest.read_text(encoding="utf-8")
    assert main(["publish", "--bank", str(bank_copy), "--cuts", str(path), "--test", "attest-4"]) == 2
    assert "stijgen" in capsys.readouterr().err
    assert manifest.read_text(encoding="utf-8") == original


def test_cli_angoff_from_the_form_criteria(tmp_path, bank_copy, capsys):
    from toetsbatterij.items import load_bank
    from toetsbatterij.items.form import build_form

    form = build_form(load_bank(bank_copy), "attest-4")
    rows = []
    for item_id in ("W-A2-0001", "W-B1-0001"):
        for crit, p in form.criterion_parameters(item_id).items():
            top = p.n_categories - 1
            for j in range(5):
                rows.append([f"p{j}", 1, "A2", item_id, crit, round(top * (0.35 + 0.03 * j), 3)])
                rows.append([f"p{j}", 1, "B1", item_id, crit, round(top * (0.6 + 0.03 * j), 3)])
    write_rows(tmp_path / "angoff.csv", ["panellist", "round", "level", "task", "criterion", "score"], rows)
    assert main(["standard-setting", "--method", "angoff", "--bank", str(bank_copy), "--test", "attest-4",
                 "--skill", "writing", "--judgements", str(tmp_path / "angoff.csv"),
                 "--out", str(tmp_path / "rapport"), "--cuts-out", str(tmp_path / "cuts.yaml")]) == 0
    out = json.loads(capsys.readouterr().out)
    cuts = out["rounds"][0]["cuts"]
    assert cuts["A2"]["theta"] < cuts["B1"]["theta"] and cuts["A2"]["se"] > 0
    assert read_cut_scores(tmp_path / "cuts.yaml").method == "modified-angoff"
    assert (tmp_path / "rapport" / "rondes.png").exists()

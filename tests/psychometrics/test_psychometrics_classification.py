"""Classification accuracy of the shipped form: Rudner's index agrees with the simulation within a
percentage point at every cut; the command writes the form report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from psychometrics.classification import provisional_items, section_study
from psychometrics.cli import main
from toetsbatterij.items import load_bank
from toetsbatterij.items.form import build_form
from toetsbatterij.scoring import rudner_from_estimates, simulate

REAL = Path(__file__).resolve().parents[2] / "itembank"


@pytest.fixture(scope="module")
def form():
    return build_form(load_bank(REAL), "attest-4")


@pytest.mark.slow
@pytest.mark.parametrize("skill", ["reading", "listening"])
def test_rudner_agrees_with_the_simulation_within_one_point_at_every_cut(form, skill):
    """Rudner's index from the candidates' θ̂ and SE (Rudner 2005; with EAP estimates it is the
    posterior's expected accuracy) against the realised accuracy of the same 5,000 simulees,
    whose binomial noise alone has an SD of about 0.4 points at the B1 cut."""
    index = next(s.index for s in form.sections if s.skill == skill)
    design, pool = form.design(index), form.pool(index)
    thetas = np.random.default_rng(2026).standard_normal(5000)
    report = simulate(design, pool, thetas, 11)
    rudner = rudner_from_estimates(design.cut_scores, report.theta_hat, report.se, decisive="A2")
    figures = form.decision_figures(index)
    for level, cut in zip(design.cut_scores.levels, design.cut_scores.cuts, strict=True):
        simulated = float(np.mean((report.theta_hat >= cut) == (thetas >= cut)))
        assert abs(rudner.at(level).accuracy - simulated) <= 0.01, (skill, level)
        # the form's frozen figures come from the design's SE curve (not from these simulees):
        # within 1.5 points (the B1 cut at the population's centre is the hardest)
        form_accuracy = next(c["accuracy"] for c in figures["cuts"] if c["level"] == level)
        assert abs(form_accuracy - simulated) <= 0.015, (skill, level, form_accuracy, simulated)
    assert figures["wrong_at_decisive"] == pytest.approx(1 - figures["cuts"][1]["accuracy"], abs=2e-6)


def test_section_study_and_form_report(tmp_path, form, capsys):
    study = section_study(form, 0, n=150, seed=3)
    assert study.n == 150 and len(study.rows) == 5
    assert all(0 <= r["simulated_consistency"] <= 1 for r in study.rows)
    assert section_study(form, 2, n=150).n == 0  # writing: rated, Rudner only
    assert {x[1] for x in provisional_items(form)} == {"reading", "listening", "writing", "speaking"}
    out = tmp_path / "formulier"
    assert main(["classification", "--bank", str(REAL), "--test", "attest-4", "--skill", "reading",
                 "--skill", "writing", "--n", "100", "--out", str(out), "--json", str(tmp_path / "c.json")]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(summary["wrong_at_decisive"]) == {"reading", "writing"}
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "curven-reading.png" in page and "Items op voorlopige parameters" in page
    assert "geen standaardbepaling" in page  # the shipped cuts are defaults without a study
    assert (out / "curven-writing.png").stat().st_size > 5000
    data = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))
    assert data["skills"]["reading"]["cuts"][1]["level"] == "A2"
    assert main(["classification", "--bank", str(REAL), "--test", "nope"]) == 2

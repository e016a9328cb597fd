"""score and simulate go through the platform's scoring core."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from psy_helpers import write_long

from psychometrics.calibration import MMLCalibrator
from psychometrics.cli import main
from psychometrics.data import write_params
from psychometrics.scoring_bridge import pool_from_params, score_persons
from psychometrics.synthetic import random_items, simulate_responses


def test_score_recovers_theta_with_every_method(rng):
    items = random_items(rng, 40, "2pl") + random_items(rng, 5, "grm", n_categories=4, prefix="g")
    theta = rng.normal(0, 1, 300)
    data = simulate_responses(items, theta, rng)
    params = {it.item: it for it in items}
    for method in ("eap", "map", "mle", "wle"):
        res = score_persons(data, params, method)
        est = np.array([r.theta for r in res])
        se = np.array([r.se for r in res])
        assert np.corrcoef(est, theta)[0, 1] > 0.93, method
        assert 0.2 < np.median(se) < 0.45, method
        z = (est - theta) / se
        assert 0.7 < z.std() < 1.4, method


def test_pool_from_params_keeps_models(rng):
    items = random_items(rng, 3, "3pl") + random_items(rng, 2, "gpcm", n_categories=3, prefix="g")
    pool = pool_from_params(items)
    assert list(pool.ids) == [it.item for it in items]
    assert pool.c[0] == pytest.approx(items[0].values["c"])
    assert pool.n_categories.tolist() == [2, 2, 2, 3, 3]


def test_score_cli_contract(tmp_path, rng, capsys):
    items = random_items(rng, 10, "2pl")
    data = simulate_responses(items, rng.normal(0, 1, 50), rng)
    resp = write_long(tmp_path / "r.csv", data)
    write_params(tmp_path / "p.csv", items)
    code = main(["score", str(resp), "--params", str(tmp_path / "p.csv"), "--method", "mle",
                 "--out", str(tmp_path / "t.csv"), "--quiet"])
    assert code == 0
    with (tmp_path / "t.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0])[:3] == ["person", "theta", "se"]
    assert len(rows) == 50
    perfect = [r for r in rows if r["note"]]
    assert all(r["method"] != "mle" for r in perfect)  # MLE undefined → fallback, and it says so
    assert json.loads(capsys.readouterr().out)["fallbacks"] == len(perfect)


def test_simulate_cli_summary_and_files(tmp_path, rng, capsys):
    items = random_items(rng, 60, "2pl")
    write_params(tmp_path / "p.csv", items)
    code = main(["simulate", "--params", str(tmp_path / "p.csv"), "--n", "150", "--seed", "4",
                 "--stop-se", "0.4", "--max-items", "15", "--cuts=-1,0,1", "--out", str(tmp_path / "sim.csv"),
                 "--conditional", str(tmp_path / "cond.csv"), "--exposure", str(tmp_path / "exp.csv")])
    line = capsys.readouterr().out.strip()
    assert code == 0 and "\n" not in line
    s = json.loads(line)
    assert {"mean_length", "rmse", "bias", "classification_accuracy", "max_exposure"} <= set(s)
    assert 5 <= s["mean_length"] <= 15
    assert s["rmse"] < 0.6 and abs(s["bias"]) < 0.2
    assert set(s["classification_accuracy"]) == {"A1", "A2", "B1"}
    with (tmp_path / "sim.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 150 and list(rows[0]) == ["simulee", "true_theta", "theta", "se", "length"]
    # same seed, same study
    main(["simulate", "--params", str(tmp_path / "p.csv"), "--n", "150", "--seed", "4", "--stop-se", "0.4",
          "--max-items", "15", "--cuts=-1,0,1", "--out", str(tmp_path / "sim2.csv")])
    capsys.readouterr()
    assert (tmp_path / "sim.csv").read_text() == (tmp_path / "sim2.csv").read_text()


def test_sympson_hetter_tuning_lowers_the_exposure_ceiling(tmp_path, rng, capsys):
    items = random_items(rng, 60, "2pl")
    write_params(tmp_path / "p.csv", items)
    base = ["simulate", "--params", str(tmp_path / "p.csv"), "--n", "200", "--seed", "2", "--max-items", "8"]
    assert main([*base, "--out", str(tmp_path / "a.csv")]) == 0
    free = json.loads(capsys.readouterr().out)
    assert main([*base, "--sh-target", "0.35", "--sh-out", str(tmp_path / "k.csv"),
                 "--out", str(tmp_path / "b.csv")]) == 0
    tuned = json.loads(capsys.readouterr().out)
    assert free["max_exposure"] > 0.6
    assert tuned["max_exposure"] < free["max_exposure"] - 0.15
    with (tmp_path / "k.csv").open() as fh:
        ks = [float(r["sh_k"]) for r in csv.DictReader(fh)]
    assert min(ks) < 1.0 and max(ks) == 1.0


def test_simulate_on_the_real_bank_and_a_shipped_design(tmp_path, capsys):
    from pathlib import Path

    from toetsbatterij.items import load_bank

    bank = Path(__file__).resolve().parents[2] / "itembank"
    manifests = load_bank(bank).tests
    test_id = next(k for k in sorted(manifests) if any(
        s.skill == "reading" and s.mode == "adaptive" for s in manifests[k].sections))
    code = main(["simulate", "--bank", str(bank), "--test", test_id, "--skill", "reading", "--n", "40",
                 "--seed", "1", "--out", str(tmp_path / "s.csv")])
    out, err = capsys.readouterr()
    assert code == 0, err
    s = json.loads(out)
    assert s["n"] == 40 and s["mean_length"] >= 5
    assert "B1" in s["classification_accuracy"]
    code = main(["simulate", "--bank", str(bank), "--test", "bestaat-niet", "--skill", "reading",
                 "--out", str(tmp_path / "s.csv")])
    assert code == 2 and "onbekend toetsmanifest" in capsys.readouterr().err


def test_simulate_refuses_bad_options(tmp_path, rng, capsys):
    write_params(tmp_path / "p.csv", random_items(rng, 5, "2pl"))
    for extra, fragment in ((["--cuts=1,0"], "strikt stijgen"), (["--cuts", "a,b"], "getallen"),
                            (["--n", "0"], "--n")):
        code = main(["simulate", "--params", str(tmp_path / "p.csv"), *extra, "--out", str(tmp_path / "x.csv")])
        assert code == 2 and fragment in capsys.readouterr().err


def test_acceleration_reaches_the_same_maximum(rng):
    items = random_items(rng, 25, "2pl") + random_items(rng, 3, "grm", n_categories=3, prefix="g")
    data = simulate_responses(items, rng.normal(0, 1, 3000), rng, missing=0.5)
    models = {it.item: it.model for it in items}
    fast = MMLCalibrator("2pl", item_models=models, tol=1e-6).fit(data)
    plain = MMLCalibrator("2pl", item_models=models, tol=1e-6, accelerate=False).fit(data)
    assert fast.loglik_ == pytest.approx(plain.loglik_, abs=1e-3)
    for it in items:
        np.testing.assert_allclose(fast.items_[it.item].vector(), plain.items_[it.item].vector(), atol=2e-3)
    assert fast.convergence_.n_iter < plain.convergence_.n_iter

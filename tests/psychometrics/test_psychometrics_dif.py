"""DIF: a planted item is caught, clean items stay in ETS class A at the nominal rate."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from psy_helpers import write_long

from psychometrics.cli import main
from psychometrics.data import ResponseData, write_params
from psychometrics.dif import ets_class, logistic_dif, mantel_haenszel
from psychometrics.synthetic import random_items, simulate_responses
from toetsbatterij.scoring import ItemParameters

PLANTED = "i005"


def two_groups(seed: int, shift: float = 0.8, n: int = 1500, missing: float = 0.0):
    rng = np.random.default_rng(seed)
    items = random_items(rng, 20, "2pl")
    for k, it in enumerate(items):  # keep the planted item of middling difficulty and slope
        if it.item == PLANTED:
            items[k] = ItemParameters.from_values(it.item, "2pl", {"a": 1.1, "b": 0.0})
    focal_items = [ItemParameters.from_values(it.item, "2pl", {"a": it.values["a"], "b": it.values["b"] + shift})
                   if it.item == PLANTED else it for it in items]
    # the focal group is also a little less able: impact must not be mistaken for DIF
    ref = simulate_responses(items, rng.normal(0, 1, n), rng, missing=missing)
    foc = simulate_responses(focal_items, rng.normal(-0.5, 1, n), rng, missing=missing)
    scores = np.vstack([ref.scores, foc.scores])
    persons = tuple(f"r{k}" for k in range(n)) + tuple(f"f{k}" for k in range(n))
    data = ResponseData(persons, ref.items, scores)
    focal = np.r_[np.zeros(n, bool), np.ones(n, bool)]
    return items, data, focal


def test_planted_dif_is_class_c_and_clean_items_are_a():
    classes = []
    for seed in range(3):
        _, data, focal = two_groups(seed)
        res = {r.item: r for r in mantel_haenszel(data, focal, ~focal)}
        assert res[PLANTED].ets_class == "C", res[PLANTED]
        assert res[PLANTED].delta_mh < -1.5  # harder for the focal group
        classes += [r.ets_class for k, r in res.items() if k != PLANTED]
    share_a = np.mean([c == "A" for c in classes])
    assert share_a >= 0.95, share_a


def test_no_dif_means_alpha_near_one():
    _, data, focal = two_groups(11, shift=0.0)
    res = mantel_haenszel(data, focal, ~focal)
    deltas = np.array([r.delta_mh for r in res])
    assert np.abs(deltas).mean() < 0.35
    z = deltas / np.array([r.se_delta for r in res])
    assert 0.5 < z.std() < 1.6  # the RBG standard error is about right


def test_sparse_data_match_on_theta():
    items, data, focal = two_groups(5, n=3000, missing=0.5)
    from psychometrics.calibration import posterior

    nodes, post, _ = posterior(data, {it.item: it for it in items})
    theta = post @ nodes
    res = {r.item: r for r in mantel_haenszel(data, focal, ~focal, theta=theta)}
    assert res[PLANTED].ets_class in ("B", "C") and res[PLANTED].delta_mh < -1.0


def test_logistic_regression_flags_the_planted_item():
    _, data, focal = two_groups(2)
    res = {r.item: r for r in logistic_dif(data, focal, ~focal, data.scores.sum(1).astype(float))}
    assert res[PLANTED].p_uniform < 1e-6
    assert res[PLANTED].delta_r2 > 0.01
    clean_p = np.array([r.p_any for k, r in res.items() if k != PLANTED])
    assert (clean_p < 0.01).mean() <= 0.1


def test_ets_rules():
    assert ets_class(-0.9, 0.1, 0.001) == "A"
    assert ets_class(-1.2, 0.1, 0.001) == "B"
    assert ets_class(-1.6, 0.1, 0.001) == "C"
    assert ets_class(-1.6, 0.5, 0.001) == "B"  # not significantly above 1
    assert ets_class(-2.0, 0.3, 0.2) == "A"  # not significant


def test_dif_cli(tmp_path, capsys):
    items, data, focal = two_groups(1)
    resp = write_long(tmp_path / "r.csv", data)
    cov = tmp_path / "cov.csv"
    with cov.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["person", "gender", "age_band"])
        for p, f in zip(data.persons, focal, strict=True):
            w.writerow([p, "V" if f else "M", "18-25"])
    write_params(tmp_path / "p.csv", items)
    code = main(["dif", str(resp), "--covariates", str(cov), "--variable", "gender",
                 "--out", str(tmp_path / "dif.csv")])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["ets_C"] == [PLANTED]
    code = main(["dif", str(resp), "--covariates", str(cov), "--variable", "taal",
                 "--out", str(tmp_path / "dif.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "taal" in err and "rij 1" in err
    code = main(["dif", str(resp), "--covariates", str(cov), "--variable", "age_band",
                 "--out", str(tmp_path / "dif.csv")])
    assert code == 2 and "1 groepen" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["dif", str(resp)])


def test_polytomous_dif_smd_and_classes():
    from psychometrics.dif import mantel_polytomous

    rng = np.random.default_rng(21)
    items = random_items(rng, 12, "2pl") + random_items(rng, 3, "gpcm", n_categories=4, prefix="g")
    planted = items[-1]
    shifted = ItemParameters.from_values(planted.item, "gpcm", {"a": planted.values["a"],
                                                **{k: v + 1.0 for k, v in planted.values.items() if k != "a"}})
    n = 2000
    ref = simulate_responses(items, rng.normal(0, 1, n), rng)
    foc = simulate_responses(items[:-1] + [shifted], rng.normal(-0.3, 1, n), rng)
    data = ResponseData(tuple(f"r{k}" for k in range(n)) + tuple(f"f{k}" for k in range(n)), ref.items,
                        np.vstack([ref.scores, foc.scores]))
    focal = np.r_[np.zeros(n, bool), np.ones(n, bool)]
    res = {r.item: r for r in mantel_polytomous(data, focal, ~focal)}
    assert set(res) == {"g001", "g002", "g003"}
    assert res["g003"].ets_class == "CC" and res["g003"].smd < 0
    assert res["g001"].ets_class == "AA" and res["g002"].ets_class == "AA"

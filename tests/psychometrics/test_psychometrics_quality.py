"""Quality checks find planted problems and leave clean items alone."""

from __future__ import annotations

import json

import numpy as np
import pytest
from psy_helpers import write_long

from psychometrics.calibration import posterior
from psychometrics.cli import main
from psychometrics.data import from_matrix, write_params
from psychometrics.quality import (
    classical,
    conditional_se,
    distractors,
    marginal_reliability,
    parent_testlet,
    quality_report,
    summed_score_fit,
)
from psychometrics.synthetic import random_items, simulate_responses


@pytest.fixture
def planted():
    rng = np.random.default_rng(4)
    items = random_items(rng, 15, "2pl")
    data = simulate_responses(items, rng.normal(0, 1, 2000), rng)
    s = data.scores.copy()
    s[:, 0] = rng.random(2000) < 0.5  # i001: pure noise, unrelated to θ
    copy = rng.random(2000) < 0.6  # i003 copies i002 for most persons: local dependence
    s[copy, 2] = s[copy, 1]
    return items, from_matrix(s, items=data.items)


def test_flags_noise_item_and_dependent_pair(planted):
    items, data = planted
    rep = quality_report(data, {it.item: it for it in items})
    flagged = {(f.item, f.check) for f in rep["flags"]}
    assert ("i001", "item-restcorrelatie") in flagged
    assert ("i001", "S-X2") in flagged
    assert ("i002", "Q3") in flagged and ("i003", "Q3") in flagged
    clean = {it.item for it in items[3:]}
    q3_or_sx2 = {item for item, check in flagged if check in ("Q3", "S-X2", "item-restcorrelatie")}
    assert len(q3_or_sx2 & clean) <= 1
    assert all(f.reason for f in rep["flags"])


def test_sx2_is_calibrated_on_clean_data():
    pvals = []
    for seed in range(3):
        rng = np.random.default_rng(seed)
        items = random_items(rng, 20, "2pl") + random_items(rng, 3, "gpcm", prefix="g")
        data = simulate_responses(items, rng.normal(0, 1, 2000), rng)
        res = summed_score_fit(data, {it.item: it for it in items}, np.linspace(-6, 6, 61))
        pvals += [v[2] for v in res.values()]
    pvals = np.array(pvals)
    assert len(pvals) >= 60
    assert (pvals < 0.05).mean() < 0.12
    assert (pvals < 0.01).mean() < 0.05


def test_classical_statistics_and_alpha():
    x = np.array([[1, 1, 0], [1, 0, 0], [1, 1, 1], [0, 0, 0], [1, 1, 1], [0, 1, 0]])
    rows, alpha = classical(from_matrix(x))
    assert [r.p_value for r in rows] == pytest.approx([4 / 6, 4 / 6, 2 / 6])
    total = x.sum(1)
    k = 3
    expect = k / (k - 1) * (1 - x.var(0, ddof=1).sum() / total.var(ddof=1))
    assert alpha == pytest.approx(expect)
    assert rows[0].item_rest == pytest.approx(np.corrcoef(x[:, 0], total - x[:, 0])[0, 1])


def test_distractor_analysis():
    rng = np.random.default_rng(3)
    items = random_items(rng, 6, "2pl")
    data = simulate_responses(items, rng.normal(0, 1, 1500), rng)
    options = {}
    j = int(np.argmin(np.abs(data.scores.mean(0) - 0.5)))  # an item of middling difficulty
    item = data.items[j]
    rest = data.scores.sum(1) - data.scores[:, j]
    cut = np.median(rest[data.scores[:, j] == 0])
    for n, person in enumerate(data.persons):
        if data.scores[n, j] == 1:
            options[(person, item)] = "B"
        elif n % 97 == 0:  # D is almost never chosen
            options[(person, item)] = "D"
        else:  # C attracts the abler of the wrong answerers
            options[(person, item)] = "C" if rest[n] > cut else "A"
    rows = {r.option: r for r in distractors(data, options)}
    assert rows["B"].is_key and not rows["A"].is_key
    from psychometrics.quality import flags

    fl = flags([], [], [], 0.0, list(rows.values()))
    reasons = " ".join(f.reason for f in fl)
    assert "afleider D" in reasons and "afleider C trekt sterke kandidaten" in reasons
    assert "afleider A" not in reasons


def test_reliability_and_conditional_se(rng):
    items = random_items(rng, 30, "2pl")
    params = {it.item: it for it in items}
    data = simulate_responses(items, rng.normal(0, 1, 1500), rng)
    nodes, post, _ = posterior(data, params)
    rel = marginal_reliability(nodes, post)
    theta_hat = post @ nodes
    # EAP: Var(θ̂) = 1 − mean(PSD²) in the population, so both routes agree
    assert rel == pytest.approx(theta_hat.var(), abs=0.05)
    assert 0.8 < rel < 0.97
    se = conditional_se(params, np.array([-4.0, 0.0, 4.0]))
    assert se[1] < se[0] and se[1] < se[2]


def test_testlet_ids():
    assert parent_testlet("R-A2-T004-2") == "R-A2-T004"
    assert parent_testlet("L-B1-T010-13") == "L-B1-T010"
    assert parent_testlet("R-A2-0012") is None


def test_fit_cli(tmp_path, planted, capsys):
    items, data = planted
    resp = write_long(tmp_path / "r.csv", data)
    write_params(tmp_path / "p.csv", items)
    code = main(["fit", str(resp), "--params", str(tmp_path / "p.csv"), "--out", str(tmp_path / "fit.csv"),
                 "--flags", str(tmp_path / "flags.csv"), "--q3", str(tmp_path / "q3.csv")])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert "i001" in out["flagged_items"]
    assert "i001" in (tmp_path / "flags.csv").read_text(encoding="utf-8")

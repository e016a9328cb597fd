"""Linking recovers a known linear transformation."""

from __future__ import annotations

import json

import numpy as np
import pytest

from psychometrics.calibration import MMLCalibrator
from psychometrics.cli import main
from psychometrics.data import InputError, read_params, write_params
from psychometrics.linking import METHODS, apply_link, link, transform
from psychometrics.synthetic import random_items, simulate_responses

A_TRUE, B_TRUE = 1.3, -0.4  # θ_ref = A·θ_new + B


def new_scale(items):
    """The same items expressed on a scale where θ_new = (θ_ref − B) / A."""
    return {it.item: transform(it, 1 / A_TRUE, -B_TRUE / A_TRUE) for it in items}


@pytest.mark.parametrize("method", METHODS)
def test_exact_parameters_give_the_exact_transformation(method, rng):
    items = random_items(rng, 12, "2pl") + random_items(rng, 3, "gpcm", prefix="g")
    ref = {it.item: it for it in items}
    res = link(ref, new_scale(items), method)
    assert pytest.approx(A_TRUE, abs=1e-5) == res.A
    assert pytest.approx(B_TRUE, abs=1e-5) == res.B
    back = apply_link(new_scale(items), res)
    for it in items:
        np.testing.assert_allclose(back[it.item].vector(), it.vector(), atol=1e-4)


@pytest.mark.parametrize("method", METHODS)
def test_recovers_the_transformation_between_two_calibrations(method):
    rng = np.random.default_rng(8)
    anchors = random_items(rng, 15, "2pl", prefix="anc")
    # group 1 defines the reference scale (N(0,1)); group 2 is abler and more spread, so its own
    # calibration lands on θ_new = (θ_ref − 0.5) / 1.2: the link must find A = 1.2, B = 0.5
    d1 = simulate_responses(anchors, rng.normal(0, 1, 4000), rng)
    d2 = simulate_responses(anchors, rng.normal(0.5, 1.2, 4000), rng)
    ref = MMLCalibrator("2pl").fit(d1).items_
    new = MMLCalibrator("2pl").fit(d2).items_
    res = link(ref, new, method)
    assert pytest.approx(1.2, abs=0.08) == res.A
    assert pytest.approx(0.5, abs=0.08) == res.B


def test_too_few_anchors(rng):
    items = random_items(rng, 3, "2pl")
    other = random_items(rng, 3, "2pl", prefix="x")
    with pytest.raises(InputError, match="te weinig gemeenschappelijke"):
        link({items[0].item: items[0]}, {items[0].item: items[0], **{o.item: o for o in other}})


def test_link_cli_writes_transformed_parameters(tmp_path, rng, capsys):
    items = random_items(rng, 10, "2pl")
    write_params(tmp_path / "ref.csv", items)
    write_params(tmp_path / "new.csv", new_scale(items).values())
    code = main(["link", str(tmp_path / "ref.csv"), str(tmp_path / "new.csv"), "--method", "mean-sigma",
                 "--out", str(tmp_path / "linked.csv")])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["A"] == pytest.approx(A_TRUE, abs=1e-5) and out["n_common"] == 10
    linked = read_params(tmp_path / "linked.csv")
    for it in items:
        assert linked[it.item].values["b"] == pytest.approx(it.values["b"], abs=1e-5)

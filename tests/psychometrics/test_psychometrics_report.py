"""HTML report with figures; cut scores with provenance and impact."""

from __future__ import annotations

import json

import numpy as np
import pytest
from psy_helpers import write_long

from psychometrics.calibration import posterior
from psychometrics.cli import main
from psychometrics.cutscores import impact_from_normal, impact_from_posterior, read_cut_scores
from psychometrics.data import InputError, write_params
from psychometrics.synthetic import random_items, simulate_responses

CUTS = """skill: reading
version: "2026-1"
method: bookmark
date: 2026-03-15
panel: Panel NT2 Vlaanderen (9 leden)
cuts: {A1: -2.4, A2: -1.2, B1: 0.0, B2: 1.2, C1: 2.4}
"""


@pytest.fixture
def files(tmp_path, rng):
    items = random_items(rng, 12, "2pl") + random_items(rng, 2, "gpcm", prefix="g")
    data = simulate_responses(items, rng.normal(0, 1, 800), rng)
    write_params(tmp_path / "p.csv", items)
    write_long(tmp_path / "r.csv", data)
    (tmp_path / "cuts.yaml").write_text(CUTS, encoding="utf-8")
    return items, data


def test_impact_matches_the_normal_population(files, tmp_path):
    items, data = files
    cuts = read_cut_scores(tmp_path / "cuts.yaml")
    normal = impact_from_normal(cuts)
    assert sum(normal.values()) == pytest.approx(1.0)
    assert normal["B1"] == pytest.approx(0.3849, abs=1e-3)  # Φ(1.2) − Φ(0)
    nodes, post, _ = posterior(data, {it.item: it for it in items})
    empirical = impact_from_posterior(cuts, nodes, post)
    assert sum(empirical.values()) == pytest.approx(1.0)
    for level in normal:
        assert empirical[level] == pytest.approx(normal[level], abs=0.05)


def test_cut_scores_need_provenance(tmp_path):
    (tmp_path / "c.yaml").write_text("skill: reading\ncuts: {A1: -1}\n", encoding="utf-8")
    with pytest.raises(InputError, match="ontbrekende velden: version, method, date, panel"):
        read_cut_scores(tmp_path / "c.yaml")
    (tmp_path / "c.yaml").write_text(CUTS.replace("A2: -1.2", "A2: -3"), encoding="utf-8")
    with pytest.raises(InputError, match="stijgen"):
        read_cut_scores(tmp_path / "c.yaml")


def test_report_is_html_with_figures(files, tmp_path, capsys):
    out = tmp_path / "rapport"
    code = main(["report", "--params", str(tmp_path / "p.csv"), "--responses", str(tmp_path / "r.csv"),
                 "--cuts", str(tmp_path / "cuts.yaml"), "--out", str(out)])
    res = json.loads(capsys.readouterr().out)
    assert code == 0
    page = (out / "index.html").read_text(encoding="utf-8")
    for heading in ("Itemkarakteristieke curven", "Toetsinformatie", "Wright-kaart", "itemfit",
                    "Gevlagde items", "Cesuren en impact", "marginale betrouwbaarheid"):
        assert heading in page
    assert set(res["figures"]) >= {"icc-1.png", "informatie.png", "wright.png"}
    for name in res["figures"]:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f'src="{name}"' in page
    assert "<script" not in page  # readable without anything but a browser


def test_impact_cli(files, tmp_path, capsys):
    code = main(["impact", "--cuts", str(tmp_path / "cuts.yaml"), "--params", str(tmp_path / "p.csv"),
                 "--responses", str(tmp_path / "r.csv")])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["method"] == "bookmark"
    assert sum(out["impact"].values()) == pytest.approx(1.0, abs=1e-3)
    assert np.isclose(out["impact"]["onder A1"], 0.0082, atol=0.02)

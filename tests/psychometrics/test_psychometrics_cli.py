"""The CLI contracts: files in, files out, clear Dutch errors with file and row, no tracebacks."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import numpy as np
import pytest
from psy_helpers import write_long

from psychometrics.cli import main
from psychometrics.data import read_params
from psychometrics.synthetic import random_items, simulate_responses


@pytest.fixture
def dataset(rng):
    items = random_items(rng, 8, "2pl")
    return items, simulate_responses(items, rng.normal(0, 1, 600), rng, missing=0.2)


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_calibrate_writes_the_params_contract(tmp_path, dataset, capsys):
    items, data = dataset
    resp = write_long(tmp_path / "resp.csv", data)
    out = tmp_path / "params.csv"
    code, stdout, err = run(["calibrate", resp, "--model", "2pl", "--out", out, "--quiet",
                             "--summary", tmp_path / "s.json"], capsys)
    assert code == 0, err
    with out.open() as fh:
        header = next(csv.reader(fh))
    assert header[:5] == ["item", "model", "a", "b", "c"]
    assert {"se_a", "se_b", "n", "status"} <= set(header)
    params = read_params(out)
    assert set(params) == {it.item for it in items}
    summary = json.loads(stdout)
    assert summary["converged"] is True and summary["n_params"] == 16
    assert json.loads((tmp_path / "s.json").read_text())["aic"] == summary["aic"]


def test_calibrate_with_fixed_items(tmp_path, rng, capsys):
    operational = random_items(rng, 10, "2pl", prefix="op")
    new = random_items(rng, 3, "2pl", prefix="new")
    data = simulate_responses(operational + new, rng.normal(0.5, 1.0, 2000), rng, missing=0.3)
    resp = write_long(tmp_path / "resp.csv", data)
    fixed = tmp_path / "fixed.csv"
    from psychometrics.data import write_params

    write_params(fixed, operational)
    out = tmp_path / "params.csv"
    code, stdout, err = run(["calibrate", resp, "--out", out, "--fixed", fixed, "--quiet"], capsys)
    assert code == 0, err
    params = read_params(out)
    for it in operational:
        assert params[it.item].values["b"] == pytest.approx(it.values["b"], abs=1e-6)
    assert json.loads(stdout)["latent_mean"] == pytest.approx(0.5, abs=0.15)


def test_polytomous_params_use_thresholds(tmp_path, rng, capsys):
    items = random_items(rng, 5, "grm", n_categories=4)
    data = simulate_responses(items, rng.normal(0, 1, 800), rng)
    resp = write_long(tmp_path / "resp.csv", data)
    out = tmp_path / "params.csv"
    code, _, err = run(["calibrate", resp, "--model", "grm", "--out", out, "--quiet"], capsys)
    assert code == 0, err
    with out.open() as fh:
        header = next(csv.reader(fh))
    assert {"b1", "b2", "b3", "se_b3"} <= set(header)
    assert read_params(out)[items[0].item].n_categories == 4


BAD_FILES = [
    # (content, expected row, expected fragment)
    ("persoon,item,score\na,x,1\n", 1, "ontbrekende kolom"),
    ("person,item,score\na,x,1\na,y,0\nb,x,ja\nb,y,1\n", 4, "geen geheel getal"),
    ("person,item,score\na,x,1\na,y,0\nb,x,1.5\nb,y,1\n", 4, "geen geheel getal"),
    ("person,item,score\na,x,1\na,y,0\nb,x,-1\nb,y,1\n", 4, "buiten"),
    ("person,item,score\na,x,1\na,y,0\nb,x,0\nb,y,1\na,x,0\n", 6, "dubbele rij"),
    ("person,item,score\na,x,1\na,y,0\nb,x,0\nb,y,0\nc,x,1\n", 6, "maar 1 antwoord"),
    ("person,item,score\na,x,1\na,y,0\nb,x,1\nb,y,0\n", 2, "geen variantie"),
    ("person,item,score\na,x,1\na,y,2\nb,x,0\nb,y,0\n", 3, "dichotoom"),
    ("person,item,score\na,x,1,5\n", 2, "velden"),
    ("", 1, "leeg"),
    ("person,item,score\na,x,1\nJos\xe9,x,0\n".encode("latin-1"), 3, "geen UTF-8"),
    ("person,item,score\na,x,1e3\n", 2, "buiten 0..19"),
]


@pytest.mark.parametrize(("content", "row", "fragment"), BAD_FILES)
def test_malformed_responses_give_file_row_and_exit_2(tmp_path, capsys, content, row, fragment):
    bad = tmp_path / "bad.csv"
    if isinstance(content, bytes):
        bad.write_bytes(content)
    else:
        bad.write_text(content, encoding="utf-8")
    code, out, err = run(["calibrate", bad, "--out", tmp_path / "p.csv", "--quiet"], capsys)
    assert code == 2
    assert str(bad) in err
    assert f"rij {row}" in err
    assert fragment in err
    assert "Traceback" not in err
    assert not (tmp_path / "p.csv").exists()


def test_unknown_item_when_scoring_against_params(tmp_path, dataset, capsys):
    items, data = dataset
    resp = write_long(tmp_path / "resp.csv", data, extra_rows=[["p000001", "zz-onbekend", 1]])
    params = tmp_path / "params.csv"
    from psychometrics.data import write_params

    write_params(params, items)
    code, _, err = run(["score", resp, "--params", params, "--method", "eap", "--out", tmp_path / "t.csv"],
                       capsys)
    assert code == 2
    assert "onbekend item 'zz-onbekend'" in err
    assert f"rij {int((data.scores >= 0).sum()) + 2}" in err


def test_malformed_params_file(tmp_path, dataset, capsys):
    _, data = dataset
    resp = write_long(tmp_path / "resp.csv", data)
    params = tmp_path / "params.csv"
    params.write_text("item,model,a,b,c\ni001,2pl,1.0,0.0,\ni002,4pl,1,0,\n", encoding="utf-8")
    code, _, err = run(["calibrate", resp, "--fixed", params, "--out", tmp_path / "o.csv", "--quiet"], capsys)
    assert code == 2 and "rij 3" in err and "onbekend model" in err
    params.write_text("item,model,a,b,c\ni001,2pl,-1.0,0.0,\n", encoding="utf-8")
    code, _, err = run(["calibrate", resp, "--fixed", params, "--out", tmp_path / "o.csv", "--quiet"], capsys)
    assert code == 2 and "rij 2" in err and "positief" in err


def test_missing_file(tmp_path, capsys):
    code, _, err = run(["calibrate", tmp_path / "nope.csv", "--out", tmp_path / "o.csv"], capsys)
    assert code == 2 and "bestaat niet" in err


def test_help_for_every_command(capsys):
    for cmd in ["calibrate", "score", "simulate", "link", "dif", "fit", "report", "publish", "impact", "export"]:
        with pytest.raises(SystemExit) as exit_info:
            main([cmd, "--help"])
        assert exit_info.value.code == 0
        out = capsys.readouterr().out
        assert out.startswith("gebruik: ") and cmd in out
        assert "opties" in out and "toon deze hulp" in out


def test_module_entry_point_error_has_no_traceback(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("person,item,score\na,x,twee\n", encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "psychometrics", "calibrate", str(bad), "--out",
                          str(tmp_path / "o.csv")], capture_output=True, text=True, check=False)
    assert res.returncode == 2
    assert "rij 2" in res.stderr and "Traceback" not in res.stderr
    assert np.isfinite(res.returncode)


def test_fixed_anchor_without_variance_is_accepted_but_a_free_one_is_not(tmp_path, rng, capsys):
    from psychometrics.data import from_matrix, write_params
    from toetsbatterij.scoring import ItemParameters

    items = random_items(rng, 6, "2pl")
    data = simulate_responses(items, rng.normal(0, 1, 400), rng)
    scores = data.scores.copy()
    scores[:, 0] = 1  # everyone right on i001
    resp = write_long(tmp_path / "r.csv", from_matrix(scores, items=data.items))
    write_params(tmp_path / "fixed.csv", [ItemParameters.from_values("i001", "2pl", {"a": 1.0, "b": -4.0})])
    code, _, err = run(["calibrate", resp, "--out", tmp_path / "p.csv", "--fixed", tmp_path / "fixed.csv",
                        "--quiet"], capsys)
    assert code == 0, err
    code, _, err = run(["calibrate", resp, "--out", tmp_path / "p2.csv", "--quiet"], capsys)
    assert code == 2 and "'i001' heeft geen variantie" in err


def test_mixed_bank_through_the_cli(tmp_path, rng, capsys):
    dich = random_items(rng, 6, "2pl")
    poly = random_items(rng, 2, "grm", n_categories=3, prefix="g")
    data = simulate_responses(dich + poly, rng.normal(0, 1, 1500), rng, missing=0.2)
    resp = write_long(tmp_path / "r.csv", data)
    (tmp_path / "models.csv").write_text("item,model\ng001,grm\ng002,grm\n", encoding="utf-8")
    code, out, err = run(["calibrate", resp, "--model", "2pl", "--item-models", tmp_path / "models.csv",
                          "--out", tmp_path / "p.csv", "--quiet"], capsys)
    assert code == 0, err
    params = read_params(tmp_path / "p.csv")
    assert params["g001"].model == "grm" and params["i001"].model == "2pl"
    assert json.loads(out)["n_params"] == 6 * 2 + 2 * 3


def test_progress_callback_sees_every_e_step(rng):
    from psychometrics.calibration import MMLCalibrator

    items = random_items(rng, 8, "2pl")
    data = simulate_responses(items, rng.normal(0, 1, 500), rng)
    seen = []
    cal = MMLCalibrator("2pl", progress=lambda it, mx, ll, ch: seen.append((it, ll))).fit(data)
    assert [s[0] for s in seen] == list(range(1, cal.convergence_.n_iter + 1))
    assert all(np.isfinite(s[1]) for s in seen)


def test_argument_errors_are_dutch(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["calibrate"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "deze argumenten ontbreken" in err and "gebruik:" in err
    with pytest.raises(SystemExit):
        main(["calibrate", "x.csv", "--out", "y.csv", "--model", "4pl"])
    assert "ongeldige keuze" in capsys.readouterr().err

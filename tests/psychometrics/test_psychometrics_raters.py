"""``python -m psychometrics raters`` and ``simulate-raters``: the ratings file contract, the
tables, the JSON figures, and Dutch errors with file and row."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest

from psychometrics.cli import main
from toetsbatterij.scoring.raters import simulate_ratings


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def write_ratings(path, rows, header=("person", "task", "criterion", "rater", "score")):
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture(scope="module")
def simulated_file(tmp_path_factory):
    """A simulated rubric: R12 rates at random, R01 is 1 logit harsher in window 2, and ten
    control productions rated by R05 (close to the reference) and R06 (two points off)."""
    sim = simulate_ratings(31, random_raters=(11,), drift={0: 1.0})
    half = len(sim.theta) * len(sim.task_difficulty) / 2
    rows = [[o.person, o.task, o.criterion, o.rater, o.score, 3, 1 if t < half else 2, ""]
            for o, t in zip(sim.observations, sim.time, strict=True)]
    for i in range(10):
        for j, crit in enumerate(("C1", "C2", "C3", "C4")):
            ref = (i + j) % 4
            rows.append([f"CTRL{i}", "T1", crit, "R05", ref if (i + j) % 5 else min(ref + 1, 3), 3, 2, ref])
            rows.append([f"CTRL{i}", "T1", crit, "R06", 3 - ref if ref != 1 and ref != 2 else 3 * (ref == 1),
                         3, 2, ref])
    path = tmp_path_factory.mktemp("raters") / "ratings.csv"
    return write_ratings(path, rows, header=("person", "task", "criterion", "rater", "score", "max_score",
                                             "window", "reference"))


def test_raters_prints_the_tables_and_flags_the_right_raters(simulated_file, tmp_path, capsys):
    out_json = tmp_path / "raters.json"
    code, out, err = run(["raters", "--ratings", simulated_file, "--json", out_json], capsys)
    assert code == 0, err
    for title in ("Overeenstemming met de andere beoordelaars", "Controles: overeenstemming met de referentiescore",
                  "Beoordelaars: strengheid", "Strengheid per tijdvak", "Taken en criteria"):
        assert title in out
    assert "geconvergeerd" in out and "NIET" not in out
    res = json.loads(out_json.read_text(encoding="utf-8"))[""]
    raters = res["raters"]
    assert set(raters) == {f"R{i:02d}" for i in range(1, 13)}
    assert raters["R12"]["infit"] > 1.5 and "misfit" in raters["R12"]["flags"]
    assert raters["R01"]["drift"]["reasons"] == ["severity_shift"] and "drift" in raters["R01"]["flags"]
    assert "control_deviation" in raters["R06"]["drift"]["reasons"]
    assert raters["R05"]["controls"]["n"] == 40 and raters["R05"]["controls"]["exact"] == pytest.approx(0.8)
    flagged = {k for k, v in raters.items() if v["flags"]}
    assert flagged == {"R01", "R06", "R12"}, {k: raters[k]["flags"] for k in flagged}
    assert all(0 <= v["kappa"] <= 1 for k, v in raters.items() if k != "R12")
    assert raters["R12"]["kappa"] < raters["R02"]["kappa"]
    assert [w["window"] for w in raters["R01"]["windows"]] == ["1", "2"]
    assert res["model"]["n_subsets"] == 1 and res["criteria"]["C1"]["max_score"] == 3
    assert len(res["criteria"]["C1"]["thresholds"]) == 3
    # the rows of the flagged raters say why, in Dutch
    line = next(ln for ln in out.splitlines() if ln.startswith("│ R12") and "ruis" in ln)
    assert "MS > 1.5" in line
    assert any(ln.startswith("│ R01") and "strengheid in het laatste tijdvak verschoven" in ln
               for ln in out.splitlines())


def test_raters_hand_computed_agreement_per_rubric(tmp_path, capsys):
    """The ten pairs of tests/scoring/test_raters.py::test_agreement_hand_computed_case as two
    raters on ten cells (kappa 8/11), plus a second rubric where the raters agree perfectly."""
    pairs = [(0, 0)] * 2 + [(0, 1)] + [(1, 0)] + [(1, 1)] * 3 + [(1, 2)] + [(2, 2)] * 2
    rows = []
    for i, (a, b) in enumerate(pairs):
        rows.append(["writing-a2", f"p{i}", "t", "c", "A", a])
        rows.append(["writing-a2", f"p{i}", "t", "c", "B", b])
    for i in range(6):
        rows += [["speaking-a2", f"p{i}", "t", "c", "A", i % 3], ["speaking-a2", f"p{i}", "t", "c", "B", i % 3]]
    path = write_ratings(tmp_path / "r.csv", rows, header=("rubric", "person", "task", "criterion", "rater", "score"))
    out_json = tmp_path / "r.json"
    code, out, err = run(["raters", "--ratings", path, "--json", out_json], capsys)
    assert code == 0, err
    res = json.loads(out_json.read_text(encoding="utf-8"))
    assert set(res) == {"writing-a2", "speaking-a2"}
    assert res["writing-a2"]["raters"]["A"]["kappa"] == pytest.approx(8 / 11, abs=1e-3)
    assert res["writing-a2"]["raters"]["A"]["exact"] == pytest.approx(0.7)
    assert res["writing-a2"]["raters"]["B"]["mean_difference"] == pytest.approx(0.1)
    assert res["speaking-a2"]["raters"]["A"]["kappa"] == pytest.approx(1.0)
    assert "rubric writing-a2" in out and "rubric speaking-a2" in out
    assert "0.73" in out


def test_raters_without_a_model_still_shows_agreement(tmp_path, capsys):
    # category 1 never used: no thresholds, so no Rasch model; agreement is still there
    rows = [[f"p{i}", "t", "c", r, 2 * ((i + k) % 2)] for i in range(6) for k, r in enumerate("AB")]
    code, out, err = run(["raters", "--ratings", write_ratings(tmp_path / "r.csv", rows)], capsys)
    assert code == 0, err
    assert "Geen Rasch-model geschat" in out and "Overeenstemming" in out


BAD = [
    ("person,task,criterion,rater\n", 1, "ontbrekende kolom"),
    ("person,task,criterion,rater,score\np,t,c,A,twee\n", 2, "geen geheel getal"),
    ("person,task,criterion,rater,score\np,t,c,A,1\np,t,c,A,2\n", 3, "twee keer (ook in rij 2)"),
    ("person,task,criterion,rater,score\np,t,,A,1\n", 2, "lege kolom criterion"),
    ("person,task,criterion,rater,score\np,t,c,A,-1\n", 2, "van 0 of meer"),
    ("person,task,criterion,rater,score,max_score\np,t,c,A,1,3\nq,t,c,A,1,4\n", 3, "verschilt van 3 in rij 2"),
    ("person,task,criterion,rater,score,max_score\np,t,c,A,4,3\n", 2, "boven max_score 3"),
    ("person,task,criterion,rater,score\n", None, "geen beoordelingen"),
]


@pytest.mark.parametrize(("content", "row", "fragment"), BAD)
def test_malformed_ratings_give_file_row_and_exit_2(tmp_path, capsys, content, row, fragment):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    code, _, err = run(["raters", "--ratings", path], capsys)
    assert code == 2
    assert fragment in err and "bad.csv" in err
    if row is not None:
        assert f"rij {row}" in err


def test_simulate_raters_prints_rmse_and_the_random_raters_fit(tmp_path, capsys):
    out_json = tmp_path / "study.json"
    code, out, err = run(["simulate-raters", "--seed", 7, "--json", out_json], capsys)
    assert code == 0, err
    study = json.loads(out_json.read_text(encoding="utf-8"))
    assert study["rmse_severity"] < 0.15 and study["correlation_severity"] > 0.95
    assert study["random_rater"]["label"] == "R12" and study["random_rater"]["infit"] > 1.5
    assert study["max_infit_good"] < 1.3
    flagged = [k for k, v in study["drift"]["raters"].items() if v["flagged"]]
    assert flagged == ["R01"]
    assert f"RMSE strengheid (goede beoordelaars): {study['rmse_severity']:.3f}" in out
    assert "Beoordelaar die willekeurig scoort (R12): infit" in out
    # same seed, same figures
    code, _, _ = run(["simulate-raters", "--seed", 7, "--json", tmp_path / "again.json"], capsys)
    assert json.loads((tmp_path / "again.json").read_text(encoding="utf-8")) == study


def test_simulate_raters_refuses_silly_arguments(capsys):
    code, _, err = run(["simulate-raters", "--persons", 5], capsys)
    assert code == 2 and "--persons" in err


def test_raters_through_the_module_entry_point(tmp_path):
    path = write_ratings(tmp_path / "r.csv", [["p", "t", "c", "A", "x"]])
    res = subprocess.run([sys.executable, "-m", "psychometrics", "raters", "--ratings", str(path)],
                         capture_output=True, text=True, check=False)
    assert res.returncode == 2 and "rij 2" in res.stderr and "Traceback" not in res.stderr
    for cmd in ("raters", "simulate-raters"):
        help_res = subprocess.run([sys.executable, "-m", "psychometrics", cmd, "--help"],
                                  capture_output=True, text=True, check=False)
        assert help_res.returncode == 0 and help_res.stdout.startswith("gebruik: ")

"""End to end, as a psychometrician works: export → calibrate with fixed anchors → fit → dif →
report → publish the pretest items into a copy of a fixture bank."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import numpy as np
import yaml

from psychometrics.cli import main
from psychometrics.data import read_params, write_params
from psychometrics.export import write_covariates, write_responses
from psychometrics.synthetic import random_items, simulate_responses
from toetsbatterij.scoring import ItemParameters

REAL = Path(__file__).resolve().parents[2] / "itembank"
PRETEST = ["R-A1-0021", "R-A1-0027"]  # pretest items in the real bank (copied, never modified)
KEY = b"sleutel-voor-dit-onderzoek-2026"


def test_workflow(tmp_path, capsys):
    rng = np.random.default_rng(77)
    anchors = random_items(rng, 20, "2pl", prefix="R-A2-0")  # ids R-A2-0001 ... operational
    anchors = [ItemParameters.from_values(f"R-A2-{k + 1:04d}", "2pl", dict(it.values)) for k, it in enumerate(anchors)]
    truth_new = [ItemParameters.from_values(PRETEST[0], "2pl", {"a": 1.2, "b": -0.8}),
                 ItemParameters.from_values(PRETEST[1], "2pl", {"a": 0.9, "b": 0.4})]
    n = 3000
    theta = rng.normal(0.3, 1.1, n)
    data = simulate_responses(anchors + truth_new, theta, rng, missing=0.5)
    # the platform side: plain records with identity data, exported through psychometrics.export
    records, people = [], []
    for p in range(n):
        pid = f"persoon-{p}"
        people.append({"person_id": pid, "gender": "V" if p % 2 else "M", "birth_date": "1990-05-05",
                       "reference_date": "2026-02-01", "l1_group": "Arabisch" if p % 3 else "Pools",
                       "name": f"Naam {p}"})
        for j, item in enumerate(data.items):
            if data.scores[p, j] >= 0:
                records.append({"person_id": pid, "name": f"Naam {p}", "item": item,
                                "score": int(data.scores[p, j]), "administered_at": dt.date(2026, 2, 1),
                                "organisation": "agentschap", "bank_version": "sha256:test", "position": j + 1,
                                "pretest": item in PRETEST})
    write_responses(tmp_path / "responses.csv", records, KEY)
    write_covariates(tmp_path / "covariates.csv", people, KEY)
    write_params(tmp_path / "operational.csv", anchors)

    def cli(*args):
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        assert code == 0, err
        return json.loads(out) if out.strip().startswith("{") else out

    cal = cli("calibrate", tmp_path / "responses.csv", "--model", "2pl", "--fixed", tmp_path / "operational.csv",
              "--out", tmp_path / "params.csv", "--summary", tmp_path / "summary.json", "--quiet")
    assert cal["converged"] and cal["n_fixed"] == 20
    assert abs(cal["latent_mean"] - 0.3) < 0.1
    params = read_params(tmp_path / "params.csv")
    for t in truth_new:
        assert abs(params[t.item].values["b"] - t.values["b"]) < 0.2
        assert abs(params[t.item].values["a"] - t.values["a"]) < 0.25
    fit = cli("fit", tmp_path / "responses.csv", "--params", tmp_path / "params.csv",
              "--out", tmp_path / "fit.csv", "--flags", tmp_path / "flags.csv")
    assert fit["n_items"] == 22
    dif = cli("dif", tmp_path / "responses.csv", "--covariates", tmp_path / "covariates.csv", "--variable",
              "gender", "--params", tmp_path / "params.csv", "--out", tmp_path / "dif.csv")
    assert dif["ets_C"] == []
    cli("report", "--params", tmp_path / "params.csv", "--responses", tmp_path / "responses.csv",
        "--dif", tmp_path / "dif.csv", "--summary", tmp_path / "summary.json", "--out", tmp_path / "rapport")
    assert "DIF" in (tmp_path / "rapport/index.html").read_text(encoding="utf-8")
    bank = tmp_path / "itembank"
    for rel in ["vocabulary.yaml", "items/reading/a1/R-A1-0021.yaml", "items/reading/a1/R-A1-0027.yaml"]:
        (bank / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REAL / rel, bank / rel)
    # only the pretest items live in this fixture bank; the fixed anchors are skipped as such
    pub = cli("publish", tmp_path / "params.csv", "--bank", bank, "--calibration-id", "cal-2026-02",
              "--data-from", "2026-02-01", "--data-to", "2026-02-28", "--responses", tmp_path / "responses.csv",
              "--summary", tmp_path / "summary.json", "--promote", "--min-n", "1000")
    assert pub["published"] == 2 and sorted(pub["promoted"]) == PRETEST
    item = yaml.safe_load((bank / "items/reading/a1/R-A1-0021.yaml").read_text(encoding="utf-8"))
    assert item["status"] == "operational"
    assert item["parameters"]["provenance"]["calibration_id"] == "cal-2026-02"
    release = yaml.safe_load((bank / "releases/cal-2026-02.yaml").read_text(encoding="utf-8"))
    assert len(release["checksums"]["responses_sha256"]) == 64
    assert release["calibration"]["converged"] is True
    assert release["calibration"]["loglik"] == cal["loglik"]
    # a calibration that did not converge is never published
    bad = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    bad["converged"] = False
    (tmp_path / "bad.json").write_text(json.dumps(bad), encoding="utf-8")
    code = main(["publish", str(tmp_path / "params.csv"), "--bank", str(bank), "--calibration-id", "cal-2026-03",
                 "--data-from", "2026-02-01", "--data-to", "2026-02-28", "--summary", str(tmp_path / "bad.json")])
    assert code == 2 and "niet geconvergeerd" in capsys.readouterr().err

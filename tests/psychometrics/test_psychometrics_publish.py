"""Publishing a release into a temporary copy of a small fixture bank (never the real itembank/)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from psychometrics.cli import main
from psychometrics.data import write_params
from toetsbatterij.scoring import ItemParameters

REAL = Path(__file__).resolve().parents[2] / "itembank"
FIXTURE_FILES = ["items/reading/a1/R-A1-0021.yaml", "items/reading/a1/R-A1-0027.yaml",
                 "items/reading/a1/R-A1-T001.yaml"]


@pytest.fixture
def bank(tmp_path):
    root = tmp_path / "itembank"
    for rel in ["vocabulary.yaml", *FIXTURE_FILES]:
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REAL / rel, target)
    return root


def members(bank):
    data = yaml.safe_load((bank / "items/reading/a1/R-A1-T001.yaml").read_text(encoding="utf-8"))
    return data, [m["id"] for m in data["items"]]


def params_file(tmp_path, bank, n=500):
    _, ids = members(bank)
    items = [ItemParameters.from_values("R-A1-0021", "2pl", {"a": 1.234567, "b": -1.5}, {"a": 0.1, "b": 0.08}),
             ItemParameters.from_values("R-A1-0027", "3pl", {"a": 0.9, "b": -0.2, "c": 0.18}, {"a": 0.1, "b": 0.1, "c": 0.03})]
    items += [ItemParameters.from_values(i, "2pl", {"a": 1.0 + k / 10, "b": -1.0 + k / 10}, {"a": 0.1, "b": 0.1})
              for k, i in enumerate(ids)]
    path = tmp_path / "params.csv"
    write_params(path, items, {it.item: {"n": n, "status": "estimated"} for it in items})
    return path, items


def test_publish_writes_parameters_provenance_and_release(tmp_path, bank, capsys):
    path, items = params_file(tmp_path, bank)
    before = (bank / "items/reading/a1/R-A1-0021.yaml").read_text(encoding="utf-8")
    code = main(["publish", str(path), "--bank", str(bank), "--calibration-id", "cal-2026-03",
                 "--data-from", "2026-01-01", "--data-to", "2026-03-31", "--promote", "--min-n", "300"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0, out
    assert out["published"] == len(items)
    text = (bank / "items/reading/a1/R-A1-0021.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert data["status"] == "operational"  # was pretest: promoted by the release
    assert data["parameters"]["model"] == "2pl"
    assert data["parameters"]["a"] == pytest.approx(1.2346)
    prov = data["parameters"]["provenance"]
    assert prov["source"] == "calibration" and prov["calibration_id"] == "cal-2026-03" and prov["n"] == 500
    assert prov["se"] == {"a": 0.1, "b": 0.08}
    # everything else in the file is untouched, text for text
    assert before.split("status:")[0] == text.split("status:")[0]
    assert yaml.safe_load(before)["stimulus"] == data["stimulus"]
    three = yaml.safe_load((bank / "items/reading/a1/R-A1-0027.yaml").read_text(encoding="utf-8"))
    assert three["parameters"]["c"] == pytest.approx(0.18)
    testlet, ids = members(bank)
    assert all(m["parameters"]["provenance"]["calibration_id"] == "cal-2026-03" for m in testlet["items"])
    record = yaml.safe_load((bank / "releases/cal-2026-03.yaml").read_text(encoding="utf-8"))
    assert record["data_window"] == {"from": "2026-01-01", "to": "2026-03-31"}
    assert len(record["checksums"]["parameters_sha256"]) == 64
    assert set(record["items"]) == {it.item for it in items}
    assert {"python", "numpy", "scipy"} <= set(record["software"])
    assert record["run_id"] == out["run_id"]


def test_published_bank_loads_with_the_item_code(tmp_path, bank, capsys):
    from toetsbatterij.items import load_bank

    path, _ = params_file(tmp_path, bank)
    assert main(["publish", str(path), "--bank", str(bank), "--calibration-id", "cal-1",
                 "--data-from", "2026-01-01", "--data-to", "2026-03-31"]) == 0
    loaded = load_bank(bank, strict=False)
    assert not [p for p in loaded.problems if "parameters" in str(p)], loaded.problems
    item = loaded.items["R-A1-0021"]
    assert item.status == "pretest"  # no --promote: status stays
    assert item.parameters.a == pytest.approx(1.2346)
    assert item.parameters.provenance["calibration_id"] == "cal-1"


def test_release_ids_are_never_reused_and_small_n_is_refused(tmp_path, bank, capsys):
    path, _ = params_file(tmp_path, bank, n=50)
    code = main(["publish", str(path), "--bank", str(bank), "--calibration-id", "cal-x",
                 "--data-from", "2026-01-01", "--data-to", "2026-03-31"])
    assert code == 2 and "te weinig antwoorden" in capsys.readouterr().err
    assert not (bank / "releases").exists()
    path, _ = params_file(tmp_path, bank, n=500)
    args = ["publish", str(path), "--bank", str(bank), "--calibration-id", "cal-x",
            "--data-from", "2026-01-01", "--data-to", "2026-03-31"]
    assert main(args) == 0
    capsys.readouterr()
    assert main(args) == 2
    assert "bestaat al" in capsys.readouterr().err


def test_unknown_item_and_bad_dates(tmp_path, bank, capsys):
    path = tmp_path / "p.csv"
    write_params(path, [ItemParameters.from_values("R-B2-9999", "2pl", {"a": 1.0, "b": 0.0})], {"R-B2-9999": {"n": 900}})
    code = main(["publish", str(path), "--bank", str(bank), "--calibration-id", "cal-y",
                 "--data-from", "2026-01-01", "--data-to", "2026-03-31"])
    assert code == 2 and "bestaat niet" in capsys.readouterr().err
    code = main(["publish", str(path), "--bank", str(bank), "--calibration-id", "cal-y",
                 "--data-from", "1 januari", "--data-to", "2026-03-31"])
    assert code == 2 and "geen datum" in capsys.readouterr().err


def test_partial_testlet_is_not_promoted(tmp_path, bank):
    from psychometrics.publish import publish

    (bank / "items/reading/a1/R-A1-T001.yaml").write_text(
        (bank / "items/reading/a1/R-A1-T001.yaml").read_text(encoding="utf-8").replace(
            "status: operational", "status: pretest", 1), encoding="utf-8")
    _, ids = members(bank)
    p = {ids[0]: ItemParameters.from_values(ids[0], "2pl", {"a": 1.0, "b": 0.0})}
    path = tmp_path / "p.csv"
    write_params(path, p.values())
    res = publish(p, {ids[0]: 400}, bank, calibration_id="cal-z", data_from="2026-01-01",
                  data_to="2026-02-01", params_path=path, promote=True)
    assert res.promoted == []
    assert "niet gepromoveerd" in res.skipped[ids[1]]
    assert members(bank)[0]["status"] == "pretest"


def test_a_release_that_would_break_the_bank_is_refused_and_rolled_back(tmp_path, bank, capsys):
    item_file = bank / "items/reading/a1/R-A1-0021.yaml"
    before = item_file.read_text(encoding="utf-8")
    # a polytomous model on a 0/1 item: the item code rejects the thresholds
    wrong = ItemParameters.from_values("R-A1-0021", "gpcm", {"a": 1.0, "b1": -1.0, "b2": 0.5})
    path = tmp_path / "p.csv"
    write_params(path, [wrong], {"R-A1-0021": {"n": 900}})
    code = main(["publish", str(path), "--bank", str(bank), "--calibration-id", "cal-bad",
                 "--data-from", "2026-01-01", "--data-to", "2026-03-31"])
    err = capsys.readouterr().err
    assert code == 2 and "ongeldig" in err and "thresholds" in err
    assert item_file.read_text(encoding="utf-8") == before
    assert not (bank / "releases").exists()

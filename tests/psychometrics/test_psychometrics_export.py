"""Export: stable keyed pseudonyms, whitelisted columns, no identity data leaves."""

from __future__ import annotations

import datetime as dt

import pytest

from psychometrics.data import read_responses
from psychometrics.export import (
    ExportError,
    age_band,
    pseudonym,
    write_covariates,
    write_responses,
)

KEY = b"agentschap-export-sleutel-2026!!"


def records():
    people = [("uuid-1", "Fatima El Amrani", "85072912345", dt.date(1985, 7, 29)),
              ("uuid-2", "Jan Peeters", "01021512398", dt.date(2001, 2, 15))]
    out = []
    for pid, name, rrn, born in people:
        for pos, (item, score) in enumerate([("R-A2-0001", 1), ("R-A2-0002", 0), ("R-A2-0003", 1)], start=1):
            out.append({"person_id": pid, "name": name, "rijksregisternummer": rrn, "birth_date": born,
                        "item": item, "score": score if pid == "uuid-1" else 1 - score,
                        "administered_at": dt.datetime(2026, 3, 2, 9, 30), "organisation": "agentschap",
                        "bank_version": "sha256:abc", "position": pos, "pretest": item == "R-A2-0003"})
    return out


def test_pseudonyms_are_stable_keyed_and_not_the_id():
    a = pseudonym(KEY, "uuid-1")
    assert a == pseudonym(KEY, "uuid-1")
    assert a != pseudonym(KEY, "uuid-2")
    assert a != pseudonym(b"een-andere-sleutel-voor-project", "uuid-1")
    assert "uuid" not in a and a.startswith("P-") and len(a) == 22
    with pytest.raises(ExportError, match="minstens 16 bytes"):
        pseudonym(b"kort", "uuid-1")


def test_long_file_has_no_identity_data_and_reads_back(tmp_path):
    path = tmp_path / "responses.csv"
    assert write_responses(path, records(), KEY) == 6
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "person,item,score,date,organisation,bank_version,position,kind"
    for secret in ("Fatima", "Peeters", "85072912345", "01021512398", "1985", "uuid-1"):
        assert secret not in text
    assert "pretest" in text and "2026-03-02" in text
    data = read_responses(path)
    assert set(data.persons) == {pseudonym(KEY, "uuid-1"), pseudonym(KEY, "uuid-2")}
    # a second export with the same key gives the same persons
    write_responses(tmp_path / "again.csv", records()[::-1], KEY)
    assert set(read_responses(tmp_path / "again.csv").persons) == set(data.persons)


def test_covariates_file(tmp_path):
    persons = [{"person_id": "uuid-1", "gender": "V", "birth_date": "1985-07-29", "reference_date": "2026-03-02",
                "l1_group": "Arabisch", "literacy_route": "alfa", "name": "Fatima El Amrani"},
               {"person_id": "uuid-2", "gender": "M", "birth_date": dt.date(2009, 3, 3),
                "reference_date": dt.date(2026, 3, 2), "l1_group": "Pools"},
               {"person_id": "uuid-1", "gender": "V"}]
    path = tmp_path / "cov.csv"
    assert write_covariates(path, persons, KEY) == 2
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "person,gender,age_band,l1_group,literacy_route"
    assert lines[1] == f"{pseudonym(KEY, 'uuid-1')},V,36-45,Arabisch,alfa"
    assert lines[2] == f"{pseudonym(KEY, 'uuid-2')},M,16-17,Pools,"
    assert "Fatima" not in path.read_text(encoding="utf-8")


def test_age_bands():
    on = dt.date(2026, 6, 1)
    assert age_band(dt.date(2008, 6, 2), on) == "16-17"
    assert age_band(dt.date(2008, 6, 1), on) == "18-25"
    assert age_band(dt.date(1970, 1, 1), on) == "56+"
    assert age_band(dt.date(2015, 1, 1), on) == "onder 16"


def test_bad_records_name_the_record():
    bad = records()
    del bad[3]["score"]
    with pytest.raises(ExportError, match="record 4: veld 'score' ontbreekt"):
        write_responses("/dev/null", bad, KEY)
    bad = records()
    bad[1]["administered_at"] = "gisteren"
    with pytest.raises(ExportError, match="record 2: afnamedatum"):
        write_responses("/dev/null", bad, KEY)


def test_export_command_from_a_jsonl_dump(tmp_path, capsys):
    import json as _json

    from psychometrics.cli import main

    dump = tmp_path / "dump.jsonl"
    dump.write_text("\n".join(_json.dumps(r, default=str) for r in records()) + "\n", encoding="utf-8")
    persons = tmp_path / "persons.jsonl"
    persons.write_text(_json.dumps({"person_id": "uuid-1", "gender": "V", "birth_date": "1985-07-29",
                                    "reference_date": "2026-03-02"}) + "\n", encoding="utf-8")
    (tmp_path / "key").write_bytes(KEY + b"\n")
    code = main(["export", str(dump), "--key-file", str(tmp_path / "key"), "--out", str(tmp_path / "r.csv"),
                 "--persons", str(persons), "--covariates-out", str(tmp_path / "c.csv")])
    assert code == 0
    assert _json.loads(capsys.readouterr().out) == {"responses": 6, "covariates": 1}
    assert pseudonym(KEY, "uuid-1") in (tmp_path / "r.csv").read_text(encoding="utf-8")
    assert "Fatima" not in (tmp_path / "r.csv").read_text(encoding="utf-8")
    dump.write_text('{"person_id": "x"}\nnot json\n', encoding="utf-8")
    code = main(["export", str(dump), "--key-file", str(tmp_path / "key"), "--out", str(tmp_path / "r.csv")])
    assert code == 2 and "rij 2" in capsys.readouterr().err

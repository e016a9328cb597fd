"""Platform export for psychometrics: responses read from the delivery database (one
organisation), pseudonymised by psychometrics.export with a keyed HMAC; nothing identifying in
the files (ISSUE 4 follow-up, gap 7)."""

import csv

import pytest
from delivery_support import take_attempt
from sqlalchemy import func, select

from psychometrics import platform_export
from toetsbatterij.delivery import attempts
from toetsbatterij.delivery.export import person_records, response_records
from toetsbatterij.delivery.models import Candidate, Presentation, Response


def _finish(world, content, tenant, i):
    return take_attempt(world, content, tenant, i, max_screens=60)


def _read(path):
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_export_responses_pseudonymised_per_organisation(world, content, migrated_url,
                                                        tmp_path, capsys):
    world.open(world.a)
    world.open(world.b)
    _finish(world, content, world.a, 0)
    _finish(world, content, world.a, 1)
    _finish(world, content, world.b, 0)
    # an attempt still running is not exported
    attempts.candidate_login(world.db, world.clock, session_code=world.a["session_code"],
                             access_code=world.a["access_codes"][2], device_token=None)
    world.db.commit()
    key = tmp_path / "key"
    key.write_bytes(b"0123456789abcdef-geheim")
    out = tmp_path / "export"
    assert platform_export.main(["--database-url", migrated_url, "--organisation", "antwerpen",
                                 "--out", str(out), "--key-file", str(key)]) == 0
    assert '"responses"' in capsys.readouterr().out
    rows = _read(out / "responses.csv")
    expected = world.db.scalar(
        select(func.count(Response.id))
        .join(Presentation, Presentation.id == Response.presentation_id)
        .where(Presentation.kind.in_(("operational", "pretest")), Response.score.is_not(None),
               Response.attempt_id.in_(_attempt_ids(world, world.a, [0, 1]))))
    assert len(rows) == expected > 0
    assert {r["organisation"] for r in rows} == {"antwerpen"}
    assert {r["kind"] for r in rows} == {"scored", "pretest"}
    assert len({r["person"] for r in rows}) == 2
    assert all(r["person"].startswith("P-") and r["score"] in ("0", "1") for r in rows)
    cov = _read(out / "covariates.csv")
    assert {c["person"] for c in cov} == {r["person"] for r in rows}
    assert all(c["age_band"] for c in cov)
    # nothing identifying in either file
    text = (out / "responses.csv").read_text() + (out / "covariates.csv").read_text()
    for cand in world.db.scalars(select(Candidate)):
        for secret in (cand.first_name, cand.last_name, cand.id_number, cand.access_code,
                       cand.birth_date.isoformat()):
            assert secret not in text
    # same key, same pseudonyms; another key, other pseudonyms
    again = tmp_path / "again"
    platform_export.main(["--database-url", migrated_url, "--organisation", "antwerpen",
                          "--out", str(again), "--key-file", str(key)])
    assert _read(again / "responses.csv") == rows
    other_key = tmp_path / "other"
    other_key.write_bytes(b"another-project-key-0001")
    other = tmp_path / "other-export"
    platform_export.main(["--database-url", migrated_url, "--organisation", "antwerpen",
                          "--out", str(other), "--key-file", str(other_key)])
    assert not {r["person"] for r in _read(other / "responses.csv")} & {r["person"] for r in rows}


def _attempt_ids(world, tenant, indexes):
    from toetsbatterij.delivery.models import Attempt

    return list(world.db.scalars(select(Attempt.id).where(
        Attempt.candidate_id.in_([tenant["candidates"][i] for i in indexes]))))


def test_records_are_tenant_scoped_and_skip_practice(world, content):
    world.open(world.a)
    attempt = _finish(world, content, world.a, 0)
    records = list(response_records(world.db, organisation_id=world.a["org"]))
    assert records and not list(response_records(world.db, organisation_id=world.b["org"]))
    practice_items = {i for p in world.db.scalars(select(Presentation).where(
        Presentation.attempt_id == attempt.id, Presentation.section_index == -1))
        for i in p.item_ids}
    assert not practice_items & {r["item"] for r in records}
    assert all(r["position"] >= 1 for r in records)
    persons = list(person_records(world.db, organisation_id=world.a["org"]))
    assert len(persons) == 1 and persons[0]["person_id"].startswith("rrn:")
    assert not list(response_records(world.db, organisation_id=world.a["org"],
                                     test_code="lezen-schrijven"))


def test_unknown_organisation_and_missing_key_are_refused(migrated_url, tmp_path, world):
    key = tmp_path / "key"
    key.write_bytes(b"0123456789abcdef")
    with pytest.raises(SystemExit):
        platform_export.main(["--database-url", migrated_url, "--organisation", "nergens",
                              "--out", str(tmp_path / "x"), "--key-file", str(key)])
    with pytest.raises(SystemExit):
        platform_export.main(["--database-url", migrated_url, "--organisation", "antwerpen",
                              "--out", str(tmp_path / "x"), "--key-file", str(tmp_path / "nokey")])

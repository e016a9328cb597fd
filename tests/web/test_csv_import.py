"""Candidate CSV imports with CR, LF and CRLF line ends (old spreadsheet exports), a stray CR
or a broken row: imported, or the bad row reported; never a server error."""

from __future__ import annotations

import io

import pytest
from delivery_support import login_staff
from sqlalchemy import func, select

from toetsbatterij import csvfiles
from toetsbatterij.delivery.models import Candidate

HEADER = "voornaam;achternaam;geboortedatum;identiteit;nummer;land;taal;extra_tijd"
ROWS = ["Ana;Lopez;01/02/1990;buitenlands;ES123456;ES;fr;10",
        "Omar;Haddad;03/04/1985;buitenlands;MA765432;MA;ar;0"]


def _post(client, sid, text, encoding="utf-8"):
    return client.post(f"/beheer/sessies/{sid}/import", data={
        "file": (io.BytesIO(text.encode(encoding)), "kandidaten.csv")},
        content_type="multipart/form-data")


def _count(db, sid):
    db.expire_all()
    return db.scalar(select(func.count(Candidate.id)).where(Candidate.exam_session_id == sid))


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_every_line_ending_imports(client, world, db_session, newline):
    login_staff(client, world.a, "proctor")
    sid = world.a["session"]
    before = _count(db_session, sid)
    resp = _post(client, sid, newline.join([HEADER, *ROWS]) + newline)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    assert _count(db_session, sid) == before + 2


def test_a_stray_cr_in_a_row_is_reported_not_a_crash(client, world, db_session):
    login_staff(client, world.a, "proctor")
    sid = world.a["session"]
    before = _count(db_session, sid)
    text = "\n".join([HEADER, ROWS[0], "Omar\r;Haddad;03/04/1985;buitenlands;MA765432;MA;ar;0"])
    resp = _post(client, sid, text + "\n")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "<td>3</td>" in html and "kan niet gelezen worden" in html
    assert _count(db_session, sid) == before


def test_windows_1252_and_a_bom_still_import(client, world, db_session):
    login_staff(client, world.a, "proctor")
    sid = world.a["session"]
    before = _count(db_session, sid)
    text = "\r\n".join([HEADER, "José;Martínez;01/02/1990;buitenlands;ES123456;ES;es;0"])
    assert _post(client, sid, text, "cp1252").status_code == 302
    assert _post(client, sid, "\ufeff" + text.replace("ES123456", "ES654321")).status_code == 302
    assert _count(db_session, sid) == before + 2


def test_read_rows_numbers_lines_and_keeps_going_after_a_bad_row():
    _dialect, rows = csvfiles.read_rows('a;b\rx;"y\rz"\rq\x0b;w\r')
    assert [(r.line, r.cells) for r in rows] == [(1, ["a", "b"]), (2, ["x", "y\nz"]),
                                                (4, ["q\x0b", "w"])]
    _dialect, rows = csvfiles.read_rows("a;b\nx\r;y\nq;w\n")
    assert [(r.line, r.cells, bool(r.error)) for r in rows] == [
        (1, ["a", "b"], False), (2, None, True), (3, ["q", "w"], False)]

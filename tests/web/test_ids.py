"""Ids and numbers at the edge: a path id outside 1..2^31-1 is a 404 on every route, a posted
id or number that cannot be one is a 400/404; never a 500 (SQLite overflowed at 2^63,
PostgreSQL at 2^31)."""

from __future__ import annotations

import re

import pytest
from delivery_support import candidate_login, login_staff

from toetsbatterij.web.ids import MAX_ID, parse_id

OUT_OF_RANGE = ["0", str(MAX_ID + 1), str(2**63), str(2**64), "9" * 30]


def id_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        names = [n for n, conv in rule._converters.items()
                 if type(conv).__name__ == "IdConverter"]
        yield rule, names


def fill(rule, value):
    path = rule.rule
    for name, conv in rule._converters.items():
        replacement = value if type(conv).__name__ == "IdConverter" else "pauze"
        path = re.sub(rf"<[^>]*:?{name}>", replacement, path)
    return path


def test_no_route_uses_the_plain_int_converter(app):
    offenders = [r.rule for r in app.url_map.iter_rules()
                 if any(type(c).__name__ == "IntegerConverter" for c in r._converters.values())]
    assert offenders == []
    assert any(names for _, names in id_rules(app))


@pytest.mark.parametrize("who", ["anonymous", "admin", "candidate"])
def test_path_ids_out_of_range_are_not_found(app, world, who):
    world.open(world.a)
    client = app.test_client()
    if who == "admin":
        login_staff(client, world.a, "agency_admin")
    elif who == "candidate":
        candidate_login(client, world.a)
    checked = 0
    for rule, names in id_rules(app):
        if not names:
            continue
        for value in OUT_OF_RANGE:
            url = fill(rule, value)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                resp = client.open(url, method=method, data={})
                assert resp.status_code == 404, (method, url, resp.status_code)
                checked += 1
    assert checked >= len(OUT_OF_RANGE) * 13  # 13 routes with an id today


def test_posted_ids_and_numbers_that_cannot_exist(app, world, client):
    world.open(world.a)
    login_staff(client, world.a, "agency_admin")
    s, c = world.a["session"], world.a["candidates"][0]
    cand = app.test_client()
    candidate_login(cand, world.a)
    cand.post("/toets/verder", data={"step": "practice"})
    bad_ids = [str(2**31), str(2**63), "-1", "0", "²", "٣", "1_0", " 1", "abc"]
    for value in bad_ids:
        for url, data in (
                ("/beheer/sessies/nieuw", {"location_id": value, "test_definition_id": "1",
                                          "date": "2026-03-03", "start": "09:00",
                                          "end": "12:00"}),
                (f"/beheer/sessies/{s}/incident", {"code": "technical", "candidate_id": value}),
                (f"/beheer/sessies/{s}/aanmeldblokkering/opheffen", {"candidate_id": value})):
            resp = client.post(url, data=data)
            assert resp.status_code == 404, (url, value, resp.status_code)
        resp = cand.post("/toets/antwoord", data={"presentation_id": value})
        assert resp.status_code == 404, (value, resp.status_code)
    for value in [str(2**31), str(2**63), "1e3", "²", "", "9" * 5000]:
        assert client.post(f"/beheer/kandidaten/{c}/extra-tijd",
                           data={"minutes": value}).status_code in (400, 404, 409)
        assert client.post("/beheer/locaties", data={"name": "Zaal",
                                                    "capacity": value}).status_code == 400
        resp = cand.post("/toets/verder", data={"step": "section", "section_index": value})
        assert resp.status_code in (400, 409), (value, resp.status_code)


def test_parse_id_only_takes_ascii_digits_in_range():
    assert parse_id("1") == 1 and parse_id(str(MAX_ID)) == MAX_ID
    for raw in (None, "", "0", str(MAX_ID + 1), "٣", "²", "+1", "1.0", " 1", "01" * 6):
        assert parse_id(raw) is None

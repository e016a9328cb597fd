"""Property tests: hostile input in every staff and candidate form, every CSV import, every JSON
body, every raw body and every id in a path gets an answer, never a server error. The app runs
in testing mode, so an unexpected exception fails the example outright. Runs on SQLite and
(``-m db``) on PostgreSQL.
"""

from __future__ import annotations

import io
import re
from urllib.parse import quote

from delivery_support import candidate_login, login_staff
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FIELDS = ["email", "password", "display_name", "role", "name", "address", "capacity",
          "location_id", "test_definition_id", "date", "start", "end", "first_name",
          "last_name", "birth_date", "id_kind", "id_number", "id_country",
          "instruction_language", "extra_time_percent", "code", "note", "candidate_id",
          "minutes", "reason", "session_code", "access_code", "step", "section_index",
          "presentation_id", "file"]
SPECIAL = ["", "0", "1", "-1", "2", str(2**31), str(2**63), str(2**64), "9" * 40, "\x00",
           "a\x00b", "=cmd|' /C calc'!A0", "1990-01-01", "01/02/1990", "09:00", "23:59",
           "foreign", "rrn", "bis", "technical", "nl", "ar", "practice", "section",
           "agency_admin", "x@y.test", "\u202e", "٣", "²", " 1 ", "1e3", "NaN", "x" * 300]
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
VALUE = st.one_of(st.sampled_from(SPECIAL), TEXT)
NUMBERS = ["0", "-1", str(2**31), str(2**63), str(2**64), "9" * 40, "٣", "1e3"]
VALUE = st.one_of(st.sampled_from(NUMBERS), VALUE)
# Every field may be there (about half of them are, in each example).
FORM = st.fixed_dictionaries({}, optional={name: VALUE for name in FIELDS})
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(FIELDS) | TEXT, children, max_size=4),
    max_leaves=12)
SETTINGS = settings(max_examples=30, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
LOGOUTS = ("staff.logout", "candidate.candidate_logout")


def post_rules(app, prefix):
    rules = [r for r in app.url_map.iter_rules()
             if "POST" in r.methods and r.rule.startswith(prefix) and r.endpoint not in LOGOUTS
             and not (prefix == "/" and r.rule.startswith("/beheer"))]
    assert rules
    return sorted(rules, key=lambda r: r.rule)


def fill(rule, ids):
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(rf"<[^>]*{name}>", str(ids.get(name, "pauze")), path)
    return path


def ok(resp):
    assert resp.status_code < 500, resp.status_code
    return resp


def _staff(app, world):
    world.open(world.a)
    client = app.test_client()
    login_staff(client, world.a, "agency_admin")
    ids = {"session_id": world.a["session"], "candidate_id": world.a["candidates"][0]}
    return client, ids


def test_staff_forms(app, world):
    client, ids = _staff(app, world)
    rules = post_rules(app, "/beheer")
    actions = ["pauze", "hervatten", "extra-tijd", "beeindigen", "vrijgeven", "onbekend"]

    @SETTINGS
    @given(st.sampled_from(actions), FORM, st.booleans())
    def run(action, form, as_json):
        headers = {"Accept": "application/json"} if as_json else {}
        for rule in rules:
            ok(client.post(fill(rule, {**ids, "action": action}), data=form, headers=headers))

    run()


def test_candidate_forms(app, world, db_session):
    world.open(world.a)
    client = app.test_client()
    candidate_login(client, world.a)
    rules = post_rules(app, "/")

    @SETTINGS
    @given(FORM, st.integers(min_value=1, max_value=2**70))
    def run(form, number):
        for rule in rules:
            ok(client.post(fill(rule, {"presentation_id": number}), data=form))
        ok(client.get("/toets"))

    run()


def test_json_and_raw_bodies_on_every_post_route(app, world):
    client, ids = _staff(app, world)
    candidate = app.test_client()
    candidate_login(candidate, world.a)
    rules = post_rules(app, "/beheer") + post_rules(app, "/")

    @SETTINGS
    @given(st.sampled_from(rules), JSON, st.binary(max_size=200))
    def run(rule, body, raw):
        url = fill(rule, {**ids, "action": "pauze", "presentation_id": 1})
        who = client if url.startswith("/beheer") else candidate
        ok(who.post(url, json=body))
        ok(who.post(url, data=raw, content_type="application/x-www-form-urlencoded"))
        ok(who.post(url, data=raw, content_type="multipart/form-data; boundary=x"))

    run()


def test_ids_in_paths(app, world):
    client, _ids = _staff(app, world)
    candidate = app.test_client()
    candidate_login(candidate, world.a)
    rules = [r for r in app.url_map.iter_rules() if r.arguments and r.endpoint != "static"]
    segment = st.one_of(st.sampled_from(NUMBERS),
                        st.integers(min_value=-2**80, max_value=2**80).map(str),
                        TEXT.filter(lambda t: t not in ("", ".", "..")).map(
                            lambda t: quote(t, safe="")))

    @SETTINGS
    @given(st.sampled_from(rules), segment)
    def run(rule, value):
        url = fill(rule, {name: value for name in rule.arguments})
        who = client if url.startswith("/beheer") else candidate
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            ok(who.open(url, method=method, data={}))

    run()


CSV_ALPHABET = st.characters(blacklist_categories=("Cs",)) | st.sampled_from(
    list(";,\t\r\n\"'\x00=+-@"))
HEADER = "voornaam;achternaam;geboortedatum;identiteit;nummer;land;taal;extra_tijd"
ROW = st.lists(st.one_of(st.sampled_from(SPECIAL), TEXT), min_size=0, max_size=9).map(
    lambda cells: ";".join(cells))


def test_csv_imports(app, world):
    client, ids = _staff(app, world)
    url = f"/beheer/sessies/{ids['session_id']}/import"

    @SETTINGS
    @given(st.one_of(
        st.text(alphabet=CSV_ALPHABET, max_size=300),
        st.tuples(st.sampled_from(["\n", "\r\n", "\r"]), st.lists(ROW, max_size=6)).map(
            lambda t: t[0].join([HEADER, *t[1]])),
    ), st.sampled_from(["utf-8", "utf-16", "cp1252"]))
    def run(text, encoding):
        data = text.encode(encoding, errors="replace")
        resp = ok(client.post(url, data={"file": (io.BytesIO(data), "k.csv")},
                              content_type="multipart/form-data"))
        assert resp.status_code in (302, 400, 409, 422), resp.status_code

    run()

"""The partner API over HTTP: token auth, scopes per field group, shares, another agency's
persons, revocation at once, the read log, pagination, the rate limit and problem+json
errors (never a page, never a 500)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from toetsbatterij.partners import service
from toetsbatterij.partners.models import PartnerRead, PartnerReadPerson

from .support import attest_for, bearer, partner, person, share, trajectory

API = "/api/partner/v1"
ALL = list(service.SCOPES)


def _problem(resp, status, name):
    assert resp.status_code == status, resp.get_data(as_text=True)[:400]
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["status"] == status and body["type"] == f"urn:toetsbatterij:problem:{name}"
    assert body["title"]
    return body


def _reads(db):
    db.expire_all()
    return list(db.scalars(select(PartnerRead).order_by(PartnerRead.id)))


@pytest.fixture
def shared(app, world, content):
    """Agency A shares Amina (trajectory, attest) with VDAB (every scope) and with a housing
    company (attest level only); Bram is A's but not shared; agency B has Chaima, shared
    with B's own VDAB."""
    amina = person(world, world.a["org"])
    attest = attest_for(app, world, content, world.a, amina)
    trajectory(world, amina, {"mo": "passed", "nt2": "passed", "career": "started"},
               attest_id=attest.id)
    bram = person(world, world.a["org"], "Bram", "Peeters", serial=103)
    chaima = person(world, world.b["org"], "Chaima", "Benali", serial=105)
    vdab, vdab_token = partner(world, world.a["org"], ALL)
    housing, housing_token = partner(world, world.a["org"], [service.ATTEST_LEVEL],
                                     name="Woonhaven", kind="housing")
    other, other_token = partner(world, world.b["org"], ALL, name="VDAB")
    return {"amina": amina, "bram": bram, "chaima": chaima, "attest": attest,
            "vdab": vdab, "vdab_token": vdab_token, "amina_ref": share(world, vdab, amina),
            "housing": housing, "housing_token": housing_token,
            "amina_housing_ref": share(world, housing, amina),
            "other": other, "other_token": other_token,
            "chaima_ref": share(world, other, chaima)}


def test_without_a_valid_token_nothing_is_given(client, shared):
    for headers in ({}, {"Authorization": "Basic dXNlcjpwdw=="}, bearer("tbp_unknown"),
                    bearer("x" * 500), bearer(shared["vdab_token"] + "x")):
        for path in ("/me", "/persons", f"/persons/{shared['amina_ref']}",
                     f"/persons/{shared['amina_ref']}/nt2"):
            resp = client.get(API + path, headers=headers)
            _problem(resp, 401, "invalid-token")
            assert resp.headers["WWW-Authenticate"].startswith("Bearer")
            assert "Amina" not in resp.get_data(as_text=True)


def test_a_partner_with_every_scope_reads_its_shared_person(client, shared):
    headers = bearer(shared["vdab_token"])
    me = client.get(API + "/me", headers=headers).get_json()
    assert me["partner"] == {"name": "VDAB", "kind": "work"}
    assert me["scopes"] == sorted(ALL) and me["token"]["prefix"].startswith("tbp_")
    page = client.get(API + "/persons", headers=headers).get_json()
    assert [p["id"] for p in page["items"]] == [shared["amina_ref"]]  # not Bram: not shared
    assert page["items"][0]["identity"]["last_name"] == "El Idrissi"
    assert page["next_cursor"] is None
    doc = client.get(f"{API}/persons/{shared['amina_ref']}", headers=headers).get_json()
    assert doc["identity"]["id_number"] == shared["amina"].id_number
    assert doc["trajectory"]["kind"] == "obliged"
    assert {c["kind"]: c["status"] for c in doc["trajectory"]["components"]} == {
        "mo": "passed", "nt2": "passed", "career": "started"}
    assert doc["trajectory"]["components"][0]["since"] == "2026-02-05"
    assert doc["nt2"]["goal_level"] == "A2" and doc["nt2"]["reached"]["source"] == "attest"
    assert doc["nt2"]["reached"]["skills"]["listening"] == "B1"
    [attest] = doc["attests"]
    assert attest["number"].replace("-", "") == shared["attest"].number
    assert attest["revoked"] is False and attest["revoked_at"] is None
    for group in ("trajectory", "nt2", "attests"):
        sub = client.get(f"{API}/persons/{shared['amina_ref']}/{group}", headers=headers)
        assert sub.status_code == 200 and sub.get_json()[group] == doc[group]


def test_a_partner_without_the_scope_gets_nothing_of_that_field_group(client, shared):
    headers, ref = bearer(shared["housing_token"]), shared["amina_housing_ref"]
    assert ref != shared["amina_ref"]  # each partner has its own id for the person
    page = client.get(API + "/persons", headers=headers).get_json()
    assert page["items"] == [{"id": ref, "shared_at": page["items"][0]["shared_at"]}]
    doc = client.get(f"{API}/persons/{ref}", headers=headers)
    assert set(doc.get_json()) == {"id", "shared_at", "attests"}
    text = doc.get_data(as_text=True)
    assert "Amina" not in text and shared["amina"].id_number not in text
    for group, scope in (("trajectory", service.TRAJECTORY), ("nt2", service.NT2_LEVEL)):
        body = _problem(client.get(f"{API}/persons/{ref}/{group}", headers=headers), 403,
                        "missing-scope")
        assert body["scope"] == scope
    # the scope is refused before the person is looked up: a wrong id says nothing more
    _problem(client.get(f"{API}/persons/{'a' * 26}/nt2", headers=headers), 403, "missing-scope")
    assert client.get(f"{API}/persons/{ref}/attests", headers=headers).status_code == 200


def test_a_withdrawn_scope_and_a_stopped_share_count_from_the_next_request(client, world,
                                                                           shared):
    headers, ref = bearer(shared["vdab_token"]), shared["amina_ref"]
    assert client.get(f"{API}/persons/{ref}/nt2", headers=headers).status_code == 200
    service.set_scopes(world.db, world.clock, organisation_id=world.a["org"], actor_id=None,
                       partner_id=shared["vdab"].id, scopes=[service.ATTEST_LEVEL])
    world.db.commit()
    _problem(client.get(f"{API}/persons/{ref}/nt2", headers=headers), 403, "missing-scope")
    assert "nt2" not in client.get(f"{API}/persons/{ref}", headers=headers).get_json()
    share_row = service.shares(world.db, world.a["org"], shared["vdab"].id)[0].share
    service.stop_share(world.db, world.clock, organisation_id=world.a["org"], actor_id=None,
                       partner_id=shared["vdab"].id, share_id=share_row.id)
    world.db.commit()
    _problem(client.get(f"{API}/persons/{ref}", headers=headers), 404, "not-found")
    assert client.get(API + "/persons", headers=headers).get_json()["items"] == []


def test_another_agencys_persons_are_invisible(client, shared):
    a_headers, b_headers = bearer(shared["vdab_token"]), bearer(shared["other_token"])
    # B's VDAB sees only Chaima; A's VDAB cannot open her, even knowing B's id for her
    assert [p["id"] for p in client.get(API + "/persons", headers=b_headers).get_json()[
        "items"]] == [shared["chaima_ref"]]
    for group in ("", "/trajectory", "/nt2", "/attests"):
        _problem(client.get(f"{API}/persons/{shared['chaima_ref']}{group}", headers=a_headers),
                 404, "not-found")
        _problem(client.get(f"{API}/persons/{shared['amina_ref']}{group}", headers=b_headers),
                 404, "not-found")
    text = client.get(API + "/persons", headers=a_headers).get_data(as_text=True)
    assert "Chaima" not in text and "Benali" not in text


def test_a_revoked_token_is_refused_at_once(client, world, shared):
    headers = bearer(shared["vdab_token"])
    assert client.get(API + "/me", headers=headers).status_code == 200
    [token] = service.tokens(world.db, world.a["org"], shared["vdab"].id)
    service.revoke_token(world.db, world.clock, organisation_id=world.a["org"], actor_id=None,
                         partner_id=shared["vdab"].id, token_id=token.id)
    world.db.commit()
    _problem(client.get(API + "/me", headers=headers), 401, "invalid-token")
    _problem(client.get(API + "/persons", headers=headers), 401, "invalid-token")


def test_a_rotated_token_replaces_the_old_one_at_once(client, world, shared):
    [token] = service.tokens(world.db, world.a["org"], shared["vdab"].id)
    made = service.rotate_token(world.db, world.clock, organisation_id=world.a["org"],
                                actor_id=None, partner_id=shared["vdab"].id, token_id=token.id)
    world.db.commit()
    _problem(client.get(API + "/me", headers=bearer(shared["vdab_token"])), 401, "invalid-token")
    assert client.get(API + "/me", headers=bearer(made.secret)).status_code == 200


def test_an_expired_token_is_refused(client, world, shared):
    world.clock.advance(days=service.TOKEN_DAYS_DEFAULT + 1)
    _problem(client.get(API + "/me", headers=bearer(shared["vdab_token"])), 401, "invalid-token")


def test_every_read_appears_in_the_log(client, db_session, shared):
    headers, ref = bearer(shared["vdab_token"]), shared["amina_ref"]
    amina = shared["amina"].id
    calls = [("/persons", "persons.list", [service.IDENTITY], "ok", [amina]),
             (f"/persons/{ref}", "persons.get", list(service.SCOPES), "ok", [amina]),
             (f"/persons/{ref}/trajectory", "persons.trajectory", [service.TRAJECTORY], "ok",
              [amina]),
             (f"/persons/{ref}/nt2", "persons.nt2", [service.NT2_LEVEL], "ok", [amina]),
             (f"/persons/{ref}/attests", "persons.attests", [service.ATTEST_LEVEL], "ok",
              [amina]),
             (f"/persons/{'b' * 26}", "persons.get", [], "not_found", []),
             ("/me", "me", [], "ok", [])]
    for path, *_ in calls:
        assert client.get(API + path, headers=headers).status_code in (200, 404)
    housing = bearer(shared["housing_token"])
    assert client.get(f"{API}/persons/{shared['amina_housing_ref']}/nt2",
                      headers=housing).status_code == 403
    reads = _reads(db_session)
    assert len(reads) == len(calls) + 1
    for read, (_path, op, scopes, outcome, persons) in zip(reads, calls, strict=False):
        assert (read.partner_id, read.operation, read.scopes.split(), read.outcome) == (
            shared["vdab"].id, op, scopes, outcome)
        assert read.person_count == len(persons)
        assert list(db_session.scalars(select(PartnerReadPerson.person_id).where(
            PartnerReadPerson.read_id == read.id))) == persons
    refused = reads[-1]
    assert (refused.partner_id, refused.outcome, refused.scopes) == (
        shared["housing"].id, "forbidden", service.NT2_LEVEL)
    # refused tokens read nothing and are not the partner's reads
    client.get(API + "/persons", headers=bearer("tbp_nope"))
    assert len(_reads(db_session)) == len(calls) + 1


def test_no_log_no_data(client, shared, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def broken(*_a, **_k):
        raise OperationalError("INSERT", {}, Exception("disk full"))

    monkeypatch.setattr(service, "log_read", broken)
    resp = client.get(f"{API}/persons/{shared['amina_ref']}",
                      headers=bearer(shared["vdab_token"]))
    body = _problem(resp, 503, "read-log-unavailable")
    assert "Amina" not in resp.get_data(as_text=True) and "disk" not in str(body)


def test_cursor_pagination(client, world, shared):
    vdab = shared["vdab"]
    refs = [shared["amina_ref"]] + [
        share(world, vdab, person(world, world.a["org"], f"P{i}", "Test", serial=200 + 2 * i))
        for i in range(6)]
    headers, seen, url, pages = bearer(shared["vdab_token"]), [], API + "/persons?limit=3", 0
    while url:
        page = client.get(url, headers=headers).get_json()
        seen += [p["id"] for p in page["items"]]
        pages += 1
        url = (f"{API}/persons?limit=3&cursor={page['next_cursor']}" if page["next_cursor"]
               else None)
    assert seen == refs and pages == 3
    first = client.get(API + "/persons?limit=2", headers=headers).get_json()["next_cursor"]
    body, mac = first.split(".")
    for bad in ("x", first + "x", "e30." + mac, body + ".AAAA", "." * 3, "é", "a" * 300):
        _problem(client.get(API + "/persons", query_string={"cursor": bad}, headers=headers),
                 400, "invalid-request")
    # another partner's cursor does not work for this one
    _problem(client.get(API + "/persons", query_string={"cursor": first},
                        headers=bearer(shared["housing_token"])), 400, "invalid-request")
    for limit in ("0", "101", "-1", "abc", "٣", " 3", "1e2"):
        _problem(client.get(API + "/persons", query_string={"limit": limit}, headers=headers),
                 400, "invalid-request")


def test_the_rate_limit_per_token(make_app, world, shared):
    app = make_app(WTF_CSRF_ENABLED=False, PARTNER_API_RATE_LIMIT=3)
    client = app.test_client()
    for i in range(3):
        resp = client.get(API + "/me", headers=bearer(shared["vdab_token"]))
        assert resp.status_code == 200
        assert resp.headers["RateLimit-Remaining"] == str(2 - i)
    body = _problem(client.get(API + "/persons", headers=bearer(shared["vdab_token"])), 429,
                    "rate-limited")
    assert "Amina" not in str(body)
    resp = client.get(API + "/me", headers=bearer(shared["vdab_token"]))
    assert int(resp.headers["Retry-After"]) >= 1
    # another token has its own count
    assert client.get(API + "/me", headers=bearer(shared["housing_token"])).status_code == 200
    world.clock.advance(seconds=61)  # the next window
    assert client.get(API + "/me", headers=bearer(shared["vdab_token"])).status_code == 200


def test_errors_under_the_prefix_are_problems_never_pages(client, shared):
    headers = bearer(shared["vdab_token"])
    _problem(client.get(API + "/nothing-here", headers=headers), 404, "not-found")
    _problem(client.get("/api/partner/v2/persons", headers=headers), 404, "not-found")
    _problem(client.get(f"{API}/persons/{'x' * 65}", headers=headers), 404, "not-found")
    resp = client.post(API + "/persons", headers=headers, data={"x": "1"})
    _problem(resp, 405, "method-not-allowed")
    assert "GET" in resp.headers["Allow"]
    resp = client.delete(f"{API}/persons/{shared['amina_ref']}", headers=headers)
    _problem(resp, 405, "method-not-allowed")
    assert client.get(API + "/openapi.json").get_json()["openapi"] == "3.1.0"


def test_a_request_session_never_writes(app, client, shared):
    """The read log goes through a transaction of its own; the request's stays read-only."""
    from toetsbatterij.web import unit_of_work

    assert "GET" in unit_of_work.SAFE_METHODS
    headers = bearer(shared["vdab_token"])
    before = _count(app)
    assert client.get(f"{API}/persons/{shared['amina_ref']}", headers=headers).status_code == 200
    assert _count(app) == before + 1


def _count(app):
    with app.extensions["toetsbatterij"].session_factory() as db:
        return db.scalar(select(func.count(PartnerRead.id)))

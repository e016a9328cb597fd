"""The partner service without HTTP: partners and scopes, tokens (hashed, shown once,
rotated, revoked, expired), shares (per agency, re-shared with the same id), the field
groups, the read log, the cursor and the rate limit (in-process and on the real Redis)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import select

from toetsbatterij.audit.models import AuditEntry
from toetsbatterij.errors import Conflict, Forbidden, InvalidInput, NotFound
from toetsbatterij.partners import cursor, service
from toetsbatterij.partners.models import PartnerScope, PartnerToken
from toetsbatterij.state_store import NullStateStore

from .support import partner, person, share, trajectory


def _actions(db):
    return [e.action for e in db.scalars(select(AuditEntry).order_by(AuditEntry.seq))]


def test_a_token_is_stored_only_as_its_hash(world):
    row, secret = partner(world, world.a["org"], [service.NT2_LEVEL])
    assert secret.startswith("tbp_") and len(secret) == 4 + 43  # 256 random bits
    [token] = world.db.scalars(select(PartnerToken))
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = [str(getattr(token, c.key)) for c in PartnerToken.__table__.columns]
    assert secret not in stored and all(secret not in s or s == token.prefix for s in stored)
    assert token.prefix == secret[:12]
    assert token.expires_at == world.clock.now() + dt.timedelta(days=365)
    caller = service.authenticate(world.db, world.clock, secret)
    assert (caller.partner_id, caller.scopes) == (row.id, frozenset({service.NT2_LEVEL}))
    assert _actions(world.db)[-2:] == ["partner.create", "partner_token.create"]


@pytest.mark.parametrize("bad", [None, "", "tbp_", "Bearer x", "tbp_" + "A" * 43, "x" * 200])
def test_unknown_tokens_are_refused(world, bad):
    partner(world, world.a["org"], [])
    with pytest.raises(service.InvalidToken):
        service.authenticate(world.db, world.clock, bad)


def test_revoke_rotate_and_expiry(world):
    row, secret = partner(world, world.a["org"], [])
    org = world.a["org"]
    [token] = service.tokens(world.db, org, row.id)
    made = service.rotate_token(world.db, world.clock, organisation_id=org, actor_id=None,
                                partner_id=row.id, token_id=token.id, days=30)
    with pytest.raises(service.InvalidToken):
        service.authenticate(world.db, world.clock, secret)
    assert token.replaced_by_id == made.row.id and made.secret != secret
    assert service.authenticate(world.db, world.clock, made.secret).token_id == made.row.id
    with pytest.raises(Conflict):  # a revoked token cannot be rotated or revoked again
        service.rotate_token(world.db, world.clock, organisation_id=org, actor_id=None,
                             partner_id=row.id, token_id=token.id)
    world.clock.advance(days=30)
    with pytest.raises(service.InvalidToken):
        service.authenticate(world.db, world.clock, made.secret)
    service.revoke_token(world.db, world.clock, organisation_id=org, actor_id=None,
                         partner_id=row.id, token_id=made.row.id)
    with pytest.raises(Conflict):
        service.revoke_token(world.db, world.clock, organisation_id=org, actor_id=None,
                             partner_id=row.id, token_id=made.row.id)
    for days in (0, 731, "x", "", None, -5):
        with pytest.raises(InvalidInput):
            service.create_token(world.db, world.clock, organisation_id=org, actor_id=None,
                                 partner_id=row.id, days=days)
    assert _actions(world.db)[-2:] == ["partner_token.rotate", "partner_token.revoke"]


def test_only_the_agencys_admin_manages_its_partners(world):
    row, _ = partner(world, world.a["org"], [])
    org_a, org_b = world.a["org"], world.b["org"]
    for role in ("proctor", "rater", "psychometrician"):
        with pytest.raises(Forbidden):
            service.create_partner(world.db, world.clock, organisation_id=org_a,
                                   actor_id=world.a["staff"][role], name="X", kind="work")
    with pytest.raises(Forbidden):  # another agency's admin
        service.set_scopes(world.db, world.clock, organisation_id=org_a,
                           actor_id=world.b["staff"]["agency_admin"], partner_id=row.id,
                           scopes=[])
    with pytest.raises(NotFound):  # another agency's partner, by its own admin
        service.create_token(world.db, world.clock, organisation_id=org_b,
                             actor_id=world.b["staff"]["agency_admin"], partner_id=row.id)
    [token] = service.tokens(world.db, org_a, row.id)
    with pytest.raises(NotFound):
        service.revoke_token(world.db, world.clock, organisation_id=org_b, actor_id=None,
                             partner_id=row.id, token_id=token.id)


def test_partner_input_is_checked(world):
    org = world.a["org"]
    partner(world, org, [])
    for kw, field in ((dict(name="", kind="work"), "name"), (dict(name="VDAB", kind="work"), "name"),
                      (dict(name="X", kind="bank"), "kind"),
                      (dict(name="X\u202e", kind="work"), "name"),
                      (dict(name="X", kind="work", scopes=["person.everything"]), "scopes")):
        with pytest.raises(InvalidInput) as exc:
            service.create_partner(world.db, world.clock, organisation_id=org, actor_id=None,
                                   **kw)
        assert exc.value.field == field
    # the same name at another agency is another partner
    service.create_partner(world.db, world.clock, organisation_id=world.b["org"], actor_id=None,
                           name="VDAB", kind="work")


def test_scopes_are_set_exactly_and_audited(world):
    row, _ = partner(world, world.a["org"], [service.IDENTITY, service.NT2_LEVEL])
    got = service.set_scopes(world.db, world.clock, organisation_id=world.a["org"],
                             actor_id=world.a["staff"]["agency_admin"], partner_id=row.id,
                             scopes=[service.ATTEST_LEVEL, service.NT2_LEVEL,
                                     service.ATTEST_LEVEL])
    assert got == [service.NT2_LEVEL, service.ATTEST_LEVEL]
    assert sorted(world.db.scalars(select(PartnerScope.scope))) == sorted(got)
    entry = world.db.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry.action == "partner.scopes"
    assert entry.details == {"added": [service.ATTEST_LEVEL], "withdrawn": [service.IDENTITY]}


def test_shares_belong_to_the_agency(world):
    org = world.a["org"]
    row, _ = partner(world, org, [service.IDENTITY])
    amina = person(world, org)
    theirs = person(world, world.b["org"], "Chaima", "Benali", serial=105)
    with pytest.raises(NotFound):
        service.share(world.db, world.clock, organisation_id=org, actor_id=None,
                      partner_id=row.id, person_id=theirs.id)
    ref = share(world, row, amina)
    assert len(ref) == 26 and ref.isalnum() and ref == ref.lower()
    with pytest.raises(Conflict):
        service.share(world.db, world.clock, organisation_id=org, actor_id=None,
                      partner_id=row.id, person_id=amina.id)
    assert [p.id for p in service.shareable_persons(world.db, org, row.id)] == []
    [shared] = service.shares(world.db, org, row.id)
    service.stop_share(world.db, world.clock, organisation_id=org, actor_id=None,
                       partner_id=row.id, share_id=shared.share.id)
    with pytest.raises(Conflict):
        service.stop_share(world.db, world.clock, organisation_id=org, actor_id=None,
                           partner_id=row.id, share_id=shared.share.id)
    assert service.shares(world.db, org, row.id) == []
    assert share(world, row, amina) == ref  # shared again: the same id for this partner
    other, _ = partner(world, org, [], name="OCMW", kind="welfare")
    assert share(world, other, amina) != ref  # another partner: another id


def test_the_list_pages_in_share_order(world):
    org = world.a["org"]
    row, secret = partner(world, org, [service.IDENTITY])
    people = [person(world, org, f"P{i}", "T", serial=300 + 2 * i) for i in range(5)]
    for p in people:
        share(world, row, p)
    caller = service.authenticate(world.db, world.clock, secret)
    page, after = service.list_shared(world.db, caller, after=0, limit=2)
    assert [p.person.id for p in page] == [people[0].id, people[1].id] and after
    page, after = service.list_shared(world.db, caller, after=after, limit=2)
    page3, end = service.list_shared(world.db, caller, after=after, limit=2)
    assert [p.person.id for p in page + page3] == [p.id for p in people[2:]] and end is None


def test_the_field_groups(app, world, content):
    from .support import attest_for

    org = world.a["org"]
    amina = person(world, org)
    assert service.trajectory_of(world.db, amina) is None and service.nt2_of(world.db,
                                                                             amina) is None
    attest = attest_for(app, world, content, world.a, amina)
    trajectory(world, amina, {"mo": "started", "nt2": "passed"}, attest_id=attest.id,
               result_id=attest.result_id)
    nt2 = service.nt2_of(world.db, amina)
    assert nt2["reached"]["source"] == "attest" and nt2["course_level"] == "1.2"
    assert nt2["since"] == "2026-02-05" and nt2["status"] == "passed"
    assert service.attests_of(world.db, amina)[0]["revoked"] is False
    # a revoked attest is no proof of the level: the linked result is
    attest.revoked_at = world.clock.now()
    world.db.flush()
    nt2 = service.nt2_of(world.db, amina)
    assert nt2["reached"]["source"] == "result" and nt2["reached"]["skills"]["listening"] == "B1"
    [listed] = service.attests_of(world.db, amina)
    assert listed["revoked"] is True and listed["revoked_at"].endswith("Z")
    amina.erased_at = world.clock.now()
    assert service.identity_of(amina) == {"erased": True, "first_name": None,
                                          "last_name": None, "birth_date": None,
                                          "id_kind": None, "id_number": None,
                                          "id_country": None}


def test_the_read_log_names_partner_token_and_persons(world):
    org = world.a["org"]
    row, secret = partner(world, org, [service.IDENTITY])
    amina, bram = person(world, org), person(world, org, "Bram", "Peeters", serial=103)
    caller = service.authenticate(world.db, world.clock, secret)
    service.log_read(world.db, world.clock, caller, operation="persons.list",
                     scopes=[service.IDENTITY], outcome=service.OK,
                     person_ids=[amina.id, bram.id, amina.id])
    world.db.commit()
    [entry] = service.reads(world.db, org)
    assert (entry.partner, entry.token_prefix, entry.persons) == (
        "VDAB", secret[:12], ["Amina El Idrissi", "Bram Peeters"])
    assert entry.read.person_count == 3  # the count is of what was sent; names are distinct
    assert service.reads(world.db, world.b["org"]) == []
    assert [e.read.id for e in service.reads(world.db, org, person_id=bram.id)] == [
        entry.read.id]
    assert service.last_used(world.db, [caller.token_id]) == {
        caller.token_id: world.clock.now()}


def test_the_cursor_is_opaque_and_bound_to_its_partner():
    key = b"k" * 32
    text = cursor.encode(key, 7, 1234)
    assert "1234" not in text and cursor.decode(key, 7, text) == 1234
    assert cursor.decode(key, 7, None) == 0 and cursor.decode(key, 7, "") == 0
    for bad in (text + "A", text.replace(".", ".A"), "a.b", "...", text[::-1], "é.é"):
        with pytest.raises(InvalidInput):
            cursor.decode(key, 7, bad)
    with pytest.raises(InvalidInput):
        cursor.decode(key, 8, text)
    with pytest.raises(InvalidInput):
        cursor.decode(b"other" * 7, 7, text)


def _caller(token_id=1):
    return service.Caller(partner_id=1, organisation_id=1, token_id=token_id, token_prefix="",
                          expires_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
                          scopes=frozenset())


def _exhaust(store, clock):
    for i in range(3):
        assert service.rate_limit(store, clock, _caller(), limit=3,
                                  window_seconds=60).remaining == 2 - i
    with pytest.raises(service.RateLimited) as exc:
        service.rate_limit(store, clock, _caller(), limit=3, window_seconds=60)
    assert 1 <= exc.value.retry_after <= 60
    assert service.rate_limit(store, clock, _caller(2), limit=3, window_seconds=60).remaining == 2
    clock.advance(seconds=60)
    assert service.rate_limit(store, clock, _caller(), limit=3, window_seconds=60).remaining == 2


def test_the_rate_limit_in_process(clock):
    _exhaust(NullStateStore(), clock)


@pytest.mark.redis
def test_the_rate_limit_on_redis(clock, redis_url):
    from toetsbatterij.state_store import RedisStateStore

    store = RedisStateStore(redis_url, prefix=f"tb-test-partner-{id(clock)}:")
    try:
        _exhaust(store, clock)
        other_worker = RedisStateStore(redis_url, prefix=store._prefix)  # shares the count
        with pytest.raises(service.RateLimited):
            for _ in range(3):
                service.rate_limit(other_worker, clock, _caller(), limit=3, window_seconds=60)
            service.rate_limit(store, clock, _caller(), limit=3, window_seconds=60)
    finally:
        store.flush_prefix()

"""The tamper-evident audit log: every entry is chained to the one before it; changing,
removing or inserting a row directly in the database is named by ``audit-verify``."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading

import pytest
from delivery_support import login_staff
from sqlalchemy import func, select, text

from toetsbatterij import cli
from toetsbatterij.audit import chain
from toetsbatterij.audit.models import AuditEntry
from toetsbatterij.audit.service import record
from toetsbatterij.db import make_engine, make_session_factory


def test_the_serialisation_is_frozen():
    # Changing the canonical form breaks every chain already stored: this vector must not move.
    digest = chain.entry_digest(
        seq=1, prev_hash=chain.GENESIS, organisation_id=2, actor_id=3, action="staff.login",
        object_type="staff_account", object_id=3, details={"b": [1, 2], "a": "é"},
        created_at=dt.datetime(2026, 3, 2, 8, 0, 0, 123456, tzinfo=dt.UTC))
    canonical = ('{"action":"staff.login","actor":3,"at":"2026-03-02T08:00:00.123456+00:00",'
                 '"details":{"a":"é","b":[1,2]},"object":3,"org":2,"prev":"' + "0" * 64 + '",'
                 '"seq":1,"type":"staff_account"}')
    assert digest == hashlib.sha256(canonical.encode()).hexdigest()
    assert digest == "5a9d3c08626ab749b10b3cdb05bbae40ddbcdcdd0aaac5fd45d2602822e4c709"


def _fill(world, n=5):
    org = world.a["org"]
    for i in range(n):
        record(world.db, world.clock, organisation_id=org, actor_id=world.a["staff"]["proctor"],
               action="test.action", object_type="exam_session", object_id=world.a["session"],
               index=i, note="=cmd|' /C calc'!A0", when=(1, 2))
        world.clock.advance(seconds=1)
    world.db.commit()


def _verify(url, capsys):
    status = cli.main(["--database-url", url, "audit-verify"])
    return status, capsys.readouterr().out


def _rows(db):
    db.expire_all()
    return list(db.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def test_an_untouched_chain_verifies(world, migrated_url, capsys):
    _fill(world)
    rows = _rows(world.db)
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0].prev_hash == chain.GENESIS
    assert all(b.prev_hash == a.entry_hash for a, b in zip(rows, rows[1:], strict=False))
    status, out = _verify(migrated_url, capsys)
    assert status == 0 and "keten in orde" in out and rows[-1].entry_hash in out


def test_a_changed_entry_is_named(world, migrated_url, capsys):
    _fill(world)
    victim = _rows(world.db)[-3]
    world.db.execute(text("UPDATE audit_entry SET action = 'attest.revoke' WHERE id = :id"),
                     {"id": victim.id})
    world.db.commit()
    status, out = _verify(migrated_url, capsys)
    assert status == 1
    assert f"seq {victim.seq} (id {victim.id}): de inhoud past niet bij de hash" in out
    assert out.count("FOUT") == 1


def test_a_changed_time_or_detail_is_named_too(world, migrated_url, capsys):
    _fill(world)
    victim = _rows(world.db)[1]
    world.db.execute(text("UPDATE audit_entry SET details = :d WHERE id = :id"),
                     {"d": '{"index": 99}', "id": victim.id})
    world.db.commit()
    status, out = _verify(migrated_url, capsys)
    assert status == 1 and f"seq {victim.seq} (id {victim.id})" in out


def test_a_removed_entry_is_named(world, migrated_url, capsys):
    _fill(world)
    rows = _rows(world.db)
    victim, after = rows[2], rows[3]
    world.db.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": victim.id})
    world.db.commit()
    status, out = _verify(migrated_url, capsys)
    assert status == 1
    assert f"seq {after.seq} (id {after.id}): seq {victim.seq} ontbreekt" in out
    assert out.count("FOUT") == 1


def test_removing_the_newest_entry_is_seen_at_the_head(world, migrated_url, capsys):
    _fill(world)
    victim = _rows(world.db)[-1]
    world.db.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": victim.id})
    world.db.commit()
    status, out = _verify(migrated_url, capsys)
    assert status == 1 and f"seq {victim.seq}..{victim.seq} ontbreekt aan het einde" in out


def _insert(db, like, **values):
    row = {"organisation_id": like.organisation_id, "actor_id": like.actor_id,
           "action": "attest.issue", "object_type": like.object_type,
           "object_id": like.object_id, "details": "{}", "created_at": like.created_at,
           **values}
    cols = ", ".join(row)
    db.execute(text(f"INSERT INTO audit_entry ({cols}) VALUES "  # noqa: S608 - test data
                    f"({', '.join(':' + c for c in row)})"), row)
    db.commit()
    return db.scalar(select(func.max(AuditEntry.id)))


def test_an_inserted_entry_is_named(world, migrated_url, capsys):
    _fill(world)
    last = _rows(world.db)[-1]
    # A forger who even computes the right hash for the end of the chain ...
    fields = {"seq": last.seq + 1, "prev_hash": last.entry_hash}
    digest = chain.entry_digest(organisation_id=last.organisation_id, actor_id=last.actor_id,
                                action="attest.issue", object_type=last.object_type,
                                object_id=last.object_id, details={},
                                created_at=last.created_at, **fields)
    new_id = _insert(world.db, last, entry_hash=digest, **fields)
    status, out = _verify(migrated_url, capsys)
    # ... is still caught: the entry lies beyond the head of the chain.
    assert status == 1 and f"seq {last.seq + 1} (id {new_id}): ligt voorbij de kop" in out


def test_an_entry_inserted_in_a_gap_is_named(world, migrated_url, capsys):
    _fill(world)
    rows = _rows(world.db)
    # Make room in the middle (shift the tail up by one), then slip a forged entry in.
    world.db.execute(text("UPDATE audit_entry SET seq = seq + 100 WHERE seq > 2"))
    world.db.execute(text("UPDATE audit_entry SET seq = seq - 99 WHERE seq > 100"))
    world.db.commit()
    new_id = _insert(world.db, rows[1], seq=3, prev_hash="e" * 64,
                     entry_hash="f" * 64)
    status, out = _verify(migrated_url, capsys)
    assert status == 1 and f"seq 3 (id {new_id})" in out


def test_concurrent_appends_never_fork_the_chain(world, migrated_url):
    _fill(world, n=1)
    engine = make_engine(migrated_url)
    factory = make_session_factory(engine)
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def worker(k: int) -> None:
        try:
            barrier.wait()
            for i in range(5):
                db = factory()
                try:
                    record(db, world.clock, organisation_id=world.a["org"], actor_id=None,
                           action="test.concurrent", object_type="exam_session",
                           object_id=world.a["session"], worker=k, i=i)
                    db.commit()
                finally:
                    db.close()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    assert errors == []
    result = chain.verify(world.db)
    assert result.ok, result.problems
    assert result.entries == len(_rows(world.db)) and result.head_seq == result.entries
    assert len([r for r in _rows(world.db) if r.action == "test.concurrent"]) == 30


def test_migration_chains_existing_entries(tmp_path):
    from toetsbatterij.db import upgrade

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade(url, "0004")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO organisation (id, code, name) VALUES (1, 'x', 'X')"))
        for i in range(4):
            conn.execute(text(
                "INSERT INTO audit_entry (organisation_id, actor_id, action, object_type, "
                "object_id, details, created_at) VALUES (1, NULL, 'old.action', 'exam_session', "
                ":i, :d, :at)"), {"i": i, "d": json.dumps({"n": i}),
                                  "at": f"2026-01-0{i + 1} 10:00:00.000000"})
    engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    db = make_session_factory(engine)()
    result = chain.verify(db)
    assert result.ok and result.entries == 4 and result.head_seq == 4
    # and the chain goes on from there
    from toetsbatterij.clock import FrozenClock

    record(db, FrozenClock(dt.datetime(2026, 2, 1, tzinfo=dt.UTC)), organisation_id=1,
           actor_id=None, action="new.action", object_type="exam_session", object_id=1)
    db.commit()
    assert chain.verify(db).ok and chain.verify(db).entries == 5
    db.close()
    engine.dispose()


def test_audit_page_names_people_and_objects(client, world, app):
    world.open(world.a)
    login_staff(client, world.a, "proctor")
    cid = world.a["candidates"][0]
    assert client.post(f"/beheer/sessies/{world.a['session']}/incident",
                       data={"code": "technical", "note": "scherm zwart",
                             "candidate_id": str(cid)}).status_code == 302
    client.post("/beheer/afmelden")
    login_staff(client, world.a, "agency_admin")
    page = client.get("/beheer/audit").get_data(as_text=True)
    assert "proctor antwerpen" in page            # the actor by name
    assert "Kandidaat0 Achternaam0" in page       # the candidate of the incident
    assert f"Sessie {world.a['session_code']}" in page
    assert '"candidate_id"' not in page and '"session_id"' not in page
    # never a name from another agency
    assert "gent" not in page.replace("Agentschap", "")


@pytest.mark.parametrize("kind", ["changed", "removed", "inserted"])
def test_check_chain_is_pure(kind):
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    rows, prev = [], chain.GENESIS
    for seq in range(1, 5):
        e = AuditEntry(id=seq, seq=seq, prev_hash=prev, organisation_id=1, actor_id=None,
                       action="a", object_type="t", object_id=seq, details={}, created_at=at)
        e.entry_hash = prev = chain.digest_of(e)
        rows.append(e)
    head = chain.AuditChainHead(id=1, seq=4, entry_hash=prev)
    assert chain.check_chain(rows, head).ok
    if kind == "changed":
        rows[1].action = "b"
        expected = (2, 2)
    elif kind == "removed":
        del rows[1]
        expected = (3, 3)
    else:
        extra = AuditEntry(id=9, seq=5, prev_hash=prev, organisation_id=1, actor_id=None,
                           action="x", object_type="t", object_id=1, details={}, created_at=at)
        extra.entry_hash = chain.digest_of(extra)
        rows.append(extra)
        expected = (5, 9)
    problems = chain.check_chain(rows, head).problems
    assert [(p.kind, p.seq, p.entry_id) for p in problems] == [(kind, *expected)]

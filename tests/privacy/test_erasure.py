"""Privacy by retention (issue 10, item 7): after the retention period no personal data of the
person remains in any column of any table, nor in the database file (SQLite); scores, ids and
the audit chain stay, the chain still verifies, and the person's attest still verifies by number
(without the person)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from delivery_support import candidate_login, login_staff, take_attempt
from sqlalchemy import select

from toetsbatterij import cli
from toetsbatterij.audit import chain
from toetsbatterij.db import import_all_models
from toetsbatterij.delivery import proctoring, sessions
from toetsbatterij.delivery.identity import make_national_number
from toetsbatterij.delivery.models import Candidate, Response
from toetsbatterij.errors import ConfigurationError
from toetsbatterij.privacy.retention import RetentionPolicy, erase_expired

FIRST, LAST = "Zoltanova", "Qwertyuiopska"
BIRTH = dt.date(1973, 5, 17)
NUMBER = make_national_number(BIRTH, 987)
POLICY_DAYS = {"identity": 730, "responses": 730, "recordings": 730, "incidents": 730,
               "sessions": 30, "login_throttle": 1, "staff": 730}


def traces(value) -> list[str]:
    """The person's data as it could appear in a stored value."""
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    found = [t for t in (FIRST, LAST, NUMBER, BIRTH.isoformat(), BIRTH.strftime("%d/%m/%Y"))
             if t.lower() in text.lower()]
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime) and value == BIRTH:
        found.append("birth date")
    return found


def scan_every_table(db) -> list[tuple[str, str, list[str]]]:
    hits = []
    for table in import_all_models().sorted_tables:
        for row in db.execute(select(table)).mappings():
            for column, value in row.items():
                if value is not None and traces(value):
                    hits.append((table.name, column, traces(value)))
    return hits


@pytest.fixture
def person(app, world, content):
    """A person who took the test, typed their own name, had an incident noted about them,
    logged in on the web (a login session), was recorded in the audit log, and holds an attest
    issued from their frozen result."""
    world.open(world.a)
    cand = sessions.register_candidate(
        world.db, world.clock, organisation_id=world.a["org"], actor_id=world.a["staff"]["proctor"],
        session_id=world.a["session"],
        data=sessions.CandidateInput(first_name=FIRST, last_name=LAST, birth_date=BIRTH,
                                     id_kind="rrn", id_number=NUMBER))
    proctoring.admit_candidates(world.db, world.clock, organisation_id=world.a["org"],
                                session_id=world.a["session"], candidate_ids=[cand.id],
                                actor_id=world.a["staff"]["proctor"])
    proctoring.record_incident(world.db, world.clock, organisation_id=world.a["org"],
                               session_id=world.a["session"], candidate_id=cand.id,
                               code="other", note=f"{FIRST} {LAST} kwam te laat",
                               actor_id=world.a["staff"]["proctor"])
    world.db.commit()
    world.a["access_codes"].append(cand.access_code)
    browser = app.test_client()
    assert candidate_login(browser, world.a, len(world.a["access_codes"]) - 1).status_code == 302
    login_staff(app.test_client(), world.a, "proctor")
    attempt = take_attempt(world, content, world.a, len(world.a["access_codes"]) - 1)
    typed = world.db.scalar(select(Response).where(Response.attempt_id == attempt.id))
    typed.raw = {"gap": f"ik heet {FIRST} {LAST}, geboren {BIRTH.strftime('%d/%m/%Y')}"}
    # A writing draft and a spoken take that say who they are (productions: the recording lives
    # in the recordings storage of the instance folder, the draft in the database).
    from toetsbatterij.productions.models import RecordingTake, WritingDraft
    from toetsbatterij.productions.storage import storage_for

    world.db.add(WritingDraft(attempt_id=attempt.id, presentation_id=typed.presentation_id,
                              item_id="W-A2-0001", version=3, text=f"Ik ben {FIRST} {LAST}.",
                              saved_at=world.clock.now()))
    world.db.add(RecordingTake(uid="ab" * 16, attempt_id=attempt.id,
                               presentation_id=typed.presentation_id, item_id="S-A2-0001",
                               number=1, started_at=world.clock.now()))
    storage_for(app.config, Path(app.instance_path)).put_chunk(
        "ab" * 16, 0, 0, f"OggS ... mijn naam is {FIRST} {LAST}".encode())
    world.db.commit()
    # Their result is frozen and an attest issued from it (its holder names the person).
    from attest_support import issue as issue_attest

    from toetsbatterij.results import service as results
    from toetsbatterij.results.rules import ScoringRules

    result = results.freeze(world.db, world.clock, content, attempt, lambda _db, _a: {},
                            ScoringRules())
    world.db.commit()
    attest = issue_attest(world, app.extensions["toetsbatterij"].signer, None, world.a,
                          result.id)
    cand.attest = (attest.number, attest.verification_code)
    assert {t for hit in scan_every_table(world.db) for t in hit[2]} >= {FIRST, LAST, NUMBER}
    return cand


def test_nothing_is_erased_before_retention_and_everything_after(world, person):
    policy = RetentionPolicy(POLICY_DAYS)
    world.clock.advance(days=729)
    report = erase_expired(world.db, world.clock, policy)
    world.db.commit()
    assert report.counts["identity"] == 0 and report.counts["responses"] == 0
    assert report.counts["sessions"] >= 2  # the logins ended long ago (30 days)
    assert scan_every_table(world.db)
    world.clock.advance(days=2)
    report = erase_expired(world.db, world.clock, policy)
    world.db.commit()
    assert report.counts["identity"] >= 1 and report.counts["responses"] >= 1
    assert report.counts["incidents"] >= 1
    assert scan_every_table(world.db) == []
    # Their attest still verifies, by number and code, without the person.
    from toetsbatterij.attests import service as attests

    number, code = person.attest
    verified = attests.verify(world.db, world.clock, number=number, code=code, birth_date=BIRTH)
    world.db.commit()
    assert verified.status == "valid" and verified.holder is None
    assert verified.skills and not verified.birth_date_matched
    # What must stay verifiable stays: the registration (pseudonymous id), scores, the chain.
    world.db.expire_all()
    cand = world.db.get(Candidate, person.id)
    assert cand.erased_at is not None and cand.first_name == ""
    scores = world.db.scalars(select(Response.score).where(Response.score.is_not(None))).all()
    assert scores
    assert chain.verify(world.db).ok
    # The audit page shows the erased candidate by number and the erasure itself.
    from toetsbatterij.audit.service import named_entries

    named = named_entries(world.db, world.a["org"], limit=500)
    assert any(n.subject == f"#{person.id}" for n in named)
    erasure = next(n for n in named if n.entry.action == "privacy.erase")
    assert erasure.entry.details["candidates"] >= 1 and erasure.subject
    # A second run finds nothing more to do.
    again = erase_expired(world.db, world.clock, policy)
    assert again.counts["identity"] == 0 and again.counts["responses"] == 0


def _files(app, migrated_url) -> list[Path]:
    files = [p for p in Path(app.instance_path).rglob("*") if p.is_file()]
    if migrated_url.startswith("sqlite:///"):
        database = Path(migrated_url.removeprefix("sqlite:///"))
        files += [p for p in database.parent.iterdir() if p.name.startswith(database.name)]
    return files


def _traces_in_files(files) -> list[tuple[str, str]]:
    return [(path.name, trace) for path in files if path.exists()
            for trace in (FIRST, LAST, NUMBER) if trace.encode() in path.read_bytes()]


def test_erase_expired_command_leaves_no_trace_in_tables_or_files(world, person, migrated_url,
                                                                   monkeypatch, app):
    """The command runs on the real clock: with a retention of one day, an exam day in the
    past (START) is due. On SQLite the database file itself is checked too (free pages and the
    write-ahead log would keep erased values: the command rebuilds the file)."""
    monkeypatch.setenv("TOETSBATTERIJ_RETENTION_DAYS", json.dumps(dict.fromkeys(POLICY_DAYS, 1)))
    world.db.close()
    if migrated_url.startswith("sqlite:///"):
        assert _traces_in_files(_files(app, migrated_url)), "the file held the person before"
    assert cli.main(["--database-url", migrated_url, "erase-expired"]) == 0
    assert scan_every_table(world.db) == []
    assert chain.verify(world.db).ok
    assert _traces_in_files(_files(app, migrated_url)) == []


def test_audit_details_never_hold_personal_data(world, person):
    """The rule that lets the hash-chained audit log stay whole through erasure."""
    from toetsbatterij.audit.models import AuditEntry

    for entry in world.db.scalars(select(AuditEntry)):
        assert traces(entry.details or {}) == [], (entry.action, entry.details)


def test_the_retention_configuration_is_checked():
    with pytest.raises(ConfigurationError):
        RetentionPolicy.from_config({"RETENTION_DAYS": {"identity": 30}})
    with pytest.raises(ConfigurationError):
        RetentionPolicy.from_config({"RETENTION_DAYS": dict(POLICY_DAYS, sessions=0)})
    assert RetentionPolicy.from_config({"RETENTION_DAYS": POLICY_DAYS}).days == POLICY_DAYS


def test_a_deactivated_staff_account_is_anonymised_after_its_retention(world, clock):
    from toetsbatterij.accounts import service as accounts
    from toetsbatterij.accounts.models import StaffAccount

    db = world.db
    rater = world.a["staff"]["rater"]
    accounts.deactivate_account(db, clock, organisation_id=world.a["org"],
                                actor_id=world.a["staff"]["agency_admin"], account_id=rater)
    db.commit()
    policy = RetentionPolicy.from_config({"RETENTION_DAYS": POLICY_DAYS})
    clock.advance(days=729)
    assert erase_expired(db, clock, policy).counts["staff"] == 0
    assert db.get(StaffAccount, rater).email == "rater@antwerpen.test"
    clock.advance(days=2)
    assert erase_expired(db, clock, policy).counts["staff"] == 1
    db.commit()
    account = db.get(StaffAccount, rater)
    assert (account.display_name, account.email, account.password_hash) == (
        f"Verwijderd account {rater}", f"erased-{rater}@erased.invalid", "")
    assert not account.active and account.role == "rater"
    # Active accounts and the audit chain are untouched; a second run finds nothing to do.
    assert db.get(StaffAccount, world.a["staff"]["proctor"]).email == "proctor@antwerpen.test"
    assert erase_expired(db, clock, policy).counts["staff"] == 0
    assert chain.verify(db).ok

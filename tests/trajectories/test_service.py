"""Trajectories and the civic-integration certificate through the services: components and
status events, the attest linked by identity when it is issued, what is still missing, the
certificate issued only under the rule in force on the decision date (signed, verifiable, PDF,
credential), the declaration of effort on a documented decision, transfers that keep the
history, the CSV exports, and the erasure."""

from __future__ import annotations

import csv
import datetime as dt
import io

import jwt
import pytest
from attest_support import LEVELS, FakeResults, finished_attempt
from attest_support import issue as issue_attest
from sqlalchemy import select

from toetsbatterij.attests import keys
from toetsbatterij.audit.models import AuditEntry
from toetsbatterij.clock import FrozenClock
from toetsbatterij.delivery.models import Candidate
from toetsbatterij.errors import Conflict, Forbidden, InvalidInput, NotFound
from toetsbatterij.persons.models import Person
from toetsbatterij.trajectories import certificates, export
from toetsbatterij.trajectories import service as trajectories
from toetsbatterij.trajectories.models import TrajectoryTransfer

BASE = "https://attest.test"


@pytest.fixture
def signer():
    return keys.Signer.generate()


@pytest.fixture
def traj(world):
    """The first candidate's person of agency A with a trajectory of all four components."""
    cand = world.db.get(Candidate, world.a["candidates"][0])
    trajectory = trajectories.create_trajectory(
        world.db, world.clock, organisation_id=world.a["org"],
        actor_id=world.a["staff"]["agency_admin"], person_id=cand.person_id, kind="obliged",
        legal_ground="Inburgeringsdecreet art. 27", start_date="2018-09-01",
        counsellor_id=world.a["staff"]["proctor"],
        component_kinds=("mo", "nt2", "career", "participation"))
    world.db.commit()
    return trajectory


def admin(world):
    return world.a["staff"]["agency_admin"]


def component(world, trajectory, kind):
    return next(c for c in trajectories.components(world.db, trajectory.id) if c.kind == kind)


def status(world, trajectory, kind, value, on="2019-03-01", clock=None):
    trajectories.record_event(world.db, clock or world.clock, organisation_id=world.a["org"],
                              actor_id=admin(world), component_id=component(world, trajectory,
                                                                            kind).id,
                              status=value, occurred_on=on)
    world.db.commit()


def attest_for(world, content, levels=LEVELS, i=0):
    """An attest of candidate ``i`` of agency A (a second one from a later revision of the
    same attempt's result)."""
    results = FakeResults(world.db, world.clock)
    done = world.a.setdefault("done", {})
    if i not in done:
        done[i] = (finished_attempt(world, content, world.a, i), 0)
    attempt, revision = done[i]
    done[i] = (attempt, revision + 1)
    return issue_attest(world, keys.Signer.generate(), results, world.a,
                        results.add(world.a["org"], attempt.id, levels, revision + 1))


def test_a_trajectory_is_the_agency_admins_and_one_is_open_at_a_time(world, traj):
    person_id = traj.person_id
    kw = dict(organisation_id=world.a["org"], person_id=person_id, kind="voluntary",
              start_date="2020-01-01")
    with pytest.raises(Forbidden):
        trajectories.create_trajectory(world.db, world.clock, actor_id=world.a["staff"]["proctor"],
                                       **kw)
    with pytest.raises(Conflict):
        trajectories.create_trajectory(world.db, world.clock, actor_id=admin(world), **kw)
    other = world.db.get(Candidate, world.a["candidates"][1]).person_id
    with pytest.raises(InvalidInput) as err:
        trajectories.create_trajectory(world.db, world.clock, actor_id=admin(world),
                                       **(kw | {"person_id": other, "kind": "obliged"}))
    assert err.value.field == "legal_ground"
    with pytest.raises(NotFound):
        trajectories.create_trajectory(world.db, world.clock, actor_id=None,
                                       **(kw | {"organisation_id": world.b["org"]}))
    assert [c.kind for c in trajectories.components(world.db, traj.id)] == [
        "mo", "nt2", "career", "participation"]
    assert component(world, traj, "nt2").goal_level == "A2"


def test_the_status_is_the_latest_event_by_date(world, traj):
    status(world, traj, "mo", "started", "2019-01-10")
    status(world, traj, "mo", "passed", "2019-06-20")
    status(world, traj, "mo", "planned", "2018-12-01")  # recorded late, happened first
    mo = component(world, traj, "mo")
    assert mo.status == "passed"
    assert [e.status for e in trajectories.events(world.db, mo.id)] == [
        "planned", "started", "passed"]
    with pytest.raises(InvalidInput) as err:
        status(world, traj, "mo", "failed", (world.clock.now().date() + dt.timedelta(days=1))
               .isoformat())
    assert err.value.field == "occurred_on"
    with pytest.raises(InvalidInput):
        status(world, traj, "mo", "passed", "2017-01-01")  # before the start
    with pytest.raises(InvalidInput):
        status(world, traj, "mo", "klaar")


def test_component_details_are_checked_per_kind(world, traj):
    nt2 = component(world, traj, "nt2")
    trajectories.update_component(world.db, world.clock, organisation_id=world.a["org"],
                                  actor_id=admin(world), component_id=nt2.id,
                                  details={"provider_type": "cvo", "provider_name": "CVO Crescendo",
                                           "course_level": "A1", "goal_level": "A2"})
    assert nt2.details == {"provider_type": "cvo", "provider_name": "CVO Crescendo",
                           "course_level": "A1"}
    for bad, field in (({"provider_type": "school"}, "provider_type"),
                       ({"goal_level": "Z1"}, "goal_level")):
        with pytest.raises(InvalidInput) as err:
            trajectories.update_component(world.db, world.clock, organisation_id=world.a["org"],
                                          actor_id=admin(world), component_id=nt2.id,
                                          details=bad)
        assert err.value.field == field
    mo = component(world, traj, "mo")
    with pytest.raises(InvalidInput) as err:
        trajectories.update_component(world.db, world.clock, organisation_id=world.a["org"],
                                      actor_id=admin(world), component_id=mo.id,
                                      details={"attendance_percent": "120"})
    assert err.value.field == "attendance_percent"


def test_a_new_attest_is_linked_to_the_nt2_component_by_identity(world, content, traj):
    attest = attest_for(world, content)
    nt2 = component(world, traj, "nt2")
    world.db.refresh(nt2)
    assert nt2.attest_id == attest.id
    entry = world.db.scalars(select(AuditEntry).where(
        AuditEntry.action == "trajectory.link_attest")).one()
    assert entry.details["by"] == "identity" and entry.actor_id is None
    # a later, lower attest does not replace one that reaches the goal
    lower = attest_for(world, content, {"reading": "A1", "listening": "A1", "writing": "A1",
                                        "speaking": "A1"}, i=0)
    world.db.refresh(nt2)
    assert nt2.attest_id == attest.id != lower.id


def test_an_attest_of_someone_else_is_not_linked(world, content, traj):
    attest_for(world, content, i=1)  # the second candidate: another person
    assert component(world, traj, "nt2").attest_id is None
    other = world.db.scalars(select(AuditEntry).where(
        AuditEntry.action == "attest.issue")).one()
    with pytest.raises(Conflict):
        trajectories.link_attest(world.db, world.clock, organisation_id=world.a["org"],
                                 actor_id=admin(world),
                                 component_id=component(world, traj, "nt2").id,
                                 attest_id=other.object_id)


def test_what_is_missing_follows_the_rule_in_force(world, content, traj):
    on = dt.date(2019, 6, 1)
    missing = trajectories.certificate_check(world.db, traj, on)
    assert [m.component for m in missing.missing] == ["mo", "nt2"]
    status(world, traj, "mo", "passed")
    attest_for(world, content)
    assert trajectories.certificate_check(world.db, traj, on).met
    later = trajectories.certificate_check(world.db, traj, dt.date(2026, 3, 2))
    assert later.version.version == 2
    assert [m.component for m in later.missing] == ["career", "participation"]


def test_the_certificate_is_issued_only_when_the_rule_of_the_decision_date_is_met(
        world, content, traj, signer):
    status(world, traj, "mo", "passed")
    attest_for(world, content)
    kw = dict(organisation_id=world.a["org"], actor_id=admin(world), trajectory_id=traj.id,
              base_url=BASE)
    with pytest.raises(Conflict) as err:  # 2026: rule version 2 asks for more
        certificates.issue_certificate(world.db, world.clock, signer, **kw)
    assert "Loopbaanoriëntatie" in err.value.message
    with pytest.raises(Forbidden):
        certificates.issue_certificate(world.db, world.clock, signer,
                                       **(kw | {"actor_id": world.a["staff"]["proctor"]}))
    status(world, traj, "career", "exempted")
    status(world, traj, "participation", "passed")
    row = certificates.issue_certificate(world.db, world.clock, signer, **kw)
    world.db.commit()
    assert row.kind == "certificate" and row.rules_version == 2
    assert row.decision_date == dt.date(2026, 3, 2)
    assert row.payload["components"]["nt2"]["attest"]["levels"] == {"mondeling": "A2",
                                                                    "schriftelijk": "A2"}
    assert certificates.signature_valid(world.db, row, signer)
    with pytest.raises(Conflict):
        certificates.issue_certificate(world.db, world.clock, signer, **kw)
    # verifiable: by number and code; the name only with the birth date
    person = world.db.get(Person, traj.person_id)
    checked = certificates.verify(world.db, world.clock, number=row.number,
                                  code=row.verification_code, birth_date=person.birth_date,
                                  signer=signer)
    assert checked.status == "valid" and checked.holder["last_name"] == person.last_name
    assert certificates.verify(world.db, world.clock, number=row.number, code="AAAAAA",
                               signer=signer).status == "unknown"
    # a changed payload no longer verifies
    row.payload = dict(row.payload, decision_date="2026-01-01")
    assert not certificates.signature_valid(world.db, row, signer)
    world.db.rollback()
    # the PDF and the credential (verified by PyJWT with the published key)
    assert certificates.certificate_pdf(row, base_url=BASE).startswith(b"%PDF")
    jwk = next(k for k in keys.jwks(keys.known_keys(world.db, signer))["keys"]
               if k["kid"] == row.key_id == jwt.get_unverified_header(row.credential_jwt)["kid"])
    claims = jwt.decode(row.credential_jwt, jwt.PyJWK(jwk).key, algorithms=["EdDSA"],
                        options={"verify_aud": False})
    assert claims["credentialSubject"]["achievement"]["name"] == "Inburgeringsattest"
    assert jwt.get_unverified_header(row.credential_jwt)["typ"] == "vc+jwt"


def test_under_the_2016_rule_mo_and_nt2_are_enough(world, content, traj, signer):
    status(world, traj, "mo", "passed")
    attest_for(world, content)
    in_2019 = FrozenClock(dt.datetime(2019, 9, 2, 10, 0, tzinfo=dt.UTC))
    row = certificates.issue_certificate(world.db, in_2019, signer,
                                         organisation_id=world.a["org"], actor_id=admin(world),
                                         trajectory_id=traj.id, base_url=BASE)
    assert row.rules_version == 1 and row.rules_effective_from == dt.date(2016, 1, 1)
    assert row.decision_date == dt.date(2019, 9, 2)


def test_the_declaration_of_effort_needs_a_decision_and_an_unmet_rule(world, content, traj,
                                                                      signer):
    kw = dict(organisation_id=world.a["org"], actor_id=admin(world), trajectory_id=traj.id,
              base_url=BASE)
    with pytest.raises(InvalidInput):
        certificates.issue_declaration(world.db, world.clock, signer, reason="  ", **kw)
    row = certificates.issue_declaration(
        world.db, world.clock, signer,
        reason="NT2 drie keer gevolgd met volle aanwezigheid; A2 niet haalbaar.", **kw)
    world.db.commit()
    assert row.kind == "effort_declaration" and not row.payload["rules"]["met"]
    assert "NT2" not in str(row.payload)  # the decision stays out of the signed document
    assert certificates.verify(world.db, world.clock, number=row.number,
                               code=row.verification_code).kind == "effort_declaration"
    assert certificates.certificate_pdf(row, base_url=BASE).startswith(b"%PDF")
    with pytest.raises(Conflict):
        certificates.issue_declaration(world.db, world.clock, signer, reason="nog eens", **kw)


def test_no_declaration_when_the_rule_is_met(world, content, traj, signer):
    for kind in ("mo", "participation"):
        status(world, traj, kind, "passed")
    status(world, traj, "career", "exempted")
    attest_for(world, content)
    with pytest.raises(Conflict):
        certificates.issue_declaration(world.db, world.clock, signer,
                                       organisation_id=world.a["org"], actor_id=admin(world),
                                       trajectory_id=traj.id, reason="inzet", base_url=BASE)


def test_a_transfer_moves_the_trajectory_and_keeps_its_history(world, traj):
    status(world, traj, "mo", "started", "2019-01-10")
    person = world.db.get(Person, traj.person_id)
    row = trajectories.transfer(world.db, world.clock, organisation_id=world.a["org"],
                                actor_id=admin(world), trajectory_id=traj.id,
                                to_organisation_id=world.b["org"], reason="Verhuisd naar Gent")
    world.db.commit()
    assert traj.organisation_id == world.b["org"] and traj.person_id != person.id
    receiving = world.db.get(Person, traj.person_id)
    assert (receiving.organisation_id, receiving.id_number) == (world.b["org"], person.id_number)
    mo = component(world, traj, "mo")
    assert mo.organisation_id == world.b["org"] and mo.status == "started"
    assert [e.organisation_id for e in trajectories.events(world.db, mo.id)] == [world.b["org"]]
    assert trajectories.transfers(world.db, traj.id) == [row]
    assert (row.from_organisation_id, row.from_person_id) == (world.a["org"], person.id)
    with pytest.raises(NotFound):
        trajectories.get_trajectory(world.db, world.a["org"], traj.id)
    assert trajectories.get_trajectory(world.db, world.b["org"], traj.id) is traj
    assert world.db.scalars(select(TrajectoryTransfer)).one() is row
    audited = world.db.scalars(select(AuditEntry.organisation_id).where(
        AuditEntry.action == "trajectory.transfer")).all()
    assert sorted(audited) == sorted([world.a["org"], world.b["org"]])
    with pytest.raises(InvalidInput):
        trajectories.transfer(world.db, world.clock, organisation_id=world.b["org"],
                              actor_id=None, trajectory_id=traj.id,
                              to_organisation_id=world.b["org"], reason="x")


def test_the_exports_are_formula_safe_and_per_agency(world, content, traj, signer):
    person = world.db.get(Person, traj.person_id)
    person.last_name = "=HYPERLINK(\"http://x\")"
    status(world, traj, "mo", "passed")
    attest_for(world, content)
    buffer = io.StringIO()
    assert export.write_trajectories(buffer, world.db, world.clock, organisation_id=world.a["org"],
                                     actor_id=admin(world), on=dt.date(2026, 3, 2)) == 1
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue()), delimiter=";"))
    assert rows[0]["achternaam"].startswith("'=")
    assert rows[0]["mo_status"] == "passed" and rows[0]["nt2_attest"]
    assert "Loopbaanoriëntatie" in rows[0]["ontbreekt"]
    other = io.StringIO()
    assert export.write_trajectories(other, world.db, world.clock, organisation_id=world.b["org"],
                                     actor_id=None, on=dt.date(2026, 3, 2)) == 0
    row = certificates.issue_declaration(world.db, world.clock, signer,
                                         organisation_id=world.a["org"], actor_id=admin(world),
                                         trajectory_id=traj.id, reason="inzet", base_url=BASE)
    buffer = io.StringIO()
    assert export.write_certificates(buffer, world.db, world.clock,
                                     organisation_id=world.a["org"], actor_id=None) == 1
    lines = list(csv.reader(io.StringIO(buffer.getvalue()), delimiter=";"))
    assert lines[1][0] == row.number and lines[1][5].startswith("'=")


def test_the_person_and_the_certificate_holder_are_erased_after_retention(world, content, traj,
                                                                          signer):
    from toetsbatterij.privacy.retention import RetentionPolicy, erase_expired

    row = certificates.issue_declaration(world.db, world.clock, signer,
                                         organisation_id=world.a["org"], actor_id=admin(world),
                                         trajectory_id=traj.id, reason="inzet", base_url=BASE)
    policy = RetentionPolicy({"identity": 30, "responses": 30, "recordings": 30,
                              "incidents": 30, "sessions": 30, "login_throttle": 1,
                              "staff": 30})
    world.clock.advance(days=60)
    erase_expired(world.db, world.clock, policy)
    world.db.commit()
    person = world.db.get(Person, traj.person_id)
    assert person.erased_at is None  # the trajectory is open: nothing erased
    trajectories.close_trajectory(world.db, world.clock, organisation_id=world.a["org"],
                                  actor_id=admin(world), trajectory_id=traj.id,
                                  reason="Verklaring uitgereikt")
    world.db.commit()
    world.clock.advance(days=31)
    erase_expired(world.db, world.clock, policy)
    world.db.commit()
    assert person.erased_at is not None and person.last_name == "" and person.id_number == ""
    assert traj.legal_ground == "" and traj.close_reason == ""
    assert row.holder is None and row.credential_jwt is None and row.decision_reason == ""
    checked = certificates.verify(world.db, world.clock, number=row.number,
                                  code=row.verification_code, signer=signer)
    assert checked.status == "valid" and checked.holder is None

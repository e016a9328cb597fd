"""Attest rules as data, case by case: kinds and combined levels, purpose profiles, the retake
policy, and (database) versions with effective dates."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from toetsbatterij.attests import rulesets
from toetsbatterij.attests.rules import (
    RETAKE_FIRST,
    RETAKE_LIMIT,
    RETAKE_TECHNICAL,
    RETAKE_WAIT,
    PastAttempt,
    RuleSet,
    default_rules,
    load_default_document,
)
from toetsbatterij.errors import InvalidInput

RULES = default_rules()
D = dt.date


def test_the_seed_parses_and_round_trips():
    doc = RULES.to_document()
    assert RuleSet.parse(doc) == RuleSet.parse(doc)
    assert RuleSet.parse(doc).to_document() == doc
    assert [k.code for k in RULES.kinds] == ["mondeling", "schriftelijk"]
    assert RULES.kind("mondeling").skills == ("listening", "speaking")
    assert RULES.kind("schriftelijk").skills == ("reading", "writing")


@pytest.mark.parametrize(("levels", "kinds"), [
    ({"listening": "A2", "speaking": "B1", "reading": "B1", "writing": "A2"},
     {"mondeling": "A2", "schriftelijk": "A2"}),
    ({"listening": "B2", "speaking": "B1", "reading": "A1", "writing": "B1"},
     {"mondeling": "B1", "schriftelijk": "A1"}),
    ({"listening": "below_A1", "speaking": "C1"}, {"mondeling": "below_A1"}),
    # a kind needs every skill it combines: reading and listening alone give no kind
    ({"reading": "A2", "listening": "A2"}, {}),
    ({"reading": "B1", "writing": "B1", "listening": "A2"}, {"schriftelijk": "B1"}),
])
def test_a_kind_is_the_lowest_of_its_skills(levels, kinds):
    assert RULES.kind_levels(levels) == kinds
    assert RULES.all_levels(levels) == levels | kinds


def test_an_unknown_level_is_refused():
    with pytest.raises(InvalidInput):
        RULES.all_levels({"reading": "Z9"})


@pytest.mark.parametrize(("profile", "levels", "met", "short"), [
    ("nationaliteit", {"listening": "A2", "speaking": "A2"}, True, ()),
    ("nationaliteit", {"listening": "B1", "speaking": "A2"}, True, ()),
    ("nationaliteit", {"listening": "B1", "speaking": "A1"}, False,
     (("mondeling", "A2", "A1"),)),
    # written A2 says nothing about oral: not met, oral missing
    ("nationaliteit", {"reading": "B2", "writing": "B2"}, False,
     (("mondeling", "A2", None),)),
    ("kinderopvang", {"reading": "A2", "writing": "B1", "listening": "B1", "speaking": "B1"},
     True, ()),
    ("kinderopvang", {"reading": "A2", "writing": "A2", "listening": "B1", "speaking": "A2"},
     False, (("mondeling", "B1", "A2"),)),
    ("nt2-richtgraad-2", {"reading": "A2", "listening": "A1"}, False,
     (("listening", "A2", "A1"),)),
    ("nt2-richtgraad-2", {"reading": "B1", "listening": "A2"}, True, ()),
])
def test_profiles(profile, levels, met, short):
    check = RULES.check_profile(profile, levels)
    assert check.met is met
    assert check.short == short


def test_all_profiles_are_checked():
    checks = RULES.check_profiles({"listening": "A2", "speaking": "A2"})
    assert {c.profile.code: c.met for c in checks} == {
        "nationaliteit": True, "kinderopvang": False, "taxi": True, "nt2-richtgraad-2": False}


# -- retake policy: waiting 90 days, at most 3 counted attempts per 365 days, first one free --


def test_first_attempt_is_allowed_and_free():
    d = RULES.retake([], D(2026, 3, 2))
    assert (d.allowed, d.free, d.reason, d.counted) == (True, True, RETAKE_FIRST, 0)


def test_waiting_period_after_a_counted_attempt():
    history = [PastAttempt(D(2026, 1, 10))]
    d = RULES.retake(history, D(2026, 3, 2))
    assert not d.allowed and d.earliest == D(2026, 4, 10) and d.reason == RETAKE_WAIT
    assert d.params["date"] == "10/04/2026"
    on_the_day = RULES.retake(history, D(2026, 4, 10))
    assert on_the_day.allowed and not on_the_day.free  # only the first attempt is free


def test_a_technical_incident_does_not_count_and_its_retake_is_free():
    history = [PastAttempt(D(2026, 3, 1), technical_incident=True)]
    d = RULES.retake(history, D(2026, 3, 2))
    assert (d.allowed, d.free, d.reason, d.counted) == (True, True, RETAKE_TECHNICAL, 0)


def test_a_technical_incident_does_not_lift_the_wait_of_an_earlier_attempt():
    history = [PastAttempt(D(2026, 1, 10)), PastAttempt(D(2026, 2, 1), technical_incident=True)]
    d = RULES.retake(history, D(2026, 2, 2))
    assert not d.allowed and d.earliest == D(2026, 4, 10)
    assert d.free  # the retake after the incident costs nothing when it comes


def test_technical_retakes_are_counted_when_the_policy_says_so():
    doc = copy.deepcopy(RULES.to_document())
    doc["retake"]["technical_incident_free_retake"] = False
    strict = RuleSet.parse(doc)
    d = strict.retake([PastAttempt(D(2026, 3, 1), technical_incident=True)], D(2026, 3, 2))
    assert not d.allowed and d.earliest == D(2026, 5, 30) and not d.free


def test_attempts_per_period():
    doc = copy.deepcopy(RULES.to_document())
    doc["retake"].update(waiting_days=30, max_attempts=2, period_days=365)
    rules = RuleSet.parse(doc)
    history = [PastAttempt(D(2026, 1, 1)), PastAttempt(D(2026, 3, 1))]
    d = rules.retake(history, D(2026, 6, 1))
    # two counted attempts in the year: the next one when the first leaves the window
    assert not d.allowed and d.reason == RETAKE_LIMIT and d.earliest == D(2027, 1, 1)
    assert d.counted == 2
    assert rules.retake(history, D(2027, 1, 1)).allowed


def test_a_profile_can_have_its_own_retake_policy():
    doc = copy.deepcopy(RULES.to_document())
    doc["profiles"]["taxi"]["retake"] = {"waiting_days": 7}
    rules = RuleSet.parse(doc)
    history = [PastAttempt(D(2026, 3, 1))]
    assert not rules.retake(history, D(2026, 3, 5)).allowed
    assert rules.retake(history, D(2026, 3, 8), profile="taxi").allowed
    assert not rules.retake(history, D(2026, 3, 8)).allowed


def test_attempts_after_the_day_are_ignored():
    d = RULES.retake([PastAttempt(D(2026, 5, 1))], D(2026, 3, 2))
    assert d.allowed and d.reason == RETAKE_FIRST


@pytest.mark.parametrize("change", [
    lambda d: d.update(levels=["A1"]),
    lambda d: d.update(skills=["reading", "cooking"]),
    lambda d: d["kinds"].update(mondeling={"skills": ["listening"]}),
    lambda d: d["kinds"].update(reading={"skills": ["reading", "writing"]}),
    lambda d: d["profiles"]["taxi"].update(requires={"mondeling": "Z1"}),
    lambda d: d["profiles"]["taxi"].update(requires={"dancing": "A1"}),
    lambda d: d["retake"].update(waiting_days=-1),
    lambda d: d["retake"].update(max_attempts=True),
    lambda d: d["retake"].update(surprise=1),
    lambda d: d.update(thresholds={}),
])
def test_bad_documents_are_refused_with_a_reason(change):
    doc = copy.deepcopy(RULES.to_document())
    change(doc)
    with pytest.raises(InvalidInput) as exc:
        RuleSet.parse(doc)
    assert exc.value.params["detail"]


# -- versions in the database ------------------------------------------------------------------


def test_version_in_force_by_test_date(world, db_session, clock):
    org = world.a["org"]
    admin = world.a["staff"]["agency_admin"]
    today = rulesets.local_date(clock.now())
    seed = rulesets.in_force(db_session, org, today)
    assert seed.row is None and seed.version == 1  # read only: nothing stored yet
    doc = load_default_document()
    doc["profiles"]["nationaliteit"]["requires"] = {"mondeling": "B1"}
    tomorrow = today + dt.timedelta(days=1)
    row = rulesets.add_version(db_session, clock, organisation_id=org, actor_id=admin,
                               document=doc, effective_from=tomorrow, note="strenger")
    assert row.version == 2
    # a rule change tomorrow does not change today's rules
    now = rulesets.in_force(db_session, org, today)
    assert now.version == 1 and now.rules.check_profile(
        "nationaliteit", {"listening": "A2", "speaking": "A2"}).met
    later = rulesets.in_force(db_session, org, tomorrow)
    assert later.version == 2 and not later.rules.check_profile(
        "nationaliteit", {"listening": "A2", "speaking": "A2"}).met
    # the other agency keeps its own rules
    assert rulesets.in_force(db_session, world.b["org"], tomorrow).version == 1
    # two versions from the same date: the later one
    doc["retake"]["waiting_days"] = 60
    rulesets.add_version(db_session, clock, organisation_id=org, actor_id=admin, document=doc,
                         effective_from=tomorrow)
    assert rulesets.in_force(db_session, org, tomorrow).version == 3
    assert rulesets.in_force(db_session, org, today).version == 1
    from toetsbatterij.audit.models import AuditEntry

    actions = [e.action for e in db_session.query(AuditEntry).filter_by(organisation_id=org)]
    assert actions.count("attest_rules.add_version") == 2


@pytest.mark.parametrize("days", [0, -1, -400])
def test_rules_never_change_today_or_the_past(world, db_session, clock, days):
    today = rulesets.local_date(clock.now())
    with pytest.raises(InvalidInput):
        rulesets.add_version(db_session, clock, organisation_id=world.a["org"],
                             actor_id=world.a["staff"]["agency_admin"],
                             document=load_default_document(),
                             effective_from=today + dt.timedelta(days=days))


def test_no_rules_before_the_seed_date(world, db_session):
    with pytest.raises(InvalidInput):
        rulesets.in_force(db_session, world.a["org"], D(2015, 12, 31))


# -- the policy on a person's history in the database ---------------------------------------


def _history_world(world, content):
    from attest_support import finished_attempt

    from toetsbatterij.delivery.models import Candidate

    finished_attempt(world, content, world.a)  # candidate 0 took the test on START
    return world.db.get(Candidate, world.a["candidates"][0])


def test_retake_decision_from_the_history(world, content, clock):
    from toetsbatterij.attests import retakes
    from toetsbatterij.delivery import proctoring

    cand = _history_world(world, content)
    org = world.a["org"]
    ident = {"id_kind": cand.id_kind, "id_number": cand.id_number}
    later = rulesets.local_date(clock.now()) + dt.timedelta(days=30)
    d = retakes.decision(world.db, org, on=later, **ident)
    assert not d.allowed and d.earliest == D(2026, 5, 31) and not d.free
    # the attempt of the day itself is left out when the new registration is that candidate
    assert retakes.decision(world.db, org, on=later, exclude_candidate_id=cand.id,
                            **ident).reason == RETAKE_FIRST
    # another agency knows nothing of it
    assert retakes.decision(world.db, world.b["org"], on=later, **ident).allowed
    # a registered candidate who never began an attempt has no history
    assert retakes.history(world.db, org, id_kind=cand.id_kind,
                           id_number=world.db.get(type(cand), world.a["candidates"][1])
                           .id_number) == []
    proctoring.record_incident(world.db, clock, organisation_id=org,
                               session_id=world.a["session"], candidate_id=cand.id,
                               code="technical", note="stroompanne", actor_id=None)
    world.db.commit()
    d = retakes.decision(world.db, org, on=later, **ident)
    assert d.allowed and d.free and d.reason == RETAKE_TECHNICAL

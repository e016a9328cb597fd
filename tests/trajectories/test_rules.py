"""The rules of the civic-integration certificate, case by case: the 2016 rule (MO passed or
exempted, the NT2 goal A2 reached with a linked attest), the later rule that adds components,
which version is in force on which decision date, and refusals of broken rule documents."""

from __future__ import annotations

import datetime as dt

import pytest

from toetsbatterij.errors import InvalidInput
from toetsbatterij.trajectories.rules import (
    LEVEL_ABSENT,
    LEVEL_SHORT,
    NO_COMPONENT,
    NO_EVIDENCE,
    STATUS_SHORT,
    CertificateRules,
    ComponentFacts,
    default_rules,
    load_document,
)

A2_BOTH = {"reading": "A2", "listening": "B1", "writing": "A2", "speaking": "A2",
           "mondeling": "A2", "schriftelijk": "A2"}


def facts(mo="passed", nt2="started", attest=A2_BOTH, result=None, career=None,
          participation=None):
    out = {}
    if mo:
        out["mo"] = ComponentFacts("mo", mo)
    if nt2:
        out["nt2"] = ComponentFacts("nt2", nt2, attest, result)
    if career:
        out["career"] = ComponentFacts("career", career)
    if participation:
        out["participation"] = ComponentFacts("participation", participation)
    return out


RULE_2016 = default_rules().in_force(dt.date(2019, 6, 1))
RULE_2022 = default_rules().in_force(dt.date(2024, 6, 1))


def messages(check):
    return [(m.component, m.message) for m in check.missing]


def test_the_version_in_force_follows_the_decision_date():
    rules = default_rules()
    assert rules.in_force(dt.date(2016, 1, 1)).version == 1
    assert rules.in_force(dt.date(2021, 12, 31)).version == 1
    assert rules.in_force(dt.date(2022, 1, 1)).version == 2
    assert rules.in_force(dt.date(2030, 1, 1)).version == 2
    with pytest.raises(InvalidInput):
        rules.in_force(dt.date(2015, 12, 31))


def test_2016_mo_passed_and_the_nt2_goal_reached_with_an_attest_is_met():
    assert RULE_2016.check(facts()).met
    # an exemption from MO meets it too
    assert RULE_2016.check(facts(mo="exempted")).met


@pytest.mark.parametrize("mo", ["planned", "started", "failed", "stopped"])
def test_2016_mo_not_passed_is_missing(mo):
    check = RULE_2016.check(facts(mo=mo))
    assert messages(check) == [("mo", STATUS_SHORT)]


def test_2016_no_mo_component_is_missing():
    assert messages(RULE_2016.check(facts(mo=None))) == [("mo", NO_COMPONENT)]


def test_2016_nt2_without_a_linked_attest_is_missing_even_with_a_result():
    check = RULE_2016.check(facts(attest=None, result={"reading": "B1"}, nt2="passed"))
    assert messages(check) == [("nt2", NO_EVIDENCE)]


def test_2016_nt2_below_the_goal_names_the_kind_that_is_short():
    short = dict(A2_BOTH, mondeling="A1")
    check = RULE_2016.check(facts(attest=short))
    assert messages(check) == [("nt2", LEVEL_SHORT)]
    assert check.missing[0].params["target"] == "mondeling"
    assert check.missing[0].params["reached"] == "A1"
    below = dict(A2_BOTH, schriftelijk="below_A1")
    assert RULE_2016.check(facts(attest=below)).missing[0].params["reached"] == "lager dan A1"


def test_2016_an_attest_of_one_kind_only_lacks_the_other():
    check = RULE_2016.check(facts(attest={"reading": "B1", "writing": "B1",
                                          "schriftelijk": "B1"}))
    assert messages(check) == [("nt2", LEVEL_ABSENT)]
    assert check.missing[0].params["target"] == "mondeling"


def test_2016_higher_levels_meet_the_goal_and_an_nt2_exemption_needs_no_attest():
    assert RULE_2016.check(facts(attest=dict(A2_BOTH, mondeling="B2",
                                             schriftelijk="C1"))).met
    assert RULE_2016.check(facts(nt2="exempted", attest=None)).met


def test_2016_everything_missing_is_listed_at_once():
    check = RULE_2016.check(facts(mo="started", attest=None))
    assert messages(check) == [("mo", STATUS_SHORT), ("nt2", NO_EVIDENCE)]


def test_2022_adds_career_orientation_and_participation():
    assert not RULE_2022.check(facts()).met
    assert messages(RULE_2022.check(facts())) == [("career", NO_COMPONENT),
                                                  ("participation", NO_COMPONENT)]
    assert messages(RULE_2022.check(facts(career="started", participation="passed"))) == [
        ("career", STATUS_SHORT)]
    assert RULE_2022.check(facts(career="exempted", participation="passed")).met


def test_the_same_trajectory_meets_the_old_rule_and_not_the_new_one():
    trajectory = facts(career="planned")
    assert RULE_2016.check(trajectory).met
    assert not RULE_2022.check(trajectory).met


def test_a_result_counts_where_a_rule_accepts_it():
    document = load_document()
    document["versions"][0]["requires"][1]["evidence"] = "attest_or_result"
    rule = CertificateRules.parse(document).in_force(dt.date(2017, 1, 1))
    assert rule.check(facts(attest=None, result=A2_BOTH)).met
    assert not rule.check(facts(attest=None, result=None)).met


@pytest.mark.parametrize("change", [
    lambda d: d.update(levels=["A1"]),
    lambda d: d.update(versions=[]),
    lambda d: d["versions"][0].update(effective_from="1 januari"),
    lambda d: d["versions"][1].update(version=1),
    lambda d: d["versions"][1].update(effective_from=d["versions"][0]["effective_from"]),
    lambda d: d["versions"][1].update(effective_from="2010-01-01"),
    lambda d: d["versions"][0]["requires"].append({"component": "mo", "status": ["passed"]}),
    lambda d: d["versions"][0]["requires"][0].update(component="sport"),
    lambda d: d["versions"][0]["requires"][0].update(status=["klaar"]),
    lambda d: d["versions"][0]["requires"][0].update(level="A2", of=["mondeling"]),
    lambda d: d["versions"][0]["requires"][1].update(level="Z9"),
    lambda d: d["versions"][0]["requires"][1].update(of=[]),
    lambda d: d["versions"][0]["requires"][1].update(evidence="diploma"),
    lambda d: d["versions"][0]["requires"][0].update(status=[]),
    lambda d: d["versions"][0].update(extra=True),
])
def test_broken_rule_documents_are_refused(change):
    document = load_document()
    change(document)
    with pytest.raises(InvalidInput):
        CertificateRules.parse(document)

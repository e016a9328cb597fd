"""The scoring rules as versioned data (toetsbatterij.results.rules)."""

from __future__ import annotations

import pytest

from toetsbatterij.config import DEFAULTS, load_config
from toetsbatterij.items import RATED_ESTIMATOR, RATED_ESTIMATOR_SETTINGS
from toetsbatterij.rating.resolution import RULES
from toetsbatterij.results.rules import ScoringRules


def test_defaults_and_the_configuration():
    assert DEFAULTS["RESULTS_FAIR_SCORES"] is False
    rules = ScoringRules.from_config(load_config(environ={}, require_secret=False))
    assert rules == ScoringRules()
    assert rules.as_dict() == {
        "format": 1, "fair_scores": False,
        "adjudication_thresholds": {"default": {"criterion": 1, "total": 2}},
        "rating_pool": "organisation", "rated_estimator": RATED_ESTIMATOR,
        "rated_estimator_settings": RATED_ESTIMATOR_SETTINGS,
        "resolution_rules": sorted(RULES), "adaptive": "form-design-v1",
        "classification": "posterior-bands-v1", "form_figures": "rudner-sim-se-v1"}
    on = ScoringRules.from_config(load_config(environ={"TOETSBATTERIJ_RESULTS_FAIR_SCORES": "1"},
                                              require_secret=False))
    assert on.fair_scores is True


@pytest.mark.parametrize("change", [
    {"fair_scores": True}, {"rating_pool": "shared"},
    {"adjudication_thresholds": {"default": {"criterion": 2, "total": 2}}},
    {"adjudication_thresholds": {"default": {"criterion": 1, "total": 2},
                                 "writing-b1": {"total": 3}}},
    {"rated_estimator": "rated-eap-normal-v2"},
    {"resolution_rules": ("agreed-mean-v1",)},
])
def test_every_rule_is_in_the_version(change):
    assert ScoringRules(**change).version != ScoringRules().version


def test_the_stored_rules_rebuild_the_same_rules():
    rules = ScoringRules(fair_scores=True, rating_pool="shared",
                         adjudication_thresholds={"speaking-b1": {"criterion": 2}})
    again = ScoringRules.from_dict(rules.as_dict())
    assert again == rules and again.version == rules.version
    assert again.thresholds_for("speaking-b1").criterion == 2
    assert again.thresholds_for("speaking-b1").total == 2       # from the default
    assert again.thresholds_for("writing-a2").criterion == 1
    # Equal thresholds written differently are the same rules.
    assert ScoringRules(adjudication_thresholds={}).version == ScoringRules().version


def test_bad_rules_are_refused():
    with pytest.raises(ValueError):
        ScoringRules(rating_pool="everyone")
    with pytest.raises(ValueError):
        ScoringRules.from_dict({"format": 99})
    with pytest.raises(ValueError):
        ScoringRules(adjudication_thresholds=["default"])


def test_rules_stored_before_the_form_figures_keep_their_version():
    """A result frozen before the form figures existed stored rules without ``form_figures``:
    read back they have none, and their version is the one stored (so they recompute as they
    were frozen, without figures)."""
    old = ScoringRules().as_dict()
    del old["form_figures"]
    rules = ScoringRules.from_dict(old)
    assert rules.form_figures == "" and rules.as_dict() == old
    from toetsbatterij.items.model import sha256_of

    assert rules.version == sha256_of(old) != ScoringRules().version

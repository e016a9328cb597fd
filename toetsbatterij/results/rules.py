"""The scoring rules a result is computed with, as data, with a version hash.

What is *not* here is pinned elsewhere: the content, parameters, cut scores, reporting scale and
the designs of the adaptive sections (estimator, prior, stopping rule) are the test form's, and
a result stores the form version. What is here is what the form does not decide:

- ``rated_estimator``: how a rated (fixed) section is estimated: the form's rule
  ``RATED_ESTIMATOR`` with its settings (EAP, N(0, 1) prior, 81 nodes on [-6, 6], GPCM per
  rubric criterion; ``toetsbatterij/scoring/rated.py``). A fixed section names no design, so
  it gets the prior and grid of the default design estimator;
- ``resolution_rules``: the names of the rules that turn ratings into resolved scores
  (``rating.resolution.RULES``; each production stores the one that resolved it);
- ``adjudication_thresholds``: when two ratings call for a third (configuration
  ``RATING_THRESHOLDS``, per rubric with a default);
- ``fair_scores``: whether rated sections are adjusted for rater severity (configuration
  ``RESULTS_FAIR_SCORES``, default off);
- ``rating_pool``: whose raters may rate (configuration ``RATING_POOL``: ``organisation`` or
  ``shared``);
- ``form_figures``: the rule by which the form's classification figures (accuracy and
  consistency at each cut, ``TestForm.decision_figures``) are computed and frozen with the
  result (``items.form.FIGURES_RULE``). Rules stored before the figures existed have none:
  their results are recomputed without figures, exactly as they were frozen.

``version`` is the SHA-256 of the canonical JSON of :meth:`ScoringRules.as_dict`. A result
stores the whole dict, so a recompute applies exactly the rules the result was frozen with,
whatever the configuration says today.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from toetsbatterij.items import RATED_ESTIMATOR, RATED_ESTIMATOR_SETTINGS
from toetsbatterij.items.form import FIGURES_RULE
from toetsbatterij.items.model import canonical_json, sha256_of
from toetsbatterij.rating.resolution import RULES, Thresholds

RULES_FORMAT = 1
#: The adaptive sections are estimated by the design pinned in the form (its version).
ADAPTIVE_RULE = "form-design-v1"
#: Level probabilities: the posterior integrated over the cut-score bands (``scoring.cefr``).
CLASSIFICATION_RULE = "posterior-bands-v1"
POOLS = ("organisation", "shared")

#: The configuration keys read (RESULTS_FAIR_SCORES is this package's; the other two are the
#: rating service's, read with these defaults when a configuration lacks them).
FAIR_SCORES_KEY = "RESULTS_FAIR_SCORES"
THRESHOLDS_KEY = "RATING_THRESHOLDS"
POOL_KEY = "RATING_POOL"
DEFAULT_THRESHOLDS = {"default": {"criterion": Thresholds().criterion,
                                  "total": Thresholds().total}}


def _thresholds(config: Any) -> dict[str, dict[str, int]]:
    if not isinstance(config, Mapping):
        raise ValueError(f"{THRESHOLDS_KEY}: expected a mapping, got {type(config).__name__}")
    out = {}
    for rubric in sorted({"default", *map(str, config)}):
        t = Thresholds.from_config(config, rubric)
        out[rubric] = {"criterion": t.criterion, "total": t.total}
    return out


@dataclass(frozen=True)
class ScoringRules:
    """See the module docstring."""

    fair_scores: bool = False
    adjudication_thresholds: Mapping[str, Mapping[str, int]] = field(
        default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    rating_pool: str = "organisation"
    rated_estimator: str = RATED_ESTIMATOR
    rated_estimator_settings: Mapping[str, Any] = field(
        default_factory=lambda: dict(RATED_ESTIMATOR_SETTINGS))
    resolution_rules: tuple[str, ...] = tuple(sorted(RULES))
    adaptive: str = ADAPTIVE_RULE
    classification: str = CLASSIFICATION_RULE
    form_figures: str = FIGURES_RULE

    def __post_init__(self) -> None:
        if self.rating_pool not in POOLS:
            raise ValueError(f"{POOL_KEY}: {self.rating_pool!r} is not one of {POOLS}")
        object.__setattr__(self, "adjudication_thresholds",
                           _thresholds(self.adjudication_thresholds))
        object.__setattr__(self, "fair_scores", bool(self.fair_scores))

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ScoringRules:
        """The rules of a configuration (``Platform.config``)."""
        return cls(fair_scores=bool(config.get(FAIR_SCORES_KEY, False)),
                   adjudication_thresholds=config.get(THRESHOLDS_KEY) or DEFAULT_THRESHOLDS,
                   rating_pool=str(config.get(POOL_KEY) or "organisation"))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScoringRules:
        """The rules a result stored (:meth:`as_dict`)."""
        if data.get("format") != RULES_FORMAT:
            raise ValueError("not a scoring-rules document of a known format")
        return cls(fair_scores=data["fair_scores"],
                   adjudication_thresholds=data["adjudication_thresholds"],
                   rating_pool=data["rating_pool"], rated_estimator=data["rated_estimator"],
                   rated_estimator_settings=data["rated_estimator_settings"],
                   resolution_rules=tuple(data["resolution_rules"]),
                   adaptive=data["adaptive"], classification=data["classification"],
                   form_figures=str(data.get("form_figures", "")))

    def as_dict(self) -> dict[str, Any]:
        # ``form_figures`` only when set, so rules stored before it existed keep their version.
        figures = {"form_figures": self.form_figures} if self.form_figures else {}
        return json.loads(canonical_json({
            **figures,
            "format": RULES_FORMAT,
            "fair_scores": self.fair_scores,
            "adjudication_thresholds": self.adjudication_thresholds,
            "rating_pool": self.rating_pool,
            "rated_estimator": self.rated_estimator,
            "rated_estimator_settings": self.rated_estimator_settings,
            "resolution_rules": list(self.resolution_rules),
            "adaptive": self.adaptive,
            "classification": self.classification,
        }))

    @property
    def version(self) -> str:
        return sha256_of(self.as_dict())

    def thresholds_for(self, rubric_id: str) -> Thresholds:
        """The adjudication thresholds of a rubric (its own block, else the default)."""
        return Thresholds.from_config(self.adjudication_thresholds, rubric_id)

"""From ratings to the scores a result rests on: pure rules, no database, no flask.

A *rating* is one rater's judgement of one production on one rubric: a score per criterion, or
an *unrateable code* (silence, other language, off topic, too short, blank) that the rubric scores
as 0 on every criterion. Two ratings either agree (no difference above the thresholds) or call
for a third rating by a senior rater (adjudication).

A :class:`Resolution` is what comes out: the *observations* that enter the scoring core, each
an integer category of one criterion with a weight (and the rater it came from, for an optional
rater-severity adjustment). Two agreeing ratings enter with weight 1/2 each, so the likelihood is
the geometric mean of the two ratings' likelihoods: the mean of the two ratings, without rounding
it to a category that no rater gave.

Rules are versioned by name (``RULES``); a result stores the rule that resolved each production,
so a recompute applies the same rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from toetsbatterij.i18n import N_

#: Unrateable codes, with the label a rater sees. Every code scores 0 on every criterion.
UNRATEABLE_CODES: dict[str, str] = {
    "blank": N_("Geen antwoord (leeg of geen opname)"),
    "silence": N_("Stilte of onverstaanbaar"),
    "other_language": N_("In een andere taal dan het Nederlands"),
    "off_topic": N_("Gaat niet over de opdracht (bijvoorbeeld een uit het hoofd geleerde tekst)"),
    "too_short": N_("Te kort om te beoordelen"),
}

#: The rules this module implements, by the name a result stores.
AGREED_MEAN = "agreed-mean-v1"            # two ratings within the thresholds: their mean
ADJUDICATED_CLOSEST = "adjudicated-closest-two-v1"  # a third rating: the mean of the two closest
AGREED_CODE = "agreed-code-v1"            # both raters (or the adjudicator) gave a code
SINGLE = "single-v1"                      # one rating counts alone (a blank production)
RULES = {
    AGREED_MEAN: "Twee beoordelingen binnen de drempels: het gemiddelde van beide (gewicht 1/2 elk).",
    ADJUDICATED_CLOSEST: ("Een derde beoordeling door een senior beoordelaar: het gemiddelde van de "
                          "twee beoordelingen waarvan de totalen het dichtst bij elkaar liggen; bij "
                          "gelijke afstand het paar met de senior beoordeling, daarna de senior en "
                          "de eerste beoordeling."),
    AGREED_CODE: "Een code (niet te beoordelen) van beide beoordelaars of van de senior: 0 op elk criterium.",
    SINGLE: "Eén beoordeling telt alleen (een leeg antwoord, zonder beoordelaars).",
}


@dataclass(frozen=True)
class Thresholds:
    """When two ratings disagree: a difference above ``criterion`` on any criterion, or above
    ``total`` on the sum of the criteria, or a code against scores (or two different codes)."""

    criterion: int = 1
    total: int = 2

    @classmethod
    def from_config(cls, config: Mapping[str, Any], rubric_id: str) -> Thresholds:
        """``{"default": {"criterion": 1, "total": 2}, "<rubric id>": {...}}``."""
        block = dict(config.get("default") or {})
        block.update(config.get(rubric_id) or {})
        return cls(int(block.get("criterion", 1)), int(block.get("total", 2)))


@dataclass(frozen=True)
class RatingValues:
    """One submitted rating: its id, the rater, the criterion scores or a code."""

    rating_id: int
    rater_id: int
    scores: Mapping[str, int] = field(default_factory=dict)
    code: str | None = None
    senior: bool = False

    def total(self) -> int:
        return 0 if self.code else int(sum(self.scores.values()))


@dataclass(frozen=True)
class Observation:
    """One category of one criterion entering the likelihood with a weight."""

    criterion: str
    score: int
    weight: float
    rater_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"criterion": self.criterion, "score": self.score, "weight": self.weight,
                "rater_id": self.rater_id}


@dataclass(frozen=True)
class Resolution:
    """The resolved scores of one production: what a result uses and stores."""

    response_id: int
    item_id: str
    rubric_id: str
    rule: str
    observations: tuple[Observation, ...]
    rating_ids: tuple[int, ...]
    code: str | None = None

    def criterion_means(self) -> dict[str, float]:
        """The weighted mean score per criterion (what a person reads as "the score")."""
        sums: dict[str, float] = {}
        weights: dict[str, float] = {}
        for o in self.observations:
            sums[o.criterion] = sums.get(o.criterion, 0.0) + o.weight * o.score
            weights[o.criterion] = weights.get(o.criterion, 0.0) + o.weight
        return {c: sums[c] / weights[c] for c in sums}

    def as_dict(self) -> dict[str, Any]:
        return {"response_id": self.response_id, "item_id": self.item_id,
                "rubric_id": self.rubric_id, "rule": self.rule, "code": self.code,
                "rating_ids": list(self.rating_ids),
                "observations": [o.as_dict() for o in self.observations]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Resolution:
        return cls(int(d["response_id"]), str(d["item_id"]), str(d["rubric_id"]), str(d["rule"]),
                   tuple(Observation(str(o["criterion"]), int(o["score"]), float(o["weight"]),
                                     None if o.get("rater_id") is None else int(o["rater_id"]))
                         for o in d["observations"]),
                   tuple(int(r) for r in d["rating_ids"]), d.get("code"))


def disagree(first: RatingValues, second: RatingValues, thresholds: Thresholds) -> bool:
    """Whether two ratings call for adjudication."""
    if first.code or second.code:
        return first.code != second.code
    if abs(first.total() - second.total()) > thresholds.total:
        return True
    names = set(first.scores) | set(second.scores)
    return any(abs(first.scores.get(c, 0) - second.scores.get(c, 0)) > thresholds.criterion
               for c in names)


def _observations(ratings: Sequence[RatingValues], criteria: Sequence[str]) -> tuple[Observation, ...]:
    w = 1.0 / len(ratings)
    return tuple(Observation(c, 0 if r.code else int(r.scores[c]), w, r.rater_id)
                 for r in ratings for c in criteria)


def _check(rating: RatingValues, criteria: Mapping[str, int]) -> None:
    if rating.code is not None:
        if rating.code not in UNRATEABLE_CODES:
            raise ValueError(f"unknown code {rating.code!r}")
        return
    if set(rating.scores) != set(criteria):
        raise ValueError(f"rating {rating.rating_id}: criteria {sorted(rating.scores)} "
                         f"!= rubric {sorted(criteria)}")
    for c, s in rating.scores.items():
        if not 0 <= int(s) <= criteria[c]:
            raise ValueError(f"rating {rating.rating_id}: {c} = {s} outside 0..{criteria[c]}")


def resolve(*, response_id: int, item_id: str, rubric_id: str, criteria: Mapping[str, int],
            ratings: Sequence[RatingValues], thresholds: Thresholds) -> Resolution | None:
    """The resolution of a production from its submitted ratings, in the order they were given
    (the adjudication last), or None while it is not resolved (fewer than two ratings, or two
    that disagree and no adjudication yet). ``criteria``: criterion id -> max score, in the
    rubric's order. Raises ValueError for a rating that does not fit the rubric."""
    for r in ratings:
        _check(r, criteria)
    names = list(criteria)
    if len(ratings) == 1 and ratings[0].code == "blank":
        r = ratings[0]
        return Resolution(response_id, item_id, rubric_id, SINGLE, _observations([r], names),
                          (r.rating_id,), "blank")
    if len(ratings) < 2:
        return None
    first, second = ratings[0], ratings[1]
    if not disagree(first, second, thresholds):
        if first.code:
            return Resolution(response_id, item_id, rubric_id, AGREED_CODE,
                              _observations([first], names), (first.rating_id, second.rating_id),
                              first.code)
        return Resolution(response_id, item_id, rubric_id, AGREED_MEAN,
                          _observations([first, second], names),
                          (first.rating_id, second.rating_id))
    if len(ratings) < 3:
        return None
    senior = ratings[2]
    ids = (first.rating_id, second.rating_id, senior.rating_id)
    if senior.code:
        return Resolution(response_id, item_id, rubric_id, AGREED_CODE,
                          _observations([senior], names), ids, senior.code)
    scored = [r for r in (first, second) if not r.code]
    # Candidate pairs, in the order of preference when distances tie: the senior with the
    # first rating, the senior with the second, then the first two.
    pairs = [(senior, r) for r in scored]
    if len(scored) == 2:
        pairs.append((first, second))
    best = min(pairs, key=lambda p: abs(p[0].total() - p[1].total()))
    return Resolution(response_id, item_id, rubric_id, ADJUDICATED_CLOSEST,
                      _observations(list(best), names), ids)

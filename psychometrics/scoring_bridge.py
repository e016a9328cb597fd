"""Scoring and CAT simulation studies through the platform's own scoring core.

No estimator or CAT loop is duplicated here: ``toetsbatterij.scoring`` is the single
implementation the platform uses, so a study run here predicts what the exam room does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from toetsbatterij.scoring import ItemParameters

from .data import ResponseData

LEVEL_NAMES = ("A1", "A2", "B1", "B2", "C1")
METHODS = ("eap", "map", "mle", "wle")


def pool_from_params(params: Mapping[str, ItemParameters] | Sequence[ItemParameters], *,
                     attributes: Mapping[str, Mapping[str, str]] | None = None,
                     testlets: Mapping[str, str] | None = None):
    """An ``ItemPool`` of the scoring core from calibrated parameters."""
    from toetsbatterij.scoring import ItemPool

    items = list(params.values()) if isinstance(params, Mapping) else list(params)
    records = []
    for p in items:
        extra: dict = {}
        if attributes and p.item in attributes:
            extra["attributes"] = dict(attributes[p.item])
        if testlets and p.item in testlets:
            extra["testlet"] = testlets[p.item]
        records.append(p.record(**extra))
    return ItemPool.from_records(records)


@dataclass(frozen=True)
class PersonScore:
    person: str
    theta: float
    se: float
    method: str
    note: str | None


def score_persons(data: ResponseData, params: Mapping[str, ItemParameters], method: str = "eap",
                  progress=None) -> list[PersonScore]:
    """θ̂ and SE per person with the scoring core's EAP / MAP / MLE / WLE (fallbacks included)."""
    from toetsbatterij.scoring import EAP, MAP, MLE, WLE

    estimator = {"eap": EAP, "map": MAP, "mle": MLE, "wle": WLE}[method]()
    pool = pool_from_params(params)
    index = {item: k for k, item in enumerate(pool.ids)}
    col_to_pool = np.array([index[i] for i in data.items])
    out = []
    for n, person in enumerate(data.persons):
        row = data.scores[n]
        seen = np.flatnonzero(row >= 0)
        est = estimator.estimate_pattern(pool, col_to_pool[seen], row[seen].astype(np.int64))
        out.append(PersonScore(person, float(est.theta), float(est.se), est.method, est.note))
        if progress is not None:
            progress(1)
    return out


def cut_scores_from_list(cuts: Sequence[float]) -> dict[str, float]:
    """``[c1, c2, ...]`` → ``{"A1": c1, "A2": c2, ...}`` (θ where each level starts)."""
    if len(cuts) > len(LEVEL_NAMES):
        raise ValueError(f"at most {len(LEVEL_NAMES)} cut scores")
    return dict(zip(LEVEL_NAMES, cuts, strict=False))


def simple_design(*, max_items: int = 30, stop_se: float | None = None, min_items: int = 0,
                  cuts: Mapping[str, float] | None = None, estimator: str = "eap",
                  randomesque: int = 1, exposure: str = "none"):
    """A plain design (max information, optional SE stop) for ``simulate`` without a manifest."""
    from toetsbatterij.items.designs import design_from_config

    stopping = {"max_items": max_items, "min_items": min_items}
    if stop_se is not None:
        stopping["se"] = stop_se
    config = {"name": "psychometrics-study", "design": {
        "estimator": estimator, "selection": {"method": "max_info", "randomesque": randomesque},
        "exposure": {"method": exposure}, "stopping": stopping}}
    return design_from_config(config, cut_scores=cuts or None)


def simulation_summary(report) -> dict:
    """The one-line JSON summary of a simulation study."""
    return {
        "n": report.n_simulees,
        "mean_length": round(float(report.length_mean), 4),
        "rmse": round(float(report.rmse), 4),
        "bias": round(float(report.bias), 4),
        "classification_accuracy": {k: round(float(v), 4) for k, v in report.classification_accuracy.items()},
        "level_accuracy": None if report.level_accuracy is None else round(float(report.level_accuracy), 4),
        "max_exposure": round(float(report.exposure_max), 4),
        "never_used_share": round(float(report.never_used_share), 4),
        "overlap_rate": round(float(report.overlap_rate), 4),
    }


def classification_consistency(design, pool, true_thetas, seed: int) -> dict[str, float]:
    """Share of simulees classified the same way at each cut in two independent administrations.

    Runs the study twice on the same true θ with independent seeds (parallel forms of the
    adaptive test), as in the consistency index of Lee (2010) estimated by simulation.
    """
    from toetsbatterij.scoring import simulate

    if design.cut_scores is None:
        return {}
    first = simulate(design, pool, true_thetas, seed)
    second = simulate(design, pool, true_thetas, seed + 7919)
    out = {}
    for level, cut in zip(design.cut_scores.levels, design.cut_scores.cuts, strict=True):
        out[level] = float(np.mean((first.theta_hat >= cut) == (second.theta_hat >= cut)))
    return out

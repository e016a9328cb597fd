"""The pure rules from ratings to resolved scores (toetsbatterij.rating.resolution)."""

from __future__ import annotations

import pytest

from toetsbatterij.rating.resolution import (
    ADJUDICATED_CLOSEST,
    AGREED_CODE,
    AGREED_MEAN,
    SINGLE,
    RatingValues,
    Resolution,
    Thresholds,
    disagree,
    resolve,
)

CRITERIA = {"task": 3, "coherence": 3, "vocabulary": 3, "grammar": 3}
T = Thresholds(criterion=1, total=2)


def r(rid, rater, *scores, code=None, senior=False):
    return RatingValues(rid, rater, dict(zip(CRITERIA, scores, strict=True)) if scores else {},
                        code, senior)


def go(*ratings):
    return resolve(response_id=7, item_id="W-B1-0001", rubric_id="writing-b1",
                   criteria=CRITERIA, ratings=list(ratings), thresholds=T)


def test_two_close_ratings_resolve_to_their_mean_with_half_weights():
    res = go(r(1, 10, 2, 2, 3, 1), r(2, 11, 3, 2, 2, 1))
    assert res.rule == AGREED_MEAN and res.rating_ids == (1, 2) and res.code is None
    assert res.criterion_means() == {"task": 2.5, "coherence": 2.0, "vocabulary": 2.5, "grammar": 1.0}
    assert all(o.weight == 0.5 for o in res.observations) and len(res.observations) == 8
    assert {o.rater_id for o in res.observations} == {10, 11}


def test_one_rating_is_not_enough():
    assert go(r(1, 10, 2, 2, 2, 2)) is None


@pytest.mark.parametrize("second, expected", [
    ((2, 2, 2, 2), False),
    ((3, 3, 2, 2), False),      # total differs by 2: not above the threshold
    ((3, 3, 3, 2), True),       # total differs by 3
    ((0, 2, 2, 2), True),       # one criterion differs by 2
])
def test_disagreement_on_a_criterion_or_on_the_total(second, expected):
    assert disagree(r(1, 10, 2, 2, 2, 2), r(2, 11, *second), T) is expected


def test_a_code_against_scores_or_two_different_codes_disagree():
    assert disagree(r(1, 10, code="off_topic"), r(2, 11, 0, 0, 0, 0), T)
    assert disagree(r(1, 10, code="off_topic"), r(2, 11, code="silence"), T)
    assert not disagree(r(1, 10, code="silence"), r(2, 11, code="silence"), T)


def test_disagreement_waits_for_the_senior_and_takes_the_two_closest():
    first, second = r(1, 10, 3, 3, 3, 3), r(2, 11, 1, 1, 1, 1)
    assert go(first, second) is None
    res = go(first, second, r(3, 12, 1, 1, 2, 1, senior=True))   # total 5: closer to 4 than to 12
    assert res.rule == ADJUDICATED_CLOSEST and res.rating_ids == (1, 2, 3)
    assert res.criterion_means() == {"task": 1.0, "coherence": 1.0, "vocabulary": 1.5, "grammar": 1.0}
    assert {o.rater_id for o in res.observations} == {11, 12}


def test_a_tie_prefers_the_senior_with_the_first_rating():
    res = go(r(1, 10, 3, 3, 2, 2), r(2, 11, 1, 1, 1, 1), r(3, 12, 2, 2, 2, 1, senior=True))
    assert {o.rater_id for o in res.observations} == {10, 12}  # |10-7| == |4-7|


def test_codes_score_zero_everywhere():
    res = go(r(1, 10, code="other_language"), r(2, 11, code="other_language"))
    assert res.rule == AGREED_CODE and res.code == "other_language"
    assert res.criterion_means() == dict.fromkeys(CRITERIA, 0.0)
    res = go(r(1, 10, code="silence"), r(2, 11, 2, 2, 2, 2), r(3, 12, code="silence", senior=True))
    assert res.rule == AGREED_CODE and res.code == "silence" and res.rating_ids == (1, 2, 3)
    res = go(r(1, 10, code="silence"), r(2, 11, 2, 2, 2, 2), r(3, 12, 2, 3, 2, 2, senior=True))
    assert res.rule == ADJUDICATED_CLOSEST and {o.rater_id for o in res.observations} == {11, 12}


def test_a_blank_production_needs_one_rating_only():
    res = go(r(1, 0, code="blank"))
    assert res.rule == SINGLE and res.code == "blank" and res.criterion_means()["task"] == 0.0


def test_ratings_that_do_not_fit_the_rubric_are_refused():
    with pytest.raises(ValueError):
        go(r(1, 10, 4, 2, 2, 2), r(2, 11, 2, 2, 2, 2))
    with pytest.raises(ValueError):
        go(RatingValues(1, 10, {"task": 2}), r(2, 11, 2, 2, 2, 2))
    with pytest.raises(ValueError):
        go(r(1, 10, code="nonsense"), r(2, 11, 2, 2, 2, 2))


def test_resolution_round_trips_through_its_document():
    res = go(r(1, 10, 2, 2, 3, 1), r(2, 11, 3, 2, 2, 1))
    assert Resolution.from_dict(res.as_dict()) == res


def test_thresholds_per_rubric_from_config():
    cfg = {"default": {"criterion": 1, "total": 2}, "speaking-a1": {"total": 1}}
    assert Thresholds.from_config(cfg, "speaking-a1") == Thresholds(1, 1)
    assert Thresholds.from_config(cfg, "writing-b1") == Thresholds(1, 2)

"""Rater statistics from stored ratings: agreement and kappa against a hand-computed case, a harsh
rater more severe than a lenient one in the many-facet model, a drifting rater flagged by the
control responses, and the page for the admin and the psychometrician."""

from __future__ import annotations

import random

import pytest
from delivery_support import login_staff
from rating_support import finished_attempt, rater

from toetsbatterij.productions.storage import FilesystemStorage
from toetsbatterij.rating import calibration, service, statistics
from toetsbatterij.rating.models import CONTROL, RatingTask

pytestmark = pytest.mark.db

POLICY = service.RatingPolicy(control_rate=0.0)
CRITERIA = ("task", "coherence", "vocabulary", "grammar")


@pytest.fixture
def storage(tmp_path):
    return FilesystemStorage(tmp_path / "recordings")


def submit(world, content, account, scores, policy=POLICY, rng=None):
    a = service.next_assignment(world.db, world.clock, content, account, policy, rng)
    service.save_rating(world.db, world.clock, content, account, a.token,
                        scores=dict(zip(CRITERIA, scores, strict=True)), code=None,
                        submit=True, policy=policy)
    world.db.commit()
    return world.db.get(RatingTask, a.task_id)


def test_agreement_and_kappa_by_hand(world, content, storage):
    finished_attempt(world, content, storage, world.a)
    r1 = rater(world, world.a, "een", skills=("writing",))
    r2 = rater(world, world.a, "twee", skills=("writing",))
    submit(world, content, r1, (2, 1, 2, 0))
    task = submit(world, content, r2, (2, 1, 1, 0))
    assert task.status == "resolved"
    stats = statistics.rater_statistics(world.db, world.a["org"])
    # pairs (2,2) (1,1) (2,1) (0,0): exact 3/4, adjacent 4/4; quadratic-weighted kappa
    # 1 - sum(w O) / sum(w E) = 1 - 0.25 / 1.25 = 0.8 (margins a: .25 .25 .5, b: .25 .5 .25)
    (rubric,) = stats.rubrics
    assert (rubric.rubric_id, rubric.productions, rubric.adjudicated) == ("writing-a2", 1, 0)
    assert rubric.agreement.exact == 0.75 and rubric.agreement.adjacent == 1.0
    assert rubric.agreement.kappa == pytest.approx(0.8)
    rows = {r.account.display_name: r for r in stats.raters}
    for name in ("een", "twee"):
        assert rows[name].productions == 1 and rows[name].agreement.exact == 0.75
        assert rows[name].agreement.kappa == pytest.approx(0.8)
    assert rows["een"].agreement.mean_difference == pytest.approx(0.25)  # een is more lenient
    assert stats.observations == 8


def test_a_harsh_rater_is_more_severe_than_a_lenient_one(world, content, storage):
    for i in range(6):
        finished_attempt(world, content, storage, world.a, number=i)
    lenient = rater(world, world.a, "mild", skills=("writing",))
    harsh = rater(world, world.a, "streng", skills=("writing",))
    tasks = {}
    for i in range(6):
        task = submit(world, content, lenient, (min(2, i % 3 + 1),) * 4)
        tasks[task.id] = i % 3
    for _ in range(6):
        a = service.next_assignment(world.db, world.clock, content, harsh, POLICY)
        k = tasks[a.task_id]
        service.save_rating(world.db, world.clock, content, harsh, a.token,
                            scores=dict.fromkeys(CRITERIA, max(0, k - 1)), code=None,
                            submit=True, policy=POLICY)
        world.db.commit()
    stats = statistics.rater_statistics(world.db, world.a["org"])
    assert stats.mfrm is not None, stats.mfrm_error
    rows = {r.account.display_name: r for r in stats.raters}
    assert rows["streng"].severity.measure > rows["mild"].severity.measure + 1.0
    assert rows["streng"].severity.measure > 0 > rows["mild"].severity.measure
    assert stats.rubrics[0].adjudicated == 0 and stats.rubrics[0].productions == 6


def test_a_rater_far_from_the_control_references_is_flagged(world, content, storage):
    calibration.seed_writing_references(world.db, world.clock, content)
    for label in ("extra 1", "extra 2"):
        calibration.add_text_reference(world.db, world.clock, content, organisation_id=None,
                                       purpose=CONTROL, item_id="W-A2-0001",
                                       text=f"Beste juf, {label}.", label=label,
                                       scores=dict.fromkeys(CRITERIA, 0))
    for i in range(4):
        finished_attempt(world, content, storage, world.a, number=i)
    world.db.commit()
    drifter = rater(world, world.a, "drift", skills=("writing",))
    always = service.RatingPolicy(control_rate=1.0)
    kinds = []
    for _ in range(4):
        task = submit(world, content, drifter, (2, 2, 2, 2), always, random.Random(0))
        kinds.append(task.kind)
    assert kinds.count("control") == 3
    stats = statistics.rater_statistics(world.db, world.a["org"])
    row = next(r for r in stats.raters if r.account.id == drifter.id)
    assert row.controls == 3 and row.drift.flagged
    assert {r.code for r in row.drift.reasons} >= {"control_deviation", "control_bias"}
    steady = next(r for r in stats.raters if r.account.id == world.a["staff"]["rater"])
    assert steady.drift is None and steady.productions == 0  # nothing to judge yet



@pytest.mark.parametrize("role", ["agency_admin", "psychometrician"])
def test_the_statistics_page(app, world, content, storage, role):
    finished_attempt(world, content, storage, world.a)
    r1 = rater(world, world.a, "Ellen", skills=("writing",))
    r2 = rater(world, world.a, "Mehmet", skills=("writing",))
    submit(world, content, r1, (2, 1, 2, 0))
    submit(world, content, r2, (2, 1, 1, 0))
    client = app.test_client()
    login_staff(client, world.a, role)
    page = client.get("/beheer/beoordelaars/statistieken").get_data(as_text=True)
    assert "Ellen" in page and "Mehmet" in page and "writing-a2" in page
    assert "75%" in page and "0,80" in page


def test_fair_scores_use_the_raters_severities_and_recompute_identically(world, content, storage):
    """RESULTS_FAIR_SCORES: the result is computed with each rater's MFRM severity shifting the
    thresholds of their observations; the severities used are stored on the result, so a
    recompute (from the stored responses and ratings) is identical."""
    from toetsbatterij.results import service as results
    from toetsbatterij.results.rules import ScoringRules

    # Thresholds wide enough that the two raters' ratings are averaged, never adjudicated.
    wide = service.RatingPolicy(control_rate=0.0,
                                thresholds={"default": {"criterion": 3, "total": 12}})
    attempts = [finished_attempt(world, content, storage, world.a, number=i, record=False)
                for i in range(6)]
    lenient = rater(world, world.a, "mild", skills=("writing",))
    harsh = rater(world, world.a, "streng", skills=("writing",))
    tasks = {}
    for i in range(6):
        task = submit(world, content, lenient, (min(2, i % 3 + 1),) * 4, policy=wide)
        tasks[task.id] = i % 3
    for _ in range(6):
        a = service.next_assignment(world.db, world.clock, content, harsh, wide)
        service.save_rating(world.db, world.clock, content, harsh, a.token,
                            scores=dict.fromkeys(CRITERIA, max(0, tasks[a.task_id] - 1)),
                            code=None, submit=True, policy=wide)
        world.db.commit()
    attempt = attempts[0]
    severities = statistics.severities(world.db, attempt)
    assert severities[harsh.id] > 0 > severities[lenient.id]
    plain = results.compute(world.db, content, attempt, service.resolutions(world.db, attempt.id))
    fair = results.freeze(world.db, world.clock, content, attempt, service.resolutions,
                          ScoringRules(fair_scores=True),
                          severities_of=lambda db, a: statistics.severities(db, a))
    world.db.commit()
    assert fair.fair_scores and fair.document["severities"] == {
        str(k): v for k, v in severities.items()}
    theta = {e["skill"]: e["theta"] for e in fair.document["skills"]}
    plain_theta = {e["skill"]: e["theta"] for e in plain["skills"]}
    assert theta["writing"] != pytest.approx(plain_theta["writing"], abs=1e-3)
    assert results.recompute(world.db, content, service.resolutions, [fair.id]) == []

"""The rating service: queue rules, blind double rating, adjudication, controls, drafts and
submitted ratings, resolutions (SQLite and PostgreSQL: every test here uses the database)."""

from __future__ import annotations

import random

import pytest
from rating_support import SPEAKING_ITEM, WRITING_ITEM, exam_session, finished_attempt, rater
from sqlalchemy import func, select

from toetsbatterij.audit.models import AuditEntry
from toetsbatterij.delivery import proctoring
from toetsbatterij.errors import Forbidden, InvalidInput
from toetsbatterij.productions.storage import FilesystemStorage
from toetsbatterij.rating import calibration, service
from toetsbatterij.rating.models import (
    ADJUDICATION,
    CONTROL,
    LIVE,
    RESOLVED,
    ImmutableRating,
    Rating,
    RatingAssignment,
    RatingTask,
)
from toetsbatterij.rating.resolution import ADJUDICATED_CLOSEST, AGREED_MEAN, SINGLE

pytestmark = pytest.mark.db

POLICY = service.RatingPolicy(control_rate=0.0)
WRITING_MAX = {"task": 2, "coherence": 2, "vocabulary": 2, "grammar": 2}


@pytest.fixture
def storage(tmp_path):
    return FilesystemStorage(tmp_path / "recordings")


def criteria(world, content, task):
    return service.criteria_of(service.form_of(world.db, task.form_version, content),
                               task.rubric_id)


def rate(world, content, account, assignment, value=None, *, code=None, policy=POLICY):
    """Submit a rating with ``value`` on every criterion (the maximum when None)."""
    task = world.db.get(RatingTask, assignment.task_id)
    scores = {c: (m if value is None else min(value, m))
              for c, m in criteria(world, content, task).items()}
    service.save_rating(world.db, world.clock, content, account, assignment.token,
                        scores={} if code else scores, code=code, submit=True, policy=policy)
    world.db.commit()


def take(world, content, account, policy=POLICY, rng=None):
    assignment = service.next_assignment(world.db, world.clock, content, account, policy, rng)
    world.db.commit()
    return assignment


def task_of(world, assignment):
    return world.db.get(RatingTask, assignment.task_id)


def test_pull_makes_one_task_per_rated_response_of_closed_sections(world, content, storage):
    attempt = finished_attempt(world, content, storage, world.a)
    assert service.pull_tasks(world.db, world.clock, content, POLICY) == 2
    assert service.pull_tasks(world.db, world.clock, content, POLICY) == 0  # idempotent
    tasks = world.db.scalars(select(RatingTask)).all()
    assert {(t.item_id, t.skill, t.rubric_id, t.kind, t.status) for t in tasks} == {
        (WRITING_ITEM, "writing", "writing-a2", LIVE, "open"),
        (SPEAKING_ITEM, "speaking", "speaking-a2", LIVE, "open")}
    assert {t.attempt_id for t in tasks} == {attempt.id}
    assert service.resolutions(world.db, attempt.id) is None


def test_every_production_is_rated_by_two_different_raters_and_never_twice(world, content,
                                                                           storage):
    finished_attempt(world, content, storage, world.a)
    r1, r2, r3 = (rater(world, world.a, n) for n in ("een", "twee", "drie"))
    first = take(world, content, r1)
    rate(world, content, r1, first)
    second = take(world, content, r1)
    assert second.task_id != first.task_id  # never the same production twice
    rate(world, content, r1, second)
    assert take(world, content, r1) is None  # both productions rated by r1: nothing left
    a, b = take(world, content, r2), None
    rate(world, content, r2, a)
    b = take(world, content, r2)
    rate(world, content, r2, b)
    assert {a.task_id, b.task_id} == {first.task_id, second.task_id}
    assert take(world, content, r3) is None  # two ratings each: no third rater needed
    for task in world.db.scalars(select(RatingTask)):
        raters = world.db.scalars(select(RatingAssignment.rater_id)
                                  .where(RatingAssignment.task_id == task.id)).all()
        assert sorted(raters) == sorted({r1.id, r2.id}) and task.status == RESOLVED


def test_a_rater_works_on_one_production_at_a_time(world, content, storage):
    finished_attempt(world, content, storage, world.a)
    r1 = rater(world, world.a, "een")
    first = take(world, content, r1)
    assert take(world, content, r1).id == first.id  # the one begun comes back until submitted


def test_only_admitted_raters_get_live_productions_of_a_skill(world, content, storage):
    finished_attempt(world, content, storage, world.a)
    from toetsbatterij.accounts.models import StaffAccount

    plain = world.db.get(StaffAccount, world.a["staff"]["rater"])
    assert take(world, content, plain) is None  # not admitted to anything
    writer = rater(world, world.a, "schrijver", skills=("writing",))
    got = take(world, content, writer)
    rate(world, content, writer, got)
    assert task_of(world, got).skill == "writing"
    assert take(world, content, writer) is None  # the speaking task is not for them
    calibration.decide_admission(world.db, world.clock, organisation_id=world.a["org"],
                                 actor_id=world.a["staff"]["agency_admin"], rater_id=writer.id,
                                 skill="writing", admitted=False, reason="drift")
    world.db.commit()
    assert service.admitted_skills(world.db, writer.id) == set()


def test_only_staff_with_the_rater_role_rate(world, content, storage):
    finished_attempt(world, content, storage, world.a)
    from toetsbatterij.accounts.models import StaffAccount

    proctor = world.db.get(StaffAccount, world.a["staff"]["proctor"])
    with pytest.raises(Forbidden):
        service.next_assignment(world.db, world.clock, content, proctor, POLICY)


@pytest.mark.parametrize("how", ["created", "admitted", "incident"])
def test_never_a_production_of_a_session_the_rater_proctored(world, content, storage, how):
    r1 = rater(world, world.a, "een")
    sess = exam_session(world, world.a, created_by=r1.id if how == "created" else None)
    finished_attempt(world, content, storage, world.a, session=sess,
                     admitted_by=r1.id if how == "admitted" else None)
    if how == "incident":
        proctoring.record_incident(world.db, world.clock, organisation_id=world.a["org"],
                                   session_id=sess.id, candidate_id=None, code="technical",
                                   note="", actor_id=r1.id)
        world.db.commit()
    assert service.proctored_sessions(world.db, r1.id) == {sess.id}
    assert take(world, content, r1) is None
    other = finished_attempt(world, content, storage, world.a, number=1)  # another session
    got = take(world, content, r1)
    assert got is not None and task_of(world, got).attempt_id == other.id


def test_organisation_pool_and_shared_pool(world, content, storage):
    finished_attempt(world, content, storage, world.a)
    gent = rater(world, world.b, "gent")
    assert take(world, content, gent) is None  # another agency's productions
    shared = service.RatingPolicy(pool="shared", control_rate=0.0)
    got = take(world, content, gent, shared)
    assert got is not None and task_of(world, got).organisation_id == world.a["org"]


def test_disagreement_goes_to_a_senior_who_did_not_rate_it(world, content, storage):
    attempt = finished_attempt(world, content, storage, world.a)
    senior = rater(world, world.a, "senior", senior=True, skills=("writing",))
    r2 = rater(world, world.a, "twee", skills=("writing",))
    r3 = rater(world, world.a, "drie", skills=("writing",))
    a1 = take(world, content, senior)
    rate(world, content, senior, a1, 2)
    a2 = take(world, content, r2)
    assert a2.task_id == a1.task_id  # the production with one rating comes first
    rate(world, content, r2, a2, 0)
    task = task_of(world, a1)
    assert task.status == ADJUDICATION and task.thresholds == {"criterion": 1, "total": 2}
    assert take(world, content, r3) is None        # not a senior rater
    assert take(world, content, senior) is None    # rated it: never its adjudication
    assert calibration.waiting_for_senior(world.db, world.a["org"]) == 1
    senior2 = rater(world, world.a, "senior2", senior=True, skills=("writing",))
    a3 = take(world, content, senior2)
    assert a3.task_id == task.id and a3.position == 3
    assert service.screen(world.db, content, storage, senior2, a3.token).adjudication
    world.db.rollback()
    rate(world, content, senior2, a3, 0)
    assert task_of(world, a3).status == RESOLVED
    # the speaking production is not rated yet: the attempt is not resolved
    assert service.resolutions(world.db, attempt.id) is None
    speaking = next(t for t in world.db.scalars(select(RatingTask))
                    if t.skill == "speaking")
    for name in ("s1", "s2"):
        acc = rater(world, world.a, name, skills=("speaking",))
        rate(world, content, acc, take(world, content, acc), 1)
    world.db.refresh(speaking)
    res = service.resolutions(world.db, attempt.id)
    assert set(res) == {task.response_id, speaking.response_id}
    writing = res[task.response_id]
    assert writing.rule == ADJUDICATED_CLOSEST and writing.criterion_means() == dict.fromkeys(
        WRITING_MAX, 0.0)
    assert res[speaking.response_id].rule == AGREED_MEAN


def test_a_code_against_scores_is_adjudicated(world, content, storage):
    finished_attempt(world, content, storage, world.a)
    r1 = rater(world, world.a, "een", skills=("writing",))
    r2 = rater(world, world.a, "twee", skills=("writing",))
    rate(world, content, r1, take(world, content, r1), code="off_topic")
    rate(world, content, r2, take(world, content, r2), 1)
    assert world.db.scalar(select(RatingTask.status).where(RatingTask.skill == "writing")) \
        == ADJUDICATION


def test_blank_productions_are_resolved_without_raters(world, content, storage):
    attempt = finished_attempt(world, content, storage, world.a, text=None, record=False)
    service.pull_tasks(world.db, world.clock, content, POLICY)
    world.db.commit()
    assert all(t.status == RESOLVED and t.blank for t in world.db.scalars(select(RatingTask)))
    r1 = rater(world, world.a, "een")
    assert take(world, content, r1) is None
    res = service.resolutions(world.db, attempt.id)
    assert len(res) == 2
    assert all(r.rule == SINGLE and r.code == "blank" and r.criterion_means()
               and set(r.criterion_means().values()) == {0.0} for r in res.values())
    system = world.db.scalars(select(Rating)).all()
    assert all(r.rater_id is None and r.assignment_id is None and r.submitted for r in system)


def test_draft_then_submit_and_a_submitted_rating_never_changes(world, content, storage):
    finished_attempt(world, content, storage, world.a)
    r1 = rater(world, world.a, "een", skills=("writing",))
    a = take(world, content, r1)
    save = service.save_rating
    save(world.db, world.clock, content, r1, a.token, scores={"task": "1"}, code="",
         submit=False)
    save(world.db, world.clock, content, r1, a.token, scores={"task": "2", "grammar": "0"},
         code=None, submit=False)
    world.db.commit()
    rows = world.db.scalars(select(Rating)).all()
    assert len(rows) == 1 and rows[0].scores == {"task": 2, "grammar": 0} and not rows[0].submitted
    view = service.screen(world.db, content, None, r1, a.token)
    assert view.scores == {"task": 2, "grammar": 0} and not view.submitted
    with pytest.raises(InvalidInput):  # a submission needs every criterion (or a code)
        save(world.db, world.clock, content, r1, a.token, scores={"task": "2"}, code=None,
             submit=True)
    world.db.rollback()
    with pytest.raises(InvalidInput):
        save(world.db, world.clock, content, r1, a.token, scores={"task": "3"}, code=None,
             submit=False)  # outside the scale (0..2)
    world.db.rollback()
    rate(world, content, r1, a, 1)
    rows = world.db.scalars(select(Rating)).all()
    assert len(rows) == 1 and rows[0].submitted and rows[0].scores == dict.fromkeys(WRITING_MAX, 1)
    with pytest.raises(service.AlreadySubmitted):
        save(world.db, world.clock, content, r1, a.token, scores={}, code="silence",
             submit=False)
    world.db.rollback()
    row = world.db.scalars(select(Rating)).one()
    row.scores = {"task": 0}
    with pytest.raises(ImmutableRating):
        world.db.flush()
    world.db.rollback()
    world.db.delete(world.db.scalars(select(Rating)).one())
    with pytest.raises(ImmutableRating):
        world.db.flush()
    world.db.rollback()
    actions = world.db.scalars(select(AuditEntry.action).where(AuditEntry.actor_id == r1.id)
                               ).all()
    assert actions.count("rating.draft") == 2 and actions.count("rating.submit") == 1
    assert "rating.assign" in actions


def test_another_raters_token_is_not_found(world, content, storage):
    finished_attempt(world, content, storage, world.a)
    r1, r2 = rater(world, world.a, "een"), rater(world, world.a, "twee")
    a = take(world, content, r1)
    with pytest.raises(service.NotYours):
        service.screen(world.db, content, storage, r2, a.token)
    with pytest.raises(service.NotYours):
        service.save_rating(world.db, world.clock, content, r2, a.token, scores={},
                            code="silence", submit=True)


def test_controls_are_mixed_in_unannounced(world, content, storage):
    calibration.seed_writing_references(world.db, world.clock, content)
    world.db.commit()
    for i in range(2):
        finished_attempt(world, content, storage, world.a, number=i)
    r1 = rater(world, world.a, "een", skills=("writing",))
    always = service.RatingPolicy(control_rate=1.0)
    got = take(world, content, r1, always, random.Random(1))
    control = task_of(world, got)
    assert control.kind == CONTROL and control.response_id is None
    live = take(world, content, r1, POLICY)
    assert live.id == got.id  # the control is the production in hand until it is submitted
    view = service.screen(world.db, content, storage, r1, got.token)
    rate(world, content, r1, got, 1, policy=always)
    assert task_of(world, got).status == RESOLVED
    nxt = take(world, content, r1, POLICY)
    live_view = service.screen(world.db, content, storage, r1, nxt.token)
    assert task_of(world, nxt).kind == LIVE
    # The same screen, the same kind of token: nothing tells them apart.
    assert type(view) is type(live_view) and view.calibration is None is live_view.calibration
    assert len(view.token) == len(live_view.token) and view.token[0] == live_view.token[0] == "x"
    assert not view.adjudication and not live_view.adjudication
    # A control never comes without live work for the rater, and never twice.
    seen = {task_of(world, got).reference_id}
    rate(world, content, r1, nxt, 1)
    for _ in range(3):
        a = take(world, content, r1, always, random.Random(2))
        if a is None:
            break
        t = task_of(world, a)
        if t.kind == CONTROL:
            assert t.reference_id not in seen
            seen.add(t.reference_id)
        rate(world, content, r1, a, 1)
    assert take(world, content, r1, always) is None  # no live work left: no control either


def test_no_control_at_rate_zero(world, content, storage):
    calibration.seed_writing_references(world.db, world.clock, content)
    finished_attempt(world, content, storage, world.a)
    r1 = rater(world, world.a, "een", skills=("writing",))
    for seed in range(5):
        a = take(world, content, r1, POLICY, random.Random(seed))
        assert task_of(world, a).kind == LIVE


def test_assignments_left_too_long_go_back_to_the_queue(world, content, storage):
    finished_attempt(world, content, storage, world.a)
    r1, r2, r3 = (rater(world, world.a, n, skills=("writing",)) for n in ("een", "twee", "drie"))
    a1, a2 = take(world, content, r1), take(world, content, r2)
    service.save_rating(world.db, world.clock, content, r1, a1.token, scores={"task": 1},
                        code=None, submit=False)
    world.db.commit()
    assert take(world, content, r3) is None  # both places taken
    world.clock.advance(hours=49)
    a3 = take(world, content, r3)
    assert a3 is not None and a3.task_id == a1.task_id
    assert world.db.scalar(select(func.count(RatingAssignment.id))) == 1
    assert world.db.scalar(select(func.count(Rating.id))) == 0  # the draft went with it
    assert a2.task_id == a1.task_id


def test_calibration_admits_a_rater_above_the_agreement_threshold(world, content, storage):
    cal_set = calibration.seed_writing_references(world.db, world.clock, content)
    world.db.commit()
    good, bad = (rater(world, world.a, n, skills=()) for n in ("goed", "slecht"))
    policy = service.RatingPolicy()
    for account, exact in ((good, True), (bad, False)):
        a = calibration.start_run(world.db, world.clock, account, cal_set.id)
        world.db.commit()
        while a is not None:
            task = task_of(world, a)
            ref = world.db.get(calibration.RatingReference, task.reference_id)
            scores = ref.scores if exact else {c: (0 if v else 2) for c, v in ref.scores.items()}
            assert service.screen(world.db, content, storage, account, a.token).calibration
            service.save_rating(world.db, world.clock, content, account, a.token,
                                scores=scores, code=None, submit=True, policy=policy)
            world.db.commit()
            a = service.open_assignment(world.db, account.id, ("calibration",))
        run = calibration.last_run(world.db, account.id)
        assert run.finished_at is not None and run.pairs == 8
        assert run.passed is exact and (run.exact == 1.0) is exact
        assert (run.kappa == 1.0) is exact
    assert service.admitted_skills(world.db, good.id) == {"writing"}
    assert service.admitted_skills(world.db, bad.id) == set()


def test_codes_count_as_zero_in_the_calibration_pairs():
    assert calibration.score_pairs(["a", "b"], {}, "silence", {"a": 1, "b": 0}, None) == [
        (0, 1), (0, 0)]


def test_a_resolved_production_with_exact_agreement_can_become_a_reference(world, content,
                                                                           storage):
    finished_attempt(world, content, storage, world.a)
    r1, r2 = (rater(world, world.a, n, skills=("writing",)) for n in ("een", "twee"))
    rate(world, content, r1, take(world, content, r1), 1)
    rate(world, content, r2, take(world, content, r2), 1)
    admin = world.a["staff"]["agency_admin"]
    cal_set = calibration.create_set(world.db, world.clock, organisation_id=world.a["org"],
                                     actor_id=admin, skill="writing", name="Eigen set")
    found = calibration.reference_candidates(world.db, world.a["org"], "writing")
    assert len(found) == 1 and found[0].scores == dict.fromkeys(WRITING_MAX, 1)
    ref = calibration.add_reference(world.db, world.clock, organisation_id=world.a["org"],
                                    actor_id=admin, task_id=found[0].task.id,
                                    purpose="calibration", set_id=cal_set.id)
    assert ref.scores == dict.fromkeys(WRITING_MAX, 1) and ref.source == "resolved"
    assert calibration.reference_candidates(world.db, world.a["org"], "writing") == []
    from toetsbatterij.errors import NotFound

    with pytest.raises(NotFound):  # another agency's production
        calibration.add_reference(world.db, world.clock, organisation_id=world.b["org"],
                                  actor_id=None, task_id=found[0].task.id, purpose="control")


def test_policy_from_config_refuses_nonsense():
    from toetsbatterij.config import DEFAULTS
    from toetsbatterij.errors import ConfigurationError

    assert service.RatingPolicy.from_config(DEFAULTS) == service.RatingPolicy(
        control_rate=DEFAULTS["RATING_CONTROL_RATE"],
        assignment_hours=DEFAULTS["RATING_ASSIGNMENT_HOURS"])
    for bad in ({"RATING_POOL": "everyone"}, {"RATING_CONTROL_RATE": 2},
                {"RATING_ADMISSION": {"exact": 0.5}}, {"RATING_ASSIGNMENT_HOURS": 0}):
        with pytest.raises(ConfigurationError):
            service.RatingPolicy.from_config({**DEFAULTS, **bad})


def test_the_cli_pulls_the_queue(world, content, storage, migrated_url, capsys):
    from toetsbatterij import cli

    finished_attempt(world, content, storage, world.a)
    world.db.close()
    assert cli.main(["--database-url", migrated_url, "--itembank", str(content.bank.root),
                     "pull-ratings"]) == 0
    assert capsys.readouterr().out.startswith("2 ")
    assert world.db.scalar(select(func.count(RatingTask.id))) == 2


def test_a_control_never_takes_the_place_of_an_adjudication(world, content, storage):
    calibration.seed_writing_references(world.db, world.clock, content)
    finished_attempt(world, content, storage, world.a)
    r1, r2 = (rater(world, world.a, n, skills=("writing",)) for n in ("een", "twee"))
    rate(world, content, r1, take(world, content, r1), 2)
    rate(world, content, r2, take(world, content, r2), 0)
    senior = rater(world, world.a, "senior", senior=True, skills=("writing",))
    always = service.RatingPolicy(control_rate=1.0)
    got = take(world, content, senior, always, random.Random(0))
    assert got.position == 3 and task_of(world, got).kind == LIVE

"""The complaint service: deadlines, the review by raters who never rated the production, the
decision with four eyes (a new result superseding the old, a new attest and the old one
revoked), the audit trail, and one agency never seeing another's complaints (SQLite and
PostgreSQL: every test here uses the database)."""

from __future__ import annotations

import datetime as dt

import pytest
from complaint_support import complaint, rated_result
from rating_support import rate_all, rater
from sqlalchemy import select

from toetsbatterij.attests import service as attests
from toetsbatterij.attests.models import Attest, AttestRevocation
from toetsbatterij.audit.models import AuditEntry
from toetsbatterij.complaints import service
from toetsbatterij.complaints.models import DECIDED, IN_REVIEW, PROPOSED, Complaint
from toetsbatterij.errors import ConfigurationError, Conflict, Forbidden, InvalidInput, NotFound
from toetsbatterij.productions.storage import FilesystemStorage
from toetsbatterij.rating import service as rating
from toetsbatterij.rating.models import LIVE, RESOLVED, REVIEW, RatingAssignment, RatingTask
from toetsbatterij.reports import service as reports
from toetsbatterij.results import service as results
from toetsbatterij.results.models import Result

pytestmark = pytest.mark.db

POLICY = rating.RatingPolicy(control_rate=0.0)


@pytest.fixture
def storage(tmp_path):
    return FilesystemStorage(tmp_path / "recordings")


@pytest.fixture
def rated(world, content, storage):
    return rated_result(world, content, storage, world.a)


def _review(world, content, rated, *, value=2):
    """Record a complaint about the writing, queue the review, two new raters rate it."""
    row = complaint(world, content, rated, world.a)
    service.request_review(world.db, world.clock, organisation_id=world.a["org"],
                           actor_id=rated.admin, complaint_id=row.id)
    world.db.commit()
    fresh = [rater(world, world.a, "derde"), rater(world, world.a, "vierde")]
    for account in fresh:
        rate_all(world, content, account, value)
    return row, fresh


def test_the_deadlines_come_from_the_policy_and_overdue_steps_show(world, content, rated):
    policy = service.DeadlinePolicy.from_config(
        {"COMPLAINT_DEADLINES": {"acknowledge": 5, "review": 20, "decide": 30}})
    today = world.clock.now().date()
    row = service.record_complaint(
        world.db, world.clock, content, organisation_id=world.a["org"],
        actor_id=world.a["staff"]["proctor"], attempt_id=rated.attempt.id, subject="result",
        skills=["writing"], channel="phone", received_on=today - dt.timedelta(days=7),
        text="Mijn tekst is verkeerd beoordeeld.", policy=policy)
    assert row.deadlines == {"acknowledge": (today - dt.timedelta(days=2)).isoformat(),
                             "review": (today + dt.timedelta(days=13)).isoformat(),
                             "decide": (today + dt.timedelta(days=23)).isoformat()}
    steps = {s.name: s for s in service.steps(world.db, row, today)}
    assert steps["acknowledge"].overdue and steps["acknowledge"].days_left == -2
    assert not steps["review"].overdue and steps["review"].applicable
    assert steps["decide"].days_left == 23
    assert service.is_overdue(world.db, row, today)
    service.acknowledge(world.db, world.clock, organisation_id=world.a["org"],
                        actor_id=rated.admin, complaint_id=row.id, note="brief verstuurd")
    steps = {s.name: s for s in service.steps(world.db, row, today)}
    assert steps["acknowledge"].done_on == today and steps["acknowledge"].overdue  # late
    assert not service.is_overdue(world.db, row, today)
    with pytest.raises(Conflict):
        service.acknowledge(world.db, world.clock, organisation_id=world.a["org"],
                            actor_id=rated.admin, complaint_id=row.id)
    # A complaint about the conditions has no review step.
    other = service.record_complaint(
        world.db, world.clock, content, organisation_id=world.a["org"], actor_id=rated.admin,
        attempt_id=rated.attempt.id, subject="conditions", skills=[], channel="desk",
        received_on=None, text="Het was te lawaaierig in het lokaal.")
    review = next(s for s in service.steps(world.db, other, today) if s.name == "review")
    assert not review.applicable and not review.overdue


@pytest.mark.parametrize("bad", [{}, {"acknowledge": 5, "review": 5},
                                 {"acknowledge": 50, "review": 5, "decide": 45},
                                 {"acknowledge": 0, "review": 5, "decide": 45},
                                 {"acknowledge": "5", "review": 5, "decide": 45}])
def test_a_wrong_deadline_table_fails_at_start_up(bad):
    with pytest.raises(ConfigurationError):
        service.DeadlinePolicy.from_config({"COMPLAINT_DEADLINES": bad})


def test_recording_checks_its_input(world, content, rated):
    org, admin = world.a["org"], rated.admin

    def attempt(**kw):
        args = {"organisation_id": org, "actor_id": admin, "attempt_id": rated.attempt.id,
                "subject": "result", "skills": ["writing"], "channel": "letter",
                "received_on": None, "text": "Klacht"} | kw
        return service.record_complaint(world.db, world.clock, content, **args)

    with pytest.raises(InvalidInput):
        attempt(skills=["reading"])  # not a section of this test
    with pytest.raises(InvalidInput):
        attempt(skills=[])
    with pytest.raises(InvalidInput):
        attempt(text="  ")
    with pytest.raises(InvalidInput):
        attempt(channel="fax")
    with pytest.raises(InvalidInput):
        attempt(received_on=world.clock.now().date() + dt.timedelta(days=2))
    for role in ("rater", "psychometrician"):
        with pytest.raises(Forbidden):
            attempt(actor_id=world.a["staff"][role])
    row = attempt(skills=["writing", "speaking"])
    assert row.attest_id == rated.attest.id and row.result_id == rated.result.id
    contested = service.productions(world.db, row)
    assert {world.db.get(RatingTask, p.live_task_id).skill for p in contested} == \
        {"writing", "speaking"}


def test_the_review_goes_only_to_raters_who_never_rated_the_production(world, content, rated):
    row = complaint(world, content, rated, world.a)
    [production] = service.productions(world.db, row)
    live = world.db.get(RatingTask, production.live_task_id)
    assert rating.previous_raters(world.db, live) == {r.id for r in rated.raters}
    [task] = service.request_review(world.db, world.clock, organisation_id=world.a["org"],
                                    actor_id=rated.admin, complaint_id=row.id)
    world.db.commit()
    assert task.kind == REVIEW and task.review_of_id == live.id and task.response_id is None
    assert row.status == IN_REVIEW
    # The two raters of the production never get its review.
    for account in rated.raters:
        assert rating.next_assignment(world.db, world.clock, content, account, POLICY) is None
    assert rating.queue(world.db, content, rated.raters[0], POLICY).total == 0
    # A new rater does, on the ordinary rating screen, with the candidate's own text.
    third = rater(world, world.a, "derde")
    assignment = rating.next_assignment(world.db, world.clock, content, third, POLICY)
    assert assignment is not None and assignment.task_id == task.id
    screen = rating.screen(world.db, content, storage_of(world), third, assignment.token)
    assert screen.text and "koorts" in screen.text and not screen.adjudication
    world.db.commit()
    rate_all(world, content, third, 2)
    # The second review rating: again not the first reviewer, and not the original raters.
    assert rating.next_assignment(world.db, world.clock, content, third, POLICY) is None
    fourth = rater(world, world.a, "vierde")
    rate_all(world, content, fourth, 2)
    world.db.refresh(task)
    assert task.status == RESOLVED
    assert rating.previous_raters(world.db, live) == {r.id for r in rated.raters} | {
        third.id, fourth.id}
    states = service.production_states(world.db, row)
    assert [(s.skill, s.review_status, s.review_raters) for s in states] == [
        ("writing", RESOLVED, 2)]
    # An unadopted review changes nothing: the result stands and recomputes as it was.
    assert results.recompute(world.db, content, rating.resolutions) == []
    # A second review of the same production excludes the first review's raters too.
    again = rating.request_reviews(world.db, world.clock, organisation_id=world.a["org"],
                                   actor_id=rated.admin, response_ids=[live.response_id])
    world.db.commit()
    for account in [*rated.raters, third, fourth]:
        assert rating.next_assignment(world.db, world.clock, content, account, POLICY) is None
    fifth = rater(world, world.a, "vijfde")
    assert rating.next_assignment(world.db, world.clock, content, fifth, POLICY).task_id == \
        again[0].id


def storage_of(world):
    return None  # the writing screen reads no recording


def test_the_preview_shows_the_result_the_reviews_would_give(world, content, rated):
    row, _ = _review(world, content, rated)
    preview = service.preview(world.db, rated.tools, row)
    assert preview.changed
    assert preview.old_levels["speaking"] == preview.new_levels["speaking"]
    assert preview.old_levels["writing"] != preview.new_levels["writing"]
    [writing] = preview.productions
    assert writing["skill"] == "writing"
    assert all(v == 1 for v in writing["old"].values())
    assert all(v == 2 for v in writing["new"].values())
    # Reads only: nothing adopted, the result stands.
    assert results.recompute(world.db, content, rating.resolutions) == []


def test_revision_with_four_eyes(world, content, rated):
    row, fresh = _review(world, content, rated)
    org, old_attest = world.a["org"], rated.attest
    with pytest.raises(InvalidInput):
        service.propose(world.db, world.clock, rated.tools, organisation_id=org,
                        actor_id=rated.admin, complaint_id=row.id, outcome="revised",
                        motivation=" ")
    with pytest.raises(Forbidden):
        service.propose(world.db, world.clock, rated.tools, organisation_id=org,
                        actor_id=world.a["staff"]["proctor"], complaint_id=row.id,
                        outcome="revised", motivation="x")
    service.propose(world.db, world.clock, rated.tools, organisation_id=org,
                    actor_id=rated.admin, complaint_id=row.id, outcome="revised",
                    motivation="De herbeoordeling geeft een hoger niveau.")
    world.db.commit()
    assert row.status == PROPOSED
    request = world.db.get(AttestRevocation, row.revocation_id)
    assert request.requested_by == rated.admin and request.confirmed_at is None
    assert row.reference in request.reason
    assert world.db.get(Attest, old_attest.id).revoked_at is None  # not before the decision
    # The proposer cannot confirm their own proposal.
    with pytest.raises(Forbidden):
        service.confirm(world.db, world.clock, rated.tools, organisation_id=org,
                        actor_id=rated.admin, complaint_id=row.id)
    world.db.rollback()
    service.confirm(world.db, world.clock, rated.tools, organisation_id=org,
                    actor_id=rated.admin2, complaint_id=row.id)
    world.db.commit()
    world.db.expire_all()
    row = world.db.get(Complaint, row.id)
    assert row.status == DECIDED and row.decided_by == rated.admin2
    old = world.db.get(Result, rated.result.id)
    new = world.db.get(Result, row.new_result_id)
    assert old.superseded_by_id == new.id and row.reference in old.supersede_reason
    assert new.revision == 2 and results.current_result(world.db, rated.attempt.id).id == new.id
    # The new result rests on the review ratings of the writing, the old ratings elsewhere.
    review_ids = {r.id for r in world.db.scalars(
        select(RatingTask).where(RatingTask.kind == REVIEW))}
    review_ratings = {a.id for a in world.db.scalars(select(RatingAssignment).where(
        RatingAssignment.task_id.in_(review_ids)))}
    writing = next(p for p in new.document["productions"] if p["item_id"].startswith("W-"))
    raters = {o["rater_id"] for o in writing["observations"]}
    assert raters == {a.id for a in fresh} and review_ratings
    old_writing = next(p for p in old.document["productions"] if p["item_id"].startswith("W-"))
    assert {o["rater_id"] for o in old_writing["observations"]} == {r.id for r in rated.raters}
    levels = {e["skill"]: e["level"] for e in new.document["skills"]}
    old_levels = {e["skill"]: e["level"] for e in old.document["skills"]}
    assert levels["writing"] != old_levels["writing"]
    assert levels["speaking"] == old_levels["speaking"]
    # The old attest is revoked (requested by one admin, confirmed by the other), a new one
    # issued from the new result; the new result is released as the old one was.
    revoked = world.db.get(Attest, old_attest.id)
    assert revoked.revoked_at is not None
    request = world.db.get(AttestRevocation, row.revocation_id)
    assert (request.requested_by, request.confirmed_by) == (rated.admin, rated.admin2)
    issued = world.db.get(Attest, row.new_attest_id)
    assert issued.result_id == new.id and issued.revoked_at is None
    assert issued.payload["levels"]["skills"]["writing"] == levels["writing"]
    assert attests.verify(world.db, world.clock, number=revoked.number,
                          code=revoked.verification_code).status == "revoked"
    assert attests.verify(world.db, world.clock, number=issued.number,
                          code=issued.verification_code).status == "valid"
    assert reports.release_of(world.db, new.id) is not None
    # The revised result recomputes exactly (the adopted review is what counts now).
    assert results.recompute(world.db, content, rating.resolutions, [new.id]) == []
    # Every step is in the audit log.
    actions = [e.action for e in world.db.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    for action in ("complaint.record", "complaint.review_request", "rating.review_request",
                   "complaint.propose", "attest.revocation_request", "rating.review_adopt",
                   "result.correct", "attest.revocation_confirm", "attest.issue",
                   "complaint.decide"):
        assert action in actions, action
    assert [e.action for e in service.timeline(world.db, row)] == [
        "complaint.record", "complaint.review_request", "complaint.propose",
        "complaint.decide"]
    with pytest.raises(Conflict):
        service.confirm(world.db, world.clock, rated.tools, organisation_id=org,
                        actor_id=rated.admin, complaint_id=row.id)


def test_a_revision_waits_for_the_review(world, content, rated):
    row = complaint(world, content, rated, world.a)
    org = world.a["org"]
    with pytest.raises(Conflict):  # no review asked yet
        service.propose(world.db, world.clock, rated.tools, organisation_id=org,
                        actor_id=rated.admin, complaint_id=row.id, outcome="revised",
                        motivation="x")
    service.request_review(world.db, world.clock, organisation_id=org, actor_id=rated.admin,
                           complaint_id=row.id)
    with pytest.raises(Conflict):  # the review is not in yet
        service.propose(world.db, world.clock, rated.tools, organisation_id=org,
                        actor_id=rated.admin, complaint_id=row.id, outcome="revised",
                        motivation="x")


def test_a_review_that_changes_nothing_cannot_revise(world, content, rated):
    row, _ = _review(world, content, rated, value=1)  # the same scores again
    # Other raters, other ratings: the document differs (the rating ids), the levels do not.
    preview = service.preview(world.db, rated.tools, row)
    assert preview.old_levels == preview.new_levels


def test_an_unchanged_decision_keeps_the_result_and_the_attest(world, content, rated):
    row, _ = _review(world, content, rated)
    org = world.a["org"]
    service.propose(world.db, world.clock, rated.tools, organisation_id=org,
                    actor_id=rated.admin2, complaint_id=row.id, outcome="unchanged",
                    motivation="De herbeoordeling bevestigt het niveau.")
    assert row.revocation_id is None
    service.confirm(world.db, world.clock, rated.tools, organisation_id=org,
                    actor_id=rated.admin, complaint_id=row.id)
    world.db.commit()
    assert row.status == DECIDED and row.new_result_id is None
    assert results.current_result(world.db, rated.attempt.id).id == rated.result.id
    assert world.db.get(Attest, rated.attest.id).revoked_at is None
    assert results.recompute(world.db, content, rating.resolutions) == []


def test_a_rejected_proposal_withdraws_its_revocation_request(world, content, rated):
    row, _ = _review(world, content, rated)
    org = world.a["org"]
    service.propose(world.db, world.clock, rated.tools, organisation_id=org,
                    actor_id=rated.admin, complaint_id=row.id, outcome="revised",
                    motivation="Hoger niveau.")
    request_id = row.revocation_id
    with pytest.raises(InvalidInput):
        service.reject(world.db, world.clock, organisation_id=org, actor_id=rated.admin2,
                       complaint_id=row.id, reason="")
    service.reject(world.db, world.clock, organisation_id=org, actor_id=rated.admin2,
                   complaint_id=row.id, reason="Eerst de spreekproductie nakijken.")
    world.db.commit()
    assert row.status == IN_REVIEW and row.outcome is None and row.revocation_id is None
    assert row.rejected[0]["reason"] == "Eerst de spreekproductie nakijken."
    assert row.rejected[0]["motivation"] == "Hoger niveau."
    assert world.db.get(AttestRevocation, request_id).withdrawn_by == rated.admin2
    assert attests.open_request(world.db, rated.attest.id) is None
    # A new proposal can follow, and opens a new request.
    service.propose(world.db, world.clock, rated.tools, organisation_id=org,
                    actor_id=rated.admin2, complaint_id=row.id, outcome="revised",
                    motivation="Toch een hoger niveau.")
    assert row.revocation_id not in (None, request_id)


def test_one_agency_never_sees_another_agencys_complaints(world, content, storage, rated):
    row = complaint(world, content, rated, world.a)
    b_admin = world.b["staff"]["agency_admin"]
    assert service.list_complaints(world.db, world.b["org"]) == []
    assert [c.id for c in service.list_complaints(world.db, world.a["org"])] == [row.id]
    with pytest.raises(NotFound):
        service.get(world.db, world.b["org"], row.id)
    with pytest.raises(NotFound):
        service.acknowledge(world.db, world.clock, organisation_id=world.b["org"],
                            actor_id=b_admin, complaint_id=row.id)
    with pytest.raises(NotFound):
        service.request_review(world.db, world.clock, organisation_id=world.b["org"],
                               actor_id=b_admin, complaint_id=row.id)
    with pytest.raises(Forbidden):  # an admin of b acting in a's name
        service.acknowledge(world.db, world.clock, organisation_id=world.a["org"],
                            actor_id=b_admin, complaint_id=row.id)
    with pytest.raises(NotFound):  # b's staff cannot file a complaint on a's attempt
        service.record_complaint(world.db, world.clock, content,
                                 organisation_id=world.b["org"], actor_id=b_admin,
                                 attempt_id=rated.attempt.id, subject="result",
                                 skills=["writing"], channel="letter", received_on=None,
                                 text="x")
    assert service.attempt_choices(world.db, world.b["org"]) == []
    assert [c.attempt_id for c in service.attempt_choices(world.db, world.a["org"])] == [
        rated.attempt.id]
    # b's raters never get a's reviews (the organisation pool).
    service.request_review(world.db, world.clock, organisation_id=world.a["org"],
                           actor_id=rated.admin, complaint_id=row.id)
    world.db.commit()
    b_rater = rater(world, world.b, "gentse")
    assert rating.next_assignment(world.db, world.clock, content, b_rater, POLICY) is None
    live = world.db.scalars(select(RatingTask).where(RatingTask.kind == LIVE)).first()
    with pytest.raises(NotFound):
        rating.request_reviews(world.db, world.clock, organisation_id=world.b["org"],
                               actor_id=b_admin, response_ids=[live.response_id])


def test_only_resolved_productions_with_text_are_reviewed(world, content, storage, rated):
    live = world.db.scalars(select(RatingTask).where(RatingTask.kind == LIVE)).first()
    live.status = "open"
    world.db.flush()
    with pytest.raises(rating.NotReviewable):
        rating.request_reviews(world.db, world.clock, organisation_id=world.a["org"],
                               actor_id=rated.admin, response_ids=[live.response_id])
    world.db.rollback()


def test_the_erasure_of_the_identity_blanks_the_complaint_texts(world, content, rated):
    from toetsbatterij.privacy.retention import RetentionPolicy, erase_expired

    row = complaint(world, content, rated, world.a)
    days = {"identity": 730, "responses": 730, "recordings": 730, "incidents": 730,
            "sessions": 30, "login_throttle": 1, "staff": 730}
    world.clock.advance(days=731)
    erase_expired(world.db, world.clock, RetentionPolicy(days))
    world.db.commit()
    world.db.refresh(row)
    assert row.erased_at is not None and row.text == "" and row.contact == ""
    assert row.reference and row.deadlines and row.result_id == rated.result.id
    assert service.candidate_name(world.db, row) == ""

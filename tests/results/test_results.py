"""Frozen results (toetsbatterij.results): what a result holds, when it is frozen, that it never
changes, corrections that supersede it, and recomputation from the stored inputs.

Attempts run through the real delivery services on the delivery test bank (reporting scales
added), answered from each item's model at a known θ; productions are rated by simulated raters
and resolved with the rating rules (``support.Ratings`` is the resolutions provider).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from bankfixture import write_bank
from delivery_support import open_forms
from sqlalchemy import select, update

from toetsbatterij.audit.models import AuditEntry
from toetsbatterij.delivery import attempts as attempt_service
from toetsbatterij.delivery import definitions
from toetsbatterij.delivery.models import Presentation, Response, SectionRun
from toetsbatterij.errors import Conflict, InvalidInput, NotFound
from toetsbatterij.results import service
from toetsbatterij.results.models import Result, ResultImmutable
from toetsbatterij.results.rules import ScoringRules
from toetsbatterij.results.service import ResultNotReady

from .support import Answerer, Ratings, exam_session, rated_responses, take

SCALE = {"intercept": 500, "slope": 50}


@pytest.fixture(scope="module")
def bank(tmp_path_factory) -> Path:
    root = write_bank(tmp_path_factory.mktemp("results") / "itembank")
    for path in (root / "tests").glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["reporting_scale"] = SCALE
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
    return root


@pytest.fixture
def forms(bank, tmp_path):
    return open_forms(bank, tmp_path / "assets")


@pytest.fixture
def defs(world, forms):
    rows = {d.code: d for d in definitions.sync_forms(world.db, world.clock, forms)}
    world.db.commit()
    return rows


RULES = ScoringRules()


def run(world, forms, defs, test: str, thetas: list[float], seed: int = 1, *,
        tenant: str = "a", ratings: Ratings | None = None):
    """Attempts of ``test`` by candidates of the given θ, finished, their productions rated."""
    org = getattr(world, tenant)["org"]
    sess = exam_session(world.db, world.clock, organisation_id=org,
                        definition_id=defs[test].id, candidates=len(thetas))
    rng = np.random.default_rng(seed)
    ratings = ratings if ratings is not None else Ratings()
    out = []
    for code, theta in zip(sess["access"], thetas, strict=True):
        form = forms.current[test]
        answerer = Answerer(form)
        attempt = take(world.db, world.clock, forms, session_code=sess["code"], access_code=code,
                       answer=lambda f, item_id, t=theta, a=answerer: a.draw(item_id, t, rng))
        ratings.rate(world.db, form, attempt, theta, rng)
        out.append(attempt)
    world.db.commit()
    return out, ratings, sess


# -- what a result holds --------------------------------------------------------------------------


def test_an_adaptive_result_holds_the_section_estimates_levels_and_versions(world, forms, defs):
    (attempt,), ratings, _ = run(world, forms, defs, "lezen-luisteren", [0.3])
    result = service.freeze(world.db, world.clock, forms, attempt, ratings, RULES)
    world.db.commit()
    doc = result.document
    form = forms.for_attempt(world.db, attempt)
    assert (result.attempt_id, result.organisation_id, result.revision) == (
        attempt.id, attempt.organisation_id, 1)
    assert result.form_version == attempt.form_version == form.version == doc["form_version"]
    assert result.rules_version == RULES.version == doc["rules_version"]
    assert doc["rules"] == RULES.as_dict() and result.fair_scores is False
    assert len(result.inputs_hash) == 64 and result.inputs_hash == doc["inputs_hash"]
    assert result.frozen_at == world.clock.now() and result.superseded_by_id is None
    runs = {r.section_index: r for r in world.db.scalars(
        select(SectionRun).where(SectionRun.attempt_id == attempt.id))}
    assert [s["skill"] for s in doc["skills"]] == ["reading", "listening"]
    for entry in doc["skills"]:
        run_ = runs[entry["section_index"]]
        # The delivery's own classification of the section is reproduced exactly.
        assert (entry["theta"], entry["se"], entry["level"]) == (run_.theta, run_.se, run_.level)
        assert entry["scored_by"] == "adaptive" and entry["estimator"] == "eap"
        assert (entry["design_name"], entry["design_version"]) == (
            run_.design_name, run_.design_version) == (f"lezen-luisteren/{entry['skill']}",
                                                       form.version)
        assert entry["scale_score"] == pytest.approx(500 + 50 * entry["theta"])
        assert entry["scale_se"] == pytest.approx(50 * entry["se"])
        assert set(entry["probabilities"]) == {"below_A1", "A1", "A2", "B1", "B2", "C1"}
        assert math.fsum(entry["probabilities"].values()) == pytest.approx(1.0)
        assert entry["p_correct"] == entry["probabilities"][entry["level"]]
        assert entry["target"] == "A2"
        above = ("A2", "B1", "B2", "C1")
        assert entry["p_at_least_target"] == pytest.approx(
            sum(entry["probabilities"][k] for k in above))
        assert entry["stop_reason"] == run_.finish_reason != ""
        counted = world.db.scalars(
            select(Response).join(Presentation, Presentation.id == Response.presentation_id)
            .where(Response.attempt_id == attempt.id, Response.counts.is_(True),
                   Presentation.section_index == entry["section_index"])).all()
        assert entry["n_items"] == len(counted) >= 4
    assert doc["productions"] == [] and doc["severities"] == {}
    assert doc["n_responses"] == sum(s["n_items"] for s in doc["skills"])
    entry = world.db.scalar(select(AuditEntry).where(AuditEntry.action == "result.freeze"))
    assert entry.object_id == result.id and entry.details == {"attempt_id": attempt.id,
                                                              "revision": 1}


def test_a_rated_result_scores_writing_and_speaking_through_the_form(world, forms, defs):
    (attempt,), ratings, _ = run(world, forms, defs, "schrijven-spreken", [0.8])
    result = service.freeze(world.db, world.clock, forms, attempt, ratings, RULES)
    doc = result.document
    form = forms.for_attempt(world.db, attempt)
    productions = rated_responses(world.db, form, attempt)
    assert [p.item_id for p in productions] == ["W-A2-0001", "S-A2-0001"]
    resolutions = ratings.resolutions[attempt.id]
    for entry, response in zip(doc["skills"], productions, strict=True):
        want = form.rated_classification(entry["section_index"], [resolutions[response.id]])
        assert entry["scored_by"] == "rated" and entry["estimator"] == "rated-eap-normal-v1"
        assert (entry["theta"], entry["se"], entry["level"]) == want.as_tuple()
        assert entry["probabilities"] == want.probabilities
        assert entry["p_correct"] == want.p_correct
        assert entry["p_at_least_target"] == want.p_at_least_target
        assert entry["n_items"] == 1 and entry["stop_reason"] == "fixed_complete"
        assert entry["design_name"] == entry["design_version"] == ""
    assert [p["response_id"] for p in doc["productions"]] == [r.id for r in productions]
    for stored in doc["productions"]:
        resolution = resolutions[stored["response_id"]]
        assert stored["rule"] == resolution.rule
        assert {k: v for k, v in stored.items() if k != "criterion_means"} == resolution.as_dict()
        assert stored["criterion_means"] == pytest.approx(resolution.criterion_means())


def test_the_inputs_hash_covers_responses_resolutions_rules_and_form(world, forms, defs):
    (attempt,), ratings, _ = run(world, forms, defs, "schrijven-spreken", [0.0])
    res = ratings(world.db, attempt.id)
    base = service.compute(world.db, forms, attempt, res, rules=RULES)
    assert service.compute(world.db, forms, attempt, res, rules=RULES) == base
    other_rules = service.compute(world.db, forms, attempt, res,
                                  rules=ScoringRules(rating_pool="shared"))
    assert other_rules["inputs_hash"] != base["inputs_hash"]
    assert other_rules["skills"] == base["skills"]  # the numbers do not depend on the pool
    response_id = next(iter(res))
    ratings.change(world.db, forms.for_attempt(world.db, attempt), attempt.id, response_id)
    changed = service.compute(world.db, forms, attempt, ratings(world.db, attempt.id),
                              rules=RULES)
    assert changed["inputs_hash"] != base["inputs_hash"]


# -- when a result is frozen ---------------------------------------------------------------------


def test_freeze_waits_for_a_finished_attempt_and_resolved_productions(world, forms, defs):
    sess = exam_session(world.db, world.clock, organisation_id=world.a["org"],
                        definition_id=defs["schrijven-spreken"].id, candidates=2)
    _, attempt, _ = attempt_service.candidate_login(
        world.db, world.clock, session_code=sess["code"], access_code=sess["access"][0],
        device_token=None, forms=forms)
    ratings = Ratings()
    with pytest.raises(ResultNotReady):
        service.freeze(world.db, world.clock, forms, attempt, ratings, RULES)
    (done,), ratings, _ = run(world, forms, defs, "schrijven-spreken", [0.2])
    ratings.pending.add(done.id)
    with pytest.raises(ResultNotReady):
        service.freeze(world.db, world.clock, forms, done, ratings, RULES)
    ratings.pending.clear()
    # A provider that forgets a production: refused, not scored without it.
    partial = dict(ratings.resolutions[done.id])
    partial.pop(next(iter(partial)))
    with pytest.raises(ResultNotReady):
        service.freeze(world.db, world.clock, forms, done, lambda db, i: partial, RULES)
    assert service.current_result(world.db, done.id) is None
    assert service.attempts_to_freeze(world.db) == [done]
    result = service.freeze(world.db, world.clock, forms, done, ratings, RULES)
    assert service.current_result(world.db, done.id).id == result.id
    assert service.attempts_to_freeze(world.db) == []
    assert ResultNotReady("x").http_status == 409


def test_an_ended_attempt_gets_no_result(world, forms, defs):
    sess = exam_session(world.db, world.clock, organisation_id=world.a["org"],
                        definition_id=defs["lezen-luisteren"].id, candidates=1)
    _, attempt, _ = attempt_service.candidate_login(
        world.db, world.clock, session_code=sess["code"], access_code=sess["access"][0],
        device_token=None, forms=forms)
    attempt_service.end_attempt(world.db, world.clock, attempt, reason="Onwel geworden.",
                                actor_id=None)
    with pytest.raises(ResultNotReady):
        service.freeze(world.db, world.clock, forms, attempt, Ratings(), RULES)
    assert service.attempts_to_freeze(world.db) == []


def test_freeze_is_idempotent(world, forms, defs):
    (attempt,), ratings, _ = run(world, forms, defs, "schrijven-spreken", [0.5])
    first = service.freeze(world.db, world.clock, forms, attempt, ratings, RULES)
    world.db.commit()
    ratings.change(world.db, forms.for_attempt(world.db, attempt), attempt.id,
                   next(iter(ratings.resolutions[attempt.id])))
    again = service.freeze(world.db, world.clock, forms, attempt, ratings,
                           ScoringRules(fair_scores=False, rating_pool="shared"))
    assert again.id == first.id and again.document == first.document
    assert world.db.scalar(select(Result).where(Result.id != first.id)) is None
    assert len(world.db.scalars(select(AuditEntry).where(
        AuditEntry.action == "result.freeze")).all()) == 1


# -- immutability ----------------------------------------------------------------------------------


@pytest.mark.parametrize("change", ["document", "inputs_hash", "frozen_at", "revision",
                                    "supersede_twice", "delete"])
def test_a_result_never_changes(change, world, forms, defs):
    (attempt,), ratings, _ = run(world, forms, defs, "lezen-luisteren", [0.0])
    result = service.freeze(world.db, world.clock, forms, attempt, ratings, RULES)
    world.db.commit()
    if change == "document":
        result.document = {**result.document, "skills": []}
    elif change == "inputs_hash":
        result.inputs_hash = "0" * 64
    elif change == "frozen_at":
        result.frozen_at = world.clock.now().replace(year=2030)
    elif change == "revision":
        result.revision = 2
    elif change == "supersede_twice":
        result.superseded_by_id = result.id
        result.supersede_reason = "eerste"
        world.db.flush()  # setting them once is what a correction does
        result.supersede_reason = "tweede"
    else:
        world.db.delete(result)
    with pytest.raises(ResultImmutable):
        world.db.flush()
    world.db.rollback()


# -- corrections ---------------------------------------------------------------------------------


def test_a_correction_supersedes_with_a_reason_and_is_audited(world, forms, defs):
    (attempt,), ratings, _ = run(world, forms, defs, "schrijven-spreken", [0.4])
    old = service.freeze(world.db, world.clock, forms, attempt, ratings, RULES)
    world.db.commit()
    actor = world.a["staff"]["agency_admin"]
    for bad in ("", "   "):
        with pytest.raises(InvalidInput):
            service.correct(world.db, world.clock, forms, old, reason=bad, actor_id=actor,
                            resolutions_of=ratings)
    with pytest.raises(Conflict):  # nothing changed
        service.correct(world.db, world.clock, forms, old, reason="Nagekeken.", actor_id=actor,
                        resolutions_of=ratings)
    form = forms.for_attempt(world.db, attempt)
    ratings.change(world.db, form, attempt.id, next(iter(ratings.resolutions[attempt.id])))
    new = service.correct(world.db, world.clock, forms, old,
                          reason="Beoordeling van het schrijven herzien na klacht.",
                          actor_id=actor, resolutions_of=ratings)
    world.db.commit()
    assert (new.revision, new.created_by_id, new.superseded_by_id) == (2, actor, None)
    assert (old.superseded_by_id, old.supersede_reason) == (
        new.id, "Beoordeling van het schrijven herzien na klacht.")
    assert new.inputs_hash != old.inputs_hash and new.form_version == old.form_version
    assert service.current_result(world.db, attempt.id).id == new.id
    assert [r.id for r in service.results_of_attempt(world.db, attempt.id)] == [old.id, new.id]
    entry = world.db.scalar(select(AuditEntry).where(AuditEntry.action == "result.correct"))
    assert (entry.actor_id, entry.object_type, entry.object_id) == (actor, "result", new.id)
    assert entry.details == {"attempt_id": attempt.id, "supersedes_id": old.id, "revision": 2}
    with pytest.raises(Conflict):  # a superseded result is not corrected again
        service.correct(world.db, world.clock, forms, old, reason="Nog eens.", actor_id=actor,
                        resolutions_of=ratings)
    # The new one recomputes identically; the superseded one now differs (that is why).
    assert service.recompute(world.db, forms, ratings) == []
    assert service.recompute(world.db, forms, ratings, [old.id])
    assert service.recompute(world.db, forms, ratings, [new.id]) == []


def test_fair_scores_use_the_severities_and_record_them(world, forms, defs):
    (attempt,), ratings, _ = run(world, forms, defs, "schrijven-spreken", [0.0])
    fair = ScoringRules(fair_scores=True)
    assert fair.version != RULES.version
    with pytest.raises(ResultNotReady):  # fair scores without severities
        service.freeze(world.db, world.clock, forms, attempt, ratings, fair)
    severities = {101: 0.8, 102: 0.6, 900: 0.7}
    result = service.freeze(world.db, world.clock, forms, attempt, ratings, fair,
                            severities_of=lambda db, a: severities)
    raw = service.compute(world.db, forms, attempt, ratings(world.db, attempt.id), rules=RULES)
    doc = result.document
    assert result.fair_scores is True and doc["fair_scores"] is True
    raters = {o["rater_id"] for p in doc["productions"] for o in p["observations"]}
    assert doc["severities"] == {str(r): severities[r] for r in sorted(raters)}
    for fair_entry, raw_entry in zip(doc["skills"], raw["skills"], strict=True):
        assert fair_entry["theta"] > raw_entry["theta"]  # severe raters: the fair score is higher
    # A recompute uses the stored severities, whatever the statistics say today.
    severities.update({101: -1.0, 102: -1.0})
    assert service.recompute(world.db, forms, ratings) == []


# -- recompute -----------------------------------------------------------------------------------


def test_recompute_reports_exactly_the_changed_result(world, forms, defs):
    attempts, ratings, _ = run(world, forms, defs, "schrijven-spreken", [-1.0, 0.0, 1.0], seed=3)
    more, _, _ = run(world, forms, defs, "lezen-luisteren", [-0.5, 0.5], seed=4, ratings=ratings)
    results = [service.freeze(world.db, world.clock, forms, a, ratings, RULES)
               for a in attempts + more]
    world.db.commit()
    assert service.recompute(world.db, forms, ratings) == []
    assert service.recompute(world.db, forms, ratings, [r.id for r in results]) == []
    with pytest.raises(NotFound):
        service.recompute(world.db, forms, ratings, [max(r.id for r in results) + 1])

    # One rating changed: only that attempt's result differs.
    target = attempts[1]
    response_id = next(iter(ratings.resolutions[target.id]))
    ratings.change(world.db, forms.for_attempt(world.db, target), target.id, response_id)
    diffs = service.recompute(world.db, forms, ratings)
    assert {d.result_id for d in diffs} == {results[1].id}
    fields = {d.field for d in diffs}
    assert "inputs_hash" in fields and "result.inputs_hash" in fields
    assert any(f.startswith("productions.") for f in fields)

    # One stored response score changed (behind the services' back): that result too.
    reading = more[0]
    row = world.db.scalar(select(Response).where(Response.attempt_id == reading.id,
                                                 Response.counts.is_(True),
                                                 Response.score.is_not(None))
                          .order_by(Response.id))
    world.db.execute(update(Response).where(Response.id == row.id)
                     .values(score=1.0 - row.score))
    world.db.commit()
    diffs = service.recompute(world.db, forms, ratings)
    assert {d.result_id for d in diffs} == {results[1].id, results[3].id}
    changed = [d for d in diffs if d.result_id == results[3].id]
    assert {"inputs_hash", "skills.0.theta"} <= {d.field for d in changed}
    assert all(d.attempt_id == reading.id for d in changed)


def test_recompute_after_a_bank_change_uses_the_pinned_snapshot(world, forms, defs, bank,
                                                                tmp_path):
    (attempt,), ratings, _ = run(world, forms, defs, "lezen-luisteren", [0.7])
    result = service.freeze(world.db, world.clock, forms, attempt, ratings, RULES)
    world.db.commit()
    changed = write_bank(tmp_path / "changed" / "itembank")
    for path in (changed / "items").rglob("R-A1-0001.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["parameters"]["b"] = 0.5
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    later = open_forms(changed, forms.asset_dir)
    assert result.form_version not in {f.version for f in later.current.values()}
    assert service.recompute(world.db, later, ratings) == []


def test_results_belong_to_their_agency(world, forms, defs):
    (mine,), ratings, sess = run(world, forms, defs, "lezen-luisteren", [0.0])
    (theirs,), _, _ = run(world, forms, defs, "lezen-luisteren", [0.0], tenant="b",
                          ratings=ratings)
    a = service.freeze(world.db, world.clock, forms, mine, ratings, RULES)
    b = service.freeze(world.db, world.clock, forms, theirs, ratings, RULES)
    assert service.get_result(world.db, world.a["org"], a.id).id == a.id
    with pytest.raises(NotFound):
        service.get_result(world.db, world.a["org"], b.id)
    assert [r.id for r in service.current_results(world.db, world.a["org"])] == [a.id]
    assert [r.id for r in service.current_results(world.db, world.a["org"],
                                                  session_id=sess["id"])] == [a.id]
    assert service.current_results(world.db, world.a["org"], session_id=world.a["session"]) == []
    assert b.organisation_id == world.b["org"] == b.document["organisation_id"]


def test_results_recompute_after_the_raw_answers_are_erased(world, forms, defs):
    """Retention erases the raw answers and the identity; the scores, the resolutions and the
    pinned form stay, so a result still recomputes to the last digit."""
    from toetsbatterij.config import DEFAULTS
    from toetsbatterij.privacy.retention import RetentionPolicy, erase_expired

    attempts, ratings, _ = run(world, forms, defs, "lezen-schrijven", [0.1, 1.1])
    for a in attempts:
        service.freeze(world.db, world.clock, forms, a, ratings, RULES)
    world.db.commit()
    world.clock.advance(days=3 * 365)
    report = erase_expired(world.db, world.clock, RetentionPolicy(DEFAULTS["RETENTION_DAYS"]))
    world.db.commit()
    assert report.counts["responses"] > 0
    raws = world.db.scalars(select(Response.raw).where(Response.attempt_id.in_(
        [a.id for a in attempts]))).all()
    assert raws and all(raw is None for raw in raws)
    assert service.recompute(world.db, forms, ratings) == []


# -- the form's figures ----------------------------------------------------------------------------


def test_a_result_freezes_the_forms_classification_figures(world, forms, defs):
    """Every result carries the figures of its form: accuracy and consistency at each cut of
    each skill and the share of wrong decisions at the decisive cut; a recompute gives them
    again, identically."""
    (attempt,), ratings, _ = run(world, forms, defs, "lezen-luisteren", [0.2], seed=7)
    result = service.freeze(world.db, world.clock, forms, attempt, ratings, RULES)
    world.db.commit()
    figures = result.document["form_figures"]
    form = forms.for_attempt(world.db, attempt)
    assert set(figures) == {"reading", "listening"}
    for skill, fig in figures.items():
        assert fig["rule"] == "rudner-sim-se-v1" and fig["population"] == "N(0, 1)"
        assert [c["level"] for c in fig["cuts"]] == sorted(form.cut_scores[skill],
                                                           key=form.cut_scores[skill].get)
        for c in fig["cuts"]:
            assert 0.5 < c["accuracy"] <= 1 and 0.5 < c["consistency"] <= c["accuracy"] + 1e-9
            assert c["wrong"] == pytest.approx(1 - c["accuracy"], abs=2e-6)
            assert len(c["curve"]) == 21
        assert fig["decisive"] == "A2"
        assert fig["wrong_at_decisive"] == pytest.approx(
            next(c["wrong"] for c in fig["cuts"] if c["level"] == "A2"))
    assert service.recompute(world.db, forms, ratings) == []


def test_a_result_frozen_before_the_figures_recomputes_without_them(world, forms, defs):
    (attempt,), ratings, _ = run(world, forms, defs, "lezen-luisteren", [-0.4], seed=8)
    old = ScoringRules.from_dict({k: v for k, v in RULES.as_dict().items() if k != "form_figures"})
    result = service.freeze(world.db, world.clock, forms, attempt, ratings, old)
    world.db.commit()
    assert "form_figures" not in result.document
    assert result.rules_version == old.version != RULES.version
    assert service.recompute(world.db, forms, ratings) == []

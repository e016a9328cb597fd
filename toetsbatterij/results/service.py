"""Freezing, correcting and recomputing results (no flask).

**When a result is frozen.** Only a *finished* attempt gets a result: every section closed by its
own rule (stopping rule, time, the last fixed task), and every rated production resolved (the
provider ``resolutions_of`` returns the resolutions, not None). An *ended* attempt (stopped by a
proctor, with a reason) never gets one: ``end`` is only possible before the last section closed,
so at least one section was cut short or never started, and a partial result is no result
(the end reason and the incidents say what happened). ``freeze`` is idempotent: an attempt's
current result is returned as it is.

**What a result holds** (``Result.document``; the reports build on it): per skill θ, SE,
reporting-scale score and its SE, the level, the probability of every level, P(level decision
correct), P(level >= target), the stop reason, the number of counted items and the design
version; the form's figures (``form_figures``: accuracy and consistency of each skill's
decisions at each cut, Rudner's method, ``TestForm.decision_figures``; results frozen under rules
without ``form_figures`` have none); the rules (``results.rules``) and their version; the resolution of every production
(with the rule that resolved it); whether fair scores were used and the severities; and
``inputs_hash``, the SHA-256 over a canonical JSON of every input: the form version, the counted
responses with their scores in order, the resolutions, the severities and the rules.

**Where the numbers come from.** Adaptive sections: ``TestForm.classification`` on the counted,
scored responses of the section in presentation order (the same history the delivery used);
rated sections: ``TestForm.rated_classification`` on the resolutions of the section's counted
productions. Services never import the scoring core: the form (``items``) owns the parameters,
the designs and the rule of rated sections.

**Immutability.** A result never changes (``results.models``); ``correct`` writes a new revision
that supersedes the old one, with a reason, audited. ``recompute`` rebuilds any or all results
from the stored responses, the resolutions the provider gives now, the stored rules and
severities and the pinned form (``FormStore.for_attempt``: the snapshot), and reports every field
that differs; there must be none.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from toetsbatterij.audit.service import record
from toetsbatterij.clock import Clock
from toetsbatterij.delivery.models import (
    FINISHED,
    Attempt,
    Candidate,
    ExamSession,
    Presentation,
    Response,
    SectionRun,
)
from toetsbatterij.errors import Conflict, InvalidInput, NotFound
from toetsbatterij.i18n import N_
from toetsbatterij.items import RATED_ESTIMATOR, TestForm
from toetsbatterij.items.model import canonical_json, sha256_of
from toetsbatterij.rating.resolution import Resolution
from toetsbatterij.results.models import Result
from toetsbatterij.results.rules import ScoringRules
from toetsbatterij.textinput import REASON_LABEL, clean_text

DOCUMENT_FORMAT = 1
PRACTICE_SECTION = -1

#: ``rating.service.resolutions``: response id -> resolution of every rated response of the
#: attempt, or None while any of them is not resolved.
ResolutionsOf = Callable[[Session, int], Mapping[int, Resolution] | None]
#: Rater id -> severity (logits, positive = severe), for fair scores.
SeveritiesOf = Callable[[Session, Attempt], Mapping[int, float]]


class Forms(Protocol):
    """Where an attempt's pinned form comes from (``delivery.forms.FormStore``)."""

    def for_attempt(self, db: Session, attempt: Attempt) -> TestForm: ...


class ResultNotReady(Conflict):
    """The attempt cannot have a result (yet): not finished, or a production not resolved."""

    default_message = N_("Het resultaat kan nog niet worden vastgelegd: de afname is niet "
                         "afgerond of nog niet elk antwoord is beoordeeld.")


@dataclass(frozen=True)
class Difference:
    """One field of a stored result that a recompute does not reproduce."""

    result_id: int
    attempt_id: int
    field: str          # a dotted path into the document (``skills.2.theta``) or a column
    stored: Any
    recomputed: Any


# -- reading the inputs ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Counted:
    section_index: int
    response_id: int
    item_id: str
    score: float | None


def _counted_responses(db: Session, attempt: Attempt) -> list[_Counted]:
    """The responses that count (operational, in a section), in presentation order."""
    stmt = (select(Presentation.section_index, Response.id, Response.item_id, Response.score)
            .join(Presentation, Presentation.id == Response.presentation_id)
            .where(Response.attempt_id == attempt.id, Presentation.attempt_id == attempt.id,
                   Presentation.section_index != PRACTICE_SECTION,
                   Response.counts.is_(True))
            .order_by(Presentation.section_index, Presentation.position, Response.id))
    return [_Counted(int(s), int(r), str(i), None if score is None else float(score))
            for s, r, i, score in db.execute(stmt)]


def _runs(db: Session, attempt: Attempt) -> dict[int, SectionRun]:
    return {run.section_index: run for run in db.scalars(
        select(SectionRun).where(SectionRun.attempt_id == attempt.id))}


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _skill_entry(form: TestForm, index: int, run: SectionRun | None,
                 counted: list[_Counted], resolutions: Mapping[int, Resolution],
                 severities: Mapping[int, float] | None) -> tuple[dict[str, Any], list[Resolution]]:
    section = form.section(index)
    rated_items = [r for r in counted if form.item(r.item_id).rated]
    productions: list[Resolution] = []
    if section.adaptive:
        history = [(r.item_id, r.score) for r in counted if r.score is not None]
        decision = form.classification(index, history)
        scored_by, estimator = "adaptive", str(form.design(index).estimator.name)
        n_items = len(history)
    elif rated_items:
        for r in rated_items:
            resolution = resolutions.get(r.response_id)
            if resolution is None:
                raise ResultNotReady(detail=f"response {r.response_id} ({r.item_id}) has no "
                                            "resolution")
            if resolution.item_id != r.item_id or resolution.response_id != r.response_id:
                raise ResultNotReady(detail=f"resolution of response {r.response_id} is of "
                                            f"{resolution.response_id}/{resolution.item_id}")
            productions.append(resolution)
        decision = form.rated_classification(index, productions, severities)
        scored_by, estimator, n_items = "rated", RATED_ESTIMATOR, len(productions)
    else:  # a fixed section of machine-scored items: the form gives it no decision
        decision = form.classification(index, [])
        scored_by, estimator, n_items = "none", "", len(counted)
    scale = form.reporting_scale
    theta, se = _float(decision.theta), _float(decision.se)
    entry = {
        "section_index": index, "skill": section.skill, "mode": section.mode,
        "scored_by": scored_by, "estimator": estimator,
        "design_name": run.design_name if run is not None else "",
        "design_version": run.design_version if run is not None else "",
        "theta": theta, "se": se,
        "scale_score": None if scale is None or theta is None else float(scale.to_scale(theta)),
        "scale_se": None if scale is None or se is None else float(scale.se_to_scale(se)),
        "level": decision.level,
        "probabilities": {k: float(v) for k, v in decision.probabilities.items()},
        "p_correct": _float(decision.p_correct),
        "p_at_least_target": _float(decision.p_at_least_target),
        "target": decision.target,
        "stop_reason": run.finish_reason if run is not None else "",
        "n_items": n_items,
    }
    return entry, productions


def _production(resolution: Resolution) -> dict[str, Any]:
    return {**resolution.as_dict(), "criterion_means": resolution.criterion_means()}


def compute(db: Session, forms: Forms, attempt: Attempt,
            resolutions: Mapping[int, Resolution], *, rules: ScoringRules | None = None,
            severities: Mapping[int, float] | None = None) -> dict[str, Any]:
    """The result document of ``attempt`` (see the module docstring), from its stored responses,
    ``resolutions`` (response id -> resolution) and its pinned form. Reads, never writes.
    ``rules``: default ``ScoringRules()``; ``severities`` are used only when
    ``rules.fair_scores`` (then they are required)."""
    rules = rules or ScoringRules()
    if rules.fair_scores and severities is None:
        raise ResultNotReady(detail="fair scores need the raters' severities")
    form = forms.for_attempt(db, attempt)
    counted = _counted_responses(db, attempt)
    runs = _runs(db, attempt)
    used = severities if rules.fair_scores else None
    skills, productions = [], []
    for section in form.sections:
        mine = [r for r in counted if r.section_index == section.index]
        entry, resolved = _skill_entry(form, section.index, runs.get(section.index), mine,
                                       resolutions, used)
        skills.append(entry)
        productions.extend(resolved)
    raters = sorted({o.rater_id for p in productions for o in p.observations
                     if o.rater_id is not None})
    severities_used = ({str(r): float((used or {}).get(r, 0.0)) for r in raters}
                       if rules.fair_scores else {})
    rules_doc = rules.as_dict()
    inputs = {
        "form_version": form.version,
        "responses": [[r.section_index, r.response_id, r.item_id, r.score] for r in counted],
        "resolutions": [p.as_dict() for p in sorted(productions, key=lambda p: p.response_id)],
        "severities": severities_used,
        "rules": rules_doc,
    }
    document = {
        "format": DOCUMENT_FORMAT,
        "attempt_id": attempt.id, "organisation_id": attempt.organisation_id,
        "test": form.id, "form_version": form.version, "target_level": form.target_level,
        "rules": rules_doc, "rules_version": rules.version,
        "fair_scores": rules.fair_scores,
        "skills": skills,
        "productions": [_production(p) for p in productions],
        "severities": severities_used,
        "n_responses": len(counted),
        "inputs_hash": sha256_of(inputs),
    }
    if rules.form_figures:
        document["form_figures"] = _form_figures(form, rules.form_figures)
    return _normalised(document)


def _form_figures(form: TestForm, rule: str) -> dict[str, Any]:
    """The form's classification figures per skill (``TestForm.decision_figures``), frozen with
    the result: how often a decision of this form at each cut is wrong, for every candidate."""
    from toetsbatterij.items.form import FIGURES_RULE

    if rule != FIGURES_RULE:
        raise ResultNotReady(detail=f"form figures rule {rule!r} is not {FIGURES_RULE!r}")
    out: dict[str, Any] = {}
    for section in form.sections:
        figures = form.decision_figures(section.index)
        if figures is not None:
            out[section.skill] = figures
    return out


def _normalised(document: Mapping[str, Any]) -> dict[str, Any]:
    """As stored and read back: plain JSON types, keys sorted (so compares are exact)."""
    return json.loads(canonical_json(document))


# -- the results of an attempt ------------------------------------------------------------------


def current_result(db: Session, attempt_id: int) -> Result | None:
    """The result of an attempt that nothing supersedes (None before it is frozen)."""
    return db.scalar(select(Result).where(Result.attempt_id == attempt_id,
                                          Result.superseded_by_id.is_(None))
                     .order_by(Result.revision.desc()))


def results_of_attempt(db: Session, attempt_id: int) -> list[Result]:
    """Every revision of an attempt's result, oldest first."""
    return list(db.scalars(select(Result).where(Result.attempt_id == attempt_id)
                           .order_by(Result.revision)))


def get_result(db: Session, organisation_id: int, result_id: int) -> Result:
    """A result of ``organisation_id`` (NotFound for another agency's or an unknown id)."""
    result = db.get(Result, result_id)
    if result is None or result.organisation_id != organisation_id:
        raise NotFound()
    return result


def current_results(db: Session, organisation_id: int, *,
                    session_id: int | None = None) -> list[Result]:
    """The current results of an organisation (of one exam session when given), by id."""
    stmt = select(Result).where(Result.organisation_id == organisation_id,
                                Result.superseded_by_id.is_(None))
    if session_id is not None:
        stmt = (stmt.join(Attempt, Attempt.id == Result.attempt_id)
                .join(Candidate, Candidate.id == Attempt.candidate_id)
                .join(ExamSession, ExamSession.id == Candidate.exam_session_id)
                .where(ExamSession.id == session_id))
    return list(db.scalars(stmt.order_by(Result.id)))


# -- freezing and correcting -------------------------------------------------------------------


def _resolutions(db: Session, attempt: Attempt, resolutions_of: ResolutionsOf
                 ) -> Mapping[int, Resolution]:
    resolutions = resolutions_of(db, attempt.id)
    if resolutions is None:
        raise ResultNotReady(detail=f"attempt {attempt.id}: a production is not resolved")
    return resolutions


def _severities(db: Session, attempt: Attempt, rules: ScoringRules,
                severities_of: SeveritiesOf | None) -> Mapping[int, float] | None:
    if not rules.fair_scores:
        return None
    if severities_of is None:
        raise ResultNotReady(detail="fair scores are on but no severities were given")
    return {int(k): float(v) for k, v in severities_of(db, attempt).items()}


def _row(attempt: Attempt, document: Mapping[str, Any], *, revision: int, clock: Clock,
         actor_id: int | None) -> Result:
    return Result(organisation_id=attempt.organisation_id, attempt_id=attempt.id,
                  revision=revision, form_version=document["form_version"],
                  rules_version=document["rules_version"], inputs_hash=document["inputs_hash"],
                  fair_scores=bool(document["fair_scores"]), document=dict(document),
                  frozen_at=clock.now(), created_by_id=actor_id, supersede_reason="")


def freeze(db: Session, clock: Clock, forms: Forms, attempt: Attempt,
           resolutions_of: ResolutionsOf, rules: ScoringRules, *,
           severities_of: SeveritiesOf | None = None) -> Result:
    """Freeze the result of a finished attempt whose productions are resolved (see the module
    docstring); an attempt's existing current result is returned unchanged."""
    existing = current_result(db, attempt.id)
    if existing is not None:
        return existing
    if attempt.state != FINISHED:
        raise ResultNotReady(detail=f"attempt {attempt.id} is {attempt.state}, not finished")
    resolutions = _resolutions(db, attempt, resolutions_of)
    document = compute(db, forms, attempt, resolutions, rules=rules,
                       severities=_severities(db, attempt, rules, severities_of))
    row = _row(attempt, document, revision=1, clock=clock, actor_id=None)
    try:
        with db.begin_nested():
            db.add(row)
            db.flush()
    except IntegrityError:
        # Another worker froze the same attempt first: that result is the result.
        existing = current_result(db, attempt.id)
        assert existing is not None
        return existing
    record(db, clock, organisation_id=attempt.organisation_id, actor_id=None,
           action="result.freeze", object_type="result", object_id=row.id,
           attempt_id=attempt.id, revision=1)
    return row


def correct(db: Session, clock: Clock, forms: Forms, result: Result, reason: str,
            actor_id: int | None, resolutions_of: ResolutionsOf, *,
            rules: ScoringRules | None = None,
            severities_of: SeveritiesOf | None = None) -> Result:
    """A corrected result: recomputed from the inputs as they are now (a corrected rating, other
    rules), superseding ``result``, which must be current. ``reason`` is required; it is kept on
    the superseded result (the audit entry holds ids only). Refused when nothing would change.
    ``rules``: the rules of the correction (default: those ``result`` was frozen with)."""
    reason = clean_text(reason, field="reason", label=REASON_LABEL, max_length=1000,
                        multiline=True)
    if not reason:
        raise InvalidInput(N_("Geef een reden op."), field="reason")
    if result.superseded_by_id is not None:
        raise Conflict(N_("Dit resultaat is al vervangen door een correctie."))
    attempt = db.get(Attempt, result.attempt_id)
    assert attempt is not None
    rules = rules or ScoringRules.from_dict(result.document["rules"])
    resolutions = _resolutions(db, attempt, resolutions_of)
    document = compute(db, forms, attempt, resolutions, rules=rules,
                       severities=_severities(db, attempt, rules, severities_of))
    if document == _normalised(result.document):
        raise Conflict(N_("De correctie verandert niets aan het resultaat."))
    row = _row(attempt, document, revision=result.revision + 1, clock=clock, actor_id=actor_id)
    db.add(row)
    db.flush()
    result.superseded_by_id = row.id
    result.supersede_reason = reason
    db.flush()
    record(db, clock, organisation_id=attempt.organisation_id, actor_id=actor_id,
           action="result.correct", object_type="result", object_id=row.id,
           attempt_id=attempt.id, supersedes_id=result.id, revision=row.revision)
    return row


# -- recomputing --------------------------------------------------------------------------------


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        if not value and prefix:
            out[prefix] = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(value, list):
        out = {} if value or not prefix else {prefix: []}
        for i, v in enumerate(value):
            out.update(_flatten(v, f"{prefix}.{i}" if prefix else str(i)))
        return out
    return {prefix: value}


def differences(result: Result, document: Mapping[str, Any]) -> list[Difference]:
    """Every field in which ``document`` differs from the stored result (columns included)."""
    out = []
    stored, new = _flatten(_normalised(result.document)), _flatten(_normalised(document))
    for path in sorted(set(stored) | set(new)):
        a, b = stored.get(path), new.get(path)
        if a != b or (path in stored) != (path in new):
            out.append(Difference(result.id, result.attempt_id, path, a, b))
    columns = {"form_version": document.get("form_version"),
               "rules_version": document.get("rules_version"),
               "inputs_hash": document.get("inputs_hash"),
               "fair_scores": document.get("fair_scores"),
               "organisation_id": document.get("organisation_id")}
    for name, value in columns.items():
        if getattr(result, name) != value:
            out.append(Difference(result.id, result.attempt_id, f"result.{name}",
                                  getattr(result, name), value))
    return out


def recompute_one(db: Session, forms: Forms, resolutions_of: ResolutionsOf,
                  result: Result) -> list[Difference]:
    """Recompute one result (see :func:`recompute`)."""
    attempt = db.get(Attempt, result.attempt_id)
    if attempt is None:
        return [Difference(result.id, result.attempt_id, "attempt", result.attempt_id, None)]
    stored = result.document
    try:
        rules = ScoringRules.from_dict(stored["rules"])
    except (KeyError, TypeError, ValueError):
        return [Difference(result.id, attempt.id, "rules", stored.get("rules"), None)]
    # The form the attempt runs on: its pinned version (an attempt from before forms were
    # pinned runs on the current form of its test, which may have changed since).
    try:
        ran_on = attempt.form_version or forms.for_attempt(db, attempt).version
    except Conflict as exc:
        return [Difference(result.id, attempt.id, "result.form_version", result.form_version,
                           exc.detail or exc.message)]
    if ran_on != result.form_version:
        return [Difference(result.id, attempt.id, "result.form_version", result.form_version,
                           ran_on)]
    resolutions = resolutions_of(db, attempt.id)
    if resolutions is None:
        return [Difference(result.id, attempt.id, "productions", "resolved", None)]
    severities = ({int(k): float(v) for k, v in (stored.get("severities") or {}).items()}
                  if rules.fair_scores else None)
    try:
        document = compute(db, forms, attempt, resolutions, rules=rules, severities=severities)
    except Conflict as exc:  # no snapshot of the form, or a production without its resolution
        return [Difference(result.id, attempt.id, "inputs", result.inputs_hash,
                           exc.detail or exc.message)]
    return differences(result, document)


def recompute(db: Session, forms: Forms, resolutions_of: ResolutionsOf,
              result_ids: Iterable[int] | None = None) -> list[Difference]:
    """Recompute every current result, or the results ``result_ids`` (superseded ones too), from
    the stored responses, the resolutions ``resolutions_of`` gives now, the rules and severities
    stored on the result, and the pinned form; return every difference (none: identical).

    A superseded result is recomputed against today's inputs, so it usually differs: that is
    why it was superseded. Reads only."""
    if result_ids is None:
        rows = list(db.scalars(select(Result).where(Result.superseded_by_id.is_(None))
                               .order_by(Result.id)))
    else:
        wanted = sorted({int(i) for i in result_ids})
        rows = list(db.scalars(select(Result).where(Result.id.in_(wanted)).order_by(Result.id)))
        missing = set(wanted) - {r.id for r in rows}
        if missing:
            raise NotFound(detail=f"no result {sorted(missing)}")
    out: list[Difference] = []
    for row in rows:
        out.extend(recompute_one(db, forms, resolutions_of, row))
    return out


def attempts_to_freeze(db: Session, attempt_ids: Iterable[int] | None = None) -> list[Attempt]:
    """Finished attempts without a result (their productions may still wait for raters), all
    or those of ``attempt_ids``."""
    has_result = select(Result.attempt_id)
    stmt = select(Attempt).where(Attempt.state == FINISHED, Attempt.id.not_in(has_result))
    if attempt_ids is not None:
        stmt = stmt.where(Attempt.id.in_(list(attempt_ids)))
    return list(db.scalars(stmt.order_by(Attempt.id)))

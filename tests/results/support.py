"""Simulated candidates for the results tests: attempts taken through the real delivery services
with responses drawn from each item's IRT model at a known θ, and ratings of the writing and
speaking productions drawn from each rubric criterion's GPCM at θ, resolved with the rating
rules (``rating.resolution.resolve``)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select

from toetsbatterij.delivery import attempts, proctoring, sessions
from toetsbatterij.delivery.models import Attempt, Presentation, Response
from toetsbatterij.errors import InvalidInput
from toetsbatterij.items import TestForm
from toetsbatterij.organisations import service as organisations
from toetsbatterij.rating.resolution import RatingValues, Resolution, Thresholds, resolve
from toetsbatterij.scoring import ItemPool, category_probabilities, gpcm_log_probabilities

WRONG = "xqzw"


# -- responses from the item's model -------------------------------------------------------------


class Answerer:
    """Raw responses that score a given category, per item (found once by trying the candidate
    answers of the item type through ``form.score``), and draws from the item's model."""

    def __init__(self, form: TestForm) -> None:
        self.form = form
        self._by_score: dict[str, dict[int, Any]] = {}
        self._pools: dict[str, ItemPool] = {}

    def _candidates(self, item: Any) -> list[Any]:
        d = item.definition
        kind = item.type
        if kind == "single_choice":
            return [o["id"] for o in d["options"]]
        if kind == "multiple_response":
            ids = [o["id"] for o in d["options"]]
            return [list(c) for n in range(len(ids) + 1) for c in itertools.combinations(ids, n)]
        if kind == "text_entry":
            gaps = d["gaps"]
            return [{g["id"]: (g["accepted"][0] if right else WRONG) for g, right in zip(gaps, mask)}
                    for mask in itertools.product((True, False), repeat=len(gaps))]
        if kind == "ordering":
            key = list(d["key"])
            if len(key) <= 6:
                return [list(p) for p in itertools.permutations(key)]
            return [key, key[::-1]] + [key[i:] + key[:i] for i in range(1, len(key))]
        if kind == "matching":
            key = d["key"]
            targets = [t["id"] for t in d["targets"]]
            wrong = {s: next(t for t in targets if t != key[s]) for s in key}
            return [{s: (key[s] if right else wrong[s]) for s, right in zip(key, mask)}
                    for mask in itertools.product((True, False), repeat=len(key))]
        return list(item.itype.full_credit_responses(d)) + list(item.itype.zero_credit_responses(d))

    def responses_by_score(self, item_id: str) -> dict[int, Any]:
        found = self._by_score.get(item_id)
        if found is None:
            found = {}
            for raw in self._candidates(self.form.item(item_id)):
                try:
                    score = self.form.score(item_id, raw)
                except InvalidInput:
                    continue
                found.setdefault(int(round(score)), raw)
            self._by_score[item_id] = found
        return found

    def probabilities(self, item_id: str, theta: float) -> np.ndarray:
        pool = self._pools.get(item_id)
        if pool is None:
            pool = ItemPool.from_records([self.form.item(item_id).parameters.record(item_id)])
            self._pools[item_id] = pool
        p = category_probabilities(pool, theta)[0, :, 0]
        return p[: pool.n_categories[0]] / p[: pool.n_categories[0]].sum()

    def draw(self, item_id: str, theta: float, rng: np.random.Generator) -> Any:
        item = self.form.item(item_id)
        if item.type == "extended_text":
            return "Beste buren, volgende zaterdag geef ik een feest. Mijn excuses voor het lawaai."
        if item.rated:
            return f"opname-{item_id}"  # the recording's id (a stand-in: nothing is uploaded)
        p = self.probabilities(item_id, theta)
        score = int(rng.choice(len(p), p=p))
        options = self.responses_by_score(item_id)
        nearest = min(options, key=lambda s: (abs(s - score), s))
        return options[nearest]


# -- an attempt through the delivery services ----------------------------------------------------


def take(db: Any, clock: Any, forms: Any, *, session_code: str, access_code: str,
         answer: Callable[[TestForm, str], Any], max_screens: int = 400,
         commit_every_screen: bool = False) -> Attempt:
    """Log in and answer every screen with ``answer(form, item_id)`` until the attempt is
    finished (the practice block, every section). The services flush; the caller's session
    commits (once per screen when asked, as the web layer does per request)."""
    _, attempt, _ = attempts.candidate_login(db, clock, session_code=session_code,
                                             access_code=access_code, device_token=None,
                                             forms=forms)
    form = forms.for_attempt(db, attempt)
    for _ in range(max_screens):
        scr = attempts.advance(db, clock, forms, attempt)
        if scr.kind in ("item", "practice"):
            answers = {j: answer(form, j) for j in scr.presentation.item_ids}
            attempts.submit(db, clock, forms, attempt, presentation_id=scr.presentation.id,
                            responses=answers)
        elif scr.kind == "instructions":
            attempts.start_practice(db, clock, attempt)
        elif scr.kind == "section_intro":
            attempts.start_section(db, clock, forms, attempt, scr.section_number - 1)
        elif scr.kind == "finished":
            break
        else:
            raise AssertionError(f"unexpected screen {scr.kind}")
        if commit_every_screen:
            db.commit()
    assert attempt.state == "finished", attempt.state
    return attempt


def exam_session(db: Any, clock: Any, *, organisation_id: int, definition_id: int,
                 candidates: int) -> dict[str, Any]:
    """An opened session of a definition with ``candidates`` admitted candidates."""
    from toetsbatterij.organisations.models import Location

    loc = db.scalar(select(Location).where(Location.organisation_id == organisation_id))
    if loc is None:
        loc = organisations.add_location(db, organisation_id, name="Toetslokaal")
    sess = sessions.create_session(db, clock, organisation_id=organisation_id, actor_id=None,
                                   location_id=loc.id, test_definition_id=definition_id,
                                   starts_at=clock.now() - dt.timedelta(minutes=30),
                                   ends_at=clock.now() + dt.timedelta(hours=8))
    codes = []
    for i in range(candidates):
        data = sessions.CandidateInput(
            first_name=f"Kandidaat{i}", last_name="Simulatie", birth_date=dt.date(1980, 1, 1),
            id_kind="foreign", id_number=f"S{sess.id:04d}{i:06d}", id_country="ES")
        codes.append(sessions.register_candidate(db, clock, organisation_id=organisation_id,
                                                 actor_id=None, session_id=sess.id,
                                                 data=data).access_code)
    sessions.open_session(db, clock, organisation_id=organisation_id, actor_id=None,
                          session_id=sess.id)
    proctoring.admit_candidates(db, clock, organisation_id=organisation_id, session_id=sess.id,
                                candidate_ids=None, actor_id=None)
    db.flush()
    return {"id": sess.id, "code": sess.code, "access": codes}


# -- ratings and their resolutions -----------------------------------------------------------------


def rated_responses(db: Any, form: TestForm, attempt: Attempt) -> list[Response]:
    """The counted responses of the attempt's rated items, in presentation order."""
    rows = db.scalars(select(Response).join(Presentation, Presentation.id == Response.presentation_id)
                      .where(Response.attempt_id == attempt.id, Response.counts.is_(True))
                      .order_by(Presentation.section_index, Presentation.position, Response.id))
    return [r for r in rows if form.item(r.item_id).rated]


def draw_rating(form: TestForm, item_id: str, theta: float, rng: np.random.Generator, *,
                rating_id: int, rater_id: int, severity: float = 0.0,
                senior: bool = False) -> RatingValues:
    """One rater's scores: per criterion a draw from its GPCM at θ (thresholds + severity)."""
    scores = {}
    for cid, p in form.criterion_parameters(item_id).items():
        b = tuple(p.thresholds) if not p.dichotomous else (float(p.b),)
        probs = np.exp(gpcm_log_probabilities(p.a, np.asarray(b) + severity, theta)[:, 0])
        scores[cid] = int(rng.choice(len(probs), p=probs / probs.sum()))
    return RatingValues(rating_id, rater_id, scores, senior=senior)


def resolve_ratings(form: TestForm, response: Response,
                    ratings: list[RatingValues]) -> Resolution | None:
    rubric = form.rubric_of(response.item_id)
    assert rubric is not None
    return resolve(response_id=response.id, item_id=response.item_id, rubric_id=rubric.id,
                   criteria={c.id: c.max_score for c in rubric.criteria}, ratings=ratings,
                   thresholds=Thresholds())


@dataclass
class Ratings:
    """The ratings of every production, and the resolutions provider built on them (what
    ``rating.service.resolutions`` gives the results service)."""

    ratings: dict[int, dict[int, list[RatingValues]]] = field(default_factory=dict)  # attempt -> response -> ratings
    resolutions: dict[int, dict[int, Resolution]] = field(default_factory=dict)
    pending: set[int] = field(default_factory=set)  # attempts with a production unresolved
    next_id: int = 1
    calls: int = 0

    def rate(self, db: Any, form: TestForm, attempt: Attempt, theta: float,
             rng: np.random.Generator, *, raters: tuple[int, int] = (101, 102),
             senior: int = 900, severities: Mapping[int, float] | None = None) -> None:
        """Two ratings of every production; a third (senior) one where the two disagree."""
        severities = severities or {}
        mine: dict[int, list[RatingValues]] = {}
        out: dict[int, Resolution] = {}
        for response in rated_responses(db, form, attempt):
            given = []
            for rater in raters:
                given.append(draw_rating(form, response.item_id, theta, rng, rating_id=self.next_id,
                                         rater_id=rater, severity=severities.get(rater, 0.0)))
                self.next_id += 1
            resolution = resolve_ratings(form, response, given)
            if resolution is None:
                given.append(draw_rating(form, response.item_id, theta, rng,
                                         rating_id=self.next_id, rater_id=senior, senior=True,
                                         severity=severities.get(senior, 0.0)))
                self.next_id += 1
                resolution = resolve_ratings(form, response, given)
            assert resolution is not None
            mine[response.id] = given
            out[response.id] = resolution
        self.ratings[attempt.id] = mine
        self.resolutions[attempt.id] = out

    def change(self, db: Any, form: TestForm, attempt_id: int, response_id: int) -> str:
        """Change one rating of a production (one criterion score, by one point) so that its
        resolution changes; returns the criterion changed."""
        response = db.get(Response, response_id)
        before = self.resolutions[attempt_id][response_id]
        counted = {o.rater_id for o in before.observations}
        original = self.ratings[attempt_id][response_id]
        for k, rating in enumerate(original):
            if rating.rater_id not in counted or rating.code:
                continue
            for criterion, old in sorted(rating.scores.items()):
                top = form.criterion_parameters(response.item_id)[criterion].n_categories - 1
                scores = {**rating.scores, criterion: old - 1 if old > 0 else min(old + 1, top)}
                given = list(original)
                given[k] = RatingValues(rating.rating_id, rating.rater_id, scores, rating.code,
                                        rating.senior)
                resolution = resolve_ratings(form, response, given)
                if resolution is None:  # they disagree now: a senior rating decides
                    given.append(RatingValues(self.next_id, 900, dict(scores), senior=True))
                    self.next_id += 1
                    resolution = resolve_ratings(form, response, given)
                if resolution is not None and resolution.as_dict() != before.as_dict():
                    self.ratings[attempt_id][response_id] = given
                    self.resolutions[attempt_id][response_id] = resolution
                    return criterion
        raise AssertionError(f"no single rating change alters response {response_id}")

    def __call__(self, db: Any, attempt_id: int) -> dict[int, Resolution] | None:
        self.calls += 1
        if attempt_id in self.pending:
            return None
        return dict(self.resolutions.get(attempt_id, {}))

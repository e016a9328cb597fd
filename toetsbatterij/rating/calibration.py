"""Rater quality before live rating: calibration sets, reference responses, calibration runs,
admissions, the senior flag.

**References.** A reference is a production with known scores. Two sources, both documented on
the reference (``source``):

- ``seed``: a text written for the purpose, scored by its author acting as a senior rater
  (:func:`seed_writing_references`, for the demo and a first set of an agency); no person is
  behind it, so it has no retention;
- ``resolved``: a live production whose two counted ratings agreed exactly on every criterion
  (or on the code), promoted by an agency admin or the psychometrician
  (:func:`add_reference`). Its scores are the agreed scores; its text or recording stays on the
  live response and goes with it at the end of the retention period (the reference then has
  nothing to show and is left out). Speaking references only come this way: a synthetic voice
  would train raters on the wrong thing, and no recorded person has consented to be a training
  example beyond the rating of their own exam.

**Runs.** A rater rates every active reference of a set (:func:`start_run`); when the last one
is submitted the run's agreement is computed over every criterion score (a code counts as 0 on
every criterion, as the rubric scores it) with ``scoring.raters.agreement``: *exact* is the share
equal to the reference, *adjacent* the share at most one point off, and the quadratic-weighted
kappa is kept beside them (shown to the admin; with a handful of productions it is too unstable
to decide on). The rater is admitted to the set's skill when both
reach ``RATING_ADMISSION`` (``exact``, ``adjacent``); a failed run withdraws an earlier
admission of that skill. An agency admin may also admit or withdraw by decision, with a reason
(the first raters of an agency have nobody to calibrate against), audited.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from toetsbatterij.accounts.models import ROLE_RATER, StaffAccount
from toetsbatterij.audit.service import record
from toetsbatterij.clock import Clock
from toetsbatterij.errors import Conflict, InvalidInput, NotFound
from toetsbatterij.i18n import N_
from toetsbatterij.rating.models import (
    ADJUDICATION,
    CALIBRATION,
    CONTROL,
    LIVE,
    OPEN,
    PROMOTED,
    RESOLVED,
    SEEDED,
    CalibrationRun,
    CalibrationSet,
    RaterAdmission,
    Rating,
    RatingAssignment,
    RatingReference,
    RatingTask,
)
from toetsbatterij.rating.service import (
    SKILLS,
    RatingPolicy,
    admitted_skills,
    criteria_of,
    form_of,
    new_token,
    open_assignment,
    resolve_task,
)
from toetsbatterij.scoring.raters import agreement
from toetsbatterij.textinput import clean_text

PURPOSES = (CALIBRATION, CONTROL)
SKILL_LABELS = {"writing": N_("Schrijven"), "speaking": N_("Spreken")}


# -- agreement (scoring.raters: exact, adjacent, quadratic-weighted kappa) ------------------------


def score_pairs(criteria: Sequence[str], given: Mapping[str, Any], given_code: str | None,
                reference: Mapping[str, Any], reference_code: str | None) \
        -> list[tuple[int, int]]:
    """One pair per criterion; a code is 0 on every criterion (the rubric scores it so)."""
    def score(scores: Mapping[str, Any], code: str | None, c: str) -> int:
        return 0 if code else int(scores.get(c, 0))

    return [(score(given, given_code, c), score(reference, reference_code, c)) for c in criteria]


# -- sets and references -------------------------------------------------------------------------


def _skill(skill: str) -> str:
    if skill not in SKILLS:
        raise InvalidInput("Kies schrijven of spreken.", field="skill")
    return skill


def create_set(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
               skill: str, name: str, rubric_id: str = "") -> CalibrationSet:
    name = clean_text(name, field="name", label=N_("Naam"), max_length=200)
    if not name:
        raise InvalidInput("Geef de set een naam.", field="name")
    rubric_id = clean_text(rubric_id or "", field="rubric_id", label=N_("Beoordelingsschaal"),
                           max_length=40)
    row = CalibrationSet(organisation_id=organisation_id, skill=_skill(skill),
                         rubric_id=rubric_id, name=name, active=True, created_by=actor_id,
                         created_at=clock.now())
    db.add(row)
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="calibration.set_create", object_type="calibration_set", object_id=row.id,
           skill=skill)
    return row


def sets_for(db: Session, organisation_id: int) -> list[CalibrationSet]:
    """The agency's own sets and the shared ones."""
    return list(db.scalars(select(CalibrationSet).where(
        CalibrationSet.active.is_(True),
        or_(CalibrationSet.organisation_id.is_(None),
            CalibrationSet.organisation_id == organisation_id))
        .order_by(CalibrationSet.skill, CalibrationSet.id)))


def get_set(db: Session, organisation_id: int, set_id: int, *, editable: bool = False) \
        -> CalibrationSet:
    row = db.get(CalibrationSet, set_id)
    if row is None or not row.active or row.organisation_id not in (
            (organisation_id,) if editable else (None, organisation_id)):
        raise NotFound(None, detail=f"calibration set {set_id}")
    return row


def references(db: Session, *, set_id: int | None = None, purpose: str | None = None,
               organisation_id: int | None = None) -> list[RatingReference]:
    stmt = select(RatingReference).where(RatingReference.active.is_(True))
    if set_id is not None:
        stmt = stmt.where(RatingReference.calibration_set_id == set_id)
    if purpose is not None:
        stmt = stmt.where(RatingReference.purpose == purpose)
    if organisation_id is not None:
        stmt = stmt.where(or_(RatingReference.organisation_id.is_(None),
                              RatingReference.organisation_id == organisation_id))
    return list(db.scalars(stmt.order_by(RatingReference.id)))


def agreed_scores(db: Session, task: RatingTask) -> tuple[dict[str, int], str | None] | None:
    """The scores a resolved live production may be a reference with: those its counted
    ratings agreed on exactly (every criterion's weighted mean a whole number), else None."""
    if task.kind != LIVE or task.status != RESOLVED or task.blank:
        return None
    res = resolve_task(db, task)
    if res is None:
        return None
    if res.code is not None:
        return {}, res.code
    means = res.criterion_means()
    if any(abs(v - round(v)) > 1e-9 for v in means.values()):
        return None
    return {c: int(round(v)) for c, v in means.items()}, None


@dataclass(frozen=True)
class ReferenceCandidate:
    """A resolved live production that could become a reference (for the admin's list)."""

    task: RatingTask
    scores: dict[str, int]
    code: str | None
    excerpt: str


def reference_candidates(db: Session, organisation_id: int, skill: str | None = None,
                         limit: int = 50) -> list[ReferenceCandidate]:
    """The agency's resolved live productions with exactly agreed scores, not yet references."""
    from toetsbatterij.delivery.models import Response

    used = select(RatingReference.response_id).where(RatingReference.response_id.is_not(None))
    stmt = (select(RatingTask).where(RatingTask.kind == LIVE, RatingTask.status == RESOLVED,
                                     RatingTask.blank.is_(False),
                                     RatingTask.organisation_id == organisation_id,
                                     RatingTask.response_id.not_in(used))
            .order_by(RatingTask.resolved_at.desc(), RatingTask.id.desc()))
    if skill is not None:
        stmt = stmt.where(RatingTask.skill == skill)
    out = []
    for task in db.scalars(stmt.limit(limit * 4)):
        agreed = agreed_scores(db, task)
        if agreed is None:
            continue
        response = db.get(Response, task.response_id)
        raw = response.raw if response is not None else None
        if raw is None:
            continue  # erased after its retention
        excerpt = raw[:240] if isinstance(raw, str) and task.skill == "writing" else ""
        out.append(ReferenceCandidate(task, agreed[0], agreed[1], excerpt))
        if len(out) >= limit:
            break
    return out


def add_reference(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
                  task_id: int, purpose: str, set_id: int | None = None,
                  label: str = "") -> RatingReference:
    """Promote a resolved live production of the agency with exactly agreed scores to a
    reference: of a calibration set, or a control response (audited)."""
    if purpose not in PURPOSES:
        raise InvalidInput("Kies kalibratie of controle.", field="purpose")
    task = db.get(RatingTask, task_id)
    if task is None or task.organisation_id != organisation_id or task.kind != LIVE:
        raise NotFound(None, detail=f"task {task_id}")
    agreed = agreed_scores(db, task)
    if agreed is None:
        raise Conflict("Alleen een productie waarover de beoordelaars het volledig eens waren, "
                       "kan een referentie worden.")
    if db.scalar(select(RatingReference.id).where(
            RatingReference.response_id == task.response_id)) is not None:
        raise Conflict("Deze productie is al een referentie.")
    cal_set = None
    if purpose == CALIBRATION:
        if set_id is None:
            raise InvalidInput("Kies een kalibratieset.", field="set_id")
        cal_set = get_set(db, organisation_id, set_id, editable=True)
        if cal_set.skill != task.skill or (cal_set.rubric_id and
                                           cal_set.rubric_id != task.rubric_id):
            raise Conflict("Deze productie past niet bij de vaardigheid of de "
                           "beoordelingsschaal van de set.")
    label = clean_text(label, field="label", label=N_("Omschrijving"), max_length=200)
    ref = RatingReference(organisation_id=organisation_id, purpose=purpose,
                          calibration_set_id=cal_set.id if cal_set else None, skill=task.skill,
                          item_id=task.item_id, rubric_id=task.rubric_id,
                          form_version=task.form_version, text=None,
                          response_id=task.response_id, scores=agreed[0], code=agreed[1],
                          source=PROMOTED, label=label, active=True, created_by=actor_id,
                          created_at=clock.now())
    db.add(ref)
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="calibration.reference_add", object_type="rating_reference",
           object_id=ref.id, purpose=purpose, set_id=ref.calibration_set_id, task_id=task.id)
    return ref


def candidate_audio(db: Session, storage: Any, organisation_id: int, task_id: int,
                    part: int) -> tuple[str, bytes]:
    """One part of a resolved live recording of the agency (to listen to before promoting)."""
    from toetsbatterij.rating.service import _audio, _production, without_tags

    task = db.get(RatingTask, task_id)
    if (task is None or task.organisation_id != organisation_id or task.kind != LIVE
            or task.status != RESOLVED or task.skill != "speaking"):
        raise NotFound(None, detail=f"task {task_id}")
    audio = _audio(db, storage, _production(db, task))
    if not 0 <= part < len(audio.parts):
        raise NotFound(None, detail=f"no part {part}")
    return audio.mime_type, without_tags(audio.mime_type, audio.parts[part])


def remove_reference(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
                     reference_id: int) -> RatingReference:
    """Take a reference out of use (it stays, for the runs and controls that rated it)."""
    ref = db.get(RatingReference, reference_id)
    if ref is None or ref.organisation_id != organisation_id or not ref.active:
        raise NotFound(None, detail=f"reference {reference_id}")
    ref.active = False
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="calibration.reference_remove", object_type="rating_reference",
           object_id=ref.id)
    return ref


def add_text_reference(db: Session, clock: Clock, forms: Any, *, organisation_id: int | None,
                       purpose: str, item_id: str, text: str, scores: Mapping[str, int],
                       code: str | None = None, set_id: int | None = None, label: str = "",
                       actor_id: int | None = None) -> RatingReference:
    """A written reference scored by its author (a senior rater), on the current form that
    holds ``item_id``."""
    form = next((f for f in forms.current.values() if item_id in f.items), None)
    if form is None:
        raise NotFound(None, detail=f"no current form holds {item_id}")
    rubric = form.rubric_of(item_id)
    if rubric is None:
        raise InvalidInput(None, detail=f"{item_id} is not rated")
    criteria = criteria_of(form, rubric.id)
    values = {c: int(scores[c]) for c in criteria} if code is None else {}
    if any(not 0 <= v <= criteria[c] for c, v in values.items()):
        raise InvalidInput(None, detail=f"{item_id}: score outside the rubric")
    forms.register(db, clock, form)  # the snapshot the reference is rated on
    ref = RatingReference(organisation_id=organisation_id, purpose=purpose,
                          calibration_set_id=set_id, skill=form.item(item_id).skill,
                          item_id=item_id, rubric_id=rubric.id, form_version=form.version,
                          text=text, response_id=None, scores=values, code=code, source=SEEDED,
                          label=label, active=True, created_by=actor_id,
                          created_at=clock.now())
    db.add(ref)
    db.flush()
    return ref


# -- runs ----------------------------------------------------------------------------------------


def start_run(db: Session, clock: Clock, rater: StaffAccount, set_id: int) -> RatingAssignment:
    """Begin (or go on with) the rater's calibration on a set: one task per active reference,
    all assigned to the rater. Returns the next production to rate."""
    if rater.role != ROLE_RATER or not rater.active:
        raise NotFound(None, detail="not a rater")
    cal_set = get_set(db, rater.organisation_id, set_id)
    current = open_assignment(db, rater.id, (CALIBRATION,))
    if current is not None:
        return current  # one run at a time: finish the one begun
    refs = [r for r in references(db, set_id=cal_set.id) if _showable(db, r)]
    if not refs:
        raise Conflict("Deze kalibratieset bevat nog geen producties.")
    now = clock.now()
    run = CalibrationRun(rater_id=rater.id, calibration_set_id=cal_set.id, skill=cal_set.skill,
                         started_at=now)
    db.add(run)
    db.flush()
    first = None
    for ref in refs:
        task = RatingTask(kind=CALIBRATION, organisation_id=rater.organisation_id,
                          skill=ref.skill, item_id=ref.item_id, rubric_id=ref.rubric_id,
                          form_version=ref.form_version, reference_id=ref.id,
                          calibration_run_id=run.id, status=OPEN, created_at=now)
        db.add(task)
        db.flush()
        assignment = RatingAssignment(task_id=task.id, rater_id=rater.id, position=1,
                                      token=new_token(), assigned_at=now)
        db.add(assignment)
        db.flush()
        first = first or assignment
    record(db, clock, organisation_id=rater.organisation_id, actor_id=rater.id,
           action="calibration.start", object_type="calibration_run", object_id=run.id,
           set_id=cal_set.id, productions=len(refs))
    return first  # type: ignore[return-value]


def _showable(db: Session, ref: RatingReference) -> bool:
    """A reference still has its production (a promoted one loses it at retention)."""
    if ref.text is not None:
        return True
    from toetsbatterij.delivery.models import Response

    response = db.get(Response, ref.response_id) if ref.response_id else None
    return response is not None and response.raw is not None


def finish_run_if_done(db: Session, clock: Clock, run_id: int,
                       policy: RatingPolicy) -> CalibrationRun | None:
    """When every production of the run is rated: its agreement and the admission."""
    run = db.get(CalibrationRun, run_id)
    if run is None or run.finished_at is not None:
        return None
    tasks = list(db.scalars(select(RatingTask).where(RatingTask.calibration_run_id == run.id)))
    if any(t.status != RESOLVED for t in tasks):
        return None
    pairs: list[tuple[int, int]] = []
    top = 0
    for task in tasks:
        ref = db.get(RatingReference, task.reference_id)
        given = db.scalar(select(Rating).where(Rating.task_id == task.id,
                                               Rating.submitted.is_(True)))
        criteria = criteria_of(form_of(db, task.form_version), task.rubric_id)
        top = max(top, *criteria.values())
        pairs += score_pairs(list(criteria), given.scores, given.code, ref.scores, ref.code)
    result = agreement([a for a, _ in pairs], [b for _, b in pairs], max_score=top)
    run.exact, run.adjacent, run.kappa = result.exact or 0.0, result.adjacent or 0.0, result.kappa
    run.pairs = result.n
    run.passed = (run.exact >= policy.admission_exact
                  and run.adjacent >= policy.admission_adjacent)
    run.finished_at = clock.now()
    rater = db.get(StaffAccount, run.rater_id)
    db.add(RaterAdmission(rater_id=run.rater_id, skill=run.skill, admitted=run.passed,
                          calibration_run_id=run.id, decided_by=None, reason="",
                          decided_at=clock.now()))
    db.flush()
    record(db, clock, organisation_id=rater.organisation_id, actor_id=rater.id,
           action="calibration.finish", object_type="calibration_run", object_id=run.id,
           exact=round(run.exact, 4), adjacent=round(run.adjacent, 4), passed=run.passed)
    return run


def runs_of(db: Session, rater_id: int) -> list[CalibrationRun]:
    return list(db.scalars(select(CalibrationRun).where(CalibrationRun.rater_id == rater_id)
                           .order_by(CalibrationRun.id.desc())))


def last_run(db: Session, rater_id: int) -> CalibrationRun | None:
    return db.scalar(select(CalibrationRun).where(CalibrationRun.rater_id == rater_id)
                     .order_by(CalibrationRun.id.desc()))


# -- admissions and the senior flag (agency admin) -----------------------------------------------


def _rater(db: Session, organisation_id: int, rater_id: int) -> StaffAccount:
    acc = db.get(StaffAccount, rater_id)
    if acc is None or acc.organisation_id != organisation_id or acc.role != ROLE_RATER:
        raise NotFound(None, detail=f"rater {rater_id}")
    return acc


def decide_admission(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
                     rater_id: int, skill: str, admitted: bool, reason: str) -> RaterAdmission:
    """An agency admin admits a rater to a skill without a calibration run, or withdraws an
    admission, with a reason (audited)."""
    rater = _rater(db, organisation_id, rater_id)
    reason = clean_text(reason, field="reason", label=N_("Reden"), max_length=1000,
                        multiline=True)
    if not reason:
        raise InvalidInput("Geef een reden op.", field="reason")
    row = RaterAdmission(rater_id=rater.id, skill=_skill(skill), admitted=admitted,
                         calibration_run_id=None, decided_by=actor_id, reason=reason,
                         decided_at=clock.now())
    db.add(row)
    db.flush()
    # The reason stays on the row (free text); the log carries codes and ids only.
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="rating.admit" if admitted else "rating.withdraw",
           object_type="staff_account", object_id=rater.id, skill=skill)
    return row


def set_senior(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
               rater_id: int, senior: bool) -> StaffAccount:
    """An agency admin makes a rater a senior rater (adjudications) or not (audited)."""
    rater = _rater(db, organisation_id, rater_id)
    if rater.senior_rater != senior:
        rater.senior_rater = senior
        db.flush()
        record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
               action="rating.senior" if senior else "rating.not_senior",
               object_type="staff_account", object_id=rater.id)
    return rater


@dataclass(frozen=True)
class RaterRow:
    account: StaffAccount
    admitted: set[str]
    admissions: dict[str, RaterAdmission]   # skill -> the newest decision
    last_run: CalibrationRun | None
    submitted: int                           # live ratings submitted


def waiting_for_senior(db: Session, organisation_id: int) -> int:
    """The agency's productions that wait for a third rating nobody has taken yet (when it stays
    above zero: too few senior raters who did not rate them already)."""
    from sqlalchemy import exists, func

    third = exists().where(RatingAssignment.task_id == RatingTask.id,
                           RatingAssignment.position == 3)
    return int(db.scalar(select(func.count(RatingTask.id)).where(
        RatingTask.kind == LIVE, RatingTask.organisation_id == organisation_id,
        RatingTask.status == ADJUDICATION, ~third)) or 0)


def raters(db: Session, organisation_id: int) -> list[RaterRow]:
    """The agency's raters with their admissions and last calibration (admin page)."""
    from sqlalchemy import func

    rows = []
    for acc in db.scalars(select(StaffAccount).where(
            StaffAccount.organisation_id == organisation_id, StaffAccount.role == ROLE_RATER)
            .order_by(StaffAccount.display_name)):
        newest: dict[str, RaterAdmission] = {}
        for adm in db.scalars(select(RaterAdmission).where(RaterAdmission.rater_id == acc.id)
                              .order_by(RaterAdmission.id)):
            newest[adm.skill] = adm
        submitted = db.scalar(select(func.count(Rating.id))
                              .join(RatingTask, RatingTask.id == Rating.task_id)
                              .where(Rating.rater_id == acc.id, Rating.submitted.is_(True),
                                     RatingTask.kind == LIVE)) or 0
        rows.append(RaterRow(acc, admitted_skills(db, acc.id), newest, last_run(db, acc.id),
                             int(submitted)))
    return rows


# -- the demo ------------------------------------------------------------------------------------

#: Writing references for the demo (and a first set of an agency), written for the purpose by
#: the project's NT2 team and scored by them as senior raters: (item, label, scores, text).
#: W-A2-0001 is scored on writing-a2 (0-2 per criterion), W-B1-0001 on writing-b1 (0-3).
WRITING_REFERENCES: tuple[tuple[str, str, dict[str, int], str, str], ...] = (
    ("W-A2-0001", "A2, sterk", {"task": 2, "coherence": 2, "vocabulary": 2, "grammar": 2},
     CALIBRATION,
     "Beste buren,\n\n"
     "Volgende zaterdag is mijn verjaardag en ik geef een feest in mijn appartement. Het feest "
     "begint om acht uur 's avonds en duurt tot ongeveer één uur 's nachts. Er komen twintig "
     "gasten, dus er is misschien wat lawaai. Mijn excuses daarvoor!\n\n"
     "Is er een probleem? Dan mag u altijd aanbellen bij appartement 3B. U kunt mij ook bellen "
     "op 0486 55 21 09.\n\n"
     "Vriendelijke groeten,\n"
     "uw buurvrouw van appartement 3B"),
    ("W-A2-0001", "A2, onvoldoende", {"task": 0, "coherence": 0, "vocabulary": 1, "grammar": 0},
     CALIBRATION,
     "Buren. Ik feest zaterdag veel mensen. Jij kom ook? Muziek hard niet probleem. Bier en "
     "eten is er."),
    ("W-B1-0001", "B1, sterk", {"task": 3, "coherence": 3, "vocabulary": 3, "grammar": 2},
     CALIBRATION,
     "Geachte heer, mevrouw,\n\n"
     "Ik huur sinds drie jaar een appartement van uw woonmaatschappij in de Lindestraat 14. "
     "Ik schrijf u omdat er een ernstig probleem is in de slaapkamer: sinds twee maanden zijn er "
     "natte plekken op de muur naast het raam, en intussen groeit er ook zwarte schimmel.\n\n"
     "Begin vorige maand ik heb uw dienst al gebeld. Een medewerker heeft het probleem genoteerd, "
     "maar tot vandaag is er niemand komen kijken. Zelf verlucht ik de kamer elke dag en ik heb "
     "de schimmel al twee keer weggepoetst, maar hij komt telkens terug.\n\n"
     "Het probleem heeft gevolgen voor mijn gezin. Mijn dochter van vijf slaapt in die kamer. Ze "
     "hoest 's nachts veel en volgens de huisarts komt dat door de vochtige lucht.\n\n"
     "Daarom vraag ik u om zo snel mogelijk een technicus te sturen die de oorzaak zoekt en de "
     "muur herstelt. Kunt u mij vóór 15 maart laten weten wanneer iemand kan komen?\n\n"
     "Met vriendelijke groeten"),
    ("W-B1-0001", "B1, onvoldoende", {"task": 1, "coherence": 1, "vocabulary": 1, "grammar": 1},
     CALIBRATION,
     "Beste\n\n"
     "Mijn huis is probleem. De muur van slaapkamer is nat en zwart, al lang. Ik heb gebeld maar "
     "niemand komen. Dat is niet goed. Kinderen ziek. U moet snel komen want het is heel vies en "
     "het stinkt. Ik wacht. Dank u\n\n"
     "groeten"),
    ("W-A2-0001", "A2, gedeeltelijk", {"task": 1, "coherence": 1, "vocabulary": 1, "grammar": 1},
     CONTROL,
     "Hallo buren\n\n"
     "Zaterdag ik heb een feest. Veel mensen komen. Het is tot laat, misschien twaalf uur. "
     "Misschien is er lawaai. Ik ben sorry.\n\n"
     "Groeten"),
    ("W-B1-0001", "B1, voldoende", {"task": 2, "coherence": 2, "vocabulary": 2, "grammar": 2},
     CONTROL,
     "Geachte mevrouw, meneer,\n\n"
     "Ik woon in een appartement van de woonmaatschappij. Ik heb een probleem in mijn slaapkamer. "
     "Sinds twee maanden is de muur nat en er is schimmel.\n\n"
     "Ik heb al een keer gebeld naar uw kantoor, maar er is niemand gekomen om te kijken.\n\n"
     "Het is slecht voor mijn gezin. Mijn kinderen slapen in die kamer en ze zijn vaak verkouden. "
     "Ook het is niet gezond om in een natte kamer te slapen.\n\n"
     "Ik vraag u om iemand te sturen voor de muur te repareren. Kan het voor het einde van de "
     "maand? Ik ben elke dag thuis na vier uur.\n\n"
     "Met vriendelijke groeten"),
)
DEMO_SET_NAME = "Schrijven: kalibratieset A2 en B1 (demo)"


def seed_writing_references(db: Session, clock: Clock, forms: Any) -> CalibrationSet | None:
    """The shared writing calibration set and control texts for the demo (idempotent; the
    texts of items no current form holds are left out). Returns the set, or None when no form
    holds any of the items. Call after ``Platform.sync_definitions``."""
    existing = db.scalar(select(CalibrationSet).where(
        CalibrationSet.organisation_id.is_(None), CalibrationSet.name == DEMO_SET_NAME))
    if existing is not None:
        return existing
    held = {i for f in forms.current.values() for i in f.items}
    usable = [r for r in WRITING_REFERENCES if r[0] in held]
    if not any(r[3] == CALIBRATION for r in usable):
        return None
    cal_set = CalibrationSet(organisation_id=None, skill="writing", rubric_id="",
                             name=DEMO_SET_NAME, active=True, created_by=None,
                             created_at=clock.now())
    db.add(cal_set)
    db.flush()
    for item_id, label, scores, purpose, text in usable:
        add_text_reference(db, clock, forms, organisation_id=None, purpose=purpose,
                           item_id=item_id, text=text, scores=scores, label=label,
                           set_id=cal_set.id if purpose == CALIBRATION else None)
    return cal_set


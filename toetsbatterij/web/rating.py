"""Rating screens: the rater's queue and rating screen (also for control, calibration and
adjudication productions), the recording a rater listens to; for the agency admin the raters
(senior flag, admissions), for the agency admin and the psychometrician the calibration sets and
control responses.

A rater's pages name a production only by the random token of the rater's own assignment:
no candidate, attempt, response, task or session id, no name, no other rater's score reaches
them (``tests/web/test_rating_leaks.py``). Thin views over ``toetsbatterij.rating``."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from toetsbatterij.accounts.models import ROLE_ADMIN, ROLE_PSYCHOMETRICIAN, ROLE_RATER
from toetsbatterij.errors import Conflict, InvalidInput
from toetsbatterij.rating import calibration, service
from toetsbatterij.rating.models import CALIBRATION, CONTROL
from toetsbatterij.rating.resolution import UNRATEABLE_CODES
from toetsbatterij.web import forms
from toetsbatterij.web.auth import actor_id, org_id, require_roles
from toetsbatterij.web.context import clock, db, freeze_ready, platform
from toetsbatterij.web.errors import translate_error
from toetsbatterij.web.ids import form_id
from toetsbatterij.web.productions import storage
from toetsbatterij.web.unit_of_work import mark_failed

bp = Blueprint("rating", __name__, url_prefix="/beheer")
POLICY_KEY = "toetsbatterij.rating_policy"
QUALITY_ROLES = (ROLE_ADMIN, ROLE_PSYCHOMETRICIAN)
SKILL_LABELS = calibration.SKILL_LABELS


def init_app(app: Flask) -> None:
    # A wrong RATING_* setting fails at start-up, not at a rater's request.
    app.extensions[POLICY_KEY] = service.RatingPolicy.from_config(app.config)
    app.register_blueprint(bp)


def policy() -> service.RatingPolicy:
    return current_app.extensions[POLICY_KEY]


def me() -> Any:
    return current_user.account


# -- the rater's start page: the queue -----------------------------------------------------------


def queue_page(common: dict[str, Any]) -> str:
    """The rater's start page (``staff.dashboard``): counts only, and the way to the next
    production or to a calibration set."""
    q = service.queue(db(), platform().forms, me(), policy())
    sets = calibration.sets_for(db(), org_id())
    return render_template("staff/start_rater.html", **common, queue=q, sets=sets,
                           last_run=calibration.last_run(db(), me().id),
                           skill_labels=SKILL_LABELS)


@bp.post("/beoordelen/volgende")
@require_roles(ROLE_RATER)
def next_production() -> Any:
    assignment = service.next_assignment(db(), clock(), platform().forms, me(), policy())
    if assignment is None:
        flash(gettext("Er wacht nu geen productie op u."), "info")
        return redirect(url_for("staff.dashboard"))
    return redirect(url_for("rating.rate", assignment=assignment.token))


@bp.post("/beoordelen/kalibratie/<id:set_id>")
@require_roles(ROLE_RATER)
def start_calibration(set_id: int) -> Any:
    assignment = calibration.start_run(db(), clock(), me(), set_id)
    return redirect(url_for("rating.rate", assignment=assignment.token))


# -- the rating screen ---------------------------------------------------------------------------


def _screen_page(view: service.Screen, *, errors: dict[str, str] | None = None,
                 posted: dict[str, str] | None = None, status: int = 200) -> Any:
    scores = {c: str(v) for c, v in view.scores.items()}
    code = view.code or ""
    if posted is not None:
        scores, code = {c: v for c, v in posted.items() if c != "code"}, posted.get("code", "")
    return render_template("staff/rating.html", view=view, errors=errors or {},
                           scores=scores, code=code, codes=UNRATEABLE_CODES,
                           form=forms.RatingForm(formdata=None),
                           skill_labels=SKILL_LABELS), status


@bp.route("/beoordelen/<assignment>", methods=["GET", "POST"])
@require_roles(ROLE_RATER)
def rate(assignment: str) -> Any:
    view = service.screen(db(), platform().forms, storage(), me(), assignment)
    if request.method == "GET":
        return _screen_page(view)
    form = forms.RatingForm()
    posted = {c.id: request.form.get(f"c.{c.id}", "") for c in view.criteria}
    posted["code"] = request.form.get("code", "")
    submit = form.action.data == "submit"
    if not form.validate_on_submit():
        mark_failed()
        return _screen_page(view, errors={"": gettext("Het formulier is ongeldig.")},
                            posted=posted, status=400)
    try:
        with db().begin_nested():
            saved = service.save_rating(db(), clock(), platform().forms, me(), assignment,
                                        scores={c: v for c, v in posted.items() if c != "code"},
                                        code=posted["code"], submit=submit, policy=policy())
    except (InvalidInput, Conflict) as exc:
        mark_failed(exc)
        field = getattr(exc, "field", None) or ""
        return _screen_page(view, errors={field: translate_error(exc)}, posted=posted,
                            status=exc.http_status)
    if not submit:
        flash(gettext("Uw concept is bewaard. U kunt het nog veranderen tot u het indient."),
              "success")
        return redirect(url_for("rating.rate", assignment=assignment))
    flash(gettext("Uw beoordeling is ingediend."), "success")
    attempt_id = service.live_attempt_of(db(), saved)
    if attempt_id is not None:  # the last rating of an attempt freezes its result
        freeze_ready([attempt_id])
    if view.calibration is not None:
        nxt = service.open_assignment(db(), me().id, (CALIBRATION,))
        if nxt is not None:
            return redirect(url_for("rating.rate", assignment=nxt.token))
        run = calibration.last_run(db(), me().id)
        if run is not None and run.passed:
            flash(gettext("Kalibratie afgerond: u bent toegelaten voor %(skill)s.",
                          skill=gettext(SKILL_LABELS[run.skill])), "success")
        elif run is not None:
            flash(gettext("Kalibratie afgerond: uw beoordelingen lagen te ver van de "
                          "referentiescores. Bespreek ze met een senior beoordelaar en "
                          "probeer het opnieuw."), "warning")
    return redirect(url_for("staff.dashboard"))


@bp.get("/beoordelen/<assignment>/opname/<id:part>")
@require_roles(ROLE_RATER)
def audio(assignment: str, part: int) -> Any:
    """One part of the recording (numbered from 1), without tags: served whole or by range,
    never cached."""
    mime, data = service.audio_part(db(), storage(), me(), assignment, part - 1)
    resp = Response(data, mimetype=mime)
    resp.headers["Cache-Control"] = "no-store"
    return resp.make_conditional(request, accept_ranges=True, complete_length=len(data))


# -- raters (agency admin) -----------------------------------------------------------------------


def _admission_form() -> forms.AdmissionForm:
    form = forms.AdmissionForm()
    form.rater_id.choices = forms.choices(
        (str(r.account.id), r.account.display_name) for r in calibration.raters(db(), org_id()))
    form.skill.choices = forms.choices((s, _l(label)) for s, label in SKILL_LABELS.items())
    form.decision.choices = forms.choices([("admit", _l("Toelaten")),
                                           ("withdraw", _l("Toelating intrekken"))])
    return form


def _raters_page(form: forms.AdmissionForm | None = None, status: int = 200) -> Any:
    return render_template("staff/raters.html", raters=calibration.raters(db(), org_id()),
                           waiting_for_senior=calibration.waiting_for_senior(db(), org_id()),
                           form=form or _admission_form(), skill_labels=SKILL_LABELS,
                           policy=policy()), status


@bp.get("/beoordelaars")
@require_roles(ROLE_ADMIN)
def raters() -> Any:
    return _raters_page()


@bp.post("/beoordelaars/<id:account_id>/senior")
@require_roles(ROLE_ADMIN)
def set_senior(account_id: int) -> Any:
    senior = request.form.get("senior") == "1"
    acc = calibration.set_senior(db(), clock(), organisation_id=org_id(), actor_id=actor_id(),
                                 rater_id=account_id, senior=senior)
    flash(gettext("%(name)s is nu senior beoordelaar.", name=acc.display_name) if senior else
          gettext("%(name)s is geen senior beoordelaar meer.", name=acc.display_name), "success")
    return redirect(url_for("rating.raters"))


@bp.post("/beoordelaars/toelating")
@require_roles(ROLE_ADMIN)
def decide_admission() -> Any:
    form = _admission_form()
    done, row = forms.submit(form, lambda: calibration.decide_admission(
        db(), clock(), organisation_id=org_id(), actor_id=actor_id(),
        rater_id=form_id("rater_id") or 0,
        skill=form.skill.data or "", admitted=form.decision.data == "admit",
        reason=form.reason.data or ""))
    if not done:
        return _raters_page(form, forms.status(form))
    flash(gettext("De toelating is bewaard."), "success")
    return redirect(url_for("rating.raters"))


@bp.get("/beoordelaars/statistieken")
@require_roles(*QUALITY_ROLES)
def statistics() -> Any:
    from toetsbatterij.rating import statistics as stats

    return render_template("staff/rater_statistics.html",
                           stats=stats.rater_statistics(db(), org_id()),
                           reasons=stats.DRIFT_REASONS, fit_band=stats.FIT_BAND)


# -- calibration sets and control responses (agency admin, psychometrician) ----------------------


def _set_form() -> forms.CalibrationSetForm:
    form = forms.CalibrationSetForm()
    form.skill.choices = forms.choices((s, _l(label)) for s, label in SKILL_LABELS.items())
    return form


@bp.route("/kalibratie", methods=["GET", "POST"])
@require_roles(*QUALITY_ROLES)
def calibration_sets() -> Any:
    form = _set_form()
    if form.is_submitted():
        done, row = forms.submit(form, lambda: calibration.create_set(
            db(), clock(), organisation_id=org_id(), actor_id=actor_id(),
            skill=form.skill.data or "", name=form.name.data or "",
            rubric_id=form.rubric_id.data or ""))
        if done and row is not None:
            flash(gettext("De kalibratieset is aangemaakt."), "success")
            return redirect(url_for("rating.calibration_set", set_id=row.id))
    sets = calibration.sets_for(db(), org_id())
    counts = {s.id: len(calibration.references(db(), set_id=s.id)) for s in sets}
    return render_template("staff/calibration_sets.html", sets=sets, counts=counts, form=form,
                           skill_labels=SKILL_LABELS,
                           controls=calibration.references(db(), purpose=CONTROL,
                                                           organisation_id=org_id())), \
        forms.status(form)


def _set_page(set_id: int, status: int = 200, error: str = "") -> Any:
    cal_set = calibration.get_set(db(), org_id(), set_id)
    return render_template(
        "staff/calibration_set.html", cal_set=cal_set,
        references=calibration.references(db(), set_id=cal_set.id),
        candidates=calibration.reference_candidates(db(), org_id(), cal_set.skill)
        if cal_set.organisation_id == org_id() else [],
        editable=cal_set.organisation_id == org_id(), skill_labels=SKILL_LABELS, error=error,
        form=forms.ReferenceForm(formdata=None), codes=UNRATEABLE_CODES), status


@bp.get("/kalibratie/<id:set_id>")
@require_roles(*QUALITY_ROLES)
def calibration_set(set_id: int) -> Any:
    return _set_page(set_id)


def _add(purpose: str, set_id: int | None) -> tuple[bool, str, int]:
    form = forms.ReferenceForm()
    done, _ = forms.submit(form, lambda: calibration.add_reference(
        db(), clock(), organisation_id=org_id(), actor_id=actor_id(),
        task_id=form_id("task_id") or 0, purpose=purpose, set_id=set_id,
        label=form.label.data or ""))
    return done, " ".join(form.form_errors), forms.status(form)


@bp.post("/kalibratie/<id:set_id>/referenties")
@require_roles(*QUALITY_ROLES)
def add_set_reference(set_id: int) -> Any:
    done, error, status = _add(CALIBRATION, set_id)
    if not done:
        return _set_page(set_id, status, error)
    flash(gettext("De productie is aan de set toegevoegd."), "success")
    return redirect(url_for("rating.calibration_set", set_id=set_id))


@bp.route("/controles", methods=["GET", "POST"])
@require_roles(*QUALITY_ROLES)
def controls() -> Any:
    status, error = 200, ""
    if request.method == "POST":
        done, error, status = _add(CONTROL, None)
        if done:
            flash(gettext("De productie is als controle toegevoegd."), "success")
            return redirect(url_for("rating.controls"))
    return render_template(
        "staff/controls.html", error=error, form=forms.ReferenceForm(formdata=None),
        controls=calibration.references(db(), purpose=CONTROL, organisation_id=org_id()),
        candidates=calibration.reference_candidates(db(), org_id()),
        skill_labels=SKILL_LABELS, codes=UNRATEABLE_CODES), status


@bp.post("/referenties/<id:reference_id>/verwijderen")
@require_roles(*QUALITY_ROLES)
def remove_reference(reference_id: int) -> Any:
    ref = calibration.remove_reference(db(), clock(), organisation_id=org_id(),
                                       actor_id=actor_id(), reference_id=reference_id)
    flash(gettext("De productie wordt niet meer gebruikt."), "success")
    if ref.calibration_set_id is not None:
        return redirect(url_for("rating.calibration_set", set_id=ref.calibration_set_id))
    return redirect(url_for("rating.controls"))


@bp.get("/referenties/kandidaat/<id:task_id>/opname/<id:part>")
@require_roles(*QUALITY_ROLES)
def candidate_audio(task_id: int, part: int) -> Any:
    """A resolved speaking production of the agency, to listen to before promoting it."""
    mime, data = calibration.candidate_audio(db(), storage(), org_id(), task_id, part - 1)
    resp = Response(data, mimetype=mime)
    resp.headers["Cache-Control"] = "no-store"
    return resp.make_conditional(request, accept_ranges=True, complete_length=len(data))

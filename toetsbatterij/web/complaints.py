"""Complaint routes: the staff pages (the list with the deadlines, recording a complaint on a
candidate's behalf, the acknowledgement, the review, the four-eyes decision), the *inzage*
screen, and the public complaint form of the candidate. Thin views over
``toetsbatterij.complaints``.

Roles: agency admins and proctors record complaints, see the list and note the
acknowledgement; only agency admins ask for the review, propose, confirm or send back a
decision, and open the inzage (which shows results: proctors see none, ``reports.service``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired

from toetsbatterij.accounts.models import ROLE_ADMIN, StaffAccount
from toetsbatterij.attests.models import Attest
from toetsbatterij.complaints import intake, inzage, service
from toetsbatterij.complaints.models import CHANNELS, ONLINE, OUTCOMES, SUBJECTS, Complaint
from toetsbatterij.delivery.definitions import SKILL_LABELS
from toetsbatterij.errors import DomainError, InvalidInput, NotFound
from toetsbatterij.i18n import LANGUAGES, translator
from toetsbatterij.results import service as results
from toetsbatterij.results.models import Result
from toetsbatterij.web import forms
from toetsbatterij.web.auth import actor_id, org_id, require_roles
from toetsbatterij.web.context import clock, db, platform
from toetsbatterij.web.errors import translate_error
from toetsbatterij.web.ids import parse_id
from toetsbatterij.web.unit_of_work import mark_failed

bp = Blueprint("complaints", __name__, url_prefix="/beheer/klachten")
inzage_bp = Blueprint("inzage", __name__, url_prefix="/beheer/inzage")
public = Blueprint("complaint_public", __name__)

VIEW_ROLES = service.VIEW_ROLES
RECORD_ROLES = service.RECORD_ROLES


def init_app(app: Any) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(inzage_bp)
    app.register_blueprint(public)


def _tz() -> str:
    return str(current_app.config["TIMEZONE"])


def _policy() -> service.DeadlinePolicy:
    return service.DeadlinePolicy.from_config(current_app.config)


def _today() -> dt.date:
    from toetsbatterij.attests.rulesets import local_date

    return local_date(clock().now(), _tz())


def _tools() -> service.Tools:
    from toetsbatterij.web.attests import base_url

    rules = platform().scoring_rules
    return service.Tools(forms=platform().forms, signer=platform().signer, base_url=base_url(),
                         tz=_tz(), severities_of=platform().severities_of
                         if rules.fair_scores else None)


def _is_admin() -> bool:
    return current_user.role == ROLE_ADMIN


# -- the forms ----------------------------------------------------------------------------------


class ComplaintForm(forms.StaffForm):
    attempt_id = SelectField(validate_choice=False)
    subject = SelectField(default="result", validate_choice=False)
    channel = SelectField(default="letter", validate_choice=False)
    received_on = StringField(validators=[InputRequired(_l("Geef de datum van ontvangst."))],
                              render_kw={"type": "date", "required": True})
    text = TextAreaField(validators=[InputRequired(_l("Geef de klacht."))],
                         render_kw={"rows": "6", "maxlength": "5000", "required": True})
    contact = StringField(render_kw={"maxlength": "200", "autocomplete": "off"})


class NoteForm(forms.StaffForm):
    note = TextAreaField(render_kw={"rows": "2", "maxlength": "1000"})


class ProposalForm(forms.StaffForm):
    outcome = SelectField(validate_choice=False)
    motivation = TextAreaField(validators=[InputRequired(_l("Geef een motivering."))],
                               render_kw={"rows": "5", "maxlength": "5000", "required": True})


class RejectForm(forms.StaffForm):
    reason = TextAreaField(validators=[InputRequired(_l("Geef een reden op."))],
                           render_kw={"rows": "2", "maxlength": "1000", "required": True})


def _labelled(pairs: dict[str, str]) -> list[Any]:
    return forms.choices([(k, _l(v)) for k, v in pairs.items()])


# -- the list -----------------------------------------------------------------------------------


@bp.get("/")
@require_roles(*VIEW_ROLES)
def index() -> Any:
    open_only = request.args.get("alle") != "1"
    rows = service.list_complaints(db(), org_id(), open_only=open_only)
    today = _today()
    listed = [{"c": c, "name": service.candidate_name(db(), c),
               "steps": service.steps(db(), c, today, _tz())} for c in rows]
    return render_template("staff/complaints.html", rows=listed, open_only=open_only,
                           today=today, step_labels=service.STEP_LABELS,
                           status_labels=service.STATUS_LABELS,
                           subject_labels=service.SUBJECT_LABELS,
                           channel_labels=service.CHANNEL_LABELS, skill_labels=SKILL_LABELS)


# -- recording ----------------------------------------------------------------------------------


def _new_page(form: ComplaintForm, chosen_skills: list[str]) -> str:
    attempts = service.attempt_choices(db(), org_id(), _tz())
    form.attempt_id.choices = forms.choices(
        [("", _l("kies een afname"))]
        + [(str(a.attempt_id), f"{a.candidate} · {a.session_code} · "
            f"{a.taken_on.strftime('%d/%m/%Y')}"
            + ("" if a.result_id else f" · {gettext('nog geen resultaat')}"))
           for a in attempts])
    form.subject.choices = _labelled(service.SUBJECT_LABELS)
    form.channel.choices = _labelled({k: v for k, v in service.CHANNEL_LABELS.items()
                                      if k != ONLINE})
    return render_template("staff/complaint_new.html", form=form, skills=service.SKILLS,
                           skill_labels=SKILL_LABELS, chosen=chosen_skills)


@bp.get("/nieuw")
@require_roles(*RECORD_ROLES)
def new() -> Any:
    form = ComplaintForm(formdata=None)
    chosen = request.args.get("afname", "")[:12]
    if chosen:
        form.attempt_id.data = chosen
    form.received_on.data = _today().isoformat()
    return _new_page(form, [])


def _date(raw: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat((raw or "").strip())
    except ValueError:
        raise InvalidInput(service.BAD_DATE, field="received_on") from None


@bp.post("/nieuw")
@require_roles(*RECORD_ROLES)
def record() -> Any:
    form = ComplaintForm()
    skills = [s for s in request.form.getlist("skills") if isinstance(s, str)][:8]

    def action() -> Complaint:
        attempt_id = parse_id(str(form.attempt_id.data or "").strip())
        if attempt_id is None:
            raise InvalidInput(_l("Kies een afname."), field="attempt_id")
        if form.subject.data not in SUBJECTS or form.channel.data not in CHANNELS:
            raise InvalidInput(service.BAD_CHOICE, field="subject")
        return service.record_complaint(
            db(), clock(), platform().forms, organisation_id=org_id(), actor_id=actor_id(),
            attempt_id=attempt_id, subject=form.subject.data, skills=skills,
            channel=form.channel.data, received_on=_date(form.received_on.data),
            text=form.text.data or "", contact=form.contact.data or "", policy=_policy(),
            tz=_tz())

    try:
        done, complaint = forms.submit(form, action)
    except NotFound:  # an attempt of another agency: the same as a wrong choice
        mark_failed()
        form.attempt_id.errors = [gettext("Kies een afname.")]
        return _new_page(form, skills), 400
    if not done or complaint is None:
        return _new_page(form, skills), forms.status(form)
    flash(gettext("Klacht %(ref)s is geregistreerd.", ref=complaint.reference), "success")
    return redirect(url_for("complaints.detail", complaint_id=complaint.id))


# -- one complaint ------------------------------------------------------------------------------


def _names(ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {a.id: a.display_name for a in db().scalars(
        select(StaffAccount).where(StaffAccount.id.in_(wanted),
                                   StaffAccount.organisation_id == org_id()))}


def _detail_page(complaint_id: int, *, note_form: Any = None, proposal_form: Any = None,
                 reject_form: Any = None, confirm_form: Any = None,
                 review_form: Any = None) -> str:
    complaint = service.get(db(), org_id(), complaint_id)
    timeline = service.timeline(db(), complaint)
    people = _names({e.actor_id for e in timeline} | {complaint.proposed_by,
                                                      complaint.decided_by}
                    | {r.get("proposed_by") for r in complaint.rejected or []}
                    | {r.get("rejected_by") for r in complaint.rejected or []})
    preview, preview_error = None, None
    admin = _is_admin()
    if admin and complaint.subject == "result" and complaint.status != "decided":
        try:
            preview = service.preview(db(), _tools(), complaint)
        except DomainError as exc:
            preview_error = translate_error(exc)
    proposal_form = proposal_form or ProposalForm(formdata=None)
    proposal_form.outcome.choices = _labelled(
        {k: v for k, v in service.OUTCOME_LABELS.items()
         if k != "revised" or complaint.subject == "result"})
    result = db().get(Result, complaint.result_id) if complaint.result_id else None
    attest = db().get(Attest, complaint.attest_id) if complaint.attest_id else None
    new_attest = db().get(Attest, complaint.new_attest_id) if complaint.new_attest_id else None
    return render_template(
        "staff/complaint.html", c=complaint, name=service.candidate_name(db(), complaint),
        steps=service.steps(db(), complaint, _today(), _tz()), timeline=timeline,
        people=people, productions=service.production_states(db(), complaint),
        preview=preview, preview_error=preview_error, is_admin=admin, me=actor_id(),
        result=result, attest=attest, new_attest=new_attest,
        current_result=results.current_result(db(), complaint.attempt_id),
        note_form=note_form or NoteForm(formdata=None),
        proposal_form=proposal_form, reject_form=reject_form or RejectForm(formdata=None),
        confirm_form=confirm_form or forms.ConfirmForm(formdata=None),
        review_form=review_form or forms.StaffForm(formdata=None),
        step_labels=service.STEP_LABELS, status_labels=service.STATUS_LABELS,
        subject_labels=service.SUBJECT_LABELS, channel_labels=service.CHANNEL_LABELS,
        outcome_labels=service.OUTCOME_LABELS, skill_labels=SKILL_LABELS,
        action_labels=service.ACTION_LABELS,
        languages=LANGUAGES)


@bp.get("/<id:complaint_id>")
@require_roles(*VIEW_ROLES)
def detail(complaint_id: int) -> Any:
    return _detail_page(complaint_id)


def _after(form: Any, complaint_id: int, done: bool, message: str, **page: Any) -> Any:
    if not done:
        return _detail_page(complaint_id, **page), forms.status(form)
    flash(message, "success")
    return redirect(url_for("complaints.detail", complaint_id=complaint_id))


@bp.post("/<id:complaint_id>/ontvangst")
@require_roles(*RECORD_ROLES)
def acknowledge(complaint_id: int) -> Any:
    form = NoteForm()
    done, _ = forms.submit(form, lambda: service.acknowledge(
        db(), clock(), organisation_id=org_id(), actor_id=actor_id(),
        complaint_id=complaint_id, note=form.note.data or ""))
    return _after(form, complaint_id, done, gettext("De ontvangstmelding is genoteerd."),
                  note_form=form)


@bp.post("/<id:complaint_id>/herbeoordeling")
@require_roles(ROLE_ADMIN)
def request_review(complaint_id: int) -> Any:
    form = forms.StaffForm()
    done, _ = forms.submit(form, lambda: service.request_review(
        db(), clock(), organisation_id=org_id(), actor_id=actor_id(),
        complaint_id=complaint_id))
    return _after(form, complaint_id, done,
                  gettext("De betwiste producties staan in de wachtrij van beoordelaars die "
                          "ze nog niet beoordeelden."), review_form=form)


@bp.post("/<id:complaint_id>/voorstel")
@require_roles(ROLE_ADMIN)
def propose(complaint_id: int) -> Any:
    form = ProposalForm()
    outcome = form.outcome.data if form.outcome.data in OUTCOMES else ""
    done, _ = forms.submit(form, lambda: service.propose(
        db(), clock(), _tools(), organisation_id=org_id(), actor_id=actor_id(),
        complaint_id=complaint_id, outcome=outcome, motivation=form.motivation.data or ""))
    return _after(form, complaint_id, done,
                  gettext("De beslissing is voorgesteld. Een andere beheerder moet ze "
                          "bevestigen."), proposal_form=form)


@bp.post("/<id:complaint_id>/bevestigen")
@require_roles(ROLE_ADMIN)
def confirm(complaint_id: int) -> Any:
    form = forms.ConfirmForm()
    done, _ = forms.submit(form, lambda: service.confirm(
        db(), clock(), _tools(), organisation_id=org_id(), actor_id=actor_id(),
        complaint_id=complaint_id))
    return _after(form, complaint_id, done, gettext("De beslissing is genomen."),
                  confirm_form=form)


@bp.post("/<id:complaint_id>/afwijzen")
@require_roles(ROLE_ADMIN)
def reject(complaint_id: int) -> Any:
    form = RejectForm()
    done, _ = forms.submit(form, lambda: service.reject(
        db(), clock(), organisation_id=org_id(), actor_id=actor_id(),
        complaint_id=complaint_id, reason=form.reason.data or ""))
    return _after(form, complaint_id, done, gettext("Het voorstel is afgewezen."),
                  reject_form=form)


# -- inzage -------------------------------------------------------------------------------------


def _inzage(result_id: int) -> inzage.Inzage:
    result = results.get_result(db(), org_id(), result_id)
    return inzage.build(db(), platform().forms, result, timezone=_tz(), translator=translator)


@inzage_bp.get("/<id:result_id>")
@require_roles(ROLE_ADMIN)
def show(result_id: int) -> Any:
    """The candidate's own answers and sub-scores, never an item's text (``inzage``)."""
    view = _inzage(result_id)
    recordings = [p.recording for s in view.sections for p in s.productions if p.recording]
    return render_template("candidate/inzage.html", v=view, texts=view.report,
                           recordings=recordings)


@inzage_bp.get("/<id:result_id>/opname/<id:number>/<id:part>")
@require_roles(ROLE_ADMIN)
def recording(result_id: int, number: int, part: int) -> Any:
    """Part ``part`` (from 1) of the candidate's own recording of the ``number``-th speaking
    task."""
    from toetsbatterij.productions.service import take_audio
    from toetsbatterij.rating.service import without_tags
    from toetsbatterij.web.productions import storage

    take = inzage.recording_of(_inzage(result_id), number)
    if take is None:
        raise NotFound()
    audio = take_audio(db(), storage(), take)
    if not 1 <= part <= len(audio.parts):
        raise NotFound()
    return Response(without_tags(audio.mime_type, audio.parts[part - 1]),
                    mimetype=audio.mime_type,
                    headers={"Cache-Control": "private, no-store"})


# -- the public complaint form ------------------------------------------------------------------


def _client() -> str:
    """The sender's address, only as a key for the rate limit (hashed again by the throttle;
    never stored or logged)."""
    return hashlib.sha256((request.remote_addr or "-").encode()).hexdigest()


def _public_page(**values: Any) -> str:
    return render_template("candidate/complaint_form.html", skills=service.SKILLS,
                           skill_labels=SKILL_LABELS,
                           days=_policy().days[service.ACKNOWLEDGE], **values)


@public.get("/klacht")
def form() -> Any:
    chosen = request.args.get("taal", "")
    if chosen in LANGUAGES:
        session["lang"] = chosen
    return _public_page(values={}, chosen=[])


@public.post("/klacht")
def submit() -> Any:
    data = request.form
    values = {k: str(data.get(k, ""))[:5000] for k in (
        "session_code", "access_code", "attest_number", "birth_date", "subject", "text",
        "contact")}
    skills = [s for s in data.getlist("skills") if isinstance(s, str)][:8]
    try:
        intake.file(db(), clock(), platform().forms, session_code=values["session_code"][:40],
                    access_code=values["access_code"][:40],
                    attest_number=values["attest_number"][:40],
                    birth_date=values["birth_date"][:10], subject=values["subject"],
                    skills=skills, text=values["text"], contact=values["contact"][:200],
                    language=session.get("lang", "nl"), client=_client(),
                    max_submissions=int(current_app.config["COMPLAINT_MAX_SUBMISSIONS"]),
                    policy=_policy(), tz=_tz())
    except (InvalidInput, intake.IntakeThrottled) as exc:
        mark_failed(exc)
        return _public_page(values=values, chosen=skills, error=translate_error(exc),
                            field=getattr(exc, "field", None)), exc.http_status
    return render_template("candidate/complaint_sent.html",
                           days=_policy().days[service.ACKNOWLEDGE])


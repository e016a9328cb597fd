"""Staff screens: login, the role start pages, sessions, candidates and their accommodations,
tickets, the proctor console, locations, accounts, audit log.

Thin views: a Flask-WTF form -> a service -> render or redirect (the unit of work commits once
per request). A refused form is re-rendered with what was typed and the error beside its field
(``web.forms.submit``), status 400 (409 for a conflict). Actions that cannot be undone (end an attempt, release a
device, pause the whole room) have a confirmation page of their own; the server refuses them
without the ticked confirmation."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.exceptions import NotFound as HTTPNotFound

from toetsbatterij.accounts import service as accounts
from toetsbatterij.accounts.models import (
    ROLE_ADMIN,
    ROLE_LABELS,
    ROLE_PROCTOR,
    ROLE_PSYCHOMETRICIAN,
    ROLE_RATER,
)
from toetsbatterij.audit.service import OBJECT_TYPE_LABELS, named_entries
from toetsbatterij.delivery import (
    accommodations,
    attempts,
    definitions,
    feed,
    overviews,
    proctoring,
    sessions,
    throttle,
)
from toetsbatterij.delivery.identity import format_national_number
from toetsbatterij.delivery.models import INCIDENT_CODES
from toetsbatterij.delivery.tickets import render_tickets
from toetsbatterij.errors import InvalidInput, LoginFailed, LoginThrottled, NotFound
from toetsbatterij.i18n import translator
from toetsbatterij.organisations import service as organisations
from toetsbatterij.organisations.models import Organisation
from toetsbatterij.web import forms
from toetsbatterij.web.auth import (
    actor_id,
    end_login_session,
    login_staff,
    org_id,
    require_roles,
)
from toetsbatterij.web.context import clock, db, platform
from toetsbatterij.web.ids import form_id, parse_id
from toetsbatterij.web.productions import microphone_column
from toetsbatterij.web.rating import queue_page
from toetsbatterij.web.unit_of_work import mark_failed

bp = Blueprint("staff", __name__, url_prefix="/beheer")

EXAM_ROLES = (ROLE_ADMIN, ROLE_PROCTOR)
ID_KIND_LABELS = {"rrn": _l("Rijksregisternummer"), "bis": _l("BIS-nummer"),
                  "foreign": _l("Buitenlands document")}


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def local(value: dt.datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    return value.astimezone(_tz()).strftime(fmt) if value else ""


@bp.app_template_filter("local")
def _local_filter(value: dt.datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    return local(value, fmt)


@bp.app_template_filter("nationalnumber")
def _nn(value: str) -> str:
    return format_national_number(value) if value and value.isdigit() and len(value) == 11 \
        else value


@bp.app_template_filter("fromiso")
def _fromiso(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


@bp.app_template_global("accommodation_tags")
def _accommodation_tags(values: dict[str, Any]) -> list[str]:
    """The short Dutch tags of a candidate's accommodations beyond extra time."""
    return [gettext(msgid, **params) for msgid, params in
            accommodations.labels(accommodations.Accommodations(**values))]


def _local_datetime(date: str, time: str, field: str) -> dt.datetime:
    try:
        naive = dt.datetime.strptime(  # noqa: DTZ007 - local wall time, zone attached below
            f"{(date or '').strip()} {(time or '').strip()}", "%Y-%m-%d %H:%M")
    except ValueError:
        raise InvalidInput("Geef datum en uur.", field=field) from None
    return naive.replace(tzinfo=_tz()).astimezone(dt.UTC)


# -- login ---------------------------------------------------------------------------------------


@bp.route("/aanmelden", methods=["GET", "POST"])
def login() -> Any:
    form = forms.LoginForm()
    if not form.is_submitted():
        return render_template("staff/login.html", form=form)
    if not form.validate():
        mark_failed()
        return render_template("staff/login.html", form=form), 400
    cfg = current_app.config
    try:
        account = accounts.log_in(
            db(), clock(), form.email.data or "", form.password.data or "",
            max_failures=cfg["LOGIN_MAX_FAILURES"], lock_seconds=cfg["LOGIN_LOCK_SECONDS"],
            backoff_seconds=cfg["LOGIN_BACKOFF_SECONDS"])
    except (LoginFailed, LoginThrottled) as exc:
        mark_failed(exc)  # keeps the counted failure (the account's throttle)
        forms.add_error(form, exc)
        return render_template("staff/login.html", form=form), exc.http_status
    login_staff(account)
    return redirect(url_for("staff.dashboard"))


@bp.post("/afmelden")
@login_required
def logout() -> Any:
    accounts.log_out(db(), clock(), organisation_id=org_id(), account_id=actor_id())
    end_login_session()
    flash(gettext("U bent afgemeld."), "info")
    return redirect(url_for("staff.login"))


@bp.post("/afmelden-overal")
@login_required
def logout_everywhere() -> Any:
    """End every session of this account, on every browser (audited)."""
    accounts.log_out_everywhere(db(), clock(), organisation_id=org_id(), account_id=actor_id(),
                                actor_id=actor_id())
    end_login_session()
    flash(gettext("U bent overal afgemeld."), "info")
    return redirect(url_for("staff.login"))


# -- the start page of each role -----------------------------------------------------------------


@bp.get("/")
@login_required
def dashboard() -> Any:
    org = db().get(Organisation, org_id())
    role = current_user.role
    common = {"organisation": org, "role_label": ROLE_LABELS[role]}
    if role == ROLE_PSYCHOMETRICIAN:
        bank = platform().forms
        return render_template("staff/start_psychometrician.html", **common,
                               forms=overviews.forms_and_exposure(
                                   db(), bank.bank_version, platform().state_store),
                               bank_version=bank.bank_version,
                               skill_labels=definitions.SKILL_LABELS)
    if role == ROLE_RATER:
        return queue_page(common)
    return render_template("staff/dashboard.html", **common,
                           sessions=sessions.list_sessions(db(), org_id()),
                           can_exam=role in EXAM_ROLES, is_admin=role == ROLE_ADMIN)


# -- sessions ------------------------------------------------------------------------------------


@bp.route("/sessies/nieuw", methods=["GET", "POST"])
@require_roles(*EXAM_ROLES)
def new_session() -> Any:
    bank = platform().forms
    form = forms.SessionForm()
    # The bank this server delivers defines what can be planned: its definitions are stored
    # when the server starts (Platform.sync_definitions) and by `cli sync-definitions`.
    form.location_id.choices = forms.choices(
        (loc.id, loc.name) for loc in organisations.list_locations(db(), org_id()))
    form.test_definition_id.choices = forms.choices(
        (d.id, d.name) for d in definitions.current_definitions(db(), bank.bank_version))
    if not form.is_submitted():
        form.date.data = clock().now().astimezone(_tz()).date().isoformat()
        form.start.data, form.end.data = "08:30", "17:00"
        return render_template("staff/session_new.html", form=form)
    done, sess = forms.submit(form, lambda: sessions.create_session(
        db(), clock(), organisation_id=org_id(), actor_id=actor_id(),
        location_id=form_id("location_id"), test_definition_id=form_id("test_definition_id"),
        starts_at=_local_datetime(form.date.data, form.start.data, "start"),
        ends_at=_local_datetime(form.date.data, form.end.data, "end"),
        bank_version=bank.bank_version))
    if not done or sess is None:
        return render_template("staff/session_new.html", form=form), forms.status(form)
    flash(gettext("Sessie %(code)s is gepland.", code=sess.code), "success")
    return redirect(url_for("staff.session_detail", session_id=sess.id))


def _candidate_form() -> forms.CandidateForm:
    form = forms.CandidateForm()
    form.id_kind.choices = forms.choices(ID_KIND_LABELS.items())
    form.instruction_language.choices = forms.choices(sessions.INSTRUCTION_LANGUAGES.items())
    form.purpose.choices = forms.choices([("", gettext("Geen of onbekend")),
                                          *_purpose_profiles()])
    return form


def _purpose_profiles() -> list[tuple[str, str]]:
    """(code, label) of the purpose profiles in the agency's attest rules in force today."""
    from toetsbatterij.attests import rulesets

    try:
        rules = rulesets.in_force(db(), org_id(), rulesets.local_date(
            clock().now(), current_app.config["TIMEZONE"])).rules
    except InvalidInput:
        return []
    return [(p.code, p.label) for p in rules.profiles]


def _session_page(session_id: int, *, candidate_form: forms.CandidateForm | None = None,
                  import_form: forms.CsvImportForm | None = None,
                  import_errors: list[tuple[int, str, str]] | None = None) -> str:
    sess = sessions.get_session(db(), org_id(), session_id)
    return render_template(
        "staff/session.html", sess=sess,
        location=organisations.get_location(db(), org_id(), sess.location_id),
        definition=definitions.get_definition(db(), sess.test_definition_id),
        candidates=sessions.list_candidates(db(), org_id(), sess.id),
        languages=sessions.INSTRUCTION_LANGUAGES, id_kind_labels=ID_KIND_LABELS,
        form=candidate_form or _candidate_form(), import_form=import_form
        or forms.CsvImportForm(formdata=None), import_errors=import_errors,
        csv_columns=sessions.CSV_COLUMNS)


@bp.get("/sessies/<id:session_id>")
@require_roles(*EXAM_ROLES)
def session_detail(session_id: int) -> Any:
    return _session_page(session_id)


@bp.post("/sessies/<id:session_id>/kandidaten")
@require_roles(*EXAM_ROLES)
def register_candidate(session_id: int) -> Any:
    form = _candidate_form()
    done, cand = forms.submit(form, lambda: sessions.register_candidate(
        db(), clock(), organisation_id=org_id(), actor_id=actor_id(), session_id=session_id,
        data=sessions.CandidateInput(
            first_name=form.first_name.data or "", last_name=form.last_name.data or "",
            birth_date=form.birth_date.data or "", id_kind=form.id_kind.data or "",
            id_number=form.id_number.data or "", id_country=form.id_country.data or "",
            instruction_language=form.instruction_language.data or "nl",
            purpose=form.purpose.data or "", **form.accommodation_values())))
    if not done or cand is None:
        return _session_page(session_id, candidate_form=form), forms.status(form)
    flash(gettext("%(name)s is ingeschreven.", name=f"{cand.first_name} {cand.last_name}"),
          "success")
    from toetsbatterij.web.attests import flash_retake_policy
    from toetsbatterij.web.persons import flash_matches

    flash_retake_policy(cand, sessions.get_session(db(), org_id(), session_id).starts_at)
    flash_matches([cand.id])
    return redirect(url_for("staff.session_detail", session_id=session_id))


def _read_csv(upload: Any) -> str:
    raw = upload.read()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


@bp.post("/sessies/<id:session_id>/import")
@require_roles(*EXAM_ROLES)
def import_candidates(session_id: int) -> Any:
    form = forms.CsvImportForm()
    done, report = forms.submit(form, lambda: sessions.import_candidates_csv(
        db(), clock(), organisation_id=org_id(), actor_id=actor_id(), session_id=session_id,
        text=_read_csv(form.file.data)))
    if not done or report is None:
        return _session_page(session_id, import_form=form), forms.status(form)
    if report.ok:
        flash(gettext("%(count)s kandidaten ingevoerd.", count=len(report.created)), "success")
        from toetsbatterij.web.persons import flash_matches

        flash_matches([c.id for c in report.created])
        return redirect(url_for("staff.session_detail", session_id=session_id))
    mark_failed()  # nothing of a refused import is kept
    return _session_page(session_id, import_form=form, import_errors=report.errors), 422


@bp.route("/kandidaten/<id:candidate_id>/aanpassingen", methods=["GET", "POST"])
@require_roles(*EXAM_ROLES)
def candidate_accommodations(candidate_id: int) -> Any:
    """Change a registered candidate's accommodations (audited)."""
    cand = sessions.get_candidate(db(), org_id(), candidate_id)
    form = forms.AccommodationsForm(data=accommodations.of(cand).as_dict()
                                    | {"extra_audio_plays": str(cand.extra_audio_plays)})
    if form.is_submitted():
        done, _ = forms.submit(form, lambda: accommodations.update(
            db(), clock(), organisation_id=org_id(), actor_id=actor_id(),
            candidate_id=cand.id, **form.accommodation_values()))
        if done:
            flash(gettext("De aanpassingen van %(name)s zijn bewaard.",
                          name=f"{cand.first_name} {cand.last_name}"), "success")
            back = "staff.room" if request.args.get("terug") == "zaal" else \
                "staff.session_detail"
            return redirect(url_for(back, session_id=cand.exam_session_id))
    return render_template("staff/accommodations.html", cand=cand, form=form,
                           back=request.args.get("terug", "")), forms.status(form)


@bp.post("/sessies/<id:session_id>/tickets.pdf")
@require_roles(*EXAM_ROLES)
def tickets(session_id: int) -> Any:
    # A POST: printing tickets (access codes) is audited, and a GET never writes.
    sess = sessions.record_tickets_printed(db(), clock(), organisation_id=org_id(),
                                           actor_id=actor_id(), session_id=session_id)
    pdf = render_tickets(
        organisation=db().get(Organisation, org_id()),
        location=organisations.get_location(db(), org_id(), sess.location_id), session=sess,
        candidates=sessions.list_candidates(db(), org_id(), sess.id),
        login_url=url_for("candidate.login", _external=True),
        local_time=f"{local(sess.starts_at)} - {local(sess.ends_at, '%H:%M')}",
        translator=translator)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="tickets-{sess.code}.pdf"'})


@bp.post("/sessies/<id:session_id>/openen")
@require_roles(*EXAM_ROLES)
def open_session(session_id: int) -> Any:
    sessions_open = sessions.open_session(db(), clock(), organisation_id=org_id(),
                                          actor_id=actor_id(), session_id=session_id)
    flash(gettext("Sessie %(code)s is geopend: kandidaten kunnen aanmelden.",
                  code=sessions_open.code), "success")
    return redirect(url_for("staff.room", session_id=session_id))


# -- proctor console -----------------------------------------------------------------------------


def _incident_form(candidates: list[dict[str, Any]]) -> forms.IncidentForm:
    form = forms.IncidentForm()
    form.candidate_id.choices = forms.choices(
        [("", _l("(hele zaal)"))] + [(str(c["candidate_id"]), c["name"]) for c in candidates])
    form.code.choices = forms.choices((code, _l(label)) for code, label in INCIDENT_CODES.items())
    return form


def _room_page(session_id: int, incident_form: forms.IncidentForm | None = None) -> str:
    data = proctoring.room_view(db(), clock(), organisation_id=org_id(), session_id=session_id)
    microphone_column(db(), data["candidates"])
    names = {c.id: f"{c.first_name} {c.last_name}"
             for c in sessions.list_candidates(db(), org_id(), session_id)}
    return render_template("staff/room.html", data=data, session_id=session_id,
                           incident_codes=INCIDENT_CODES,
                           incident_form=incident_form or _incident_form(data["candidates"]),
                           throttles=throttle.for_session(db(), clock(), organisation_id=org_id(),
                                                          session_id=session_id),
                           candidate_names=names,
                           incidents=proctoring.incidents(db(), org_id(), session_id),
                           poll_seconds=current_app.config["LIVE_POLL_SECONDS"])


@bp.get("/sessies/<id:session_id>/zaal")
@require_roles(*EXAM_ROLES)
def room(session_id: int) -> Any:
    return _room_page(session_id)


@bp.get("/sessies/<id:session_id>/zaal.json")
@require_roles(*EXAM_ROLES)
def room_json(session_id: int) -> Any:
    data = proctoring.room_view(db(), clock(), organisation_id=org_id(), session_id=session_id)
    microphone_column(db(), data["candidates"])
    after = request.args.get("na", default=0, type=int)
    try:
        # A Redis that restarted empty: the room's history is rebuilt from the database.
        feed.ensure_history(db(), platform().state_store, session_id)
        feed_events = platform().state_store.events_since(f"room:{session_id}", after)
    except Exception:  # noqa: BLE001 - the feed is a cache; the table above is the truth
        feed_events = []
    # A view that reconnects with the last number it saw gets everything after it (up to the
    # stream's history); a new view the last 20.
    shown = feed_events if after else feed_events[-20:]
    data["events"] = [_feed_event(seq, event) for seq, event in shown]
    return jsonify(data)


def _feed_event(seq: int, event: dict[str, Any]) -> dict[str, Any]:
    """A feed event (``toetsbatterij.events``) as the room view shows it: the text in the staff
    language and the server's time of the event in Brussels time."""
    params = {key: gettext(value) if key in feed.TRANSLATED_PARAMS else value
              for key, value in (event.get("params") or {}).items()}
    at = dt.datetime.fromisoformat(event["at"]) if event.get("at") else None
    return {"seq": seq, "text": gettext(event.get("message", ""), **params),
            "time": local(at, "%H:%M:%S"), "candidate_id": event.get("candidate_id")}


def _back(session_id: int) -> Any:
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"ok": True})
    return redirect(url_for("staff.room", session_id=session_id))


def _back(session_id: int) -> Any:
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"ok": True})
    return redirect(url_for("staff.room", session_id=session_id))


def _refused(template: str, **context: Any) -> Any:
    """A refused confirmation or action form: JSON for a script, else the page again."""
    form = context["form"]
    if request.accept_mimetypes.best == "application/json":
        errors = [e for f in form for e in f.errors] + list(form.form_errors)
        return jsonify({"ok": False, "errors": errors}), forms.status(form)
    return render_template(template, **context), forms.status(form)


@bp.route("/sessies/<id:session_id>/zaal/pauze", methods=["GET", "POST"])
@require_roles(*EXAM_ROLES)
def pause_room(session_id: int) -> Any:
    sess = sessions.get_session(db(), org_id(), session_id)
    form = forms.ConfirmForm()
    page = {"form": form, "sess": sess, "kind": "pause_room",
            "action": url_for("staff.pause_room", session_id=sess.id),
            "back": url_for("staff.room", session_id=sess.id)}
    if not form.is_submitted():
        return render_template("staff/confirm.html", **page)
    done, _ = forms.submit(form, lambda: proctoring.pause_room(
        db(), clock(), organisation_id=org_id(), session_id=sess.id, actor_id=actor_id(),
        paused=True))
    if not done:
        return _refused("staff/confirm.html", **page)
    return _back(session_id)


@bp.post("/sessies/<id:session_id>/zaal/hervatten")
@require_roles(*EXAM_ROLES)
def resume_room(session_id: int) -> Any:
    proctoring.pause_room(db(), clock(), organisation_id=org_id(), session_id=session_id,
                          actor_id=actor_id(), paused=False)
    return _back(session_id)


@bp.post("/sessies/<id:session_id>/zaal/toelaten")
@require_roles(*EXAM_ROLES)
def admit_room(session_id: int) -> Any:
    """Admit the selected candidates (``candidate_id`` fields), or every candidate."""
    raw = request.form.getlist("candidate_id")
    selected = [i for i in map(parse_id, raw) if i is not None]
    if len(selected) != len(raw):
        raise NotFound(None, detail="admit: a candidate id that cannot exist")  # default text
    proctoring.admit_candidates(db(), clock(), organisation_id=org_id(), session_id=session_id,
                                candidate_ids=selected or None, actor_id=actor_id())
    return _back(session_id)


@bp.post("/sessies/<id:session_id>/aanmeldblokkering/opheffen")
@require_roles(*EXAM_ROLES)
def clear_login_throttle(session_id: int) -> Any:
    throttle.clear(db(), clock(), organisation_id=org_id(), session_id=session_id,
                   candidate_id=form_id("candidate_id", required=False),
                   actor_id=actor_id())
    flash(gettext("De blokkering is opgeheven: er kan opnieuw aangemeld worden."), "success")
    return _back(session_id)


@bp.post("/sessies/<id:session_id>/incident")
@require_roles(*EXAM_ROLES)
def incident(session_id: int) -> Any:
    data = proctoring.room_view(db(), clock(), organisation_id=org_id(), session_id=session_id)
    form = _incident_form(data["candidates"])
    raw_candidate = form.candidate_id.data or ""
    candidate_id = parse_id(raw_candidate) if raw_candidate else None
    if raw_candidate and candidate_id is None:
        raise HTTPNotFound()
    done, _ = forms.submit(form, lambda: proctoring.record_incident(
        db(), clock(), organisation_id=org_id(), session_id=session_id,
        candidate_id=candidate_id,
        code=form.code.data or "", note=form.note.data or "", actor_id=actor_id()))
    if not done:
        return _room_page(session_id, incident_form=form), forms.status(form)
    flash(gettext("Het incident is genoteerd."), "success")
    return _back(session_id)


def _candidate_page(cand: Any, kind: str, form: Any) -> dict[str, Any]:
    return {"form": form, "cand": cand, "kind": kind,
            "action": url_for(f"staff.{kind}", candidate_id=cand.id),
            "back": url_for("staff.room", session_id=cand.exam_session_id)}


@bp.route("/kandidaten/<id:candidate_id>/vrijgeven", methods=["GET", "POST"])
@require_roles(*EXAM_ROLES)
def release_device(candidate_id: int) -> Any:
    cand = sessions.get_candidate(db(), org_id(), candidate_id)
    form = forms.ConfirmForm()
    page = _candidate_page(cand, "release_device", form)
    if not form.is_submitted():
        return render_template("staff/confirm.html", **page)
    done, _ = forms.submit(form, lambda: attempts.release_device(
        db(), clock(), cand, actor_id=actor_id()))
    if not done:
        return _refused("staff/confirm.html", **page)
    return _back(cand.exam_session_id)


@bp.route("/kandidaten/<id:candidate_id>/beeindigen", methods=["GET", "POST"])
@require_roles(*EXAM_ROLES)
def end_attempt(candidate_id: int) -> Any:
    cand = sessions.get_candidate(db(), org_id(), candidate_id)
    att = proctoring.attempt_for_candidate(db(), org_id(), candidate_id)
    form = forms.EndAttemptForm()
    page = _candidate_page(cand, "end_attempt", form)
    if not form.is_submitted():
        return render_template("staff/confirm.html", **page)
    done, _ = forms.submit(form, lambda: attempts.end_attempt(
        db(), clock(), att, reason=form.reason.data or "", actor_id=actor_id()))
    if not done:
        return _refused("staff/confirm.html", **page)
    return _back(cand.exam_session_id)


@bp.route("/kandidaten/<id:candidate_id>/extra-tijd", methods=["GET", "POST"])
@require_roles(*EXAM_ROLES)
def extra_time(candidate_id: int) -> Any:
    cand = sessions.get_candidate(db(), org_id(), candidate_id)
    att = proctoring.attempt_for_candidate(db(), org_id(), candidate_id)
    form = forms.ExtraTimeForm()
    page = _candidate_page(cand, "extra_time", form)
    if not form.is_submitted():
        return render_template("staff/confirm.html", **page)
    done, _ = forms.submit(form, lambda: attempts.add_extra_time(
        db(), clock(), att, minutes=forms.whole_number(form, "minutes"), actor_id=actor_id()))
    if not done:
        return _refused("staff/confirm.html", **page)
    return _back(cand.exam_session_id)


@bp.post("/kandidaten/<id:candidate_id>/<action>")
@require_roles(*EXAM_ROLES)
def candidate_action(candidate_id: int, action: str) -> Any:
    """Admit one candidate (after the identity check), pause and resume: one click each."""
    if action == "toelaten":
        cand = sessions.get_candidate(db(), org_id(), candidate_id)
        attempts.admit(db(), clock(), cand, actor_id=actor_id())
        return _back(cand.exam_session_id)
    att = proctoring.attempt_for_candidate(db(), org_id(), candidate_id)
    if action == "pauze":
        attempts.pause(db(), clock(), att, actor_id=actor_id())
    elif action == "hervatten":
        attempts.resume_attempt(db(), clock(), att, actor_id=actor_id())
    else:
        raise HTTPNotFound()
    return _back(sessions.get_candidate(db(), org_id(), candidate_id).exam_session_id)


# -- locations, staff, audit (agency admin) ------------------------------------------------------


@bp.route("/locaties", methods=["GET", "POST"])
@require_roles(ROLE_ADMIN)
def locations() -> Any:
    form = forms.LocationForm()
    if form.is_submitted():
        done, _ = forms.submit(form, lambda: organisations.create_location(
            db(), clock(), org_id(), actor_id=actor_id(), name=form.name.data or "",
            address=form.address.data or "", capacity=forms.whole_number(form, "capacity")))
        if done:
            flash(gettext("Het toetslokaal is toegevoegd."), "success")
            return redirect(url_for("staff.locations"))
    return render_template("staff/locations.html", form=form,
                           locations=organisations.list_locations(db(), org_id())), \
        forms.status(form)


@bp.route("/personeel", methods=["GET", "POST"])
@require_roles(ROLE_ADMIN)
def staff_accounts() -> Any:
    form = forms.StaffAccountForm()
    form.role.choices = forms.choices((role, _l(ROLE_LABELS[role])) for role in forms.ROLE_CHOICES)
    if form.is_submitted():
        done, acc = forms.submit(form, lambda: accounts.add_staff_account(
            db(), clock(), organisation_id=org_id(), actor_id=actor_id(),
            email=form.email.data or "", display_name=form.display_name.data or "",
            role=form.role.data or "", password=form.password.data or "",
            min_length=current_app.config["PASSWORD_MIN_LENGTH"]))
        if done and acc is not None:
            flash(gettext("Account voor %(name)s is aangemaakt.", name=acc.display_name),
                  "success")
            return redirect(url_for("staff.staff_accounts"))
    return render_template("staff/accounts.html", form=form,
                           accounts=accounts.list_accounts(db(), org_id()),
                           role_labels=ROLE_LABELS,
                           min_length=current_app.config["PASSWORD_MIN_LENGTH"]), \
        forms.status(form)


@bp.post("/personeel/<id:account_id>/deactiveren")
@require_roles(ROLE_ADMIN)
def deactivate_account(account_id: int) -> Any:
    acc = accounts.deactivate_account(db(), clock(), organisation_id=org_id(),
                                      actor_id=actor_id(), account_id=account_id)
    flash(gettext("Het account van %(name)s is gedeactiveerd en overal afgemeld.",
                  name=acc.display_name), "success")
    return redirect(url_for("staff.staff_accounts"))


@bp.get("/audit")
@require_roles(ROLE_ADMIN)
def audit() -> Any:
    return render_template("staff/audit.html", entries=named_entries(db(), org_id()),
                           type_labels=OBJECT_TYPE_LABELS)

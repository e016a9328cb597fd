"""Staff screens: login, sessions, candidates, tickets, the proctor console, locations, accounts,
audit log. Thin views: parse -> service -> render/redirect; the request commits once
(web/unit_of_work.py)."""

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
from flask_login import current_user, login_required

from toetsbatterij.accounts import service as accounts
from toetsbatterij.accounts.models import (
    ROLE_ADMIN,
    ROLE_LABELS,
    ROLE_PROCTOR,
    ROLES,
)
from toetsbatterij.audit.service import OBJECT_TYPE_LABELS, named_entries
from toetsbatterij.delivery import attempts, definitions, feed, proctoring, sessions, throttle
from toetsbatterij.delivery.identity import format_national_number
from toetsbatterij.delivery.models import INCIDENT_CODES
from toetsbatterij.delivery.tickets import render_tickets
from toetsbatterij.errors import InvalidInput, NotFound
from toetsbatterij.i18n import translator
from toetsbatterij.organisations import service as organisations
from toetsbatterij.organisations.models import Organisation
from toetsbatterij.web.auth import (
    actor_id,
    end_login_session,
    login_staff,
    org_id,
    require_roles,
)
from toetsbatterij.web.context import clock, db, services
from toetsbatterij.web.ids import form_id, form_int, parse_id
from toetsbatterij.web.unit_of_work import mark_failed

bp = Blueprint("staff", __name__, url_prefix="/beheer")

EXAM_ROLES = (ROLE_ADMIN, ROLE_PROCTOR)


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




def _local_datetime(date_field: str, time_field: str) -> dt.datetime:
    try:
        naive = dt.datetime.strptime(  # noqa: DTZ007 - local wall time, zone attached below
            f"{request.form.get(date_field, '')} {request.form.get(time_field, '')}",
            "%Y-%m-%d %H:%M")
    except ValueError:
        raise InvalidInput("Geef datum en uur.", field=date_field) from None
    return naive.replace(tzinfo=_tz()).astimezone(dt.UTC)


# -- login ---------------------------------------------------------------------------------------


@bp.route("/aanmelden", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "POST":
        cfg = current_app.config
        # A wrong password raises LoginFailed, which keeps the flushed failure count.
        account = accounts.log_in(
            db(), clock(), request.form.get("email", ""), request.form.get("password", ""),
            max_failures=cfg["LOGIN_MAX_FAILURES"], lock_seconds=cfg["LOGIN_LOCK_SECONDS"],
            backoff_seconds=cfg["LOGIN_BACKOFF_SECONDS"])
        login_staff(account)
        return redirect(url_for("staff.dashboard"))
    return render_template("staff/login.html")


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


@bp.get("/")
@login_required
def dashboard() -> Any:
    org = db().get(Organisation, org_id())
    rows = sessions.list_sessions(db(), org_id()) if current_user.role in EXAM_ROLES else []
    return render_template("staff/dashboard.html", organisation=org, sessions=rows,
                           role_label=ROLE_LABELS[current_user.role],
                           can_exam=current_user.role in EXAM_ROLES,
                           is_admin=current_user.role == ROLE_ADMIN)


# -- sessions ------------------------------------------------------------------------------------


@bp.route("/sessies/nieuw", methods=["GET", "POST"])
@require_roles(*EXAM_ROLES)
def new_session() -> Any:
    if request.method == "POST":
        sess = sessions.create_session(
            db(), clock(), organisation_id=org_id(), actor_id=actor_id(),
            location_id=form_id("location_id"), test_definition_id=form_id("test_definition_id"),
            starts_at=_local_datetime("date", "start"), ends_at=_local_datetime("date", "end"),
            bank_version=services().bank.bank_version)
        flash(gettext("Sessie %(code)s is gepland.", code=sess.code), "success")
        return redirect(url_for("staff.session_detail", session_id=sess.id))
    today = clock().now().astimezone(_tz()).date().isoformat()
    bank = services().bank
    # The bank this server delivers defines what can be planned: its definitions are stored
    # when the server starts (Platform.sync_definitions) and by `cli sync-definitions`.
    return render_template("staff/session_new.html",
                           locations=organisations.list_locations(db(), org_id()),
                           definitions=definitions.current_definitions(db(), bank.bank_version),
                           today=today)


@bp.get("/sessies/<id:session_id>")
@require_roles(*EXAM_ROLES)
def session_detail(session_id: int) -> Any:
    sess = sessions.get_session(db(), org_id(), session_id)
    return render_template(
        "staff/session.html", sess=sess,
        location=organisations.get_location(db(), org_id(), sess.location_id),
        definition=definitions.get_definition(db(), sess.test_definition_id),
        candidates=sessions.list_candidates(db(), org_id(), sess.id),
        languages=sessions.INSTRUCTION_LANGUAGES, import_errors=None)


@bp.post("/sessies/<id:session_id>/kandidaten")
@require_roles(*EXAM_ROLES)
def register_candidate(session_id: int) -> Any:
    form = request.form
    cand = sessions.register_candidate(
        db(), clock(), organisation_id=org_id(), actor_id=actor_id(), session_id=session_id,
        data=sessions.CandidateInput(
            first_name=form.get("first_name", ""), last_name=form.get("last_name", ""),
            birth_date=form.get("birth_date", ""), id_kind=form.get("id_kind", ""),
            id_number=form.get("id_number", ""), id_country=form.get("id_country", ""),
            instruction_language=form.get("instruction_language", "nl"),
            extra_time_percent=form.get("extra_time_percent", "0") or 0))
    flash(gettext("%(name)s is ingeschreven.", name=f"{cand.first_name} {cand.last_name}"),
          "success")
    return redirect(url_for("staff.session_detail", session_id=session_id))


@bp.post("/sessies/<id:session_id>/import")
@require_roles(*EXAM_ROLES)
def import_candidates(session_id: int) -> Any:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput("Kies een CSV-bestand.")
    raw = upload.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    report = sessions.import_candidates_csv(db(), clock(), organisation_id=org_id(),
                                            actor_id=actor_id(), session_id=session_id, text=text)
    if report.ok:
        flash(gettext("%(count)s kandidaten ingevoerd.", count=len(report.created)), "success")
        return redirect(url_for("staff.session_detail", session_id=session_id))
    mark_failed()  # nothing of a refused import is kept
    sess = sessions.get_session(db(), org_id(), session_id)
    return render_template(
        "staff/session.html", sess=sess,
        location=organisations.get_location(db(), org_id(), sess.location_id),
        definition=definitions.get_definition(db(), sess.test_definition_id),
        candidates=sessions.list_candidates(db(), org_id(), sess.id),
        languages=sessions.INSTRUCTION_LANGUAGES, import_errors=report.errors), 422


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


@bp.get("/sessies/<id:session_id>/zaal")
@require_roles(*EXAM_ROLES)
def room(session_id: int) -> Any:
    data = proctoring.room_view(db(), clock(), organisation_id=org_id(), session_id=session_id)
    return render_template("staff/room.html", data=data, session_id=session_id,
                           incident_codes=INCIDENT_CODES,
                           throttles=throttle.for_session(db(), clock(), organisation_id=org_id(),
                                                          session_id=session_id),
                           incidents=proctoring.incidents(db(), org_id(), session_id),
                           poll_seconds=current_app.config["LIVE_POLL_SECONDS"])


@bp.get("/sessies/<id:session_id>/zaal.json")
@require_roles(*EXAM_ROLES)
def room_json(session_id: int) -> Any:
    data = proctoring.room_view(db(), clock(), organisation_id=org_id(), session_id=session_id)
    after = request.args.get("na", default=0, type=int)
    try:
        feed_events = services().state_store.events_since(f"room:{session_id}", after)
    except Exception:  # noqa: BLE001 - the feed is a cache; the table above is the truth
        feed_events = []
    data["events"] = [_feed_event(seq, event) for seq, event in feed_events[-20:]]
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


@bp.post("/sessies/<id:session_id>/zaal/pauze")
@require_roles(*EXAM_ROLES)
def pause_room(session_id: int) -> Any:
    proctoring.pause_room(db(), clock(), organisation_id=org_id(), session_id=session_id,
                          actor_id=actor_id(), paused=True)
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
    proctoring.record_incident(
        db(), clock(), organisation_id=org_id(), session_id=session_id,
        candidate_id=form_id("candidate_id", required=False),
        code=request.form.get("code", ""), note=request.form.get("note", ""),
        actor_id=actor_id())
    flash(gettext("Het incident is genoteerd."), "success")
    return _back(session_id)


@bp.post("/kandidaten/<id:candidate_id>/<action>")
@require_roles(*EXAM_ROLES)
def candidate_action(candidate_id: int, action: str) -> Any:
    cand = sessions.get_candidate(db(), org_id(), candidate_id)
    if action == "toelaten":
        attempts.admit(db(), clock(), cand, actor_id=actor_id())
    elif action == "vrijgeven":
        attempts.release_device(db(), clock(), cand, actor_id=actor_id())
    else:
        att = proctoring.attempt_for_candidate(db(), org_id(), candidate_id)
        if action == "pauze":
            attempts.pause(db(), clock(), att, actor_id=actor_id())
        elif action == "hervatten":
            attempts.resume_attempt(db(), clock(), att, actor_id=actor_id())
        elif action == "extra-tijd":
            attempts.add_extra_time(db(), clock(), att, minutes=form_int("minutes"),
                                    actor_id=actor_id())
        elif action == "beeindigen":
            attempts.end_attempt(db(), clock(), att, reason=request.form.get("reason", ""),
                                 actor_id=actor_id())
        else:
            from werkzeug.exceptions import NotFound as HTTPNotFound

            raise HTTPNotFound()
    return _back(cand.exam_session_id)


# -- locations, staff, audit (agency admin) ------------------------------------------------------


@bp.route("/locaties", methods=["GET", "POST"])
@require_roles(ROLE_ADMIN)
def locations() -> Any:
    if request.method == "POST":
        organisations.create_location(db(), clock(), org_id(), actor_id=actor_id(),
                                      name=request.form.get("name", ""),
                                      address=request.form.get("address", ""),
                                      capacity=form_int("capacity"))
        flash(gettext("Het toetslokaal is toegevoegd."), "success")
        return redirect(url_for("staff.locations"))
    return render_template("staff/locations.html",
                           locations=organisations.list_locations(db(), org_id()))


@bp.route("/personeel", methods=["GET", "POST"])
@require_roles(ROLE_ADMIN)
def staff_accounts() -> Any:
    if request.method == "POST":
        acc = accounts.add_staff_account(
            db(), clock(), organisation_id=org_id(), actor_id=actor_id(),
            email=request.form.get("email", ""),
            display_name=request.form.get("display_name", ""), role=request.form.get("role", ""),
            password=request.form.get("password", ""),
            min_length=current_app.config["PASSWORD_MIN_LENGTH"])
        flash(gettext("Account voor %(name)s is aangemaakt.", name=acc.display_name), "success")
        return redirect(url_for("staff.staff_accounts"))
    return render_template("staff/accounts.html",
                           accounts=accounts.list_accounts(db(), org_id()), roles=ROLES,
                           role_labels=ROLE_LABELS)


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

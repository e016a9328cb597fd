"""Staff screens: login, sessions, candidates, tickets, the proctor console, locations, accounts,
audit log. Thin views: parse -> service -> commit -> render/redirect."""

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
from flask_login import current_user, login_required, logout_user

from toetsbatterij.accounts import service as accounts
from toetsbatterij.accounts.models import (
    ROLE_ADMIN,
    ROLE_LABELS,
    ROLE_PROCTOR,
    ROLES,
)
from toetsbatterij.audit.service import entries as audit_entries
from toetsbatterij.audit.service import record
from toetsbatterij.delivery import attempts, definitions, proctoring, sessions, throttle
from toetsbatterij.delivery.identity import format_national_number
from toetsbatterij.delivery.models import INCIDENT_CODES
from toetsbatterij.delivery.tickets import render_tickets
from toetsbatterij.errors import InvalidInput
from toetsbatterij.i18n import N_, translator
from toetsbatterij.organisations import service as organisations
from toetsbatterij.organisations.models import Organisation
from toetsbatterij.web.auth import actor_id, login_staff, org_id, require_roles
from toetsbatterij.web.context import clock, db, publish, services
from toetsbatterij.web.productions import microphone_column

bp = Blueprint("staff", __name__, url_prefix="/beheer")

EXAM_ROLES = (ROLE_ADMIN, ROLE_PROCTOR)
ACTION_WORDS = {"pauze": N_("gepauzeerd"), "hervatten": N_("hervat"), "extra-tijd": N_("extra tijd"),
                "beeindigen": N_("beëindigd"), "vrijgeven": N_("toestel vrijgegeven")}


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


def _int(name: str) -> int:
    try:
        return int(request.form.get(name, ""))
    except ValueError:
        raise InvalidInput("Ongeldige waarde.", field=name) from None


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
        try:
            account = accounts.authenticate(
                db(), clock(), request.form.get("email", ""), request.form.get("password", ""),
                max_failures=cfg["LOGIN_MAX_FAILURES"], lock_seconds=cfg["LOGIN_LOCK_SECONDS"])
        except Exception:
            db().commit()  # keep the failure count even though we answer with an error
            raise
        record(db(), clock(), organisation_id=account.organisation_id, actor_id=account.id,
               action="staff.login", object_type="staff_account", object_id=account.id)
        db().commit()
        login_staff(account)
        return redirect(url_for("staff.dashboard"))
    return render_template("staff/login.html")


@bp.post("/afmelden")
@login_required
def logout() -> Any:
    record(db(), clock(), organisation_id=org_id(), actor_id=actor_id(), action="staff.logout",
           object_type="staff_account", object_id=actor_id())
    db().commit()
    logout_user()
    from flask import session

    session.clear()
    flash(gettext("U bent afgemeld."), "info")
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
            location_id=_int("location_id"), test_definition_id=_int("test_definition_id"),
            starts_at=_local_datetime("date", "start"), ends_at=_local_datetime("date", "end"),
            bank_version=services().bank.bank_version)
        db().commit()
        flash(gettext("Sessie %(code)s is gepland.", code=sess.code), "success")
        return redirect(url_for("staff.session_detail", session_id=sess.id))
    today = clock().now().astimezone(_tz()).date().isoformat()
    bank = services().bank
    # The bank this server delivers defines what can be planned (idempotent sync).
    definitions.sync_definitions(db(), clock(), definitions.manifests_of_bank(bank.bank),
                                 bank.bank_version)
    db().commit()
    return render_template("staff/session_new.html",
                           locations=organisations.list_locations(db(), org_id()),
                           definitions=definitions.current_definitions(db(), bank.bank_version),
                           today=today)


@bp.get("/sessies/<int:session_id>")
@require_roles(*EXAM_ROLES)
def session_detail(session_id: int) -> Any:
    sess = sessions.get_session(db(), org_id(), session_id)
    return render_template(
        "staff/session.html", sess=sess,
        location=organisations.get_location(db(), org_id(), sess.location_id),
        definition=definitions.get_definition(db(), sess.test_definition_id),
        candidates=sessions.list_candidates(db(), org_id(), sess.id),
        languages=sessions.INSTRUCTION_LANGUAGES, import_errors=None)


@bp.post("/sessies/<int:session_id>/kandidaten")
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
    db().commit()
    flash(gettext("%(name)s is ingeschreven.", name=f"{cand.first_name} {cand.last_name}"),
          "success")
    return redirect(url_for("staff.session_detail", session_id=session_id))


@bp.post("/sessies/<int:session_id>/import")
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
        db().commit()
        flash(gettext("%(count)s kandidaten ingevoerd.", count=len(report.created)), "success")
        return redirect(url_for("staff.session_detail", session_id=session_id))
    db().rollback()
    sess = sessions.get_session(db(), org_id(), session_id)
    return render_template(
        "staff/session.html", sess=sess,
        location=organisations.get_location(db(), org_id(), sess.location_id),
        definition=definitions.get_definition(db(), sess.test_definition_id),
        candidates=sessions.list_candidates(db(), org_id(), sess.id),
        languages=sessions.INSTRUCTION_LANGUAGES, import_errors=report.errors), 422


@bp.get("/sessies/<int:session_id>/tickets.pdf")
@require_roles(*EXAM_ROLES)
def tickets(session_id: int) -> Any:
    sess = sessions.get_session(db(), org_id(), session_id)
    pdf = render_tickets(
        organisation=db().get(Organisation, org_id()),
        location=organisations.get_location(db(), org_id(), sess.location_id), session=sess,
        candidates=sessions.list_candidates(db(), org_id(), sess.id),
        login_url=url_for("candidate.login", _external=True),
        local_time=f"{local(sess.starts_at)} - {local(sess.ends_at, '%H:%M')}",
        translator=translator)
    record(db(), clock(), organisation_id=org_id(), actor_id=actor_id(), action="tickets.print",
           object_type="exam_session", object_id=sess.id)
    db().commit()
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="tickets-{sess.code}.pdf"'})


@bp.post("/sessies/<int:session_id>/openen")
@require_roles(*EXAM_ROLES)
def open_session(session_id: int) -> Any:
    sessions_open = sessions.open_session(db(), clock(), organisation_id=org_id(),
                                          actor_id=actor_id(), session_id=session_id)
    db().commit()
    flash(gettext("Sessie %(code)s is geopend: kandidaten kunnen aanmelden.",
                  code=sessions_open.code), "success")
    return redirect(url_for("staff.room", session_id=session_id))


# -- proctor console -----------------------------------------------------------------------------


@bp.get("/sessies/<int:session_id>/zaal")
@require_roles(*EXAM_ROLES)
def room(session_id: int) -> Any:
    data = proctoring.room_view(db(), clock(), organisation_id=org_id(), session_id=session_id)
    microphone_column(db(), data["candidates"])
    return render_template("staff/room.html", data=data, session_id=session_id,
                           incident_codes=INCIDENT_CODES,
                           throttles=throttle.for_session(db(), clock(), organisation_id=org_id(),
                                                          session_id=session_id),
                           incidents=proctoring.incidents(db(), org_id(), session_id),
                           poll_seconds=current_app.config["LIVE_POLL_SECONDS"])


@bp.get("/sessies/<int:session_id>/zaal.json")
@require_roles(*EXAM_ROLES)
def room_json(session_id: int) -> Any:
    data = proctoring.room_view(db(), clock(), organisation_id=org_id(), session_id=session_id)
    microphone_column(db(), data["candidates"])
    after = request.args.get("na", default=0, type=int)
    try:
        events = services().state_store.events_since(f"room:{session_id}", after)
    except Exception:  # noqa: BLE001 - the feed is a cache; the table above is the truth
        events = []
    data["events"] = [{"seq": seq, **event} for seq, event in events[-20:]]
    return jsonify(data)


def _back(session_id: int) -> Any:
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"ok": True})
    return redirect(url_for("staff.room", session_id=session_id))


@bp.post("/sessies/<int:session_id>/zaal/pauze")
@require_roles(*EXAM_ROLES)
def pause_room(session_id: int) -> Any:
    proctoring.pause_room(db(), clock(), organisation_id=org_id(), session_id=session_id,
                          actor_id=actor_id(), paused=True)
    db().commit()
    publish(session_id, gettext("Hele zaal gepauzeerd"))
    return _back(session_id)


@bp.post("/sessies/<int:session_id>/zaal/hervatten")
@require_roles(*EXAM_ROLES)
def resume_room(session_id: int) -> Any:
    proctoring.pause_room(db(), clock(), organisation_id=org_id(), session_id=session_id,
                          actor_id=actor_id(), paused=False)
    db().commit()
    publish(session_id, gettext("Hele zaal hervat"))
    return _back(session_id)


@bp.post("/sessies/<int:session_id>/aanmeldblokkering/opheffen")
@require_roles(*EXAM_ROLES)
def clear_login_throttle(session_id: int) -> Any:
    raw_candidate = request.form.get("candidate_id") or ""
    throttle.clear(db(), clock(), organisation_id=org_id(), session_id=session_id,
                   candidate_id=int(raw_candidate) if raw_candidate.isdigit() else None,
                   actor_id=actor_id())
    db().commit()
    flash(gettext("De blokkering is opgeheven: er kan opnieuw aangemeld worden."), "success")
    return _back(session_id)


@bp.post("/sessies/<int:session_id>/incident")
@require_roles(*EXAM_ROLES)
def incident(session_id: int) -> Any:
    raw_candidate = request.form.get("candidate_id") or None
    proctoring.record_incident(
        db(), clock(), organisation_id=org_id(), session_id=session_id,
        candidate_id=int(raw_candidate) if raw_candidate and raw_candidate.isdigit() else None,
        code=request.form.get("code", ""), note=request.form.get("note", ""),
        actor_id=actor_id())
    db().commit()
    flash(gettext("Het incident is genoteerd."), "success")
    return _back(session_id)


@bp.post("/kandidaten/<int:candidate_id>/<action>")
@require_roles(*EXAM_ROLES)
def candidate_action(candidate_id: int, action: str) -> Any:
    cand = sessions.get_candidate(db(), org_id(), candidate_id)
    if action == "vrijgeven":
        attempts.release_device(db(), clock(), cand, actor_id=actor_id())
    else:
        att = proctoring.attempt_for_candidate(db(), org_id(), candidate_id)
        if action == "pauze":
            attempts.pause(db(), clock(), att, actor_id=actor_id())
        elif action == "hervatten":
            attempts.resume_attempt(db(), clock(), att, actor_id=actor_id())
        elif action == "extra-tijd":
            attempts.add_extra_time(db(), clock(), att, minutes=_int("minutes"),
                                    actor_id=actor_id())
        elif action == "beeindigen":
            attempts.end_attempt(db(), clock(), att, reason=request.form.get("reason", ""),
                                 actor_id=actor_id())
        else:
            from werkzeug.exceptions import NotFound as HTTPNotFound

            raise HTTPNotFound()
    db().commit()
    publish(cand.exam_session_id,
            gettext("%(name)s: %(action)s door %(staff)s",
                    name=f"{cand.first_name} {cand.last_name}", action=gettext(ACTION_WORDS[action]),
                    staff=current_user.account.display_name), candidate_id=cand.id)
    return _back(cand.exam_session_id)


# -- locations, staff, audit (agency admin) ------------------------------------------------------


@bp.route("/locaties", methods=["GET", "POST"])
@require_roles(ROLE_ADMIN)
def locations() -> Any:
    if request.method == "POST":
        loc = organisations.add_location(db(), org_id(), name=request.form.get("name", ""),
                                         address=request.form.get("address", ""),
                                         capacity=_int("capacity"))
        record(db(), clock(), organisation_id=org_id(), actor_id=actor_id(),
               action="location.create", object_type="location", object_id=loc.id)
        db().commit()
        flash(gettext("Het toetslokaal is toegevoegd."), "success")
        return redirect(url_for("staff.locations"))
    return render_template("staff/locations.html",
                           locations=organisations.list_locations(db(), org_id()))


@bp.route("/personeel", methods=["GET", "POST"])
@require_roles(ROLE_ADMIN)
def staff_accounts() -> Any:
    if request.method == "POST":
        acc = accounts.create_account(
            db(), clock(), organisation_id=org_id(), email=request.form.get("email", ""),
            display_name=request.form.get("display_name", ""), role=request.form.get("role", ""),
            password=request.form.get("password", ""),
            min_length=current_app.config["PASSWORD_MIN_LENGTH"])
        record(db(), clock(), organisation_id=org_id(), actor_id=actor_id(),
               action="staff.create", object_type="staff_account", object_id=acc.id,
               role=acc.role)
        db().commit()
        flash(gettext("Account voor %(name)s is aangemaakt.", name=acc.display_name), "success")
        return redirect(url_for("staff.staff_accounts"))
    return render_template("staff/accounts.html",
                           accounts=accounts.list_accounts(db(), org_id()), roles=ROLES,
                           role_labels=ROLE_LABELS)


@bp.get("/audit")
@require_roles(ROLE_ADMIN)
def audit() -> Any:
    return render_template("staff/audit.html", entries=audit_entries(db(), org_id()))

"""Results and score reports: the staff lists (per agency and per session, with filters), the CSV
export, a result's detail, the release to the candidate and the candidate's report (page and PDF).

Roles (``reports.service`` explains why): the agency admin sees everything and releases; the
psychometrician sees the same numbers without names or birth dates; proctors and raters see no
results. The candidate sees the report of their attempt once it is released.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask import redirect as flask_redirect
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from toetsbatterij.accounts.models import ROLE_ADMIN, ROLE_PSYCHOMETRICIAN
from toetsbatterij.delivery import sessions
from toetsbatterij.delivery.definitions import SKILL_LABELS, SKILLS
from toetsbatterij.delivery.models import Attempt
from toetsbatterij.errors import InvalidInput
from toetsbatterij.i18n import translator
from toetsbatterij.rating.resolution import RULES, UNRATEABLE_CODES
from toetsbatterij.reports import levels
from toetsbatterij.reports import service as reports
from toetsbatterij.reports.pdf import render_report_pdf
from toetsbatterij.reports.report import NotReleased, build_report, report_texts
from toetsbatterij.results import service as results
from toetsbatterij.web import forms
from toetsbatterij.web.auth import actor_id, org_id, require_roles
from toetsbatterij.web.context import clock, db
from toetsbatterij.web.ids import parse_id
from toetsbatterij.web.unit_of_work import mark_failed

staff_bp = Blueprint("results", __name__, url_prefix="/beheer")
candidate_bp = Blueprint("report", __name__)

READERS = (ROLE_ADMIN, ROLE_PSYCHOMETRICIAN)
STATUS_LABELS = {reports.CURRENT: _l("geldig (niet vervangen)"),
                 reports.SUPERSEDED: _l("vervangen door een correctie"), reports.ALL: _l("alle")}
STOP_REASONS = {"se": _l("meetfout klein genoeg"), "classification": _l("niveau zeker genoeg"),
                "max_items": _l("maximum aantal items"), "pool_exhausted": _l("geen items meer"),
                "time": _l("tijd op"), "fixed_complete": _l("alle taken gemaakt")}
KIND_LABELS = {"operational": _l("telt mee"), "pretest": _l("proefopgave")}
LEVEL_LABELS = {lv: (_l(levels.level_name(lv)) if lv == levels.BELOW_A1 else lv)
                for lv in levels.LEVELS}


def _timezone() -> str:
    return str(current_app.config["TIMEZONE"])


def _with_names() -> bool:
    """Names and birth dates only for the agency admin (data minimisation)."""
    return current_user.role == ROLE_ADMIN


def init_app(app: Any) -> None:
    app.register_blueprint(staff_bp)
    app.register_blueprint(candidate_bp)

    @app.template_global("level_label")
    def _level_label(level: str) -> str:
        if not level:
            return gettext("geen niveau")
        return str(LEVEL_LABELS.get(level, level))

    @app.template_global("num")
    def _num(value: Any, digits: int = 3) -> str:
        return "" if value is None else f"{float(value):.{digits}f}"

    @app.template_global("stop_reasons")
    def _stop_reasons(value: str | None) -> str:
        return ", ".join(str(STOP_REASONS.get(part, part)) for part in (value or "").split("+")
                         if part)

    @app.template_global("kind_label")
    def _kind_label(kind: str) -> str:
        return str(KIND_LABELS.get(kind, kind))

    @app.template_global("rule_label")
    def _rule_label(rule: str) -> str:
        return RULES.get(rule, rule)

    @app.template_global("code_label")
    def _code_label(code: str) -> str:
        return gettext(UNRATEABLE_CODES[code]) if code in UNRATEABLE_CODES else code


# -- the filters -----------------------------------------------------------------------------


def _date(form: forms.ResultFilterForm, name: str) -> dt.date | None:
    raw = (getattr(form, name).data or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput("Geef een datum als jjjj-mm-dd.", field=name) from None


def _filter_form(session_id: int | None) -> tuple[forms.ResultFilterForm, reports.ResultFilter | None]:
    """The filter form from the query string and the filter it gives (None when refused: the
    errors are on the form)."""
    form = forms.ResultFilterForm(formdata=request.args)
    own_sessions = sessions.list_sessions(db(), org_id())
    form.sessie.choices = forms.choices(
        [("", _l("alle sessies"))] + [(str(s.id), s.code) for s in own_sessions])
    form.vaardigheid.choices = forms.choices(
        [("", _l("elke vaardigheid"))] + [(s, _l(SKILL_LABELS[s])) for s in SKILLS])
    form.niveau.choices = forms.choices([("", _l("elk niveau"))] + list(LEVEL_LABELS.items()))
    form.status.choices = forms.choices(list(STATUS_LABELS.items()))
    if session_id is not None:
        form.sessie.data = str(session_id)
    if not form.validate():
        return form, None
    try:
        chosen = session_id if session_id is not None else parse_id(form.sessie.data or None)
        flt = reports.ResultFilter(session_id=chosen, date_from=_date(form, "van"),
                                   date_to=_date(form, "tot"),
                                   skill=form.vaardigheid.data or None,
                                   level=form.niveau.data or None,
                                   status=form.status.data or reports.CURRENT)
    except InvalidInput as exc:
        forms.add_error(form, exc)
        return form, None
    return form, flt


def _list_page(session_id: int | None) -> Any:
    sess = sessions.get_session(db(), org_id(), session_id) if session_id is not None else None
    form, flt = _filter_form(session_id)
    rows = [] if flt is None else reports.result_rows(db(), org_id(), flt, timezone=_timezone(),
                                                      with_names=_with_names())
    query = request.query_string.decode("ascii", "replace")
    csv_url = (url_for("results.session_csv", session_id=session_id) if sess
               else url_for("results.result_csv"))
    unreleased = (len(reports.unreleased_of_session(db(), org_id(), sess.id))
                  if sess is not None and current_user.role == ROLE_ADMIN else 0)
    page = render_template("staff/results.html", form=form, rows=rows, sess=sess,
                           skills=SKILLS, skill_labels=SKILL_LABELS, with_names=_with_names(),
                           csv_url=csv_url + (f"?{query}" if query else ""),
                           unreleased=unreleased, is_admin=current_user.role == ROLE_ADMIN)
    if flt is None:
        mark_failed()
        return page, 400
    return page


def _csv(session_id: int | None) -> Any:
    if session_id is not None:
        sessions.get_session(db(), org_id(), session_id)
    form, flt = _filter_form(session_id)
    if flt is None:
        mark_failed()
        errors = [e for f in form for e in f.errors] + list(form.form_errors)
        raise InvalidInput(str(errors[0]) if errors else None)
    rows = reports.result_rows(db(), org_id(), flt, timezone=_timezone(),
                               with_names=_with_names())
    out = io.StringIO()
    reports.write_csv(out, rows, with_names=_with_names())
    name = f"resultaten-{session_id}.csv" if session_id else "resultaten.csv"
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "private, no-store"})


@staff_bp.get("/resultaten")
@require_roles(*READERS)
def result_list() -> Any:
    return _list_page(None)


@staff_bp.get("/resultaten.csv")
@require_roles(*READERS)
def result_csv() -> Any:
    return _csv(None)


@staff_bp.get("/sessies/<id:session_id>/resultaten")
@require_roles(*READERS)
def session_results(session_id: int) -> Any:
    return _list_page(session_id)


@staff_bp.get("/sessies/<id:session_id>/resultaten.csv")
@require_roles(*READERS)
def session_csv(session_id: int) -> Any:
    return _csv(session_id)


# -- one result --------------------------------------------------------------------------------


@staff_bp.get("/resultaten/<id:result_id>")
@require_roles(*READERS)
def result_detail(result_id: int) -> Any:
    detail = reports.result_detail(db(), org_id(), result_id, timezone=_timezone(),
                                   with_names=_with_names())
    return render_template("staff/result.html", d=detail, skill_labels=SKILL_LABELS,
                           level_codes=levels.LEVELS,
                           with_names=_with_names(), is_admin=current_user.role == ROLE_ADMIN)


def _report(result_id: int) -> Any:
    result = results.get_result(db(), org_id(), result_id)
    return build_report(db(), result, timezone=_timezone())


@staff_bp.get("/resultaten/<id:result_id>/rapport")
@require_roles(ROLE_ADMIN)
def report_preview(result_id: int) -> Any:
    """The candidate's report as the candidate will see it (to check before the release)."""
    report = _report(result_id)
    return render_template("staff/report_preview.html", texts=report_texts(report, translator),
                           result_id=result_id)


@staff_bp.get("/resultaten/<id:result_id>/rapport.pdf")
@require_roles(ROLE_ADMIN)
def report_pdf(result_id: int) -> Any:
    """The candidate's report as PDF, to hand over or send (released or not: staff decide)."""
    return _pdf_response(_report(result_id))


def _pdf_response(report: Any) -> Response:
    data = render_report_pdf(report)
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition":
                             f'attachment; filename="resultaat-{report.result_id}.pdf"',
                             "Cache-Control": "private, no-store"})


@staff_bp.route("/resultaten/<id:result_id>/vrijgeven", methods=["GET", "POST"])
@require_roles(ROLE_ADMIN)
def release_result(result_id: int) -> Any:
    result = results.get_result(db(), org_id(), result_id)
    form = forms.ConfirmForm()
    page = {"form": form, "kind": "one", "result": result, "count": 1,
            "action": url_for("results.release_result", result_id=result.id),
            "back": url_for("results.result_detail", result_id=result.id)}
    if not form.is_submitted():
        return render_template("staff/release.html", **page)
    done, _ = forms.submit(form, lambda: reports.release(
        db(), clock(), organisation_id=org_id(), result_ids=[result.id], actor_id=actor_id()))
    if not done:
        return render_template("staff/release.html", **page), forms.status(form)
    return flask_redirect(url_for("results.result_detail", result_id=result.id))


@staff_bp.route("/sessies/<id:session_id>/resultaten/vrijgeven", methods=["GET", "POST"])
@require_roles(ROLE_ADMIN)
def release_session(session_id: int) -> Any:
    sess = sessions.get_session(db(), org_id(), session_id)
    form = forms.ConfirmForm()
    page = {"form": form, "kind": "session", "sess": sess,
            "count": len(reports.unreleased_of_session(db(), org_id(), sess.id)),
            "action": url_for("results.release_session", session_id=sess.id),
            "back": url_for("results.session_results", session_id=sess.id)}
    if not form.is_submitted():
        return render_template("staff/release.html", **page)
    done, _ = forms.submit(form, lambda: reports.release_session(
        db(), clock(), organisation_id=org_id(), session_id=sess.id, actor_id=actor_id()))
    if not done:
        return render_template("staff/release.html", **page), forms.status(form)
    return flask_redirect(url_for("results.session_results", session_id=sess.id))


# -- the candidate's report ----------------------------------------------------------------------


def _candidate_report() -> Any:
    from toetsbatterij.web.candidate import _attempt

    attempt: Attempt = _attempt()
    result = reports.released_result(db(), attempt)
    if result is None:
        raise NotReleased()
    return build_report(db(), result, timezone=_timezone())


def candidate_report_available(attempt: Attempt) -> bool:
    """For the finished screen: whether the released report can be shown."""
    return reports.released_result(db(), attempt) is not None


@candidate_bp.get("/toets/resultaat")
def candidate_report() -> Any:
    report = _candidate_report()
    return render_template("candidate/report.html", texts=report_texts(report, translator),
                           candidate_name=report.full_name)


@candidate_bp.get("/toets/resultaat.pdf")
def candidate_report_pdf() -> Any:
    return _pdf_response(_candidate_report())


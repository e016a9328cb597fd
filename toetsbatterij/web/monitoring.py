"""Monitoring for the agency (issue 17): the figures of the agency's tests per period, location
and candidate group, with charts, as CSV and as a monthly PDF; the satisfaction survey's
summary. Disclosure control everywhere (no group smaller than ``MONITORING_MIN_GROUP``). The
admins of the Flemish agency (``MONITORING_CENTRAL_ORGANISATION``) also see every agency
together. Thin views over ``toetsbatterij.monitoring`` and ``toetsbatterij.surveys``."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import gettext
from sqlalchemy import select

from toetsbatterij.accounts.models import ROLE_ADMIN, ROLE_PSYCHOMETRICIAN
from toetsbatterij.clock import local_date
from toetsbatterij.csvfiles import writer
from toetsbatterij.delivery.definitions import SKILL_LABELS
from toetsbatterij.delivery.models import TestDefinitionRecord
from toetsbatterij.errors import InvalidInput
from toetsbatterij.i18n import LANGUAGES, N_
from toetsbatterij.monitoring import charts
from toetsbatterij.monitoring import report as tables
from toetsbatterij.monitoring import service as monitoring
from toetsbatterij.organisations.models import Location, Organisation
from toetsbatterij.surveys import service
from toetsbatterij.surveys.questions import QUESTIONS, SCALE
from toetsbatterij.web.auth import org_id, require_roles
from toetsbatterij.web.context import clock, db

bp = Blueprint("monitoring", __name__, url_prefix="/beheer/monitoring")

GROUPING_LABELS = {"": N_("Alles samen"), "location_id": N_("Per toetslokaal"),
                   "test_code": N_("Per toets"), "language": N_("Per instructietaal"),
                   "month": N_("Per maand")}


ROLES = (ROLE_ADMIN, ROLE_PSYCHOMETRICIAN)


def _central() -> bool:
    """Is the logged-in staff member of the Flemish agency (who sees every agency together)?"""
    org = db().get(Organisation, org_id())
    return org is not None and org.code == current_app.config["MONITORING_CENTRAL_ORGANISATION"]


def _scope() -> tuple[list[int], str, str]:
    """The agencies the figures cover: one's own, or (the Flemish agency) all of them."""
    if request.args.get("bereik") == "alle":
        if not _central():
            raise InvalidInput(N_("Alleen het Vlaamse agentschap ziet alle agentschappen "
                                  "samen."), field="bereik")
        orgs = list(db().scalars(select(Organisation).order_by(Organisation.id)))
        return [o.id for o in orgs], "all", gettext("Alle agentschappen")
    org = db().get(Organisation, org_id())
    return [org_id()], "agency", org.name if org else ""


def _int(name: str) -> int | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise InvalidInput(N_("Kies een toetslokaal uit de lijst."), field=name)
    return int(raw)


def _filters(organisation_ids: list[int]) -> monitoring.Filters:
    location = _int("lokaal")
    if location is not None:
        loc = db().get(Location, location)
        if loc is None or loc.organisation_id not in organisation_ids:
            raise InvalidInput(N_("Kies een toetslokaal uit de lijst."), field="lokaal")
    language = (request.args.get("taal") or "").strip() or None
    if language is not None and language not in LANGUAGES:
        raise InvalidInput(N_("Onbekende taal voor de instructies."), field="taal")
    purpose = (request.args.get("doel") or "").strip() or None
    if purpose is not None and purpose not in _purposes():
        raise InvalidInput(N_("Kies een doel uit de lijst."), field="doel")
    return monitoring.Filters(date_from=_date("van"), date_to=_date("tot"),
                              location_id=location, language=language, purpose=purpose)


def _purposes() -> list[str]:
    """The purposes of the tests this server knows (attest, attest-receptive, placement...)."""
    return sorted(set(db().scalars(select(TestDefinitionRecord.purpose))))


def _figures(organisation_ids: list[int], scope: str,
             filters: monitoring.Filters) -> monitoring.Figures:
    cfg = current_app.config
    return monitoring.figures(db(), organisation_ids, filters,
                              min_group=int(cfg["MONITORING_MIN_GROUP"]), tz=cfg["TIMEZONE"],
                              today=local_date(clock().now(), cfg["TIMEZONE"]), scope=scope)


def _skill(code: str) -> str:
    return gettext(SKILL_LABELS[code]) if code in SKILL_LABELS else code


@bp.get("/")
@require_roles(*ROLES)
def overview() -> Any:
    ids, scope, name = _scope()
    filters = _filters(ids)
    figures = _figures(ids, scope, filters)
    locations = list(db().scalars(select(Location).where(Location.organisation_id.in_(ids))
                                  .order_by(Location.name)))
    return render_template(
        "staff/monitoring.html", figures=figures, scope_name=name, central=_central(),
        rows=tables.rows(figures, gettext, _skill), locations=locations,
        languages=sorted(LANGUAGES), purposes=_purposes(), args=request.args,
        months_chart=charts.attempts_per_month(figures, gettext),
        levels_chart=charts.levels_per_skill(figures.levels, _skill, lambda s: s),
        month=local_date(clock().now(), current_app.config["TIMEZONE"]).strftime("%Y-%m"))


@bp.get("/cijfers.csv")
@require_roles(*ROLES)
def figures_csv() -> Any:
    ids, scope, _name = _scope()
    figures = _figures(ids, scope, _filters(ids))
    out = io.StringIO()
    w = writer(out)
    w.writerow(["onderdeel", "cijfer", "waarde", "aantal personen"])
    w.writerows(tables.rows(figures, gettext, _skill))
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="monitoring.csv"'})


@bp.get("/maandrapport.pdf")
@require_roles(*ROLES)
def monthly_report() -> Any:
    ids, scope, name = _scope()
    month = (request.args.get("maand") or "").strip()
    try:
        first, last = tables.month_bounds(month)
    except ValueError:
        raise InvalidInput(N_("Geef de maand als JJJJ-MM."), field="maand") from None
    figures = _figures(ids, scope, monitoring.Filters(date_from=first, date_to=last))
    pdf = tables.monthly_pdf(figures, organisation=name, month=month, t=gettext,
                             skill_label=_skill)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="monitoring-{month}.pdf"'})


# -- the satisfaction survey ---------------------------------------------------------------------


def _date(name: str) -> dt.date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(N_("Geef een datum als JJJJ-MM-DD."), field=name) from None


def _summary() -> tuple[list[service.GroupSummary], str, dict[str, Any]]:
    grouping = request.args.get("per", "")
    if grouping not in GROUPING_LABELS:
        raise InvalidInput(N_("Kies een indeling uit de lijst."), field="per")
    filters = {"date_from": _date("van"), "date_to": _date("tot")}
    groups = service.summary(db(), org_id(), grouping=grouping or None,
                             min_group=int(current_app.config["MONITORING_MIN_GROUP"]),
                             **filters)
    return groups, grouping, filters


def _group_label(grouping: str, value: str) -> str:
    if grouping == "location_id" and value.isdigit():
        loc = db().get(Location, int(value))
        return loc.name if loc is not None and loc.organisation_id == org_id() else value
    return value


@bp.get("/tevredenheid")
@require_roles(*ROLES)
def survey_summary() -> Any:
    groups, grouping, filters = _summary()
    return render_template("staff/surveys.html", groups=groups, grouping=grouping,
                           filters=filters, questions=QUESTIONS, scale=SCALE,
                           grouping_labels=GROUPING_LABELS, label=_group_label,
                           min_group=current_app.config["MONITORING_MIN_GROUP"])


@bp.get("/tevredenheid.csv")
@require_roles(*ROLES)
def survey_csv() -> Any:
    groups, grouping, _filters = _summary()
    header = ["groep", "antwoorden", "onderdrukt"]
    for key, _ in QUESTIONS:
        header += [f"{key}_n", f"{key}_gemiddelde"] + [f"{key}_{p}" for p, _ in SCALE]
    rows = [header]
    for g in groups:
        row: list[Any] = [_group_label(grouping, g.group) or "alles", g.responses,
                          "ja" if g.suppressed else "nee"]
        for q in g.questions:
            row += [q.answered if not g.suppressed else "", "" if q.mean is None else q.mean]
            row += [q.counts.get(p, "") if not g.suppressed else "" for p, _ in SCALE]
        rows.append(row)
    out = io.StringIO()
    writer(out).writerows(rows)
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="tevredenheid.csv"'})

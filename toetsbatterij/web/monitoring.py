"""Monitoring for the agency (issue 17): the satisfaction survey's summary, per period and
group, with disclosure control (no group smaller than ``MONITORING_MIN_GROUP``), as a page and
a CSV file. Thin views over ``toetsbatterij.surveys``."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request

from toetsbatterij.accounts.models import ROLE_ADMIN, ROLE_PSYCHOMETRICIAN
from toetsbatterij.csvfiles import writer
from toetsbatterij.errors import InvalidInput
from toetsbatterij.i18n import N_
from toetsbatterij.organisations.models import Location
from toetsbatterij.surveys import service
from toetsbatterij.surveys.questions import QUESTIONS, SCALE
from toetsbatterij.web.auth import org_id, require_roles
from toetsbatterij.web.context import db

bp = Blueprint("monitoring", __name__, url_prefix="/beheer/monitoring")

GROUPING_LABELS = {"": N_("Alles samen"), "location_id": N_("Per toetslokaal"),
                   "test_code": N_("Per toets"), "language": N_("Per instructietaal"),
                   "month": N_("Per maand")}


# -- staff -------------------------------------------------------------------------------------


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
@require_roles(ROLE_ADMIN, ROLE_PSYCHOMETRICIAN)
def survey_summary() -> Any:
    groups, grouping, filters = _summary()
    return render_template("staff/surveys.html", groups=groups, grouping=grouping,
                           filters=filters, questions=QUESTIONS, scale=SCALE,
                           grouping_labels=GROUPING_LABELS, label=_group_label,
                           min_group=current_app.config["MONITORING_MIN_GROUP"])


@bp.get("/tevredenheid.csv")
@require_roles(ROLE_ADMIN, ROLE_PSYCHOMETRICIAN)
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

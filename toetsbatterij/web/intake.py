"""Central intake routes (``/beheer/intake``): per person the intake interview, the placement
level, the routing advice and the referral to a course with its status. Thin views over
``toetsbatterij.intake``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from toetsbatterij.accounts.models import ROLE_ADMIN, ROLE_PROCTOR
from toetsbatterij.i18n import N_
from toetsbatterij.intake import routing
from toetsbatterij.intake import service as intake
from toetsbatterij.persons import service as persons
from toetsbatterij.web.auth import actor_id, org_id, require_roles
from toetsbatterij.web.context import clock, db

bp = Blueprint("intake", __name__, url_prefix="/beheer/intake")
ROLES = (ROLE_ADMIN, ROLE_PROCTOR)

LABELS = {
    "cbe": N_("Centrum voor Basiseducatie (CBE)"), "cvo": N_("Centrum voor Volwassenenonderwijs "
                                                             "(CVO)"),
    "language_centre": N_("Talencentrum van een hogeschool of universiteit"),
    "alfa": N_("alfabetisering"), "nt2": N_("Nederlands als tweede taal"),
    "slow": N_("traag"), "standard": N_("standaard"), "fast": N_("snel"),
    "none": N_("niet"), "weak": N_("zwak"), "good": N_("goed"),
    "primary": N_("lager onderwijs"), "secondary": N_("secundair onderwijs"),
    "higher": N_("hoger onderwijs"),
    "work": N_("werk"), "study": N_("verder studeren"), "daily_life": N_("het dagelijkse leven"),
    "nationality": N_("nationaliteit"), "children_school": N_("de school van de kinderen"),
    "morning": N_("voormiddag"), "afternoon": N_("namiddag"), "evening": N_("avond"),
    "saturday": N_("zaterdag"),
    "referred": N_("doorverwezen"), "enrolled": N_("ingeschreven"), "started": N_("begonnen"),
    "cancelled": N_("geannuleerd"),
}


def _tz() -> str:
    return str(current_app.config["TIMEZONE"])


def _page(person_id: int, status: int = 200) -> Any:
    person = persons.get_person(db(), org_id(), person_id)
    current = intake.intake(db(), clock(), org_id(), person.id, tz=_tz())
    return render_template(
        "persons/intake.html", person=person, current=current,
        referrals=intake.referrals(db(), org_id(), person.id), labels=LABELS,
        literacy=routing.LITERACY, education=intake.EDUCATION, goals=routing.GOALS,
        availability=intake.AVAILABILITY, providers=routing.PROVIDERS, courses=routing.COURSES,
        paces=routing.PACES, next_status=intake.NEXT_STATUS,
        answers=current.interview.answers if current.interview else {}), status


@bp.get("/<id:person_id>")
@require_roles(*ROLES)
def page(person_id: int) -> Any:
    return _page(person_id)


@bp.post("/<id:person_id>/gesprek")
@require_roles(*ROLES)
def interview(person_id: int) -> Any:
    data = {**request.form, "goals": request.form.getlist("goals"),
            "availability": request.form.getlist("availability")}
    intake.record_interview(db(), clock(), organisation_id=org_id(), person_id=person_id,
                            actor_id=actor_id(), data=data, tz=_tz())
    flash(gettext("Het intakegesprek is bewaard."), "info")
    return redirect(url_for("intake.page", person_id=person_id))


@bp.post("/<id:person_id>/doorverwijzing")
@require_roles(*ROLES)
def refer(person_id: int) -> Any:
    form = request.form
    intake.refer(db(), clock(), organisation_id=org_id(), person_id=person_id,
                 actor_id=actor_id(), provider_name=form.get("provider_name", ""),
                 provider=form.get("provider") or None, course=form.get("course") or None,
                 pace=form.get("pace") or None, override_reason=form.get("override_reason", ""),
                 tz=_tz())
    flash(gettext("De doorverwijzing is bewaard."), "info")
    return redirect(url_for("intake.page", person_id=person_id))


@bp.post("/doorverwijzingen/<id:referral_id>/status")
@require_roles(*ROLES)
def referral_status(referral_id: int) -> Any:
    referral = intake.set_status(db(), clock(), organisation_id=org_id(),
                                 referral_id=referral_id, status=request.form.get("status", ""),
                                 actor_id=actor_id(), tz=_tz())
    return redirect(url_for("intake.page", person_id=referral.person_id))

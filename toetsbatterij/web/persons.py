"""Person routes (``/beheer/personen``): the agency's persons across sessions, a person's page
(their sessions, results, attests, trajectory and certificates), creating and editing a
person, and the likely matches of new registrations that staff confirm or reject. Thin views
over ``toetsbatterij.persons``.

Who: proctors and agency admins register candidates, so both see persons and decide the
matches; results on a person's page only for agency admins (as on the results pages); a
trajectory is started by an agency admin.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from toetsbatterij.accounts.models import ROLE_ADMIN, ROLE_PROCTOR
from toetsbatterij.delivery import sessions
from toetsbatterij.delivery.models import Candidate
from toetsbatterij.persons import service as persons
from toetsbatterij.persons.models import Person
from toetsbatterij.trajectories import certificates
from toetsbatterij.trajectories import service as trajectories
from toetsbatterij.web import forms
from toetsbatterij.web.auth import actor_id, org_id, require_roles
from toetsbatterij.web.context import clock, db
from toetsbatterij.web.staff import ID_KIND_LABELS

bp = Blueprint("persons", __name__, url_prefix="/beheer/personen")
VIEW_ROLES = (ROLE_ADMIN, ROLE_PROCTOR)


def init_app(app: Any) -> None:
    app.register_blueprint(bp)


def _person_form(**kw: Any) -> forms.PersonForm:
    form = forms.PersonForm(**kw)
    form.id_kind.choices = forms.choices(ID_KIND_LABELS.items())
    form.instruction_language.choices = forms.choices(sessions.INSTRUCTION_LANGUAGES.items())
    return form


def _input(form: forms.PersonForm) -> persons.PersonInput:
    return persons.PersonInput(
        first_name=form.first_name.data or "", last_name=form.last_name.data or "",
        birth_date=form.birth_date.data or "", id_kind=form.id_kind.data or "",
        id_number=form.id_number.data or "", id_country=form.id_country.data or "",
        email=form.email.data or "", phone=form.phone.data or "",
        instruction_language=form.instruction_language.data or "nl")


@bp.get("/")
@require_roles(*VIEW_ROLES)
def index() -> Any:
    query = request.args.get("q", "")[:100]
    return render_template("persons/index.html", persons=persons.list_persons(db(), org_id(),
                                                                            query),
                           query=query, open_matches=len(persons.open_matches(db(), org_id())),
                           id_kind_labels=ID_KIND_LABELS)


@bp.route("/nieuw", methods=["GET", "POST"])
@require_roles(*VIEW_ROLES)
def new() -> Any:
    form = _person_form()
    if not form.is_submitted():
        return render_template("persons/form.html", form=form, person=None)
    done, person = forms.submit(form, lambda: persons.create_person(
        db(), clock(), organisation_id=org_id(), actor_id=actor_id(), data=_input(form)))
    if not done or person is None:
        return render_template("persons/form.html", form=form, person=None), forms.status(form)
    flash(gettext("%(name)s is toegevoegd.", name=f"{person.first_name} {person.last_name}"),
          "success")
    return redirect(url_for("persons.detail", person_id=person.id))


@bp.route("/<id:person_id>/wijzigen", methods=["GET", "POST"])
@require_roles(*VIEW_ROLES)
def edit(person_id: int) -> Any:
    person = persons.get_person(db(), org_id(), person_id)
    if request.method != "POST":
        form = _person_form(data={
            "first_name": person.first_name, "last_name": person.last_name,
            "birth_date": person.birth_date.isoformat(), "id_kind": person.id_kind,
            "id_number": person.id_number,
            "id_country": person.id_country if person.id_kind == "foreign" else "",
            "email": person.email, "phone": person.phone,
            "instruction_language": person.instruction_language})
        return render_template("persons/form.html", form=form, person=person)
    form = _person_form()
    done, _ = forms.submit(form, lambda: persons.update_person(
        db(), clock(), organisation_id=org_id(), actor_id=actor_id(), person_id=person.id,
        data=_input(form)))
    if not done:
        return render_template("persons/form.html", form=form, person=person), \
            forms.status(form)
    flash(gettext("De gegevens zijn bewaard."), "success")
    return redirect(url_for("persons.detail", person_id=person.id))


def _trajectory_form() -> forms.TrajectoryForm:
    form = forms.TrajectoryForm(formdata=None)
    form.kind.choices = forms.choices((k, gettext(v)) for k, v in
                                      trajectories.KIND_LABELS.items())
    form.counsellor_id.choices = forms.choices(
        [("", gettext("(nog niet gekozen)"))]
        + [(a.id, a.display_name) for a in trajectories.counsellors(db(), org_id())])
    form.start_date.data = clock().now().date().isoformat()
    return form


@bp.get("/<id:person_id>")
@require_roles(*VIEW_ROLES)
def detail(person_id: int) -> Any:
    person = persons.get_person(db(), org_id(), person_id)
    is_admin = current_user.role == ROLE_ADMIN
    own = trajectories.trajectories_of(db(), org_id(), person.id)
    return render_template(
        "persons/detail.html", person=person, is_admin=is_admin,
        registrations=persons.registrations(db(), org_id(), person.id),
        attests=persons.attests_of(db(), org_id(), person.id), trajectories=own,
        open_trajectory=trajectories.open_trajectory(db(), org_id(), person.id),
        certificates={t.id: certificates.of_trajectory(db(), org_id(), t.id) for t in own},
        proposals=[m for m in persons.open_matches(db(), org_id())
                   if m.person_id == person.id],
        id_kind_labels=ID_KIND_LABELS, languages=sessions.INSTRUCTION_LANGUAGES,
        kind_labels=trajectories.KIND_LABELS,
        trajectory_form=_trajectory_form() if is_admin else None)


@bp.get("/koppelingen")
@require_roles(*VIEW_ROLES)
def matches() -> Any:
    proposals = persons.open_matches(db(), org_id())
    cands = {c.id: c for c in (db().get(Candidate, m.candidate_id) for m in proposals)}
    people = {p.id: p for p in (db().get(Person, m.person_id) for m in proposals)}
    sessions_of = {cid: sessions.get_session(db(), org_id(), c.exam_session_id)
                   for cid, c in cands.items()}
    return render_template("persons/matches.html", proposals=proposals, candidates=cands,
                           people=people, sessions_of=sessions_of,
                           id_kind_labels=ID_KIND_LABELS, form=forms.StaffForm())


@bp.post("/koppelingen/<id:match_id>/bevestigen")
@require_roles(*VIEW_ROLES)
def confirm_match(match_id: int) -> Any:
    form = forms.StaffForm()
    done, person = forms.submit(form, lambda: persons.confirm_match(
        db(), clock(), organisation_id=org_id(), actor_id=actor_id(), match_id=match_id))
    if done and person is not None:
        flash(gettext("De inschrijving is gekoppeld aan %(name)s.",
                      name=f"{person.first_name} {person.last_name}"), "success")
    else:
        for error in form.form_errors:
            flash(str(error), "error")
    return redirect(url_for("persons.matches"))


@bp.post("/koppelingen/<id:match_id>/weigeren")
@require_roles(*VIEW_ROLES)
def reject_match(match_id: int) -> Any:
    form = forms.StaffForm()
    done, _ = forms.submit(form, lambda: persons.reject_match(
        db(), clock(), organisation_id=org_id(), actor_id=actor_id(), match_id=match_id))
    if done:
        flash(gettext("Geen overeenkomst: de inschrijving blijft los van die persoon."),
              "success")
    else:
        for error in form.form_errors:
            flash(str(error), "error")
    return redirect(url_for("persons.matches"))


def flash_matches(candidate_ids: list[int]) -> None:
    """After a registration or an import: say when a likely match waits for a decision."""
    waiting = {m.candidate_id for m in persons.open_matches(db(), org_id())} & set(candidate_ids)
    if waiting:
        flash(gettext("%(count)s inschrijving(en) lijken op een bestaande persoon: bevestig of "
                      "weiger de overeenkomst bij Personen.", count=len(waiting)), "warning")

"""Trajectory routes: the agency admins' pages of integration trajectories (components, status
events, the linked attest, what the certificate still misses, transfer, closing), issuing the
civic-integration certificate or the declaration of effort with its PDF and credential, the
CSV exports; and the public verification of a certificate (like an attest's: a POST, logged
and rate-limited; the QR code's address opens the form filled in). Thin views over
``toetsbatterij.trajectories``.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from toetsbatterij.accounts.models import ROLE_ADMIN, StaffAccount
from toetsbatterij.attests import numbers, rulesets
from toetsbatterij.errors import NotFound
from toetsbatterij.organisations.models import Organisation
from toetsbatterij.persons import service as persons
from toetsbatterij.persons.models import Person
from toetsbatterij.trajectories import certificates, export
from toetsbatterij.trajectories import service as trajectories
from toetsbatterij.trajectories.models import COMPONENT_KINDS, COMPONENT_STATUSES
from toetsbatterij.trajectories.pdf import verification_url
from toetsbatterij.trajectories.rules import COMPONENT_LABELS, STATUS_LABELS
from toetsbatterij.web import forms
from toetsbatterij.web.attests import _birth_date, _client, _limits, _tz, base_url
from toetsbatterij.web.auth import actor_id, org_id, require_roles
from toetsbatterij.web.context import clock, db, platform
from toetsbatterij.web.ids import parse_id

bp = Blueprint("trajectories", __name__, url_prefix="/beheer/trajecten")
public = Blueprint("certificate_public", __name__)


def init_app(app: Any) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(public)
    app.jinja_env.globals.update(component_label=lambda k: gettext(COMPONENT_LABELS.get(k, k)),
                                 status_label=lambda s: gettext(STATUS_LABELS.get(s, s)))


def _today() -> dt.date:
    return rulesets.local_date(clock().now(), _tz())


def _components_choices() -> list[Any]:
    return forms.choices((k, gettext(COMPONENT_LABELS[k])) for k in COMPONENT_KINDS)


# -- the list and the exports --------------------------------------------------------------------


@bp.get("/")
@require_roles(ROLE_ADMIN)
def index() -> Any:
    rows = trajectories.list_trajectories(db(), org_id())
    people = {p.id: p for p in (db().get(Person, t.person_id) for t in rows)}
    return render_template("trajectories/index.html", trajectories=rows, people=people,
                           certificates=certificates.list_certificates(db(), org_id()),
                           kind_labels=trajectories.KIND_LABELS, form=forms.StaffForm())


def _csv(text: str, name: str) -> Response:
    return Response("\ufeff" + text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.post("/export/trajecten.csv")
@require_roles(ROLE_ADMIN)
def export_trajectories() -> Any:
    """A POST: the download holds personal data and is audited (a GET never writes)."""
    form = forms.StaffForm()
    if not form.validate_on_submit():
        raise NotFound()  # pragma: no cover - CSRF is refused before
    out = io.StringIO()
    export.write_trajectories(out, db(), clock(), organisation_id=org_id(),
                              actor_id=actor_id(), on=_today())
    return _csv(out.getvalue(), "trajecten.csv")


@bp.post("/export/inburgeringsattesten.csv")
@require_roles(ROLE_ADMIN)
def export_certificates() -> Any:
    form = forms.StaffForm()
    if not form.validate_on_submit():
        raise NotFound()  # pragma: no cover - CSRF is refused before
    out = io.StringIO()
    export.write_certificates(out, db(), clock(), organisation_id=org_id(), actor_id=actor_id())
    return _csv(out.getvalue(), "inburgeringsattesten.csv")


# -- starting a trajectory (from the person's page) ----------------------------------------------


def _counsellor_id(form: Any) -> int | None:
    raw = str(form.counsellor_id.data or "").strip()
    if not raw:
        return None
    value = parse_id(raw)
    if value is None:
        raise NotFound(detail=f"counsellor {raw[:20]!r}")
    return value


@bp.post("/nieuw/<id:person_id>")
@require_roles(ROLE_ADMIN)
def create(person_id: int) -> Any:
    person = persons.get_person(db(), org_id(), person_id)
    form = forms.TrajectoryForm()
    kinds = tuple(k for k in COMPONENT_KINDS if getattr(form, k).data)
    done, trajectory = forms.submit(form, lambda: trajectories.create_trajectory(
        db(), clock(), organisation_id=org_id(), actor_id=actor_id(), person_id=person.id,
        kind=form.kind.data or "", legal_ground=form.legal_ground.data or "",
        start_date=form.start_date.data or "", counsellor_id=_counsellor_id(form),
        component_kinds=kinds))
    if not done or trajectory is None:
        for error in form.form_errors + [e for f in form for e in f.errors]:
            flash(str(error), "error")
        return redirect(url_for("persons.detail", person_id=person.id))
    flash(gettext("Het traject is gestart."), "success")
    return redirect(url_for("trajectories.detail", trajectory_id=trajectory.id))


# -- a trajectory's page -------------------------------------------------------------------------


def _page(trajectory_id: int, **forms_in: Any) -> str:
    trajectory = trajectories.get_trajectory(db(), org_id(), trajectory_id)
    person = db().get(Person, trajectory.person_id)
    views = trajectories.component_views(db(), trajectory)
    check = trajectories.certificate_check(db(), trajectory, _today())
    issued = certificates.of_trajectory(db(), org_id(), trajectory.id)
    staff = {a.id: a.display_name for a in db().query(StaffAccount)
             .filter(StaffAccount.organisation_id == org_id())}
    linkable = [a for a in persons.attests_of(db(), org_id(), person.id) if a.revoked_at is None]
    present = {v.component.kind for v in views}
    edit = forms_in.get("edit_form") or forms.TrajectoryForm(formdata=None, prefix="edit", data={
        "kind": trajectory.kind, "legal_ground": trajectory.legal_ground,
        "start_date": trajectory.start_date.isoformat(),
        "counsellor_id": str(trajectory.counsellor_id or "")})
    edit.kind.choices = forms.choices((k, gettext(v)) for k, v in
                                      trajectories.KIND_LABELS.items())
    edit.counsellor_id.choices = forms.choices(
        [("", gettext("(nog niet gekozen)"))]
        + [(a.id, a.display_name) for a in trajectories.counsellors(db(), org_id())])
    transfer = forms_in.get("transfer_form") or forms.TransferForm(formdata=None,
                                                                    prefix="transfer")
    transfer.to_organisation_id.choices = forms.choices(
        (o.id, o.name) for o in db().query(Organisation).order_by(Organisation.name)
        if o.id != org_id())
    add = forms.AddComponentForm(formdata=None, prefix="add")
    add.kind.choices = forms.choices((k, gettext(COMPONENT_LABELS[k])) for k in COMPONENT_KINDS
                                     if k not in present)
    orgs = {o.id: o.name for o in db().query(Organisation)}
    return render_template(
        "trajectories/detail.html", trajectory=trajectory, person=person, views=views,
        check=check, missing=certificates.describe_missing(check), issued=issued, staff=staff,
        linkable=linkable, kind_labels=trajectories.KIND_LABELS, edit_form=edit,
        transfer_form=transfer, add_form=add, orgs=orgs,
        transfers=trajectories.transfers(db(), trajectory.id),
        component_forms={v.component.id: _component_form(v.component) for v in views},
        event_forms={v.component.id: _event_form(v.component.id) for v in views},
        link_forms={v.component.id: _link_form(v.component.id, linkable) for v in views
                    if v.component.kind == "nt2"},
        close_form=forms_in.get("close_form") or forms.CloseTrajectoryForm(formdata=None,
                                                                          prefix="close"),
        declaration_form=forms_in.get("declaration_form")
        or forms.DeclarationForm(formdata=None, prefix="decl"),
        issue_form=forms.ConfirmForm(formdata=None, prefix="issue"),
        provider_types=trajectories.PROVIDER_TYPES, today=_today().isoformat())


def _component_form(component: Any) -> forms.ComponentForm:
    details = dict(component.details or {})
    form = forms.ComponentForm(formdata=None, data=details | {
        "attendance_percent": str(details.get("attendance_percent", "")),
        "goal_level": component.goal_level or "A2"}, prefix=f"c{component.id}")
    form.provider_type.choices = forms.choices(
        [("", "—")] + [(k, gettext(v)) for k, v in trajectories.PROVIDER_TYPES.items()])
    form.course_level.choices = forms.choices([("", "—")] + [(v, v) for v in
                                                             trajectories.LEVELS])
    form.goal_level.choices = forms.choices((v, v) for v in trajectories.LEVELS)
    return form


def _link_form(component_id: int, linkable: list[Any]) -> forms.LinkAttestForm:
    form = forms.LinkAttestForm(formdata=None, prefix=f"l{component_id}")
    form.attest_id.choices = forms.choices((a.id, numbers.display(a.number)) for a in linkable)
    return form


def _event_form(component_id: int) -> forms.ComponentEventForm:
    form = forms.ComponentEventForm(formdata=None, prefix=f"e{component_id}")
    form.status.choices = forms.choices((s, gettext(STATUS_LABELS[s])) for s in
                                        COMPONENT_STATUSES)
    form.occurred_on.data = _today().isoformat()
    return form


@bp.get("/<id:trajectory_id>")
@require_roles(ROLE_ADMIN)
def detail(trajectory_id: int) -> Any:
    return _page(trajectory_id)


def _back(trajectory_id: int, anchor: str = "") -> Any:
    return redirect(url_for("trajectories.detail", trajectory_id=trajectory_id) + anchor)


def _flash_refusal(form: Any) -> None:
    for error in form.form_errors + [e for f in form for e in f.errors]:
        flash(str(error), "error")


@bp.post("/<id:trajectory_id>/wijzigen")
@require_roles(ROLE_ADMIN)
def update(trajectory_id: int) -> Any:
    form = forms.TrajectoryForm(prefix="edit")
    done, _ = forms.submit(form, lambda: trajectories.update_trajectory(
        db(), clock(), organisation_id=org_id(), actor_id=actor_id(),
        trajectory_id=trajectory_id, kind=form.kind.data or "",
        legal_ground=form.legal_ground.data or "", start_date=form.start_date.data or "",
        counsellor_id=_counsellor_id(form)))
    if not done:
        return _page(trajectory_id, edit_form=form), forms.status(form)
    flash(gettext("Het traject is bewaard."), "success")
    return _back(trajectory_id)


@bp.post("/<id:trajectory_id>/onderdelen")
@require_roles(ROLE_ADMIN)
def add_component(trajectory_id: int) -> Any:
    form = forms.AddComponentForm(prefix="add")
    done, _ = forms.submit(form, lambda: trajectories.add_component(
        db(), clock(), organisation_id=org_id(), actor_id=actor_id(),
        trajectory_id=trajectory_id, kind=form.kind.data or ""))
    if not done:
        _flash_refusal(form)
    return _back(trajectory_id)


def _component_trajectory(component_id: int) -> int:
    return trajectories.get_component(db(), org_id(), component_id).trajectory_id


@bp.post("/onderdelen/<id:component_id>")
@require_roles(ROLE_ADMIN)
def update_component(component_id: int) -> Any:
    trajectory_id = _component_trajectory(component_id)
    form = forms.ComponentForm(prefix=f"c{component_id}")
    done, _ = forms.submit(form, lambda: trajectories.update_component(
        db(), clock(), organisation_id=org_id(), actor_id=actor_id(), component_id=component_id,
        details={name: getattr(form, name).data for name in (
            "course", "attendance_percent", "assessment", "provider_type", "provider_name",
            "course_level", "goal_level", "description")}))
    if done:
        flash(gettext("Het onderdeel is bewaard."), "success")
    else:
        _flash_refusal(form)
    return _back(trajectory_id, f"#onderdeel-{component_id}")


@bp.post("/onderdelen/<id:component_id>/status")
@require_roles(ROLE_ADMIN)
def record_event(component_id: int) -> Any:
    trajectory_id = _component_trajectory(component_id)
    form = forms.ComponentEventForm(prefix=f"e{component_id}")
    done, _ = forms.submit(form, lambda: trajectories.record_event(
        db(), clock(), organisation_id=org_id(), actor_id=actor_id(), component_id=component_id,
        status=form.status.data or "", occurred_on=form.occurred_on.data or "",
        note=form.note.data or ""))
    if done:
        flash(gettext("De status is bewaard."), "success")
    else:
        _flash_refusal(form)
    return _back(trajectory_id, f"#onderdeel-{component_id}")


def _org_id(raw: Any) -> int:
    value = parse_id(str(raw or "").strip())
    if value is None:
        raise NotFound(detail=f"organisation id {str(raw)[:20]!r}")
    return value


def _attest_id(raw: Any) -> int:
    value = parse_id(str(raw or "").strip())
    if value is None:
        raise NotFound(detail=f"attest id {str(raw)[:20]!r}")
    return value


@bp.post("/onderdelen/<id:component_id>/attest")
@require_roles(ROLE_ADMIN)
def link_attest(component_id: int) -> Any:
    trajectory_id = _component_trajectory(component_id)
    form = forms.LinkAttestForm(prefix=f"l{component_id}")
    done, _ = forms.submit(form, lambda: trajectories.link_attest(
        db(), clock(), organisation_id=org_id(), actor_id=actor_id(), component_id=component_id,
        attest_id=_attest_id(form.attest_id.data)))
    if done:
        flash(gettext("Het attest is gekoppeld."), "success")
    else:
        _flash_refusal(form)
    return _back(trajectory_id, f"#onderdeel-{component_id}")


@bp.post("/<id:trajectory_id>/overdragen")
@require_roles(ROLE_ADMIN)
def transfer(trajectory_id: int) -> Any:
    form = forms.TransferForm(prefix="transfer")
    done, _ = forms.submit(form, lambda: trajectories.transfer(
        db(), clock(), organisation_id=org_id(), actor_id=actor_id(),
        trajectory_id=trajectory_id, to_organisation_id=_org_id(form.to_organisation_id.data),
        reason=form.reason.data or ""))
    if not done:
        return _page(trajectory_id, transfer_form=form), forms.status(form)
    flash(gettext("Het traject is overgedragen."), "success")
    return redirect(url_for("trajectories.index"))


@bp.post("/<id:trajectory_id>/afsluiten")
@require_roles(ROLE_ADMIN)
def close(trajectory_id: int) -> Any:
    form = forms.CloseTrajectoryForm(prefix="close")
    done, _ = forms.submit(form, lambda: trajectories.close_trajectory(
        db(), clock(), organisation_id=org_id(), actor_id=actor_id(),
        trajectory_id=trajectory_id, reason=form.reason.data or ""))
    if not done:
        return _page(trajectory_id, close_form=form), forms.status(form)
    flash(gettext("Het traject is afgesloten."), "success")
    return _back(trajectory_id)


@bp.post("/<id:trajectory_id>/inburgeringsattest")
@require_roles(ROLE_ADMIN)
def issue_certificate(trajectory_id: int) -> Any:
    form = forms.ConfirmForm(prefix="issue")
    done, row = forms.submit(form, lambda: certificates.issue_certificate(
        db(), clock(), platform().signer, organisation_id=org_id(), actor_id=actor_id(),
        trajectory_id=trajectory_id, base_url=base_url(), tz=_tz()))
    if not done or row is None:
        _flash_refusal(form)
        return _back(trajectory_id, "#inburgeringsattest")
    flash(gettext("Inburgeringsattest %(number)s is uitgereikt.",
                  number=numbers.display(row.number)), "success")
    return redirect(url_for("trajectories.certificate", certificate_id=row.id))


@bp.post("/<id:trajectory_id>/verklaring")
@require_roles(ROLE_ADMIN)
def issue_declaration(trajectory_id: int) -> Any:
    form = forms.DeclarationForm(prefix="decl")
    done, row = forms.submit(form, lambda: certificates.issue_declaration(
        db(), clock(), platform().signer, organisation_id=org_id(), actor_id=actor_id(),
        trajectory_id=trajectory_id, reason=form.reason.data or "", base_url=base_url(),
        tz=_tz()))
    if not done or row is None:
        return _page(trajectory_id, declaration_form=form), forms.status(form)
    flash(gettext("De verklaring van geleverde inspanningen %(number)s is uitgereikt.",
                  number=numbers.display(row.number)), "success")
    return redirect(url_for("trajectories.certificate", certificate_id=row.id))


# -- certificates ----------------------------------------------------------------------------------


@bp.get("/inburgeringsattesten/<id:certificate_id>")
@require_roles(ROLE_ADMIN)
def certificate(certificate_id: int) -> Any:
    row = certificates.get(db(), org_id(), certificate_id)
    issuer = db().get(StaffAccount, row.issued_by_id)
    return render_template(
        "trajectories/certificate.html", row=row, payload=row.payload,
        title=certificates.TITLES[row.kind],
        signature_ok=certificates.signature_valid(db(), row, platform().signer),
        issuer=issuer.display_name if issuer else "",
        verification_url=verification_url(base_url(), row.number, row.verification_code))


@bp.get("/inburgeringsattesten/<id:certificate_id>/document.pdf")
@require_roles(ROLE_ADMIN)
def certificate_pdf(certificate_id: int) -> Any:
    row = certificates.get(db(), org_id(), certificate_id)
    return Response(certificates.certificate_pdf(row, base_url=base_url()),
                    mimetype="application/pdf", headers={
                        "Content-Disposition": f'inline; filename="inburgering-{row.number}.pdf"'})


@bp.get("/inburgeringsattesten/<id:certificate_id>/document.vc.jwt")
@require_roles(ROLE_ADMIN)
def certificate_credential(certificate_id: int) -> Any:
    row = certificates.get(db(), org_id(), certificate_id)
    if row.credential_jwt is None:
        raise NotFound(certificates.ERASED_PDF)
    return Response(row.credential_jwt, mimetype="application/vc+jwt", headers={
        "Content-Disposition": f'attachment; filename="inburgering-{row.number}.vc.jwt"'})


# -- public verification -------------------------------------------------------------------------


@public.get("/inburgeringsattest")
def verify_form() -> Any:
    return render_template("trajectories/verify.html", number=request.args.get("nummer", "")[:40],
                           code=request.args.get("code", "")[:20], result=None)


@public.get("/inburgeringsattest/<string(maxlength=40):number>")
def verify_link(number: str) -> Any:
    """The address in the QR code: the form, filled in (checking is the POST)."""
    return render_template("trajectories/verify.html", number=number,
                           code=request.args.get("code", "")[:20], result=None)


@public.post("/inburgeringsattest/controle")
def verify_page() -> Any:
    data = request.form
    result = certificates.verify(db(), clock(), number=data.get("number"),
                                 code=data.get("code"),
                                 birth_date=_birth_date(data.get("birth_date")), client=_client(),
                                 signer=platform().signer, **_limits())
    return render_template("trajectories/verify.html", number=data.get("number", "")[:40],
                           code=data.get("code", "")[:20], result=result,
                           birth_date=data.get("birth_date", "")[:10],
                           title=certificates.TITLES.get(result.kind, ""))


@public.post("/inburgeringsattest/credential")
def holder_credential() -> Any:
    data = request.form
    token = certificates.holder_credential(db(), clock(), number=data.get("number"),
                                           code=data.get("code"),
                                           birth_date=_birth_date(data.get("birth_date")),
                                           client=_client(), signer=platform().signer,
                                           **_limits())
    number = numbers.normalise(data.get("number")) or "inburgering"
    return Response(token, mimetype="application/vc+jwt", headers={
        "Content-Disposition": f'attachment; filename="inburgering-{number}.vc.jwt"'})


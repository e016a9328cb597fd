"""The agency admin's partner screens: partners, their scopes, tokens (made and rotated: the
token is shown once, on the answer to the POST, and never again), the persons shared with
each, and the read log. Thin views over ``toetsbatterij.partners.service``; CSRF on every
form (only the token API is exempt)."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SelectField, SelectMultipleField, StringField, widgets

from toetsbatterij.accounts.models import ROLE_ADMIN
from toetsbatterij.partners import service, webhooks
from toetsbatterij.web import forms
from toetsbatterij.web.auth import actor_id, org_id, require_roles
from toetsbatterij.web.context import clock, db
from toetsbatterij.web.ids import form_id, parse_id

bp = Blueprint("partners", __name__, url_prefix="/beheer/partners")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


class ScopeFields:
    scopes = SelectMultipleField(
        choices=forms.choices((s, _l(label)) for s, label in service.SCOPES.items()),
        option_widget=widgets.CheckboxInput(), widget=widgets.ListWidget(prefix_label=False),
        validate_choice=False)


class PartnerForm(forms.StaffForm, ScopeFields):
    name = StringField(render_kw={"required": True, "maxlength": "200"})
    kind = SelectField(choices=forms.choices((k, _l(label))
                                             for k, label in service.PARTNER_KINDS.items()),
                       default="work", validate_choice=False)
    contact_email = EmailField(render_kw={"maxlength": "200", "autocomplete": "off"})


class ScopesForm(forms.StaffForm, ScopeFields):
    pass


class TokenForm(forms.StaffForm):
    label = StringField(render_kw={"maxlength": "200"})
    days = StringField(default=str(service.TOKEN_DAYS_DEFAULT),
                       render_kw={"type": "number", "min": "1",
                                  "max": str(service.TOKEN_DAYS_MAX), "inputmode": "numeric"})


class WebhookForm(forms.StaffForm):
    url = StringField(render_kw={"type": "url", "maxlength": "500", "required": True,
                                 "placeholder": "https://"})
    events = SelectMultipleField(
        choices=forms.choices((e, _l(label)) for e, label in webhooks.EVENTS.items()),
        option_widget=widgets.CheckboxInput(), widget=widgets.ListWidget(prefix_label=False),
        validate_choice=False)


class ShareForm(forms.StaffForm):
    person_id = SelectField(validate_choice=False)


# -- partners ----------------------------------------------------------------------------------


@bp.route("/", methods=["GET", "POST"])
@require_roles(ROLE_ADMIN)
def index() -> Any:
    form = PartnerForm()
    if form.is_submitted():
        done, partner = forms.submit(form, lambda: service.create_partner(
            db(), clock(), organisation_id=org_id(), actor_id=actor_id(),
            name=form.name.data, kind=form.kind.data, contact_email=form.contact_email.data,
            scopes=form.scopes.data or []))
        if done and partner is not None:
            flash(gettext("Partner %(name)s is toegevoegd. Maak nu een token.",
                          name=partner.name), "success")
            return redirect(url_for("partners.detail", partner_id=partner.id))
    partners = service.list_partners(db(), org_id())
    return render_template("partners/index.html", form=form, partners=partners,
                           scopes={p.id: service.scopes_of(db(), p.id) for p in partners},
                           kinds=service.PARTNER_KINDS), forms.status(form)


def _detail(partner_id: int, *, scopes_form: Any = None, token_form: Any = None,
            share_form: Any = None, webhook_form: Any = None, status: int = 200) -> Any:
    partner = service.get_partner(db(), org_id(), partner_id)
    held = service.scopes_of(db(), partner.id)
    if scopes_form is None:
        scopes_form = ScopesForm(formdata=None, scopes=held)
    share_form = share_form or ShareForm(formdata=None)
    share_form.person_id.choices = forms.choices(
        (str(p.id), f"{p.last_name}, {p.first_name} ({p.birth_date.strftime('%d/%m/%Y')})")
        for p in service.shareable_persons(db(), org_id(), partner.id))
    tokens = service.tokens(db(), org_id(), partner.id)
    return render_template(
        "partners/detail.html", partner=partner, held=held, scope_labels=service.SCOPES,
        kinds=service.PARTNER_KINDS, scopes_form=scopes_form,
        token_form=token_form or TokenForm(formdata=None), share_form=share_form,
        confirm_form=forms.ConfirmForm(formdata=None), tokens=tokens,
        last_used=service.last_used(db(), [t.id for t in tokens]), now=clock().now(),
        shares=service.shares(db(), org_id(), partner.id),
        reads=service.reads(db(), org_id(), partner_id=partner.id, limit=20),
        webhook_form=webhook_form or WebhookForm(formdata=None),
        webhooks=webhooks.webhooks(db(), org_id(), partner.id),
        deliveries=webhooks.deliveries(db(), org_id(), partner.id),
        event_labels=webhooks.EVENTS), status


@bp.get("/<id:partner_id>")
@require_roles(ROLE_ADMIN)
def detail(partner_id: int) -> Any:
    return _detail(partner_id)


@bp.post("/<id:partner_id>/gegevensgroepen")
@require_roles(ROLE_ADMIN)
def set_scopes(partner_id: int) -> Any:
    form = ScopesForm()
    done, _ = forms.submit(form, lambda: service.set_scopes(
        db(), clock(), organisation_id=org_id(), actor_id=actor_id(), partner_id=partner_id,
        scopes=form.scopes.data or []))
    if not done:
        return _detail(partner_id, scopes_form=form, status=forms.status(form))
    flash(gettext("De gegevensgroepen zijn bewaard; ze gelden vanaf de volgende aanvraag."),
          "success")
    return redirect(url_for("partners.detail", partner_id=partner_id))


# -- tokens ------------------------------------------------------------------------------------


def _shown_once(partner_id: int, made: service.NewToken) -> Any:
    partner = service.get_partner(db(), org_id(), partner_id)
    return render_template("partners/token.html", partner=partner, token=made.row,
                           secret=made.secret)


@bp.post("/<id:partner_id>/tokens")
@require_roles(ROLE_ADMIN)
def create_token(partner_id: int) -> Any:
    form = TokenForm()
    done, made = forms.submit(form, lambda: service.create_token(
        db(), clock(), organisation_id=org_id(), actor_id=actor_id(), partner_id=partner_id,
        label=form.label.data, days=form.days.data))
    if not done or made is None:
        return _detail(partner_id, token_form=form, status=forms.status(form))
    return _shown_once(partner_id, made)


@bp.post("/<id:partner_id>/tokens/<id:token_id>/vernieuwen")
@require_roles(ROLE_ADMIN)
def rotate_token(partner_id: int, token_id: int) -> Any:
    form = TokenForm()
    done, made = forms.submit(form, lambda: service.rotate_token(
        db(), clock(), organisation_id=org_id(), actor_id=actor_id(), partner_id=partner_id,
        token_id=token_id, days=form.days.data or service.TOKEN_DAYS_DEFAULT))
    if not done or made is None:
        for error in form.form_errors + [e for f in form for e in f.errors]:
            flash(str(error), "error")
        return _detail(partner_id, status=forms.status(form))
    return _shown_once(partner_id, made)


@bp.post("/<id:partner_id>/tokens/<id:token_id>/intrekken")
@require_roles(ROLE_ADMIN)
def revoke_token(partner_id: int, token_id: int) -> Any:
    form = forms.ConfirmForm()
    done, _ = forms.submit(form, lambda: service.revoke_token(
        db(), clock(), organisation_id=org_id(), actor_id=actor_id(), partner_id=partner_id,
        token_id=token_id))
    if not done:
        for error in form.form_errors + list(form.confirm.errors):
            flash(str(error), "error")
        return _detail(partner_id, status=forms.status(form))
    flash(gettext("Het token is ingetrokken; het werkt vanaf nu niet meer."), "success")
    return redirect(url_for("partners.detail", partner_id=partner_id))


# -- shares ------------------------------------------------------------------------------------


@bp.post("/<id:partner_id>/delen")
@require_roles(ROLE_ADMIN)
def share(partner_id: int) -> Any:
    form = ShareForm()
    done, _ = forms.submit(form, lambda: service.share(
        db(), clock(), organisation_id=org_id(), actor_id=actor_id(), partner_id=partner_id,
        person_id=form_id("person_id") or 0))
    if not done:
        return _detail(partner_id, share_form=form, status=forms.status(form))
    flash(gettext("De persoon wordt nu met deze partner gedeeld."), "success")
    return redirect(url_for("partners.detail", partner_id=partner_id))


@bp.post("/<id:partner_id>/delen/<id:share_id>/stoppen")
@require_roles(ROLE_ADMIN)
def stop_share(partner_id: int, share_id: int) -> Any:
    form = forms.StaffForm()
    done, _ = forms.submit(form, lambda: service.stop_share(
        db(), clock(), organisation_id=org_id(), actor_id=actor_id(), partner_id=partner_id,
        share_id=share_id))
    if not done:
        for error in form.form_errors:
            flash(str(error), "error")
        return _detail(partner_id, status=forms.status(form))
    flash(gettext("De persoon wordt niet meer met deze partner gedeeld."), "success")
    return redirect(url_for("partners.detail", partner_id=partner_id))


# -- webhooks ----------------------------------------------------------------------------------


@bp.post("/<id:partner_id>/webhooks")
@require_roles(ROLE_ADMIN)
def create_webhook(partner_id: int) -> Any:
    form = WebhookForm()
    done, made = forms.submit(form, lambda: webhooks.create_webhook(
        db(), clock(), organisation_id=org_id(), actor_id=actor_id(), partner_id=partner_id,
        url=form.url.data, events=form.events.data or [],
        allow_http=bool(current_app.config["PARTNER_WEBHOOK_ALLOW_HTTP"])))
    if not done or made is None:
        return _detail(partner_id, webhook_form=form, status=forms.status(form))
    hook, secret = made
    partner = service.get_partner(db(), org_id(), partner_id)
    return render_template("partners/webhook.html", partner=partner, hook=hook, secret=secret,
                           header=webhooks.SIGNATURE_HEADER)


@bp.post("/<id:partner_id>/webhooks/<id:webhook_id>/uitschakelen")
@require_roles(ROLE_ADMIN)
def disable_webhook(partner_id: int, webhook_id: int) -> Any:
    form = forms.StaffForm()
    done, _ = forms.submit(form, lambda: webhooks.disable_webhook(
        db(), clock(), organisation_id=org_id(), actor_id=actor_id(), partner_id=partner_id,
        webhook_id=webhook_id))
    if not done:
        for error in form.form_errors:
            flash(str(error), "error")
        return _detail(partner_id, status=forms.status(form))
    flash(gettext("De webhook is uitgeschakeld."), "success")
    return redirect(url_for("partners.detail", partner_id=partner_id))


# -- the read log ------------------------------------------------------------------------------


@bp.get("/leeslog")
@require_roles(ROLE_ADMIN)
def read_log() -> Any:
    partners = service.list_partners(db(), org_id())
    chosen = parse_id(request.args.get("partner", ""))
    if chosen is not None and chosen not in {p.id for p in partners}:
        chosen = None
    return render_template("partners/reads.html", partners=partners, chosen=chosen,
                           reads=service.reads(db(), org_id(), partner_id=chosen),
                           shown=service.READS_SHOWN)

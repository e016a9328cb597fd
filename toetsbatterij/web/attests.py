"""Attest routes: the public verification (page, JSON, the holder's credential download), the
published keys and status lists, and the staff pages (issue, look, download, revoke with four
eyes, the rules). Thin views over ``toetsbatterij.attests``.

Public verification is a POST: every verification is logged and rate-limited, and a GET never
writes. The QR code's address (``/attest/<number>?code=...``) opens the form filled in; one
press on "Controleren" checks it. The JSON endpoint takes a JSON object and needs no CSRF token
(no cookie is involved: nothing of a browser session is used).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import segno
import yaml
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
from sqlalchemy import select

from toetsbatterij.accounts.models import ROLE_ADMIN, StaffAccount
from toetsbatterij.attests import credential as vc
from toetsbatterij.attests import export, keys, numbers, retakes, rulesets, service, wallet
from toetsbatterij.attests.models import Attest, AttestRuleSet
from toetsbatterij.attests.pdf import SKILL_LABELS, display_date, level_label
from toetsbatterij.attests.rules import RETAKE_TECHNICAL, RuleSet
from toetsbatterij.errors import InvalidInput, NotFound
from toetsbatterij.i18n import N_
from toetsbatterij.organisations.models import Organisation
from toetsbatterij.web import forms
from toetsbatterij.web.auth import actor_id, org_id, require_roles
from toetsbatterij.web.context import clock, db, platform
from toetsbatterij.web.extensions import csrf
from toetsbatterij.web.ids import parse_id

public = Blueprint("attest_public", __name__)
bp = Blueprint("attests", __name__, url_prefix="/beheer/attesten")

VIEW_ROLES = service.VIEW_ROLES
REQUEST_ROLES = service.REVOCATION_REQUEST_ROLES


def init_app(app: Any) -> None:
    app.register_blueprint(public)
    app.register_blueprint(bp)
    app.jinja_env.globals.update(attest_level=level_label, attest_number=numbers.display,
                                 attest_date=display_date)


def base_url() -> str:
    return (current_app.config.get("PUBLIC_BASE_URL") or request.url_root).rstrip("/")


def _tz() -> str:
    return str(current_app.config["TIMEZONE"])


def _client() -> str:
    """The verifier's address, only as a key for the rate limit (hashed again by the throttle;
    never logged)."""
    return hashlib.sha256((request.remote_addr or "-").encode()).hexdigest()


def _limits() -> dict[str, int]:
    cfg = current_app.config
    return {"max_birth_date_failures": int(cfg["VERIFY_MAX_BIRTH_DATE_FAILURES"]),
            "max_unknown_lookups": int(cfg["VERIFY_MAX_UNKNOWN_LOOKUPS"])}


def _birth_date(raw: str | None) -> dt.date | None:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(N_("Geef de geboortedatum als datum (JJJJ-MM-DD)."),
                           field="birth_date") from None


# -- public ------------------------------------------------------------------------------------


@public.get("/.well-known/jwks.json")
def jwks() -> Any:
    response = jsonify(keys.jwks(keys.known_keys(db(), platform().signer)))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _wallet_offer(number: str | None, code: str | None) -> dict[str, str] | None:
    """The OpenID4VCI offer shown on the verification page (``attests.wallet``): the deep link
    for a wallet on this device and its QR code (inline SVG) for a wallet on another."""
    pre_code = wallet.pre_authorized_code(current_app.config["SECRET_KEY"], clock(),
                                          number=number, code=code)
    if pre_code is None:
        return None
    link = wallet.offer_link(base_url() + url_for("attest_public.wallet_offer",
                                                  pre_code=pre_code))
    return {"link": link, "qr": segno.make(link, error="m").svg_inline(scale=4)}


@public.get("/attest")
def verify_form() -> Any:
    number, code = request.args.get("nummer", "")[:40], request.args.get("code", "")[:20]
    return render_template("attests/verify.html", number=number, code=code, result=None,
                           wallet_offer=_wallet_offer(number, code))


@public.get("/attest/<string(maxlength=40):number>")
def verify_link(number: str) -> Any:
    """The address in the QR code: the form, filled in (checking is the POST), and the offer
    that takes the credential into a wallet."""
    code = request.args.get("code", "")[:20]
    return render_template("attests/verify.html", number=number, code=code, result=None,
                           wallet_offer=_wallet_offer(number, code))


@public.post("/attest/controle")
def verify_page() -> Any:
    form = request.form
    birth = _birth_date(form.get("birth_date"))
    result = service.verify(db(), clock(), number=form.get("number"), code=form.get("code"),
                            birth_date=birth, channel="page", client=_client(),
                            signer=platform().signer, tz=_tz(), **_limits())
    offer = _wallet_offer(result.number, form.get("code")) if result.status != "unknown" \
        else None
    return render_template("attests/verify.html", number=form.get("number", "")[:40],
                           code=form.get("code", "")[:20], result=result,
                           birth_date=form.get("birth_date", "")[:10],
                           skill_labels=SKILL_LABELS, wallet_offer=offer)


@public.post("/attest/controle.json")
@csrf.exempt
def verify_json() -> Any:
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not all(isinstance(data.get(k) or "", str)
                                             for k in ("number", "code", "birth_date")):
        raise InvalidInput(N_("Stuur een JSON-object met number, code en eventueel "
                              "birth_date."))
    result = service.verify(db(), clock(), number=data.get("number"), code=data.get("code"),
                            birth_date=_birth_date(data.get("birth_date")), channel="json",
                            client=_client(), signer=platform().signer, tz=_tz(), **_limits())
    return jsonify(result.to_json())


@public.post("/attest/credential")
def holder_credential() -> Any:
    """The holder downloads the credential with number, code and birth date."""
    form = request.form
    token = service.holder_credential(db(), clock(), number=form.get("number"),
                                      code=form.get("code"),
                                      birth_date=_birth_date(form.get("birth_date")),
                                      client=_client(), signer=platform().signer, **_limits())
    number = numbers.normalise(form.get("number")) or "attest"
    return Response(token, mimetype="application/vc+jwt", headers={
        "Content-Disposition": f'attachment; filename="attest-{number}.vc.jwt"'})


# -- OpenID4VCI (attests.wallet): the credential into a wallet --------------------------------


def _oauth_json(body: dict[str, Any], status: int = 200) -> Any:
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@public.get("/.well-known/openid-credential-issuer")
def wallet_issuer_metadata() -> Any:
    return jsonify(wallet.issuer_metadata(base_url()))


@public.get("/.well-known/oauth-authorization-server")
def wallet_authorization_server() -> Any:
    return jsonify(wallet.authorization_server_metadata(base_url()))


@public.get("/openid4vci/credential-offer/<string(maxlength=400):pre_code>")
def wallet_offer(pre_code: str) -> Any:
    try:
        body = wallet.offer(current_app.config["SECRET_KEY"], clock(), base_url(), pre_code)
    except wallet.WalletError as exc:
        return _oauth_json(exc.to_json(), exc.status)
    return _oauth_json(body)


@public.post("/openid4vci/token")
@csrf.exempt
def wallet_token() -> Any:
    """Pre-authorized code + transaction code (birth date) -> access token. A failed attempt
    is answered with a JSON error and still committed (it counts for the throttle)."""
    try:
        body = wallet.token(db(), clock(), current_app.config["SECRET_KEY"], request.form,
                            client=_client(), signer=platform().signer, **_limits())
    except wallet.WalletError as exc:
        return _oauth_json(exc.to_json(), exc.status)
    return _oauth_json(body)


@public.post("/openid4vci/credential")
@csrf.exempt
def wallet_credential() -> Any:
    try:
        body = wallet.credential(db(), clock(), current_app.config["SECRET_KEY"],
                                 request.headers.get("Authorization"),
                                 request.get_json(silent=True))
    except wallet.WalletError as exc:
        response = _oauth_json(exc.to_json(), exc.status)
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = f'Bearer error="{exc.error}"'
        return response
    return _oauth_json(body)


def _organisation(code: str) -> Organisation:
    org = db().scalar(select(Organisation).where(Organisation.code == code))
    if org is None:
        raise NotFound()
    return org


@public.get("/attest/status/<string(maxlength=40):org_code>")
def status_list(org_code: str) -> Any:
    org = _organisation(org_code)
    now = clock().now()
    credential = vc.status_list_credential(
        base_url=base_url(), organisation_code=org.code, organisation_name=org.name,
        revoked=service.revoked_indices(db(), org.id), now=now)
    token = vc.sign_status_list(platform().signer, credential, now)
    return Response(token, mimetype="application/vc+jwt",
                    headers={"Cache-Control": "public, max-age=300"})


@public.get("/attest/uitgevers/<string(maxlength=40):org_code>")
def issuer_profile(org_code: str) -> Any:
    """The issuer's Open Badges profile (what ``issuer.id`` of a credential names)."""
    org = _organisation(org_code)
    return jsonify({"@context": [vc.VC_CONTEXT, vc.OB_CONTEXT],
                    "id": vc.urls(base_url(), org.code, "")["issuer"], "type": ["Profile"],
                    "name": org.name})


# -- staff -------------------------------------------------------------------------------------


def _ready_results() -> list[Any]:
    """Current results of the agency without an attest (the issue list)."""
    from toetsbatterij.results import service as results

    issued = set(db().scalars(select(Attest.result_id).where(Attest.organisation_id == org_id())))
    return [r for r in results.current_results(db(), org_id()) if r.id not in issued]


@bp.get("/")
@require_roles(*VIEW_ROLES)
def index() -> Any:
    return render_template("attests/index.html", attests=service.list_attests(db(), org_id()),
                           ready=_ready_results(), form=forms.StaffForm(),
                           can_issue=_is_admin(), candidates=_candidate_names())


def _is_admin() -> bool:
    from flask_login import current_user

    return current_user.role == ROLE_ADMIN


def _candidate_names() -> dict[int, str]:
    from toetsbatterij.delivery.models import Attempt, Candidate

    rows = db().execute(select(Attempt.id, Candidate.first_name, Candidate.last_name)
                        .join(Candidate, Candidate.id == Attempt.candidate_id)
                        .where(Attempt.organisation_id == org_id()))
    return {row[0]: f"{row[1]} {row[2]}" for row in rows}


@bp.post("/uitreiken")
@require_roles(ROLE_ADMIN)
def issue() -> Any:
    form = forms.IssueAttestForm()
    done, attest = forms.submit(form, lambda: service.issue(
        db(), clock(), platform().signer, organisation_id=org_id(), actor_id=actor_id(),
        result_id=_result_id(form.result_id.data), base_url=base_url(), tz=_tz()))
    if not done or attest is None:
        for error in form.form_errors + [e for f in form for e in f.errors]:
            flash(str(error), "error")
        return redirect(url_for("attests.index"))
    flash(gettext("Attest %(number)s is uitgereikt.", number=numbers.display(attest.number)),
          "success")
    return redirect(url_for("attests.detail", attest_id=attest.id))


def _result_id(raw: str | None) -> int:
    value = parse_id(str(raw or "").strip())
    if value is None:
        raise NotFound(detail=f"result id {str(raw)[:20]!r}")
    return value


def _names(ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {a.id: a.display_name for a in db().scalars(
        select(StaffAccount).where(StaffAccount.id.in_(wanted),
                                   StaffAccount.organisation_id == org_id()))}


def _detail_page(attest_id: int, *, revoke_form: Any = None) -> str:
    attest = service.get(db(), org_id(), attest_id)
    requests = service.revocations(db(), attest.id)
    people = _names({attest.issued_by} | {r.requested_by for r in requests}
                    | {r.confirmed_by for r in requests} | {r.withdrawn_by for r in requests})
    rules_row = db().get(AttestRuleSet, attest.rule_set_id)
    rules = RuleSet.parse(rules_row.document) if rules_row else None
    profiles = rules.check_profiles(attest.payload["levels"]["skills"]) if rules else []
    return render_template(
        "attests/detail.html", attest=attest, payload=attest.payload,
        open_request=service.open_request(db(), attest.id), requests=requests, people=people,
        signature_ok=service.signature_valid(db(), attest, platform().signer),
        profiles=profiles, kind_labels=export.kind_labels(db(), attest),
        skill_labels=SKILL_LABELS, revoke_form=revoke_form or forms.RevocationForm(),
        confirm_form=forms.ConfirmForm(), is_admin=_is_admin(), me=actor_id(),
        verification_url=f"{base_url()}{export.verification_path(attest)}")


@bp.get("/<id:attest_id>")
@require_roles(*VIEW_ROLES)
def detail(attest_id: int) -> Any:
    return _detail_page(attest_id)


@bp.get("/<id:attest_id>/attest.pdf")
@require_roles(*VIEW_ROLES)
def pdf(attest_id: int) -> Any:
    attest = service.get(db(), org_id(), attest_id)
    return Response(export.attest_pdf(db(), attest, base_url=base_url(), tz=_tz()),
                    mimetype="application/pdf", headers={
                        "Content-Disposition": f'inline; filename="attest-{attest.number}.pdf"'})


@bp.get("/<id:attest_id>/attest.vc.jwt")
@require_roles(*VIEW_ROLES)
def credential(attest_id: int) -> Any:
    attest = service.get(db(), org_id(), attest_id)
    if attest.credential_jwt is None:
        raise NotFound(export.ERASED_PDF)
    return Response(attest.credential_jwt, mimetype="application/vc+jwt", headers={
        "Content-Disposition": f'attachment; filename="attest-{attest.number}.vc.jwt"'})


@bp.post("/<id:attest_id>/intrekking")
@require_roles(*REQUEST_ROLES)
def request_revocation(attest_id: int) -> Any:
    form = forms.RevocationForm()
    done, _ = forms.submit(form, lambda: service.request_revocation(
        db(), clock(), organisation_id=org_id(), actor_id=actor_id(), attest_id=attest_id,
        reason=form.reason.data or ""))
    if not done:
        return _detail_page(attest_id, revoke_form=form), forms.status(form)
    flash(gettext("De intrekking is aangevraagd. Een andere beheerder moet ze bevestigen."),
          "success")
    return redirect(url_for("attests.detail", attest_id=attest_id))


@bp.post("/<id:attest_id>/intrekking/bevestigen")
@require_roles(ROLE_ADMIN)
def confirm_revocation(attest_id: int) -> Any:
    form = forms.ConfirmForm()
    done, _ = forms.submit(form, lambda: service.confirm_revocation(
        db(), clock(), organisation_id=org_id(), actor_id=actor_id(), attest_id=attest_id))
    if not done:
        page = _detail_page(attest_id)
        for error in form.form_errors + list(form.confirm.errors):
            flash(str(error), "error")
        return page, forms.status(form)
    flash(gettext("Het attest is ingetrokken."), "success")
    return redirect(url_for("attests.detail", attest_id=attest_id))


@bp.post("/<id:attest_id>/intrekking/annuleren")
@require_roles(*REQUEST_ROLES)
def withdraw_revocation(attest_id: int) -> Any:
    form = forms.StaffForm()
    done, _ = forms.submit(form, lambda: service.withdraw_revocation(
        db(), clock(), organisation_id=org_id(), actor_id=actor_id(), attest_id=attest_id))
    if done:
        flash(gettext("De aanvraag tot intrekking is geannuleerd."), "success")
    return redirect(url_for("attests.detail", attest_id=attest_id))


# -- the retake policy at registration -----------------------------------------------------------


def flash_retake_policy(candidate: Any, starts_at: dt.datetime) -> None:
    """After a registration: say when the retake policy does not allow this attempt yet, or
    when it is a free retake after a technical incident (the registration itself stands: the
    agency decides)."""
    on = rulesets.local_date(starts_at, _tz())
    try:
        decision = retakes.decision(db(), org_id(), id_kind=candidate.id_kind,
                                    id_number=candidate.id_number, on=on,
                                    profile=candidate.purpose or None,
                                    exclude_candidate_id=candidate.id, tz=_tz())
    except InvalidInput:  # no rules in force on that day
        return
    if not decision.allowed:
        flash(gettext(decision.reason, **decision.params), "warning")
    elif decision.reason == RETAKE_TECHNICAL:
        flash(gettext(decision.reason), "info")


# -- the rules ---------------------------------------------------------------------------------


def _rules_page(form: Any = None) -> str:
    today = rulesets.local_date(clock().now(), _tz())
    current = rulesets.in_force(db(), org_id(), today)
    form = form or forms.AttestRulesForm(formdata=None)
    if not form.document.data:
        form.document.data = yaml.safe_dump(current.rules.to_document(), allow_unicode=True,
                                            sort_keys=False)
    if not form.effective_from.data:
        form.effective_from.data = (today + dt.timedelta(days=1)).isoformat()
    return render_template("attests/rules.html", current=current,
                           versions=rulesets.versions(db(), org_id()), form=form,
                           people=_names({v.created_by for v in rulesets.versions(db(),
                                                                                  org_id())}))


@bp.get("/regels")
@require_roles(ROLE_ADMIN)
def rules() -> Any:
    return _rules_page()


MAX_RULES_LENGTH = 20_000


def _parse_rules(text: str) -> dict[str, Any]:
    if len(text or "") > MAX_RULES_LENGTH:
        raise InvalidInput(N_("De regels zijn te lang (meer dan %(max)s tekens)."),
                           field="document", params={"max": MAX_RULES_LENGTH})
    try:
        document = yaml.safe_load(text or "")
    except yaml.YAMLError:
        raise InvalidInput(N_("De regels zijn geen geldige YAML."),
                           field="document") from None
    if not isinstance(document, dict):
        raise InvalidInput(N_("De regels zijn geen geldige YAML."), field="document")
    return document


def _parse_date(text: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat((text or "").strip())
    except ValueError:
        raise InvalidInput(N_("Geef een datum (JJJJ-MM-DD)."),
                           field="effective_from") from None


@bp.post("/regels")
@require_roles(ROLE_ADMIN)
def add_rules() -> Any:
    form = forms.AttestRulesForm()
    done, row = forms.submit(form, lambda: rulesets.add_version(
        db(), clock(), organisation_id=org_id(), actor_id=actor_id(),
        document=_parse_rules(form.document.data or ""),
        effective_from=_parse_date(form.effective_from.data), note=form.note.data or "",
        tz=_tz()))
    if not done or row is None:
        return _rules_page(form), forms.status(form)
    flash(gettext("Regels versie %(version)s gelden vanaf %(date)s.", version=row.version,
                  date=row.effective_from.strftime("%d/%m/%Y")), "success")
    return redirect(url_for("attests.rules"))

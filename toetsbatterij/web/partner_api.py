"""The partner exchange API: JSON under ``/api/partner/v1``, described by the OpenAPI 3.1
document ``toetsbatterij/partners/openapi.yaml`` (served at ``/api/partner/v1/openapi.json``).

Authentication is a bearer token (``Authorization: Bearer tbp_...``), looked up by its SHA-256
on every request: no browser session or cookie is used, so the blueprint is exempt from CSRF
(and nothing else is). Each request is counted against the token's rate limit, then answered
with exactly the field groups of the partner's scopes, about persons the agency shares with
it. Every answered request (also a refusal for a missing scope or an unshared person) is
written to the read log in a transaction of its own, committed before the data leave: the
request's own unit of work stays read-only, as for every GET. Errors are
``application/problem+json`` (RFC 9457), never a page.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, current_app, g, jsonify, request
from flask_babel import gettext
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from toetsbatterij.errors import DomainError, InvalidInput
from toetsbatterij.i18n import N_
from toetsbatterij.partners import cursor, openapi, service
from toetsbatterij.partners.service import Caller, MissingScope, NotShared
from toetsbatterij.web import errors
from toetsbatterij.web.context import clock, db, platform
from toetsbatterij.web.extensions import csrf

PREFIX = "/api/partner/"
bp = Blueprint("partner_api", __name__, url_prefix="/api/partner/v1")
PROBLEM = "application/problem+json"
DEFAULT_LIMIT, MAX_LIMIT = 50, 100
_LIMIT = re.compile(r"[0-9]{1,3}")

# The problem types (urn:toetsbatterij:problem:<name>) and titles per status.
TITLES = {
    400: ("invalid-request", N_("Ongeldige aanvraag")),
    401: ("invalid-token", N_("Geen geldig token")),
    403: ("missing-scope", N_("Geen toegang tot deze gegevensgroep")),
    404: ("not-found", N_("Niet gevonden")),
    405: ("method-not-allowed", N_("Methode niet toegestaan")),
    406: ("not-acceptable", N_("Niet aanvaardbaar")),
    413: ("too-large", N_("Aanvraag te groot")),
    429: ("rate-limited", N_("Te veel aanvragen")),
    503: ("read-log-unavailable", N_("Tijdelijk niet beschikbaar")),
}
SERVER_ERROR = ("server-error", N_("Er ging iets mis op de server"))
LOG_UNAVAILABLE = N_("Het leeslogboek kan nu niet bijgewerkt worden; er worden geen gegevens "
                     "gegeven. Probeer het later opnieuw.")


class ReadLogUnavailable(DomainError):
    http_status = 503
    default_message = LOG_UNAVAILABLE


def init_app(app: Flask) -> None:
    csrf.exempt(bp)
    app.register_blueprint(bp)
    errors.register_renderer(app, PREFIX, problem_response)


# -- errors ------------------------------------------------------------------------------------


def problem(status: int, detail: str | None = None, *, headers: dict[str, str] | None = None,
            **extra: Any) -> Any:
    name, title = TITLES.get(status, SERVER_ERROR)
    body: dict[str, Any] = {"type": f"urn:toetsbatterij:problem:{name}", "title": gettext(title),
                            "status": status, "instance": request.path}
    if detail:
        body["detail"] = detail
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM
    response.headers["Cache-Control"] = "no-store"
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def problem_response(status: int, message: str | None, exc: BaseException | None) -> Any:
    """The renderer of every error under the API prefix (web.errors)."""
    headers: dict[str, str] = {}
    extra: dict[str, Any] = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="partner-api"' + (
            ', error="invalid_token"' if request.headers.get("Authorization") else "")
    if isinstance(exc, service.RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, MissingScope):
        extra["scope"] = exc.params.get("scope", "")
    if isinstance(exc, HTTPException) and status == 405 and exc.get_response().headers.get(
            "Allow"):
        headers["Allow"] = exc.get_response().headers["Allow"]
    if status >= 500 and status != 503:
        message = None  # never a server's detail to a partner
    return problem(status, message, headers=headers, **extra)


# -- authentication, the rate limit, the log ---------------------------------------------------------


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


@bp.before_request
def _authenticate() -> None:
    if request.endpoint in (None, "partner_api.openapi_document"):
        return
    caller = service.authenticate(db(), clock(), _bearer())
    cfg = current_app.config
    g.partner_rate = service.rate_limit(platform().state_store, clock(), caller,
                                        limit=int(cfg["PARTNER_API_RATE_LIMIT"]),
                                        window_seconds=int(cfg["PARTNER_API_RATE_WINDOW_SECONDS"]))
    g.partner_caller = caller


@bp.after_request
def _headers(response: Any) -> Any:
    rate = g.get("partner_rate")
    if rate is not None:
        response.headers["RateLimit-Limit"] = str(rate.limit)
        response.headers["RateLimit-Remaining"] = str(rate.remaining)
        response.headers["RateLimit-Reset"] = str(rate.reset_seconds)
    response.headers["Cache-Control"] = "no-store"
    return response


def _log(caller: Caller, operation: str, scopes: list[str], outcome: str,
         person_ids: list[int]) -> None:
    """Write the read in its own transaction, now (the request's session only read)."""
    db().rollback()  # end the request's read transaction before the log's write
    try:
        with platform().unit_of_work() as log_db:
            service.log_read(log_db, clock(), caller, operation=operation, scopes=scopes,
                             outcome=outcome, person_ids=person_ids)
    except SQLAlchemyError:
        current_app.logger.exception("partner read log failed (%s)", operation)
        raise ReadLogUnavailable(detail="read log write failed") from None


Reply = tuple[dict[str, Any], list[str], list[int]]


def operation(name: str) -> Callable[[Callable[..., Reply]], Callable[..., Any]]:
    """A view that returns (body, scopes given, person ids read): logged, then sent. A refusal
    for a missing scope or an unshared person is logged too, then answered."""

    def decorator(view: Callable[..., Reply]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(**kwargs: Any) -> Any:
            caller: Caller = g.partner_caller
            try:
                body, scopes, person_ids = view(caller, **kwargs)
            except MissingScope as exc:
                _log(caller, name, [str(exc.params.get("scope", ""))], service.FORBIDDEN, [])
                raise
            except NotShared:
                _log(caller, name, [], service.NOT_FOUND, [])
                raise
            _log(caller, name, scopes, service.OK, person_ids)
            return jsonify(body)

        return wrapped

    return decorator


def _cursor_key() -> bytes:
    return hashlib.sha256(b"partner-api-cursor:" +
                          str(current_app.config["SECRET_KEY"]).encode()).digest()


def _limit() -> int:
    raw = request.args.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not _LIMIT.fullmatch(raw) or not 1 <= int(raw) <= MAX_LIMIT:
        raise InvalidInput(N_("limit moet een geheel getal van 1 tot %(max)s zijn."),
                           field="limit", params={"max": MAX_LIMIT})
    return int(raw)


# -- the operations ----------------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi_document() -> Any:
    response = jsonify(openapi.document())
    return response


@bp.get("/me")
@operation("me")
def me(caller: Caller) -> Reply:
    partner, org = service.partner_of(db(), caller)
    return ({"partner": {"name": partner.name, "kind": partner.kind},
             "organisation": {"code": org.code, "name": org.name},
             "scopes": sorted(caller.scopes),
             "token": {"prefix": caller.token_prefix,
                       "expires_at": service.iso_time(caller.expires_at)}}, [], [])


@bp.get("/persons")
@operation("persons.list")
def list_persons(caller: Caller) -> Reply:
    limit = _limit()
    after = cursor.decode(_cursor_key(), caller.partner_id, request.args.get("cursor"))
    found, next_after = service.list_shared(db(), caller, after=after, limit=limit)
    items, given = [], [service.IDENTITY] if service.IDENTITY in caller.scopes else []
    for person in found:
        items.append(service.person_document(db(), caller, person, full=False)[0])
    next_cursor = (cursor.encode(_cursor_key(), caller.partner_id, next_after)
                   if next_after is not None else None)
    return ({"items": items, "next_cursor": next_cursor}, given,
            [p.person.id for p in found])


@bp.get("/persons/<string(maxlength=64):person_id>")
@operation("persons.get")
def get_person(caller: Caller, person_id: str) -> Reply:
    found = service.shared_person(db(), caller, person_id)
    body, given = service.person_document(db(), caller, found, full=True)
    return body, given, [found.person.id]


@bp.get("/persons/<string(maxlength=64):person_id>/trajectory")
@operation("persons.trajectory")
def get_trajectory(caller: Caller, person_id: str) -> Reply:
    caller.require(service.TRAJECTORY)
    found = service.shared_person(db(), caller, person_id)
    return ({"id": found.share.person_ref,
             "trajectory": service.trajectory_of(db(), found.person)},
            [service.TRAJECTORY], [found.person.id])


@bp.get("/persons/<string(maxlength=64):person_id>/nt2")
@operation("persons.nt2")
def get_nt2(caller: Caller, person_id: str) -> Reply:
    caller.require(service.NT2_LEVEL)
    found = service.shared_person(db(), caller, person_id)
    return ({"id": found.share.person_ref, "nt2": service.nt2_of(db(), found.person)},
            [service.NT2_LEVEL], [found.person.id])


@bp.get("/persons/<string(maxlength=64):person_id>/attests")
@operation("persons.attests")
def get_attests(caller: Caller, person_id: str) -> Reply:
    caller.require(service.ATTEST_LEVEL)
    found = service.shared_person(db(), caller, person_id)
    return ({"id": found.share.person_ref, "attests": service.attests_of(db(), found.person)},
            [service.ATTEST_LEVEL], [found.person.id])

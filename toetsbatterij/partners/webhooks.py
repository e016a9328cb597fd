"""Webhooks of the partner exchange: a partner subscribes to events of the persons the agency
shares with it (an attest issued or revoked), and the sweep (``python -m toetsbatterij.cli
deliver-partner-webhooks``, run every minute or so) queues what happened and delivers it.

Queuing reads the attests (no other service needs to know about partners): every attest of a
shared person issued, or revoked, after the subscription was made is one delivery, queued once
(``event_key``). A delivery is a JSON POST, signed with HMAC-SHA-256 under the subscription's
secret over ``<timestamp>.<body>`` (header ``Toetsbatterij-Signature: t=<unix time>,v1=<hex>``),
tried until the partner answers 2xx: after a failure the next try waits
``BASE_DELAY * 2^(attempts-1)`` (at most ``MAX_DELAY``), and after ``MAX_ATTEMPTS`` it is given
up. At least once: a partner recognises a repeat by ``id``. The body is built when it is sent,
from the state then: a share stopped or the ``attest.level`` scope withdrawn since means
nothing is sent (given up, with the reason).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from toetsbatterij.attests.models import Attest
from toetsbatterij.audit.service import record
from toetsbatterij.clock import Clock
from toetsbatterij.delivery.models import Candidate
from toetsbatterij.errors import Conflict, InvalidInput, NotFound
from toetsbatterij.i18n import N_
from toetsbatterij.partners import service
from toetsbatterij.partners.models import (
    PartnerDelivery,
    PartnerScope,
    PartnerShare,
    PartnerWebhook,
)
from toetsbatterij.persons.models import Person

ATTEST_ISSUED = "attest.issued"
ATTEST_REVOKED = "attest.revoked"
EVENTS: dict[str, str] = {
    ATTEST_ISSUED: N_("Een attest van een gedeelde persoon is uitgereikt"),
    ATTEST_REVOKED: N_("Een attest van een gedeelde persoon is ingetrokken"),
}
#: Events need the field group they tell about.
EVENT_SCOPE = {ATTEST_ISSUED: service.ATTEST_LEVEL, ATTEST_REVOKED: service.ATTEST_LEVEL}
MAX_ATTEMPTS = 8
BASE_DELAY = dt.timedelta(minutes=1)
MAX_DELAY = dt.timedelta(hours=6)
TIMEOUT_SECONDS = 10
SIGNATURE_HEADER = "Toetsbatterij-Signature"
USER_AGENT = "toetsbatterij-webhooks/1"

Sender = Callable[[str, bytes, dict[str, str]], int]


# -- subscriptions (the agency admin) ------------------------------------------------------------


def _check_url(url: object, allow_http: bool) -> str:
    text = str(url or "").strip()
    parts = urlsplit(text)
    schemes = ("https", "http") if allow_http else ("https",)
    if len(text) > 500 or parts.scheme not in schemes or not parts.hostname or \
            parts.username or parts.password:
        raise InvalidInput(N_("Geef een https-adres (zonder gebruikersnaam of wachtwoord)."),
                           field="url")
    return text


def create_webhook(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
                   partner_id: int, url: object, events: Iterable[str],
                   allow_http: bool = False) -> tuple[PartnerWebhook, str]:
    """A subscription; returns it and its signing secret (shown once)."""
    service.require_admin(db, organisation_id, actor_id)
    partner = service.get_partner(db, organisation_id, partner_id)
    wanted = [e for e in EVENTS if e in set(events)]
    if not wanted or set(events) - set(EVENTS):
        raise InvalidInput(N_("Kies minstens één gebeurtenis."), field="events")
    secret = secrets.token_hex(32)
    row = PartnerWebhook(organisation_id=organisation_id, partner_id=partner.id,
                         url=_check_url(url, allow_http), events=" ".join(wanted),
                         secret=secret, created_at=clock.now(), created_by_id=actor_id)
    db.add(row)
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="partner_webhook.create", object_type="partner", object_id=partner.id,
           webhook_id=row.id, url=row.url, events=wanted)
    return row, secret


def disable_webhook(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
                    partner_id: int, webhook_id: int) -> PartnerWebhook:
    service.require_admin(db, organisation_id, actor_id)
    service.get_partner(db, organisation_id, partner_id)
    row = db.get(PartnerWebhook, webhook_id)
    if row is None or row.partner_id != partner_id:
        raise NotFound(detail=f"partner webhook {webhook_id}")
    if row.disabled_at is not None:
        raise Conflict(N_("Deze webhook is al uitgeschakeld."))
    row.disabled_at, row.disabled_by_id = clock.now(), actor_id
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="partner_webhook.disable", object_type="partner", object_id=partner_id,
           webhook_id=row.id)
    return row


def webhooks(db: Session, organisation_id: int, partner_id: int) -> list[PartnerWebhook]:
    service.get_partner(db, organisation_id, partner_id)
    return list(db.scalars(select(PartnerWebhook).where(PartnerWebhook.partner_id == partner_id)
                           .order_by(PartnerWebhook.id)))


def deliveries(db: Session, organisation_id: int, partner_id: int,
               limit: int = 20) -> list[PartnerDelivery]:
    """The newest deliveries of the partner's webhooks."""
    ids = select(PartnerWebhook.id).where(PartnerWebhook.partner_id == partner_id,
                                          PartnerWebhook.organisation_id == organisation_id)
    return list(db.scalars(select(PartnerDelivery).where(PartnerDelivery.webhook_id.in_(ids))
                           .order_by(PartnerDelivery.id.desc()).limit(limit)))


# -- the sweep ---------------------------------------------------------------------------------


def enqueue(db: Session, clock: Clock) -> int:
    """Queue every event not queued yet; returns how many were queued (flushes)."""
    now, queued = clock.now(), 0
    for hook in db.scalars(select(PartnerWebhook).where(PartnerWebhook.disabled_at.is_(None))
                           .order_by(PartnerWebhook.id)):
        wanted = set(hook.events.split())
        rows = db.execute(
            select(Attest, PartnerShare.person_id)
            .join(Candidate, Candidate.id == Attest.candidate_id)
            .join(PartnerShare, PartnerShare.person_id == Candidate.person_id)
            .where(PartnerShare.partner_id == hook.partner_id,
                   PartnerShare.stopped_at.is_(None),
                   Attest.organisation_id == hook.organisation_id,
                   PartnerShare.organisation_id == hook.organisation_id))
        known = set(db.scalars(select(PartnerDelivery.event_key)
                               .where(PartnerDelivery.webhook_id == hook.id)))
        for attest, person_id in rows:
            for event, at in ((ATTEST_ISSUED, attest.issued_at),
                              (ATTEST_REVOKED, attest.revoked_at)):
                key = f"{event}:{attest.id}"
                if event not in wanted or at is None or at < hook.created_at or key in known:
                    continue
                db.add(PartnerDelivery(organisation_id=hook.organisation_id,
                                       webhook_id=hook.id, event=event, event_key=key,
                                       person_id=person_id, occurred_at=at, created_at=now,
                                       attempts=0, next_attempt_at=now, last_error=""))
                known.add(key)
                queued += 1
    db.flush()
    return queued


def body_of(db: Session, delivery: PartnerDelivery) -> dict[str, Any] | None:
    """What is sent, as things stand now; None when it may no longer be sent."""
    hook = db.get(PartnerWebhook, delivery.webhook_id)
    if hook is None or hook.disabled_at is not None:
        return None
    share = db.scalar(select(PartnerShare).where(PartnerShare.partner_id == hook.partner_id,
                                                 PartnerShare.person_id == delivery.person_id,
                                                 PartnerShare.stopped_at.is_(None)))
    scope = db.scalar(select(PartnerScope.id).where(
        PartnerScope.partner_id == hook.partner_id,
        PartnerScope.scope == EVENT_SCOPE[delivery.event]))
    person = db.get(Person, delivery.person_id)
    if share is None or scope is None or person is None:
        return None
    attest = db.get(Attest, int(delivery.event_key.split(":")[1]))
    cand = db.get(Candidate, attest.candidate_id) if attest is not None else None
    if attest is None or cand is None or cand.person_id != person.id or \
            attest.organisation_id != hook.organisation_id:
        return None
    return {"id": f"dlv_{delivery.id}", "type": delivery.event,
            "occurred_at": service.iso_time(delivery.occurred_at),
            "person": {"id": share.person_ref}, "attest": service.attest_document(attest)}


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def delay_after(attempts: int) -> dt.timedelta:
    return min(BASE_DELAY * 2 ** max(0, attempts - 1), MAX_DELAY)


@dataclass
class SweepReport:
    queued: int = 0
    delivered: int = 0
    failed: int = 0
    gave_up: int = 0


def sweep(db: Session, clock: Clock, send: Sender, *, limit: int = 200) -> SweepReport:
    """Queue new events, then try every due delivery once (flushes)."""
    report = SweepReport(queued=enqueue(db, clock))
    now = clock.now()
    due = list(db.scalars(select(PartnerDelivery)
                          .where(PartnerDelivery.delivered_at.is_(None),
                                 PartnerDelivery.gave_up_at.is_(None),
                                 PartnerDelivery.next_attempt_at <= now)
                          .order_by(PartnerDelivery.next_attempt_at, PartnerDelivery.id)
                          .limit(limit)))
    for delivery in due:
        body = body_of(db, delivery)
        if body is None:
            delivery.gave_up_at, delivery.last_error = now, "no longer shared or allowed"
            report.gave_up += 1
            continue
        hook = db.get(PartnerWebhook, delivery.webhook_id)
        assert hook is not None
        data = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                   "Toetsbatterij-Event": delivery.event,
                   "Toetsbatterij-Delivery": body["id"],
                   SIGNATURE_HEADER: signature(hook.secret, int(now.timestamp()), data)}
        delivery.attempts += 1
        try:
            status, error = send(hook.url, data, headers), ""
        except OSError as exc:  # refused, timed out, unknown host, TLS
            status, error = None, f"{type(exc).__name__}: {exc}"[:300]
        delivery.last_status = status
        if status is not None and 200 <= status < 300:
            delivery.delivered_at, delivery.last_error = now, ""
            report.delivered += 1
            continue
        delivery.last_error = error or f"HTTP {status}"
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.gave_up_at = now
            report.gave_up += 1
        else:
            delivery.next_attempt_at = now + delay_after(delivery.attempts)
            report.failed += 1
    db.flush()
    return report


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None  # a redirect is an answer that is not 2xx: tried again later


def http_send(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST ``body`` to ``url``; the status (redirects are not followed)."""
    opener = urllib.request.build_opener(_NoRedirects)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - https (or http when allowed), checked at subscription
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)

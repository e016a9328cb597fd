"""Webhooks: a partner subscribed to attest events of the persons shared with it gets them
from the sweep, over real HTTP (a local server), signed with HMAC-SHA-256; a failing endpoint
is retried with back-off and given up after MAX_ATTEMPTS; nothing is sent about a person no
longer shared or without the attest.level scope; only https unless allowed."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.server
import json
import threading

import pytest
from sqlalchemy import select

from toetsbatterij.errors import InvalidInput, NotFound
from toetsbatterij.partners import service, webhooks
from toetsbatterij.partners.models import PartnerDelivery

from .support import attest_for, partner, person, share


class Receiver:
    """A local HTTP endpoint that records what it receives and answers ``status``."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append((dict(self.headers), body))
                self.send_response(outer.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/toetsbatterij"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def subscribed(world, receiver):
    org = world.a["org"]
    amina = person(world, org)
    vdab, _ = partner(world, org, [service.ATTEST_LEVEL])
    ref = share(world, vdab, amina)
    hook, secret = webhooks.create_webhook(
        world.db, world.clock, organisation_id=org, actor_id=None, partner_id=vdab.id,
        url=receiver.url, events=[webhooks.ATTEST_ISSUED, webhooks.ATTEST_REVOKED],
        allow_http=True)
    world.db.commit()
    world.clock.advance(minutes=1)
    return {"amina": amina, "vdab": vdab, "ref": ref, "hook": hook, "secret": secret}


def _sweep(world):
    report = webhooks.sweep(world.db, world.clock, webhooks.http_send)
    world.db.commit()
    return report


def test_an_issued_and_a_revoked_attest_are_delivered_signed(app, world, content, receiver,
                                                             subscribed):
    attest = attest_for(app, world, content, world.a, subscribed["amina"])
    report = _sweep(world)
    assert (report.queued, report.delivered) == (1, 1)
    [(headers, body)] = receiver.received
    timestamp, mac = headers["Toetsbatterij-Signature"].removeprefix("t=").split(",v1=")
    expected = hmac.new(subscribed["secret"].encode(), f"{timestamp}.".encode() + body,
                        hashlib.sha256).hexdigest()
    assert hmac.compare_digest(mac, expected)
    assert int(timestamp) == int(world.clock.now().timestamp())
    doc = json.loads(body)
    assert doc["type"] == "attest.issued" and doc["person"] == {"id": subscribed["ref"]}
    assert doc["attest"]["number"].replace("-", "") == attest.number
    assert doc["attest"]["revoked"] is False and headers["Toetsbatterij-Event"] == doc["type"]
    assert headers["Toetsbatterij-Delivery"] == doc["id"]
    assert "Amina" not in body.decode()  # no identity in an attest event
    # the same event is never queued twice
    assert _sweep(world).queued == 0 and len(receiver.received) == 1
    attest.revoked_at = world.clock.now()
    world.db.commit()
    report = _sweep(world)
    assert (report.queued, report.delivered) == (1, 1)
    revoked = json.loads(receiver.received[-1][1])
    assert revoked["type"] == "attest.revoked" and revoked["attest"]["revoked"] is True


def test_a_failing_endpoint_is_retried_with_back_off_then_given_up(app, world, content,
                                                                   receiver, subscribed):
    attest_for(app, world, content, world.a, subscribed["amina"])
    receiver.status = 503
    assert _sweep(world).failed == 1
    [delivery] = world.db.scalars(select(PartnerDelivery))
    waits = []
    for attempt in range(2, webhooks.MAX_ATTEMPTS + 1):
        wait = delivery.next_attempt_at - world.clock.now()
        waits.append(wait)
        assert _sweep(world).failed == 0  # not due yet
        world.clock.advance(seconds=wait.total_seconds())
        report = _sweep(world)
        world.db.refresh(delivery)
        assert delivery.attempts == attempt and delivery.last_status == 503
    assert waits[:3] == [dt.timedelta(minutes=1), dt.timedelta(minutes=2),
                         dt.timedelta(minutes=4)]
    assert report.gave_up == 1 and delivery.gave_up_at is not None
    assert len(receiver.received) == webhooks.MAX_ATTEMPTS
    world.clock.advance(days=1)
    assert _sweep(world).failed == 0 and len(receiver.received) == webhooks.MAX_ATTEMPTS


def test_an_unreachable_endpoint_is_an_error_not_a_crash(app, world, content, receiver,
                                                         subscribed):
    receiver.close()  # nobody listens on the port any more
    attest_for(app, world, content, world.a, subscribed["amina"])
    assert _sweep(world).failed == 1
    [delivery] = world.db.scalars(select(PartnerDelivery))
    assert delivery.last_status is None and "Error" in delivery.last_error


def test_nothing_is_sent_without_the_share_or_the_scope(app, world, content, receiver,
                                                        subscribed):
    org = world.a["org"]
    attest_for(app, world, content, world.a, subscribed["amina"])
    webhooks.enqueue(world.db, world.clock)
    service.set_scopes(world.db, world.clock, organisation_id=org, actor_id=None,
                       partner_id=subscribed["vdab"].id, scopes=[service.NT2_LEVEL])
    world.db.commit()
    report = _sweep(world)
    assert report.gave_up == 1 and receiver.received == []
    # a person not shared: not even queued
    bram = person(world, org, "Bram", "Peeters", serial=103)
    attest_for(app, world, content, world.a, bram, i=1)
    assert _sweep(world).queued == 0


def test_events_before_the_subscription_and_other_agencies_are_not_queued(app, world, content,
                                                                         receiver):
    org = world.a["org"]
    amina = person(world, org)
    attest_for(app, world, content, world.a, amina)  # before the subscription
    vdab, _ = partner(world, org, [service.ATTEST_LEVEL])
    share(world, vdab, amina)
    world.clock.advance(minutes=1)
    webhooks.create_webhook(world.db, world.clock, organisation_id=org, actor_id=None,
                            partner_id=vdab.id, url=receiver.url,
                            events=[webhooks.ATTEST_ISSUED], allow_http=True)
    theirs, _ = partner(world, world.b["org"], [service.ATTEST_LEVEL], name="VDAB Gent")
    chaima = person(world, world.b["org"], "Chaima", "Benali", serial=105)
    share(world, theirs, chaima)
    world.db.commit()
    assert _sweep(world).queued == 0 and receiver.received == []


def test_subscriptions_are_checked(world):
    org = world.a["org"]
    vdab, _ = partner(world, org, [service.ATTEST_LEVEL])
    for url in ("http://partner.example/hook", "ftp://x/y", "https://", "javascript:alert(1)",
                "https://user:pw@partner.example/", "https://x/" + "a" * 500):
        with pytest.raises(InvalidInput):
            webhooks.create_webhook(world.db, world.clock, organisation_id=org, actor_id=None,
                                    partner_id=vdab.id, url=url, events=[webhooks.ATTEST_ISSUED])
    for events in ([], ["certificate.everything"]):
        with pytest.raises(InvalidInput):
            webhooks.create_webhook(world.db, world.clock, organisation_id=org, actor_id=None,
                                    partner_id=vdab.id, url="https://partner.example/hook",
                                    events=events)
    hook, secret = webhooks.create_webhook(
        world.db, world.clock, organisation_id=org, actor_id=None, partner_id=vdab.id,
        url="https://partner.example/hook", events=[webhooks.ATTEST_REVOKED])
    assert len(secret) == 64 and hook.events == "attest.revoked"
    with pytest.raises(NotFound):
        webhooks.disable_webhook(world.db, world.clock, organisation_id=world.b["org"],
                                 actor_id=None, partner_id=vdab.id, webhook_id=hook.id)
    webhooks.disable_webhook(world.db, world.clock, organisation_id=org, actor_id=None,
                             partner_id=vdab.id, webhook_id=hook.id)
    assert hook.disabled_at is not None


def test_the_cli_sweep(app, world, content, receiver, subscribed, capsys, monkeypatch):
    from toetsbatterij import cli

    attest_for(app, world, content, world.a, subscribed["amina"])
    monkeypatch.setattr(cli, "platform_from_args",
                        lambda *_a: _Platform(app.extensions["toetsbatterij"]))
    assert cli.main(["deliver-partner-webhooks"]) == 0
    assert "1 afgeleverd" in capsys.readouterr().out and len(receiver.received) == 1


class _Platform:
    """The app's platform, kept open after the command (the fixture closes it)."""

    def __init__(self, platform):
        self._p = platform

    def __getattr__(self, name):
        return getattr(self._p, name)

    def close(self):
        pass

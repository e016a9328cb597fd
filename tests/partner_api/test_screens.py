"""The agency admin's partner screens: add a partner with scopes, make a token (shown once,
never again), use it, rotate and revoke it, share and stop sharing a person, and see every
read in the log. CSRF is on here, as in production: the screens need it, the token API not."""

from __future__ import annotations

import re

import pytest
from delivery_support import PASSWORD
from sqlalchemy import select

from toetsbatterij.partners import service
from toetsbatterij.partners.models import Partner, PartnerToken

from .support import bearer, person

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TOKEN = re.compile(r'id="token" type="text" readonly value="(tbp_[^"]+)"')


@pytest.fixture
def csrf_app(make_app):
    return make_app()


def _browser(app, world, role="agency_admin"):
    client = app.test_client()
    client.environ_base["HTTP_REFERER"] = "https://localhost/"
    token = CSRF.search(client.get("/beheer/aanmelden").get_data(as_text=True)).group(1)
    assert client.post("/beheer/aanmelden", data={
        "csrf_token": token, "email": f"{role}@{world.a['domain']}",
        "password": PASSWORD}).status_code == 302
    return client


def _csrf(client, url):
    return CSRF.search(client.get(url).get_data(as_text=True)).group(1)


def test_the_admin_runs_a_partner_from_the_screens(csrf_app, world, db_session):
    amina = person(world, world.a["org"])
    person(world, world.b["org"], "Chaima", "Benali", serial=105)
    admin = _browser(csrf_app, world)
    page = admin.get("/beheer/partners/").get_data(as_text=True)
    assert "Nog geen partners" in page
    resp = admin.post("/beheer/partners/", data={
        "csrf_token": _csrf(admin, "/beheer/partners/"), "name": "VDAB Antwerpen",
        "kind": "work", "contact_email": "koppeling@vdab.test",
        "scopes": [service.TRAJECTORY, service.NT2_LEVEL]})
    assert resp.status_code == 302
    row = db_session.scalar(select(Partner))
    detail = f"/beheer/partners/{row.id}"
    page = admin.get(detail).get_data(as_text=True)
    assert "VDAB Antwerpen" in page and "Amina" in page and "Chaima" not in page
    # a token, shown once
    resp = admin.post(f"{detail}/tokens", data={"csrf_token": _csrf(admin, detail),
                                                 "label": "koppeling", "days": "90"})
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    secret = TOKEN.search(resp.get_data(as_text=True)).group(1)
    assert secret not in admin.get(detail).get_data(as_text=True)
    api = csrf_app.test_client()
    assert api.get("/api/partner/v1/me", headers=bearer(secret)).get_json()["scopes"] == [
        service.NT2_LEVEL, service.TRAJECTORY]
    # share Amina; the partner sees her
    resp = admin.post(f"{detail}/delen", data={"csrf_token": _csrf(admin, detail),
                                                "person_id": str(amina.id)})
    assert resp.status_code == 302
    [item] = api.get("/api/partner/v1/persons", headers=bearer(secret)).get_json()["items"]
    assert "identity" not in item  # no person.identity scope
    assert api.get(f"/api/partner/v1/persons/{item['id']}/nt2",
                   headers=bearer(secret)).status_code == 200
    # the read log shows the reads
    log = admin.get(f"/beheer/partners/leeslog?partner={row.id}").get_data(as_text=True)
    assert "persons.nt2" in log and "Amina El Idrissi" in log and secret[:12] in log
    assert log.count("<tr>") == 1 + 3  # the header and me, persons.list, persons.nt2
    # scopes changed on the screen count at once
    resp = admin.post(f"{detail}/gegevensgroepen", data={"csrf_token": _csrf(admin, detail),
                                                         "scopes": [service.ATTEST_LEVEL]})
    assert resp.status_code == 302
    assert api.get(f"/api/partner/v1/persons/{item['id']}/nt2",
                   headers=bearer(secret)).status_code == 403
    # rotate: a new token shown once, the old one refused
    token_row = db_session.scalar(select(PartnerToken))
    resp = admin.post(f"{detail}/tokens/{token_row.id}/vernieuwen",
                      data={"csrf_token": _csrf(admin, detail)})
    new_secret = TOKEN.search(resp.get_data(as_text=True)).group(1)
    assert api.get("/api/partner/v1/me", headers=bearer(secret)).status_code == 401
    assert api.get("/api/partner/v1/me", headers=bearer(new_secret)).status_code == 200
    # revoke needs the box ticked
    db_session.expire_all()
    new_row = db_session.scalar(select(PartnerToken).where(PartnerToken.revoked_at.is_(None)))
    resp = admin.post(f"{detail}/tokens/{new_row.id}/intrekken",
                      data={"csrf_token": _csrf(admin, detail)})
    assert resp.status_code == 400
    assert api.get("/api/partner/v1/me", headers=bearer(new_secret)).status_code == 200
    resp = admin.post(f"{detail}/tokens/{new_row.id}/intrekken",
                      data={"csrf_token": _csrf(admin, detail), "confirm": "y"})
    assert resp.status_code == 302
    assert api.get("/api/partner/v1/me", headers=bearer(new_secret)).status_code == 401
    # stop sharing
    [shared] = service.shares(db_session, world.a["org"], row.id)
    resp = admin.post(f"{detail}/delen/{shared.share.id}/stoppen",
                      data={"csrf_token": _csrf(admin, detail)})
    assert resp.status_code == 302 and service.shares(db_session, world.a["org"], row.id) == []


def test_refusals_stay_on_the_page(csrf_app, world):
    admin = _browser(csrf_app, world)
    resp = admin.post("/beheer/partners/", data={"csrf_token": _csrf(admin, "/beheer/partners/"),
                                                 "name": "", "kind": "work"})
    assert resp.status_code == 400 and "field-error" in resp.get_data(as_text=True)
    admin.post("/beheer/partners/", data={"csrf_token": _csrf(admin, "/beheer/partners/"),
                                          "name": "OCMW", "kind": "welfare"})
    partner_id = service.list_partners(world.db, world.a["org"])[0].id
    detail = f"/beheer/partners/{partner_id}"
    resp = admin.post(f"{detail}/tokens", data={"csrf_token": _csrf(admin, detail),
                                                 "days": "9999"})
    assert resp.status_code == 400 and "730" in resp.get_data(as_text=True)
    assert "tbp_" not in resp.get_data(as_text=True)
    resp = admin.post(f"{detail}/gegevensgroepen", data={"csrf_token": _csrf(admin, detail),
                                                         "scopes": ["alles"]})
    assert resp.status_code == 400
    # the token API needs no CSRF token; the screens do
    assert admin.post(f"{detail}/tokens", data={"days": "30"}).status_code == 400


def test_the_api_ignores_a_staff_login(csrf_app, world):
    """A logged-in admin's browser gets nothing from the API without a token."""
    admin = _browser(csrf_app, world)
    resp = admin.get("/api/partner/v1/persons")
    assert resp.status_code == 401 and resp.mimetype == "application/problem+json"


def test_the_admin_subscribes_a_partner_to_webhooks(make_app, world, db_session):
    app = make_app(PARTNER_WEBHOOK_ALLOW_HTTP=False)
    admin = _browser(app, world)
    admin.post("/beheer/partners/", data={"csrf_token": _csrf(admin, "/beheer/partners/"),
                                          "name": "Woonhaven", "kind": "housing",
                                          "scopes": [service.ATTEST_LEVEL]})
    detail = f"/beheer/partners/{db_session.scalar(select(Partner.id))}"
    resp = admin.post(f"{detail}/webhooks", data={"csrf_token": _csrf(admin, detail),
                                                   "url": "http://woonhaven.test/hook",
                                                   "events": ["attest.issued"]})
    assert resp.status_code == 400 and "https" in resp.get_data(as_text=True)
    resp = admin.post(f"{detail}/webhooks", data={"csrf_token": _csrf(admin, detail),
                                                   "url": "https://woonhaven.test/hook",
                                                   "events": ["attest.issued", "attest.revoked"]})
    assert resp.status_code == 200
    secret = re.search(r'id="secret" type="text" readonly value="([0-9a-f]{64})"',
                       resp.get_data(as_text=True)).group(1)
    page = admin.get(detail).get_data(as_text=True)
    assert "https://woonhaven.test/hook" in page and secret not in page
    from toetsbatterij.partners.models import PartnerWebhook

    hook = db_session.scalar(select(PartnerWebhook))
    resp = admin.post(f"{detail}/webhooks/{hook.id}/uitschakelen",
                      data={"csrf_token": _csrf(admin, detail)})
    assert resp.status_code == 302
    db_session.expire_all()
    assert db_session.get(PartnerWebhook, hook.id).disabled_at is not None

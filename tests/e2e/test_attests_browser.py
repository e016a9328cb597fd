"""The attest pages in a real browser: the QR code's address opens the verification form, one
press checks it (with the birth date: the holder's name); the staff pages of an attest and of
the rules. Every page passes the WCAG 2.2 AA audit of test_accessibility (axe-core, focus,
reflow at 640 px)."""

from __future__ import annotations

import pytest
from attest_support import LEVELS, FakeResults, finished_attempt, issue
from delivery_support import PASSWORD

from toetsbatterij.attests import keys

from .support import shot
from .test_accessibility import Audit

pytestmark = pytest.mark.browser


def test_attest_verification_and_staff_pages(browser, live_server, world, content):
    results = FakeResults(world.db, world.clock)
    done = finished_attempt(world, content, world.a)
    attest = issue(world, keys.Signer.generate(), results, world.a,
                   results.add(world.a["org"], done.id, LEVELS))
    base, audit = live_server, Audit()
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    page = ctx.new_page()
    page.goto(f"{base}/attest/{attest.number}?code={attest.verification_code}")
    assert page.input_value("#code") == attest.verification_code
    audit(page, "attest-verify-form", candidate=False)
    page.fill("#birth_date", attest.person["birth_date"])
    with page.expect_navigation():
        page.get_by_role("button", name="Controleren").click()
    assert page.get_by_role("heading", name="Geldig attest").count() == 1
    assert page.get_by_text("Kandidaat0 Achternaam0").count() == 1
    audit(page, "attest-verify-valid", candidate=False)
    shot(page, "40-attest-verify-valid")
    page.fill("#code", "AAAAAA")
    with page.expect_navigation():
        page.get_by_role("button", name="Controleren").click()
    assert page.get_by_role("heading", name="Onbekend").count() == 1
    audit(page, "attest-verify-unknown", candidate=False)

    staff = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
    staff.goto(f"{base}/beheer/aanmelden")
    staff.fill("#email", f"agency_admin@{world.a['domain']}")
    staff.fill("#password", PASSWORD)
    with staff.expect_navigation():
        staff.get_by_role("button", name="Aanmelden").click()
    staff.get_by_role("link", name="Attesten").first.click()
    staff.wait_for_selector("text=Uitgereikte attesten")
    audit(staff, "staff-attests", candidate=False)
    staff.goto(f"{base}/beheer/attesten/{attest.id}")
    audit(staff, "staff-attest-detail", candidate=False)
    shot(staff, "41-staff-attest-detail")
    staff.fill("#reason", "Fout in de identiteit")
    with staff.expect_navigation():
        staff.get_by_role("button", name="Intrekking aanvragen").click()
    assert staff.get_by_text("Een andere beheerder moet de intrekking bevestigen.").count() >= 1
    audit(staff, "staff-attest-revocation-requested", candidate=False)
    staff.goto(f"{base}/beheer/attesten/regels")
    audit(staff, "staff-attest-rules", candidate=False)
    audit.check()

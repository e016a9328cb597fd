"""The complaint flow end to end in headless Chromium (issue 13, item 5): an agency admin
records a complaint about a candidate's writing and asks for the review; a rater who never
rated the production rates it blind on the ordinary rating screen (the raters of the first
ratings never see it); the admin proposes a new result, a second admin confirms it; the result
is superseded, a new attest is issued, and the old attest verifies as revoked on the public
verification page. The candidate's public complaint form and the inzage screen are opened and
audited (axe WCAG 2.2 AA) too."""

from __future__ import annotations

import pytest
from complaint_support import rated_result
from rating_support import TEXT, rate_all, rater
from sqlalchemy import select

from toetsbatterij.attests.models import Attest
from toetsbatterij.complaints.models import Complaint
from toetsbatterij.productions.storage import FilesystemStorage
from toetsbatterij.rating import service as rating
from toetsbatterij.results.models import Result

from .support import shot
from .test_accessibility import Audit
from .test_rating import log_in, open_next, rate_screen

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_complaint_review_new_result_new_attest_old_revoked(browser, live_server, world,
                                                           content, tmp_path):
    base, audit = live_server, Audit()
    rated = rated_result(world, content, FilesystemStorage(tmp_path / "rec"), world.a)
    slug = world.a["domain"].split(".")[0]
    admin = log_in(browser, base, f"agency_admin@{world.a['domain']}")

    # 1. The admin records the complaint on the candidate's behalf.
    admin.get_by_role("link", name="Klachten").first.click()
    admin.wait_for_selector("h1:has-text('Klachten')")
    audit(admin, "staff-complaints-empty", candidate=False)
    with admin.expect_navigation():
        admin.get_by_role("link", name="Klacht registreren").click()
    admin.select_option("#attempt_id", str(rated.attempt.id))
    admin.get_by_label("Schrijven").check()
    admin.select_option("#channel", "email")
    admin.fill("#text", "Ik vind dat mijn brief beter was dan het niveau op mijn rapport.")
    admin.fill("#contact", "kandidaat@example.test")
    audit(admin, "staff-complaint-new", candidate=False)
    with admin.expect_navigation():
        admin.get_by_role("button", name="Klacht registreren").click()
    row = world.db.scalar(select(Complaint))
    assert admin.get_by_role("heading", name=f"Klacht {row.reference}").count() == 1
    assert admin.get_by_text("uiterlijk").count() >= 2  # the deadlines of the open steps
    with admin.expect_navigation():
        admin.get_by_role("button", name="Ontvangst gemeld").click()
    with admin.expect_navigation():
        admin.get_by_role("button", name="Herbeoordeling aanvragen").click()
    assert admin.get_by_text("in de wachtrij (0 van 2)").count() == 1
    audit(admin, "staff-complaint-in-review", candidate=False)
    shot(admin, "60-staff-complaint-in-review")

    # 2. The raters of the first ratings get nothing; a new rater rates it blind.
    for account in rated.raters:
        assert rating.next_assignment(world.db, world.clock, content, account,
                                      rating.RatingPolicy(control_rate=0.0)) is None
    world.db.rollback()
    third = rater(world, world.a, "derde")
    reviewer = log_in(browser, base, third.email)
    open_next(reviewer, base)
    assert TEXT[:40] in reviewer.content()  # the candidate's own text, as any production
    assert "klacht" not in reviewer.content().lower()  # nothing tells a review apart
    rate_screen(reviewer, "max")
    rate_all(world, content, rater(world, world.a, "vierde"), 2)  # the second review rating

    # 3. The admin proposes the new result; a second admin confirms it.
    admin.reload()
    assert admin.get_by_text("afgerond (2 beoordelingen)").count() == 1
    assert admin.get_by_role("table", name="Resultaat nu en na de herbeoordeling").count() == 1
    admin.select_option("#outcome", "revised")
    admin.fill("#motivation", "De herbeoordeling door twee andere beoordelaars geeft een hoger "
                              "niveau voor schrijven.")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Beslissing voorstellen").click()
    assert admin.get_by_text("Een andere beheerder moet de beslissing bevestigen.").count() == 1
    assert admin.get_by_role("button", name="Beslissing bevestigen").count() == 0
    second = log_in(browser, base, f"admin2@{slug}.test")
    second.goto(f"{base}/beheer/klachten/{row.id}")
    audit(second, "staff-complaint-proposed", candidate=False)
    second.get_by_label("Ik bevestig deze beslissing", exact=False).check()
    with second.expect_navigation():
        second.get_by_role("button", name="Beslissing bevestigen").click()
    assert second.get_by_text("De beslissing is genomen.").count() == 1
    shot(second, "61-staff-complaint-decided")
    world.db.expire_all()
    decided = world.db.get(Complaint, row.id)
    assert world.db.get(Result, rated.result.id).superseded_by_id == decided.new_result_id
    new_attest = world.db.get(Attest, decided.new_attest_id)
    assert new_attest.result_id == decided.new_result_id

    # 4. The old attest verifies as revoked, the new one as valid, on the public page.
    public = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
    public.goto(f"{base}/attest/{rated.attest.number}?code={rated.attest.verification_code}")
    with public.expect_navigation():
        public.get_by_role("button", name="Controleren").click()
    assert public.get_by_text("Ingetrokken", exact=False).count() >= 1
    shot(public, "62-attest-revoked-after-complaint")
    public.goto(f"{base}/attest/{new_attest.number}?code={new_attest.verification_code}")
    with public.expect_navigation():
        public.get_by_role("button", name="Controleren").click()
    assert public.get_by_role("heading", name="Geldig attest").count() == 1

    # 5. The inzage of the new result: the own text and the scores, no item text.
    second.goto(f"{base}/beheer/inzage/{decided.new_result_id}")
    assert TEXT[:40] in second.content() and "2 van 2" in second.content()
    audit(second, "inzage", candidate=False)
    shot(second, "63-inzage")

    # 6. The candidate's public complaint form, in Arabic.
    public.goto(f"{base}/klacht?taal=ar")
    assert public.locator("html").get_attribute("dir") == "rtl"
    audit(public, "complaint-form-ar")
    public.goto(f"{base}/klacht?taal=nl")
    public.fill("#session_code", "XXXX")
    public.fill("#access_code", "YYYY")
    public.fill("#birth_date", "1990-01-01")
    public.get_by_label("Over hoe de toets verliep").check()
    public.fill("#text", "Het was te lawaaierig.")
    with public.expect_navigation():
        public.get_by_role("button", name="Klacht versturen").click()
    assert public.get_by_role("heading", name="Dank u wel").count() == 1
    audit(public, "complaint-sent")
    audit.check()

"""Person -> trajectory -> certificate in a real browser: the agency admin opens the person,
starts a trajectory, sees what is missing, records the statuses (the attest was linked to NT2
by identity when it was issued), issues the civic-integration certificate and a verifier checks
it on the public page. Every page passes the WCAG 2.2 AA audit of test_accessibility."""

from __future__ import annotations

import pytest
from attest_support import LEVELS, FakeResults, finished_attempt
from attest_support import issue as issue_attest
from delivery_support import PASSWORD

from toetsbatterij.attests import keys
from toetsbatterij.delivery.models import Candidate
from toetsbatterij.persons.models import Person

from .support import shot
from .test_accessibility import Audit

pytestmark = pytest.mark.browser


def test_person_trajectory_certificate(browser, live_server, world, content):
    results = FakeResults(world.db, world.clock)
    done = finished_attempt(world, content, world.a)
    person_id = world.db.get(Candidate, world.a["candidates"][0]).person_id
    person = world.db.get(Person, person_id)
    base, audit = live_server, Audit()
    page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
    page.goto(f"{base}/beheer/aanmelden")
    page.fill("#email", f"agency_admin@{world.a['domain']}")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Aanmelden").click()
    page.get_by_role("link", name="Personen").first.click()
    page.fill("#q", person.last_name)
    with page.expect_navigation():
        page.get_by_role("button", name="Zoeken").click()
    audit(page, "staff-persons", candidate=False)
    with page.expect_navigation():
        page.get_by_role("link", name=f"{person.last_name}, {person.first_name}").click()
    audit(page, "staff-person", candidate=False)
    page.select_option("#kind", "obliged")
    page.fill("#legal_ground", "Inburgeringsdecreet")
    page.fill("#start_date", "2025-09-01")
    page.check("#career")
    page.check("#participation")
    with page.expect_navigation():
        page.get_by_role("button", name="Traject starten").last.click()
    assert page.get_by_text("Nog niet voldaan. Wat ontbreekt:").count() == 1
    assert page.get_by_text("er is geen geldig attest gekoppeld").count() == 1
    audit(page, "staff-trajectory-missing", candidate=False)
    trajectory_url = page.url
    # The attest is issued now: it goes to the trajectory's NT2 component by identity.
    issue_attest(world, keys.Signer.generate(), results, world.a,
                 results.add(world.a["org"], done.id, LEVELS))
    page.goto(trajectory_url)
    for heading in ("Maatschappelijke oriëntatie", "Loopbaanoriëntatie",
                    "Participatie en netwerking"):
        section = page.locator("section", has=page.get_by_role("heading", name=heading))
        section.get_by_label("Nieuwe status").select_option("passed")
        section.get_by_label("Datum").fill("2026-02-01")
        with page.expect_navigation():
            section.get_by_role("button", name="Status bewaren").click()
    assert page.get_by_text("De regel is voldaan.").count() == 1
    audit(page, "staff-trajectory-met", candidate=False)
    shot(page, "50-staff-trajectory")
    page.check("#issue-confirm")
    with page.expect_navigation():
        page.get_by_role("button", name="Inburgeringsattest uitreiken").click()
    assert page.get_by_text("Handtekening klopt").count() == 1
    audit(page, "staff-certificate", candidate=False)
    address = page.locator("dt:text('Controleadres') + dd").inner_text()

    verifier = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
    verifier.goto(address)
    audit(verifier, "certificate-verify-form", candidate=False)
    verifier.fill("#birth_date", person.birth_date.isoformat())
    with verifier.expect_navigation():
        verifier.get_by_role("button", name="Controleren").click()
    assert verifier.get_by_role("heading", name="Geldig inburgeringsattest").count() == 1
    assert verifier.get_by_text(f"{person.first_name} {person.last_name}").count() == 1
    audit(verifier, "certificate-verify-valid", candidate=False)
    shot(verifier, "51-certificate-verify-valid")
    audit.check()


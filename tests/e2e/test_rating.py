"""End to end in headless Chromium: two raters log in and rate the same writing and speaking
productions blind (the second sees nothing of the first), by keyboard on the rubric's radio
groups; the speaking screen draws the recording's waveform in the browser and plays it at 1.5x;
the large disagreement sends both productions to a senior rater, whose third rating resolves
them, after which ``rating.service.resolutions`` returns a resolution for each, the result is
frozen and the candidate's report downloads as a PDF holding the levels. The rater,
adjudication, raters, calibration and statistics pages pass the axe WCAG 2.2 AA audit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from delivery_support import PASSWORD
from rating_support import TEXT, finished_attempt, rater

from toetsbatterij.productions.storage import FilesystemStorage
from toetsbatterij.rating import service
from toetsbatterij.rating.models import ADJUDICATION, RatingTask
from toetsbatterij.rating.resolution import ADJUDICATED_CLOSEST

from .support import shot
from .test_accessibility import Audit

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHECKED_SCORES = """() => Array.from(document.querySelectorAll('input[type=radio]:checked'))
  .filter(i => i.name !== 'code').map(i => i.name + '=' + i.value)"""


def log_in(browser, base, email):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{base}/beheer/aanmelden")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Aanmelden").click()
    return page


def rate_screen(page, score: str) -> str:
    """Rate the production on the screen with ``score`` on every criterion (the lowest or the
    highest level), by keyboard: Tab into each radio group, arrow keys to the level, Space;
    then submit. Returns the skill heading."""
    heading = page.locator("h1").inner_text()
    groups = page.locator("fieldset.criterion")
    for i in range(groups.count()):
        group = groups.nth(i)
        radios = group.locator("input[type=radio]")
        radios.first.focus()
        page.keyboard.press("Space")  # the first level (score 0)
        if score == "max":
            for _ in range(radios.count() - 1):
                page.keyboard.press("ArrowDown")
        assert group.locator("input:checked").count() == 1
    with page.expect_navigation():
        page.get_by_role("button", name="Indienen").click()
    return heading


def open_next(page, base):
    page.goto(f"{base}/beheer/")
    with page.expect_navigation():
        page.locator("#next-production").click()


def check_recording(page):
    box = page.locator(".recording").first
    page.wait_for_function("() => { const b = document.querySelector('.recording');"
                           " return b && b.dataset.waveform; }", timeout=15_000)
    assert box.get_attribute("data-waveform") == "ready"
    assert float(box.get_attribute("data-seconds")) > 5
    drawn = page.evaluate("""() => { const c = document.querySelector('canvas.waveform');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let dark = 0; for (let i = 0; i < d.length; i += 4) if (d[i] < 150) dark++;
      return dark; }""")
    assert drawn > 500  # the waveform is drawn, not an empty box
    page.get_by_role("button", name="1,5×").click()
    assert page.locator(".speed-button[data-rate='1.5']").get_attribute("aria-pressed") == "true"
    played = page.evaluate("""async () => { const a = document.querySelector('.recording audio');
      await a.play(); await new Promise(r => setTimeout(r, 600)); a.pause();
      return {rate: a.playbackRate, time: a.currentTime, src: a.src.slice(0, 5)}; }""")
    assert played["rate"] == 1.5 and played["time"] > 0.3 and played["src"] == "blob:"


def test_two_raters_rate_blind_and_a_senior_resolves_the_disagreement(browser, live_server,
                                                                       world, content):
    base = live_server
    storage = FilesystemStorage(Path(os.environ["TOETSBATTERIJ_INSTANCE_PATH"]) / "recordings")
    attempt = finished_attempt(world, content, storage, world.a)
    one, two = rater(world, world.a, "een"), rater(world, world.a, "twee")
    rater(world, world.a, "senior", senior=True)
    audit = Audit()

    first = log_in(browser, base, one.email)
    assert "Schrijven: 1" in first.locator(".queue-counts").inner_text().replace("\n", " ")
    audit(first, "rater-queue", candidate=False)
    seen = set()
    for _ in range(2):
        open_next(first, base)
        if first.locator(".recording").count():
            check_recording(first)
            audit(first, "rating-speaking", candidate=False, shot=True)
            seen.add("speaking")
        else:
            assert TEXT in first.locator(".production-text").inner_text()
            audit(first, "rating-writing", candidate=False, shot=True)
            seen.add("writing")
        rate_screen(first, "max")
    assert seen == {"writing", "speaking"}
    assert "Er wacht nu geen productie op u." in first.content()

    second = log_in(browser, base, two.email)
    for _ in range(2):
        open_next(second, base)
        assert second.evaluate(CHECKED_SCORES) == []  # nothing of the first rating shows
        rate_screen(second, "min")
    world.db.expire_all()
    statuses = set(world.db.scalars(select_status(attempt.id)))
    assert statuses == {ADJUDICATION}
    assert service.resolutions(world.db, attempt.id) is None

    senior = log_in(browser, base, f"senior@{world.a['domain']}")
    for i in range(2):
        open_next(senior, base)
        assert senior.locator("h1").inner_text() == "Derde beoordeling"
        assert senior.evaluate(CHECKED_SCORES) == []
        if i == 0:
            audit(senior, "rating-adjudication", candidate=False)
            shot(senior, "31-rating-adjudication")
        rate_screen(senior, "min")
    world.db.rollback()
    world.db.expire_all()
    res = service.resolutions(world.db, attempt.id)
    assert res is not None and len(res) == 2
    assert {r.rule for r in res.values()} == {ADJUDICATED_CLOSEST}
    # the senior agreed with the second rater: the resolved scores are theirs (all 0)
    assert all(set(r.criterion_means().values()) == {0.0} for r in res.values())

    # The senior's last rating froze the result (the web layer's freeze on the last rating).
    from io import BytesIO

    from pypdf import PdfReader

    from toetsbatterij.results import service as results

    result = results.current_result(world.db, attempt.id)
    assert result is not None
    levels = {e["skill"]: e["level"] for e in result.document["skills"]}
    assert set(levels) == {"writing", "speaking"} and all(levels.values())
    admin = log_in(browser, base, f"agency_admin@{world.a['domain']}")
    admin.goto(f"{base}/beheer/resultaten/{result.id}")
    audit(admin, "result-detail", candidate=False)
    # The candidate's report as the agency hands it over: a PDF whose text holds the levels.
    pdf = admin.request.get(f"{base}/beheer/resultaten/{result.id}/rapport.pdf")
    assert pdf.ok and pdf.headers["content-type"].startswith("application/pdf")
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(BytesIO(pdf.body())).pages)
                    .split())
    labels = {"writing": "Schrijven", "speaking": "Spreken"}
    for skill, level in levels.items():
        shown = "lager dan A1" if level == "below_A1" else level
        assert f"{labels[skill]} – Uw niveau: {shown}" in text
    for path, name in (("/beheer/beoordelaars", "raters"), ("/beheer/kalibratie", "calibration"),
                       ("/beheer/beoordelaars/statistieken", "rater-statistics")):
        admin.goto(base + path)
        audit(admin, name, candidate=False, shot=True)
    audit.check()


def select_status(attempt_id):
    from sqlalchemy import select

    return select(RatingTask.status).where(RatingTask.attempt_id == attempt_id)

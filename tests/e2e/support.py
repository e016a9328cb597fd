"""Helpers shared by the browser tests: a test bank with the real practice block, screenshots and
the ticket login."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from bankfixture import ROOT, write_bank

from .conftest import ARTIFACTS


def bank_with_real_practice(tmp_path_factory) -> Path:
    """The test bank with the item bank's own practice block (every interaction type)."""
    root = write_bank(tmp_path_factory.mktemp("bank") / "itembank")
    shutil.rmtree(root / "practice")
    shutil.copytree(ROOT / "itembank" / "practice", root / "practice")
    return root


def open_content(bank_dir: Path):
    from delivery_support import open_forms as open_bank

    return open_bank(bank_dir)


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def login(page, base: str, world, i: int = 0) -> None:
    page.goto(base + "/")
    page.fill("#session_code", world.a["session_code"])
    page.fill("#access_code", world.a["access_codes"][i])
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Zo werkt de toets")


def writing_speaking_session(world, clock) -> dict:
    """An opened session of the test bank's writing + speaking test with one candidate whose
    instruction language is Arabic and one Dutch; returns the codes and candidate ids."""
    from toetsbatterij.delivery import sessions

    sess = sessions.create_session(
        world.db, clock, organisation_id=world.a["org"], actor_id=None,
        location_id=world.a["location"],
        test_definition_id=world.definitions["schrijven-spreken"].id,
        starts_at=clock.now() - dt.timedelta(minutes=30),
        ends_at=clock.now() + dt.timedelta(hours=8))
    ar = world.candidate(world.a["org"], sess.id, 20, instruction_language="ar")
    nl = world.candidate(world.a["org"], sess.id, 21)
    world.db.commit()
    world.open({"org": world.a["org"], "session": sess.id})
    return {"code": sess.code, "session": sess.id, "ar": ar.id, "nl": nl.id,
            "access": {"ar": ar.access_code, "nl": nl.access_code}}


# The sound check comes before the first listening item of a sitting (literacy.js keeps "done"
# in sessionStorage). Tests about something else start with it done; test_literacy.py tests it.
SOUND_CHECK_DONE = "try { sessionStorage.setItem('toetsbatterij.soundcheck', 'ok'); } catch (e) {}"

UNANSWERED = """() => Array.from(document.querySelectorAll('#unit-form fieldset.question')).some(q => {
  const cs = Array.from(q.querySelectorAll('input, select, textarea')).filter(e => e.type !== 'hidden');
  return cs.length > 0 && !cs.some(e => (e.type === 'radio' || e.type === 'checkbox')
                                        ? e.checked : String(e.value).trim() !== ''); })"""


def candidate_page(browser, **context_options):
    """A page in a new browser context whose sound check counts as done."""
    ctx = browser.new_context(**context_options)
    ctx.add_init_script(SOUND_CHECK_DONE)
    return ctx.new_page()


def next_question(page) -> bool:
    """Inside a testlet shown one question per screen: on to the next question, if any."""
    forward = page.locator("button.question-next:visible")
    if forward.count():
        forward.click()
        return True
    return False


def send_screen(page) -> None:
    """Send the unit on the screen as it is: past the other questions of a testlet, and through
    the "not everything answered" question when something is left open."""
    while next_question(page):
        pass
    if page.evaluate(UNANSWERED) and page.locator("#unanswered").count():
        page.locator("button.next").click()
        page.locator("#unanswered-go").wait_for()
        with page.expect_navigation():
            page.locator("#unanswered-go").click()
    else:
        with page.expect_navigation():
            page.locator("button.next").click()


def released_result(world, content, i: int, *, instruction_language: str = "nl"):
    """A new candidate of world.a (number ``i``, in that instruction language) took the whole
    test through the services; the result is frozen and released, the device free for a
    browser. Returns (access code, result)."""
    from delivery_support import take_attempt

    from toetsbatterij.delivery import attempts
    from toetsbatterij.delivery.models import Candidate
    from toetsbatterij.reports import service as reports
    from toetsbatterij.results import service as results
    from toetsbatterij.results.rules import ScoringRules

    cand = world.candidate(world.a["org"], world.a["session"], i,
                           instruction_language=instruction_language)
    world.a["candidates"].append(cand.id)
    world.a["access_codes"].append(cand.access_code)
    world.db.commit()
    i = len(world.a["candidates"]) - 1
    attempt = take_attempt(world, content, world.a, i)
    result = results.freeze(world.db, world.clock, content, attempt, lambda _db, _a: {},
                            ScoringRules())
    reports.release(world.db, world.clock, organisation_id=world.a["org"],
                    result_ids=[result.id], actor_id=None)
    attempts.release_device(world.db, world.clock, world.db.get(Candidate, attempt.candidate_id),
                            actor_id=None)
    world.db.commit()
    return world.a["access_codes"][i], result

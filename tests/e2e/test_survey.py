"""The satisfaction survey in a real browser (issue 17): offered on the end screen, completed by
keyboard only (Tab to a question, arrow keys along the smiley scale), read aloud, and audited
with axe-core like every candidate screen."""

from __future__ import annotations

import pytest
from delivery_support import answer_until_finished
from sqlalchemy import select

from toetsbatterij.delivery.models import Attempt
from toetsbatterij.surveys.models import SurveyResponse

from .support import candidate_page, login
from .test_accessibility import Audit

pytestmark = [pytest.mark.browser]


def _tab_to(page, selector: str, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)",
                         selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_the_survey_by_keyboard_with_read_aloud(browser, live_server, world, content,
                                                db_session):
    world.open(world.a)
    page = candidate_page(browser)
    login(page, live_server, world, 0)
    attempt = world.db.scalar(select(Attempt).where(
        Attempt.candidate_id == world.a["candidates"][0]))
    answer_until_finished(world, content, attempt)
    page.goto(live_server + "/toets")
    page.wait_for_selector("text=U bent klaar")
    _tab_to(page, "a[href$='/toets/vragenlijst']")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Uw mening")
    audit = Audit()
    audit(page, "survey")
    assert audit.problems == []

    clips: list[str] = []
    page.on("request", lambda r: clips.append(r.url.split("/static/read-aloud/")[1])
            if "/static/read-aloud/" in r.url else None)
    first = page.locator("fieldset.survey-question button.read-aloud").first
    first.click()
    page.wait_for_timeout(300)
    assert clips[:1] == ["nl/survey-clarity.ogg"]
    first.click()

    page.locator("h1").click()   # start the keyboard walk from the top
    wanted = {"clarity": 4, "treatment": 5, "technical": 1}
    for key, value in wanted.items():
        _tab_to(page, f"input[name={key}]")
        page.keyboard.press("Space")           # the first face
        for _ in range(value - 1):
            page.keyboard.press("ArrowRight")
        assert page.evaluate("(k) => document.querySelector(`input[name=${k}]:checked`).value",
                             key) == str(value)
    _tab_to(page, "button[value=send]")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Dank u wel voor uw mening.")
    db_session.expire_all()
    (row,) = db_session.scalars(select(SurveyResponse)).all()
    assert row.answers == {**wanted, "waiting": None}

"""The low-literacy mode in a real browser (issue 9): read-aloud on the instruction screens in the
candidate's language (Dutch, Arabic; none where there is no voice), a four-question testlet one
question per screen with the text kept in view (by keyboard), the in-page question before
leaving questions unanswered, the sound check before the first listening item, practice
feedback that says right or wrong, the candidate's name and the labelled clock in the bar, the
Ethiopic font. Screenshots of every candidate screen in Dutch and Arabic go to test-artifacts/
(40-...), each screen also through the axe-core audit of test_accessibility."""

from __future__ import annotations

import shutil

import pytest
import yaml
from delivery_support import PASSWORD
from playwright.sync_api import expect
from sqlalchemy import select

from toetsbatterij.delivery.models import ENDED, FINISHED, Attempt

from .conftest import ARTIFACTS
from .support import UNANSWERED, bank_with_real_practice, candidate_page, open_content
from .test_accessibility import Audit

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REAL_TESTLET = "itembank/items/reading/b1/R-B1-T010.yaml"  # a text with a list, four questions


@pytest.fixture(scope="module")
def bank_dir(tmp_path_factory):
    """The real practice block, with the reading practice replaced by a real four-question
    testlet (so that the first practice screen is the long page of the walk-through)."""
    from bankfixture import ROOT

    root = bank_with_real_practice(tmp_path_factory)
    doc = yaml.safe_load((ROOT / REAL_TESTLET).read_text(encoding="utf-8"))
    for field in ("status", "parameters", "pool", "enemies"):
        doc.pop(field, None)
    doc["id"] = "PR-B1-T010"
    for n, item in enumerate(doc["items"], 1):
        item["id"] = f"PR-B1-T010-{n}"
        item.pop("parameters", None)
    doc["items"][0]["feedback"] = 'Het goede antwoord is "woensdag".'
    practice = yaml.safe_load((root / "practice" / "reading.yaml").read_text(encoding="utf-8"))
    practice["items"] = [doc]
    (root / "practice" / "reading.yaml").write_text(
        yaml.safe_dump(practice, allow_unicode=True, sort_keys=False), encoding="utf-8")
    shutil.rmtree(root / "practice" / "__pycache__", ignore_errors=True)
    return root


@pytest.fixture(scope="module")
def content(bank_dir):
    return open_content(bank_dir)


def shot(page, name):
    page.screenshot(path=str(ARTIFACTS / f"40-{name}.png"), full_page=True)


def clip_requests(page):
    """The read-aloud clips the page fetches, in order."""
    got: list[str] = []
    page.on("request", lambda r: got.append(r.url.split("/static/read-aloud/")[1])
            if "/static/read-aloud/" in r.url else None)
    return got


def read_aloud(page, clips, expected):
    button = page.locator("button.read-aloud:visible").first
    button.click()
    assert button.get_attribute("aria-pressed") == "true"
    page.wait_for_timeout(300)
    assert clips[: len(expected)] == expected
    button.click()  # a second press stops
    assert button.get_attribute("aria-pressed") == "false"
    clips.clear()


def add_candidate(world, lang, n):
    cand = world.candidate(world.a["org"], world.a["session"], n, instruction_language=lang)
    world.db.commit()
    return cand


def log_in(page, base, world, cand):
    page.goto(base + "/")
    page.fill("#session_code", world.a["session_code"])
    page.fill("#access_code", cand.access_code)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_read_aloud_in_dutch_and_arabic_and_none_without_a_voice(browser, live_server, world):
    world.open(world.a)
    page = browser.new_context().new_page()
    clips = clip_requests(page)
    page.goto(live_server + "/?taal=nl")
    button = page.get_by_role("button", name="Voorlezen")
    assert button.is_visible() and button.locator("svg.icon").count() == 1
    read_aloud(page, clips, ["nl/login.ogg"])
    page.goto(live_server + "/?taal=ar")
    read_aloud(page, clips, ["ar/login.ogg"])
    assert page.get_by_role("button", name="قراءة بصوت عالٍ").is_visible()
    page.goto(live_server + "/?taal=ti")
    assert page.locator("button.read-aloud").count() == 0  # no voice: no button, not a broken one
    # Tigrinya is drawn with the shipped Ethiopic font, not as empty boxes.
    page.wait_for_function("document.fonts.check('16px \"Toets Ethiopic\"', 'ትግርኛ')")
    assert page.evaluate("""() => Array.from(document.fonts).some(f =>
        f.family.includes('Toets Ethiopic') && f.status === 'loaded')""")
    shot(page, "login-ti")

    # After login, the instructions in the candidate's language; the whole text plays through.
    cand = add_candidate(world, "ar", 6)
    log_in(page, live_server, world, cand)
    button = page.locator("button.read-aloud")
    button.click()
    page.wait_for_function("() => document.querySelector('button.read-aloud')"
                           ".getAttribute('aria-pressed') === 'false'", timeout=60_000)
    assert clips == ["ar/instructions.ogg"]
    assert page.locator(".who").inner_text() == "Kandidaat6 Achternaam6"


def unit_height(page):
    return page.evaluate("document.documentElement.scrollHeight")


def test_testlet_one_question_per_screen_by_keyboard_and_the_unanswered_question(
        browser, live_server, world):
    world.open(world.a)
    cand = add_candidate(world, "nl", 6)
    page = candidate_page(browser, viewport={"width": 1366, "height": 768})
    log_in(page, live_server, world, cand)
    with page.expect_navigation():
        page.get_by_role("button", name="Begin met oefenen").click()
    questions = page.locator("fieldset.question")
    assert questions.count() == 4
    status = page.locator(".question-status")
    assert status.inner_text() == "Vraag 1 van 4"
    assert [q.is_visible() for q in questions.all()] == [True, False, False, False]
    assert page.locator("button.next").is_hidden()  # one action: "Volgende vraag"
    assert page.locator(".stimulus ul li").count() == 4  # the text's list stays a list
    height = unit_height(page)
    shot(page, "testlet-1366x768")
    assert height < 1400, height  # was about 2,200 px with every question on the page

    # The keyboard only: Tab to the first answer, arrow to choose, Tab to "Volgende vraag".
    questions.first.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "radio"
    page.keyboard.press("Space")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('question-next')"):
            break
    else:
        raise AssertionError("'Volgende vraag' was never reached with Tab")
    page.keyboard.press("Enter")
    assert status.inner_text() == "Vraag 2 van 4"
    assert page.evaluate("document.activeElement === document.querySelectorAll("
                         "'fieldset.question')[1]")
    assert page.locator(".stimulus").is_visible()  # the text stays on screen
    # Back and forth keeps the answer.
    page.get_by_role("button", name="Vorige vraag").click()
    assert status.inner_text() == "Vraag 1 van 4"
    assert questions.first.locator("input:checked").count() == 1
    page.get_by_role("button", name="Volgende vraag").click()
    page.get_by_role("button", name="Volgende vraag").click()
    page.get_by_role("button", name="Volgende vraag").click()
    assert status.inner_text() == "Vraag 4 van 4"
    assert page.get_by_role("button", name="Volgende vraag").count() == 0
    assert page.get_by_role("button", name="Volgende", exact=True).is_visible()

    # Questions 2-4 are open: "Volgende" asks first, in the page, keyboard-operable.
    pid = page.locator("input[name=presentation_id]").get_attribute("value")
    page.get_by_role("button", name="Volgende", exact=True).focus()
    page.keyboard.press("Enter")
    dialog = page.locator("#unanswered")
    dialog.wait_for()
    assert page.evaluate("document.activeElement.id") == "unanswered-back"
    shot(page, "unanswered-nl")
    page.keyboard.press("Escape")  # Escape: back to the first open question
    expect(status).to_have_text("Vraag 2 van 4")  # the close event comes as a task
    assert dialog.is_hidden()
    assert page.locator("input[name=presentation_id]").get_attribute("value") == pid
    page.get_by_role("button", name="Volgende vraag").click()
    page.get_by_role("button", name="Volgende vraag").click()
    page.get_by_role("button", name="Volgende", exact=True).click()
    page.get_by_role("button", name="Terug naar de vraag").click()
    expect(status).to_have_text("Vraag 2 van 4")
    while page.locator("button.question-next:visible").count():
        page.locator("button.question-next").click()
    page.get_by_role("button", name="Volgende", exact=True).click()
    with page.expect_navigation():
        page.get_by_role("button", name="Toch verder").click()
    # The server is unchanged: one submit for the testlet; the practice feedback says right.
    feedback = page.locator("section.feedback")
    assert "correct" in feedback.get_attribute("class") or "wrong" in feedback.get_attribute(
        "class") or "partly" in feedback.get_attribute("class")

    # Without JavaScript the four questions stay on one page, as before.
    nojs = browser.new_context(java_script_enabled=False, viewport={"width": 1366, "height": 768})
    other = nojs.new_page()
    cand2 = add_candidate(world, "nl", 7)
    log_in(other, live_server, world, cand2)
    with other.expect_navigation():
        other.get_by_role("button", name="Begin met oefenen").click()
    assert all(q.is_visible() for q in other.locator("fieldset.question").all())
    assert other.locator("button.read-aloud:visible").count() == 0
    print(f"\ntestlet page height at 1366x768: {height} px one question per screen, "
          f"{unit_height(other)} px all on one page (without JavaScript)")
    shot(other, "testlet-without-javascript")


def test_practice_feedback_shows_right_and_wrong_differently(browser, live_server, world):
    world.open(world.a)
    cand = add_candidate(world, "nl", 6)
    page = candidate_page(browser)
    log_in(page, live_server, world, cand)
    with page.expect_navigation():
        page.get_by_role("button", name="Begin met oefenen").click()
    # The testlet: answer all four wrong (the second option of the first question is wrong).
    for q in range(4):
        page.locator("fieldset.question:visible input").nth(0 if q else 1).check()
        if q < 3:
            page.get_by_role("button", name="Volgende vraag").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Volgende", exact=True).click()
    box = page.locator("section.feedback")
    assert "wrong" in box.get_attribute("class") or "partly" in box.get_attribute("class")
    assert page.locator(".feedback-title").inner_text().strip() in ("Dat is niet goed.",
                                                                      "Voor een deel goed.")
    assert "woensdag" in box.inner_text() and " A." not in box.inner_text()
    color_wrong = box.evaluate("e => getComputedStyle(e).backgroundColor")
    shot(page, "feedback-wrong")
    # The next practice item (listening) answered right: green, "Goed gedaan."
    first = page.locator("fieldset.question input[type=radio]")
    key_text = "om 10.00 uur"
    page.locator("label.choice", has_text=key_text).click()
    assert first.count() >= 2
    with page.expect_navigation():
        page.get_by_role("button", name="Volgende", exact=True).click()
    box = page.locator("section.feedback")
    assert "correct" in box.get_attribute("class")
    assert page.locator(".feedback-title").inner_text().strip() == "Goed gedaan."
    assert box.evaluate("e => getComputedStyle(e).backgroundColor") != color_wrong
    assert box.locator("svg.icon-correct").count() == 1
    shot(page, "feedback-correct")


def test_sound_check_before_the_first_listening_item(browser, live_server, world):
    world.open(world.a)
    cand = add_candidate(world, "ar", 6)
    page = browser.new_context().new_page()  # a fresh sitting: the sound check is asked
    log_in(page, live_server, world, cand)
    with page.expect_navigation():
        page.locator("form button[type=submit]").first.click()
    for _ in range(5):  # to the first listening practice item
        if page.locator("#sound-check").count():
            break
        while page.locator("button.question-next:visible").count():
            page.locator("button.question-next").click()
        page.locator("button.next").click()
        if page.locator("#unanswered[open]").count():
            with page.expect_navigation():
                page.locator("#unanswered-go").click()
        else:
            page.wait_for_load_state()
    check = page.locator("#sound-check")
    assert check.is_visible() and page.locator("#unit-form").is_hidden()
    assert page.locator(".screen-head.notice").is_hidden()  # one thing at a time
    assert page.evaluate("document.activeElement.id") == "sound-check-play"
    shot(page, "sound-check-ar")
    sounds: list[str] = []
    page.on("request", lambda r: sounds.append(r.url) if r.url.endswith("sound-check.ogg") else None)
    page.keyboard.press("Enter")  # play
    page.locator("#sound-check-answer").wait_for()
    assert any(u.endswith("/static/read-aloud/sound-check.ogg") for u in sounds)
    # it really plays (headless Chromium plays without a sound device)
    page.wait_for_function("() => { const a = document.getElementById('sound-check-audio');"
                           " return a.currentTime > 0 || a.ended; }")
    page.get_by_role("button", name="لا أسمع شيئًا").click()  # "Ik hoor niets"
    failed = page.locator("#sound-check-failed")
    failed.wait_for()
    assert failed.get_attribute("role") == "alert"
    assert "ارفع يدك" in failed.inner_text()  # "Steek uw hand op" in Arabic
    shot(page, "sound-check-failed-ar")
    page.get_by_role("button", name="أسمعه").click()  # "Ik hoor het"
    assert check.is_hidden() and page.locator("#unit-form").is_visible()
    assert page.evaluate("document.activeElement.classList.contains('play')")
    # Once heard, not asked again in this sitting.
    page.reload()
    assert page.locator("#sound-check").is_hidden() and page.locator("#unit-form").is_visible()


def walk(page, audit, lang, shots):
    """Every candidate screen of the practice block and the first section, screenshot + audit."""
    audit(page, f"instructions-{lang}")
    shot(page, f"{lang}-02-instructions")
    with page.expect_navigation():
        page.locator("form button[type=submit]").first.click()
    n = 2
    for _ in range(30):
        page.wait_for_load_state()
        n += 1
        if page.locator("#sound-check:visible").count():
            audit(page, f"sound-check-{lang}")
            shot(page, f"{lang}-{n:02d}-sound-check")
            page.locator("#sound-check-play").click()
            page.locator("#sound-check-yes").click()
        start = page.locator("form input[name=step][value=section]")
        if start.count():
            audit(page, f"section-intro-{lang}")
            shot(page, f"{lang}-{n:02d}-section-intro")
            with page.expect_navigation():
                page.locator("form button[type=submit]").click()
            break
        name = "practice"
        audit(page, f"{name}-{n}-{lang}")
        shot(page, f"{lang}-{n:02d}-{name}")
        while page.locator("button.question-next:visible").count():
            page.locator("button.question-next").click()
        if page.evaluate(UNANSWERED):
            page.locator("button.next").click()
            page.locator("#unanswered-go").wait_for()
            if n == 5:
                audit(page, f"unanswered-{lang}")
                shot(page, f"{lang}-{n:02d}-unanswered")
            with page.expect_navigation():
                page.locator("#unanswered-go").click()
        else:
            with page.expect_navigation():
                page.locator("button.next").click()
    page.wait_for_selector("#timer")
    audit(page, f"item-{lang}")
    shot(page, f"{lang}-{n + 1:02d}-item")


def test_every_candidate_screen_in_dutch_and_arabic(browser, live_server, world):
    """Screenshots (test-artifacts/40-nl-*.png, 40-ar-*.png) and the axe-core audit of every
    candidate screen of both languages, including pause and the end screens."""
    world.open(world.a)
    audit = Audit()
    proc = browser.new_context().new_page()
    proc.goto(f"{live_server}/beheer/aanmelden")
    proc.fill("#email", f"proctor@{world.a['domain']}")
    proc.fill("#password", PASSWORD)
    with proc.expect_navigation():
        proc.get_by_role("button", name="Aanmelden").click()
    for n, lang in enumerate(("nl", "ar")):
        cand = add_candidate(world, lang, 6 + n)
        page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
        page.goto(f"{live_server}/?taal={lang}")
        audit(page, f"login-{lang}")
        shot(page, f"{lang}-01-login")
        log_in(page, live_server, world, cand)
        walk(page, audit, lang, [])
        # the pause screen, then the end screen (the proctor ends the attempt)
        proc.goto(f"{live_server}/beheer/sessies/{world.a['session']}/zaal")
        row = proc.locator(f'tr[data-candidate="{cand.id}"]')
        row.locator("form[action$='/pauze'] button").click()
        page.wait_for_selector("#paused", timeout=15_000)
        audit(page, f"paused-{lang}")
        shot(page, f"{lang}-20-paused")
        proc.wait_for_load_state()
        row.locator("form[action$='/hervatten'] button").click()
        page.wait_for_selector("#timer", timeout=15_000)
        # the two end screens: finished, and ended by the proctor (set in the database here)
        attempt = world.db.scalar(select(Attempt).where(Attempt.candidate_id == cand.id))
        for state, name in ((FINISHED, "21-finished"), (ENDED, "22-ended")):
            attempt.state = state
            world.db.commit()
            page.reload()
            page.wait_for_selector("h1 .icon")
            audit(page, f"{name}-{lang}")
            shot(page, f"{lang}-{name}")
        assert page.locator(".who").count() == 1
    print("\n".join(audit.problems))
    audit.check()

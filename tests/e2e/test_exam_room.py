"""End to end in a real browser: a candidate takes the reading + listening test with a ticket,
reloads mid-section and continues at the same item and time; a proctor in a second browser
context watches progress live and pauses and resumes the candidate."""

from __future__ import annotations

import pytest
from delivery_support import PASSWORD

from .support import candidate_page, next_question, send_screen, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def answer_screen(page):
    """Answer whatever is on the screen with the keyboard-reachable controls (a testlet one
    question at a time), then send it."""
    answer_visible(page)
    while next_question(page):
        answer_visible(page)
    send_screen(page)


def answer_visible(page):
    for fieldset in page.locator("fieldset.question:visible").all():
        radios = fieldset.locator("input[type=radio]")
        if radios.count():
            radios.first.check()
        boxes = fieldset.locator("input[type=checkbox]")
        if boxes.count():
            boxes.first.check()
        for gap in fieldset.locator("input.gap").all():
            gap.fill("maandag")
        selects = fieldset.locator("select").all()
        for i, sel in enumerate(selects):
            options = sel.locator("option").all()
            sel.select_option(index=1 + i % (len(options) - 1))
        for area in fieldset.locator("textarea").all():
            area.fill("Beste juf, mijn zoon is morgen ziek.")


def answer_with_keyboard(page):
    """Only the keyboard: Tab to each radio group, Space to choose, Tab to "Volgende", Enter."""
    groups = page.locator("fieldset.question").count()
    page.locator("body").focus()
    for _ in range(groups):
        page.keyboard.press("Tab")
        page.keyboard.press("Space")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Volgende"
    page.keyboard.press("Enter")


def only_single_choice(page):
    questions = page.locator("fieldset.question")
    return questions.count() == 1 and all(
        q.locator("input[type=radio]").count() > 0 and q.locator("input:not([type=radio])").count() == 0
        for q in questions.all())


def test_candidate_and_proctor(browser, live_server, world):
    world.open(world.a)
    base = live_server
    proc_ctx = browser.new_context()
    cand, proc = candidate_page(browser), proc_ctx.new_page()
    cand_ctx = cand.context

    # proctor logs in and opens the room view
    proc.goto(f"{base}/beheer/aanmelden")
    proc.fill("#email", f"proctor@{world.a['domain']}")
    proc.fill("#password", PASSWORD)
    proc.get_by_role("button", name="Aanmelden").click()
    proc.goto(f"{base}/beheer/sessies/{world.a['session']}/zaal")
    row = proc.locator(f'tr[data-candidate="{world.a["candidates"][0]}"]')
    assert row.locator("td.state").inner_text() == "Wacht"

    # candidate logs in with the ticket codes
    cand.goto(base + "/")
    shot(cand, "01-kandidaat-aanmelden")
    cand.fill("#session_code", world.a["session_code"].lower())
    cand.fill("#access_code", world.a["access_codes"][0])
    cand.keyboard.press("Enter")
    cand.wait_for_selector("text=Zo werkt de toets")
    shot(cand, "02-uitleg")
    cand.get_by_role("button", name="Begin met oefenen").click()

    # the room view updates without reload
    row.locator("td.state", has_text="Oefent").wait_for(timeout=10_000)
    shot(proc, "03-zaaloverzicht-oefent")

    # practice: a reading unit, then a listening unit with audio counted on the server
    cand.wait_for_selector("text=Dit is een oefenvraag")
    shot(cand, "04-oefenvraag")
    answer_screen(cand)
    cand.wait_for_selector(".audio button.play")
    cand.locator(".audio button.play").click()
    cand.locator(".plays", has_text="Nog 1 keer").wait_for(timeout=10_000)
    shot(cand, "05-oefenvraag-luisteren")
    answer_screen(cand)

    reloaded = paused = listening_shot = keyboard_used = False
    for _ in range(40):
        cand.wait_for_load_state()
        if cand.locator("text=U bent klaar").count():
            break
        start = cand.get_by_role("button", name="Start")
        if start.count():
            shot(cand, "06-begin-onderdeel")
            start.click()
            continue
        cand.wait_for_selector("#timer")
        pid = cand.locator("input[name=presentation_id]").get_attribute("value")
        if not reloaded:
            shot(cand, "07-vraag-lezen")
            left = int(cand.locator("#timer").get_attribute("data-remaining"))
            cand.reload()
            assert cand.locator("input[name=presentation_id]").get_attribute("value") == pid
            left_after = int(cand.locator("#timer").get_attribute("data-remaining"))
            assert 0 <= left - left_after <= 3
            # the countdown runs in the page
            shown = cand.locator("#timer").inner_text()
            cand.wait_for_timeout(2200)
            assert cand.locator("#timer").inner_text() != shown
            reloaded = True
        elif not paused:
            # the proctor pauses this candidate: the candidate's page follows by itself
            row.locator("form[action$='/pauze'] button").click()
            cand.wait_for_selector("text=Even pauze", timeout=15_000)
            shot(cand, "08-pauze")
            row.locator("td.state", has_text="Gepauzeerd").wait_for(timeout=10_000)
            shot(proc, "09-zaaloverzicht-pauze")
            row = proc.locator(f'tr[data-candidate="{world.a["candidates"][0]}"]')
            row.locator("form[action$='/hervatten'] button").click()
            cand.wait_for_selector("#timer", timeout=15_000)
            assert cand.locator("input[name=presentation_id]").get_attribute("value") == pid
            paused = True
            row = proc.locator(f'tr[data-candidate="{world.a["candidates"][0]}"]')
        if cand.locator(".audio button.play").count() and not listening_shot:
            shot(cand, "10-vraag-luisteren")
            listening_shot = True
        if not keyboard_used and only_single_choice(cand):
            answer_with_keyboard(cand)
            keyboard_used = True
            continue
        answer_screen(cand)
    else:
        raise AssertionError("the candidate never finished")
    assert reloaded and paused and listening_shot and keyboard_used
    shot(cand, "11-klaar")
    row.locator("td.state", has_text="Klaar").wait_for(timeout=10_000)
    shot(proc, "12-zaaloverzicht-klaar")
    cand_ctx.close()
    proc_ctx.close()

"""In a real browser: the 5- and 1-minute warnings and the automatic submit at expiry (the
server clock moved forward through the test-only ``LiveClock.shift``), and completion of every
interaction type of the practice block with the keyboard only (Tab, Space, Enter, arrow keys;
ordering through its "omhoog"/"omlaag" buttons)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from toetsbatterij.delivery.models import Attempt, Presentation, Response, SectionRun

from .support import (
    bank_with_real_practice,
    candidate_page,
    login,
    open_content,
    send_screen,
    shot,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def bank_dir(tmp_path_factory):
    return bank_with_real_practice(tmp_path_factory)


@pytest.fixture(scope="module")
def content(bank_dir):
    return open_content(bank_dir)


def focused(page):
    return page.evaluate("""() => { const e = document.activeElement;
        return {tag: e.tagName.toLowerCase(), type: (e.type || '').toLowerCase(),
                name: e.name || '', text: (e.textContent || '').trim(),
                cls: e.className || '', disabled: e.getAttribute('aria-disabled') === 'true',
                group: Array.from(document.querySelectorAll('fieldset.question'))
                         .indexOf(e.closest('fieldset.question'))}; }""")


def complete_with_keyboard(page):
    """Tab through the form and answer each control with keys only; Enter on "Volgende".
    Fails if a control cannot be reached or stays empty."""
    page.locator("body").focus()
    selects_in_group: dict[str, int] = {}
    moved: set[int] = set()  # ordering questions already answered with a move button
    for _ in range(80):
        page.keyboard.press("Tab")
        el = focused(page)
        if el["tag"] == "button" and el["text"] == "Volgende":
            break
        if el["tag"] == "button" and "order-move" in el["cls"]:
            # ordering with script: one move (Space) answers it; the select lists follow
            if not el["disabled"] and el["group"] not in moved:
                moved.add(el["group"])
                page.keyboard.press("Space")
        elif el["tag"] == "input" and el["type"] in ("radio", "checkbox"):
            page.keyboard.press("Space")
        elif el["tag"] == "input":
            page.keyboard.type("maandag")
        elif el["tag"] == "textarea":
            page.keyboard.type("Beste juf, mijn zoon is morgen ziek.")
        elif el["tag"] == "select":
            group = el["name"].rsplit(".", 1)[0]
            n = selects_in_group.get(group, 0)
            selects_in_group[group] = n + 1
            for _ in range(n + 1):  # a different option for each place of an ordering
                page.keyboard.press("ArrowDown")
    else:
        raise AssertionError("'Volgende' was never reached with Tab")
    # Every question has an answer now, set by the keyboard alone.
    empty = page.evaluate("""() => {
        const out = [];
        document.querySelectorAll('fieldset.question').forEach(fs => {
          const radios = fs.querySelectorAll('input[type=radio]');
          if (radios.length && !fs.querySelector('input[type=radio]:checked')) out.push('radio');
          const boxes = fs.querySelectorAll('input[type=checkbox]');
          if (boxes.length && !fs.querySelector('input[type=checkbox]:checked')) out.push('box');
          fs.querySelectorAll('select, input.gap, textarea').forEach(e => {
            if (!e.value) out.push(e.name); });
        });
        return out; }""")
    assert empty == []
    with page.expect_navigation():
        page.keyboard.press("Enter")


def kinds_on_screen(page):
    return set(page.evaluate("""() => Array.from(document.querySelectorAll('fieldset.question'))
        .map(fs => fs.querySelector('input[type=radio]') ? 'single_choice'
             : fs.querySelector('input[type=checkbox]') ? 'multiple_response'
             : fs.querySelector('input.gap') ? 'text_entry'
             : fs.querySelector('textarea') ? 'extended_text'
             : fs.querySelector('select') ? 'select' : 'other')"""))


def test_practice_block_with_the_keyboard_only(browser, live_server, world, content):
    world.open(world.a)
    page = candidate_page(browser)
    login(page, live_server, world)
    page.get_by_role("button", name="Begin met oefenen").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    seen: set[str] = set()
    screens = 0
    for _ in range(20):
        page.wait_for_load_state()
        if page.get_by_role("button", name="Start").count():
            break
        page.wait_for_selector("fieldset.question")
        kinds = kinds_on_screen(page)
        if "select" in kinds:
            # ordering and matching both post select lists; ordering shows them (with script)
            # as a list with move buttons
            kinds.discard("select")
            kinds.add("ordering" if page.locator("ol.order-list").count() else "matching")
        seen |= kinds
        shot(page, f"20-oefenen-toetsenbord-{screens + 1}")
        complete_with_keyboard(page)
        screens += 1
    else:
        raise AssertionError("the practice block did not end")
    form = next(iter(content.current.values()))
    practice_units = {u for section in form.sections for u in form.practice_units(section.skill)}
    practice_types = {i.type for i in content.items.values()
                      if content.unit_of(i.id) in practice_units}
    wanted = practice_types & {"single_choice", "multiple_response", "text_entry", "ordering",
                               "matching"}
    assert wanted == {"single_choice", "multiple_response", "text_entry", "ordering", "matching"}
    assert wanted <= seen
    # every practice unit was answered (by the keyboard) and stored
    attempt = world.db.scalar(select(Attempt).where(
        Attempt.candidate_id == world.a["candidates"][0]))
    world.db.expire_all()
    answered = world.db.scalars(select(Presentation).where(
        Presentation.attempt_id == attempt.id, Presentation.section_index == -1)).all()
    assert len(answered) == screens and all(p.answered_at for p in answered)


def _to_remaining(world, clock, attempt_id, seconds):
    """Move the server clock so that the running section has ``seconds`` left."""
    world.db.expire_all()
    run = world.db.scalar(select(SectionRun).where(SectionRun.attempt_id == attempt_id,
                                                   SectionRun.finished_at.is_(None)))
    clock.shift((run.deadline_at - clock.now()).total_seconds() - seconds)


def test_warnings_at_five_and_one_minutes_and_submit_at_expiry(browser, live_server, world,
                                                                 clock):
    world.open(world.a)
    page = candidate_page(browser)
    login(page, live_server, world, 1)
    with page.expect_navigation():
        page.get_by_role("button", name="Begin met oefenen").click()
    for _ in range(20):  # practice: the answers do not matter
        page.wait_for_load_state()
        if page.get_by_role("button", name="Start").count():
            break
        page.wait_for_selector("fieldset.question")
        send_screen(page)
    page.get_by_role("button", name="Start").click()
    page.wait_for_selector("#timer")
    attempt = world.db.scalar(select(Attempt).where(
        Attempt.candidate_id == world.a["candidates"][1]))
    warning = page.locator("#time-warning")
    assert warning.is_hidden()
    pid = int(page.locator("input[name=presentation_id]").get_attribute("value"))

    _to_remaining(world, clock, attempt.id, 303)
    warning.filter(has_text="Nog 5 minuten").wait_for(state="visible", timeout=10_000)
    assert page.locator("#timer.low").count() == 1
    shot(page, "21-waarschuwing-5-minuten")

    _to_remaining(world, clock, attempt.id, 63)
    warning.filter(has_text="Nog 1 minuut").wait_for(state="visible", timeout=10_000)
    assert page.locator("#timer.critical").count() == 1
    shot(page, "22-waarschuwing-1-minuut")

    # An answer chosen but not sent: at 0:00 the page sends it by itself.
    page.locator("fieldset.question").first.locator("input[type=radio]").first.check()
    _to_remaining(world, clock, attempt.id, 3)
    page.get_by_role("button", name="Start").wait_for(timeout=15_000)  # the next section
    shot(page, "23-tijd-om-volgend-onderdeel")
    world.db.expire_all()
    pres = world.db.get(Presentation, pid)
    assert pres.answered_at is not None
    stored = world.db.scalars(select(Response).where(Response.presentation_id == pid)).all()
    assert stored and stored[0].raw is not None and stored[0].counts
    run = world.db.scalar(select(SectionRun).where(SectionRun.attempt_id == attempt.id,
                                                   SectionRun.section_index == 0))
    assert run.finish_reason == "time"
    # Nothing presented after the automatic send counts (a unit shown in the last second is
    # not answered: the page sends no empty answers).
    later = world.db.scalars(select(Presentation).where(
        Presentation.attempt_id == attempt.id, Presentation.section_index == 0,
        Presentation.position > pres.position)).all()
    assert all(p.answered_at is None for p in later)
    assert world.db.scalars(select(Response).where(
        Response.presentation_id.in_([p.id for p in later]))).all() == []

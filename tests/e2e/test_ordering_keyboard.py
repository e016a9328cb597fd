"""In a real browser: an ordering item answered with the keyboard only through the "omhoog" /
"omlaag" buttons that candidate.js puts in place of the select lists. Focus stays on the moved
fragment's button, a polite live region tells the new place, the hidden select lists follow, and
the stored response is the full-credit order."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from toetsbatterij.delivery.models import Attempt, Presentation, Response

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


def visual_order(page):
    return page.locator("ol.order-list .order-text").all_inner_texts()


# The live region's sentence, without the bidi isolation marks around the fragment.
ANNOUNCED = """t => document.querySelector('.order-status').textContent
                     .replace(/[\\u2068\\u2069]/g, '') === t"""


def focused_label(page):
    return page.evaluate("document.activeElement.getAttribute('aria-label') || ''")


def tab_to(page, label, limit=40):
    """Tab forward (from where the focus is) until the element named ``label`` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused_label(page) == label:
            return
    raise AssertionError(f"{label!r} was never reached with Tab")


def test_ordering_with_the_move_buttons_and_the_keyboard_only(browser, live_server, world,
                                                             content):
    world.open(world.a)
    page = candidate_page(browser, viewport={"width": 1000, "height": 800})
    login(page, live_server, world)
    with page.expect_navigation():
        page.get_by_role("button", name="Begin met oefenen").click()
    for _ in range(20):  # practice screens before the ordering item: their answers do not matter
        page.wait_for_selector("fieldset.question")
        if page.locator("ol.order-list").count():
            break
        send_screen(page)
    else:
        raise AssertionError("no ordering item in the practice block")

    fieldset = page.locator("fieldset.question").filter(has=page.locator("ol.order-list"))
    # The page names the item only by an opaque id: find it in the bank by its fragments.
    assert not any(i in fieldset.inner_html() for i in content.items)
    shown = sorted(visual_order(page))
    item = next(i for i in content.items.values() if i.type == "ordering"
                and sorted(o["text"] for o in i.definition["options"]) == shown)
    item_id = item.id
    key = item.definition["key"]
    text_of = {o["id"]: o["text"] for o in item.definition["options"]}
    wanted = [text_of[k] for k in key]

    # Without a move the select lists are hidden and stay empty, as on the page without script.
    assert page.locator(".order-selects").is_hidden()
    assert all(not s.input_value() for s in fieldset.locator("select").all())
    start = visual_order(page)
    assert sorted(start) == sorted(wanted) and start != wanted

    # Large targets, and every move button says which fragment it moves.
    buttons = page.locator("button.order-move")
    assert buttons.count() == 2 * len(key)
    for b in buttons.all():
        box = b.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44
    for t in start:
        assert page.get_by_role("button", name=f"Omhoog: zet '{t}' een plaats hoger").count() == 1
        assert page.get_by_role("button", name=f"Omlaag: zet '{t}' een plaats lager").count() == 1
    live = page.locator(".order-status")
    assert live.get_attribute("aria-live") == "polite"

    # Keyboard only: for each place from the top, Tab to the "omhoog" button of the fragment
    # that belongs there and press it (Space, then Enter) until it is in place.
    page.locator("body").focus()
    moves = 0
    keys = ["Space", "Enter"]
    for place, text in enumerate(wanted):
        now = visual_order(page).index(text)
        if now == place:
            continue
        label = f"Omhoog: zet '{text}' een plaats hoger"
        page.locator("body").focus()
        tab_to(page, label)
        for _ in range(now - place):
            page.keyboard.press(keys[moves % 2])
            moves += 1
            assert focused_label(page) == label  # the focus moved along with the fragment
        position = visual_order(page).index(text) + 1
        assert position == place + 1
        expected = f"'{text}' staat nu op plaats {position} van {len(key)}."
        page.wait_for_function(ANNOUNCED, arg=expected)
    assert moves >= 1
    assert visual_order(page) == wanted
    # The hidden select lists hold the order: the form posts what the no-script page posts.
    # (the values are opaque ids: the chosen option of each place is read by its text)
    assert [s.evaluate("el => el.options[el.selectedIndex].text")
            for s in fieldset.locator("select").all()] == wanted
    # At the top the "omhoog" button stays focusable (aria-disabled), so the focus is not lost.
    first_up = page.get_by_role("button", name=f"Omhoog: zet '{wanted[0]}' een plaats hoger")
    assert first_up.get_attribute("aria-disabled") == "true"
    shot(page, "30-volgorde-toetsenbord")

    # On to "Volgende" with Tab and send with Enter.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Volgende":
            break
    else:
        raise AssertionError("'Volgende' was never reached with Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    attempt = world.db.scalar(select(Attempt).where(
        Attempt.candidate_id == world.a["candidates"][0]))
    world.db.expire_all()
    stored = world.db.scalar(select(Response).join(Presentation).where(
        Presentation.attempt_id == attempt.id, Response.item_id == item_id))
    assert stored is not None
    assert stored.raw == key
    full = content.score(item_id, list(key))
    assert full == (1 if item.definition["scoring"] == "all_or_nothing" else len(key))
    assert stored.score == full


def test_without_javascript_the_select_lists_stay(browser, live_server, world):
    world.open(world.a)
    page = browser.new_context(java_script_enabled=False).new_page()
    login(page, live_server, world, 1)
    with page.expect_navigation():
        page.get_by_role("button", name="Begin met oefenen").click()
    for _ in range(20):
        if page.locator(".order-selects").count():
            break
        with page.expect_navigation():
            page.get_by_role("button", name="Volgende").click()
    else:
        raise AssertionError("no ordering item in the practice block")
    assert page.locator(".order-selects").is_visible()
    assert page.locator("ol.order-list").count() == 0
    assert page.locator(".order-selects select").first.is_visible()


def test_ordering_buttons_in_the_candidates_language_on_a_right_to_left_page(
        browser, live_server, world):
    cand = world.candidate(world.a["org"], world.a["session"], 5, instruction_language="ar")
    world.db.commit()
    world.open(world.a)
    page = candidate_page(browser)
    page.goto(live_server + "/")
    page.fill("#session_code", world.a["session_code"])
    page.fill("#access_code", cand.access_code)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    with page.expect_navigation():
        page.locator("form button[type=submit]").first.click()  # begin practising
    for _ in range(20):
        page.wait_for_selector("fieldset.question")
        if page.locator("ol.order-list").count():
            break
        send_screen(page)
    else:
        raise AssertionError("no ordering item in the practice block")
    first = page.locator("ol.order-list .order-text").first.inner_text()
    label = f"إلى الأسفل: انقل «{first}» مكانًا واحدًا إلى الأسفل"
    button = page.get_by_role("button", name=label)
    assert button.count() == 1 and button.get_attribute("lang") == "ar"
    button.focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == label
    page.wait_for_function(ANNOUNCED, arg=f"«{first}» الآن في المكان 2 من 3.")
    assert page.locator(".order-status").get_attribute("dir") == "rtl"
    shot(page, "31-volgorde-arabisch")

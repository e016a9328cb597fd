"""Writing and speaking in headless Chromium with a fake microphone (Chromium's own test tone):
a candidate chooses Arabic, passes the microphone check, writes (the browser context is closed
mid-typing; after a new login the text is back up to the last confirmed save), records (closed
mid-recording; the acknowledged chunks are stored and decode as audio), re-records once and
finishes, all by keyboard. Screenshots of the writing, microphone and speaking screens in Dutch
and Arabic go to test-artifacts/.

Decoding is checked by Chromium's own decoder (``decodeAudioData`` in a fresh page), which is
independent of the server's parsing."""

from __future__ import annotations

import base64
import time

import pytest
from sqlalchemy import select

from toetsbatterij.delivery import attempts
from toetsbatterij.delivery.models import Candidate, Presentation, Response
from toetsbatterij.productions import media, service
from toetsbatterij.productions.models import RecordingPart, RecordingTake, WritingDraft
from toetsbatterij.productions.storage import FilesystemStorage

from .support import bank_with_real_practice, open_content, shot, writing_speaking_session

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DECODE = """async (b64) => {
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  const ctx = new OfflineAudioContext(1, 48000, 48000);
  try { const buf = await ctx.decodeAudioData(bytes.buffer);
        return {ok: true, seconds: buf.duration, rate: buf.sampleRate}; }
  catch (e) { return {ok: false, error: String(e)}; } }"""


# A paste of ``text`` into the writing box; True when the page refused it.
PASTE = """(text) => { const dt = new DataTransfer(); dt.setData('text/plain', text);
  const e = new ClipboardEvent('paste', {clipboardData: dt, bubbles: true, cancelable: true});
  document.querySelector('.writing textarea').dispatchEvent(e); return e.defaultPrevented; }"""


@pytest.fixture(scope="module")
def bank_dir(tmp_path_factory):
    return bank_with_real_practice(tmp_path_factory)


@pytest.fixture(scope="module")
def content(bank_dir):
    return open_content(bank_dir)


@pytest.fixture
def exam(world, clock):
    return writing_speaking_session(world, clock)


def wait_until(check, timeout=30.0, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def fresh(world, stmt):
    world.db.expire_all()
    world.db.rollback()
    return world.db.scalar(stmt)


def release(world, candidate_id):
    """The proctor frees the candidate for another computer (the first one 'crashed')."""
    world.db.rollback()
    cand = world.db.get(Candidate, candidate_id)
    world.db.refresh(cand)
    attempts.release_device(world.db, world.clock, cand, actor_id=None)
    world.db.commit()


def login(page, base, exam, lang):
    page.goto(base + f"/?taal={lang}")
    page.locator("#session_code").focus()
    page.keyboard.type(exam["code"])
    page.keyboard.press("Tab")
    page.keyboard.type(exam["access"][lang])
    with page.expect_navigation():
        page.keyboard.press("Enter")


def tab_to(page, selector, limit=30):
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)",
                         selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def next_screen(page):
    tab_to(page, "button.next")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def enter_on_autofocus(page):
    """Enter on the screen's autofocused button (Chromium sets autofocus after the load)."""
    page.wait_for_function("() => document.activeElement && "
                           "document.activeElement.matches('button[autofocus]')", timeout=5_000)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def write_practice(page):
    for _ in range(2):
        page.wait_for_selector(".writing textarea")
        tab_to(page, ".writing textarea")
        page.keyboard.type("Ik heet Amal en ik woon in Gent.")
        next_screen(page)


def microphone_check(page, name):
    page.wait_for_selector("#mic-check")
    page.wait_for_function("() => document.activeElement.classList.contains('mic-record')",
                           timeout=5_000)
    shot(page, f"50-microphone-{name}")
    page.keyboard.press("Enter")  # Opnemen: 4 seconds of the fake microphone
    page.wait_for_selector(".mic-ok:not([disabled])", timeout=15_000)
    assert page.evaluate("document.activeElement.classList.contains('mic-ok')")
    shot(page, f"51-microphone-heard-{name}")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # Ja, ik hoor mijn stem


def decode(page, data: bytes):
    page.goto("about:blank")
    return page.evaluate(DECODE, base64.b64encode(data).decode())


def test_writing_and_speaking_survive_a_crash(media_browser, live_server, world, exam, tmp_path):
    base = live_server
    # the live server's recordings: the instance folder of the test app (tests/conftest.py)
    app_storage = FilesystemStorage(tmp_path / "instance" / "recordings")

    # -- Dutch: the screens once, for the screenshots -----------------------------------------
    nl_ctx = media_browser.new_context(viewport={"width": 1280, "height": 720})
    page = nl_ctx.new_page()
    login(page, base, exam, "nl")
    enter_on_autofocus(page)  # Begin met oefenen
    page.wait_for_selector(".writing textarea")
    tab_to(page, ".writing textarea")
    page.keyboard.type("Voornaam: Lies. Gemeente: Brugge. Sport: zwemmen.")
    page.wait_for_selector(".save-state.saved", timeout=20_000)
    # paste policy "blocked" (the default): text from elsewhere is refused with a banner; the
    # candidate's own text, copied on the page, may be pasted back
    assert page.evaluate(PASTE, "een tekst van een website") is True
    assert page.is_visible(".banner.paste")
    page.keyboard.press("Shift+Home")
    page.keyboard.press("Control+c")
    assert page.evaluate(PASTE, "Voornaam: Lies. Gemeente: Brugge. Sport: zwemmen.") is False
    page.keyboard.press("Control+End")  # the end of the text, not of the (wrapped) line
    shot(page, "52-writing-nl")
    next_screen(page)
    tab_to(page, ".writing textarea")
    page.keyboard.type("Ik heet Lies.")
    next_screen(page)
    microphone_check(page, "nl")
    page.wait_for_selector(".speaking .rec-now")
    shot(page, "53-speaking-prepare-nl")
    page.keyboard.press("Enter")  # Nu beginnen met spreken
    page.wait_for_selector(".speaking .rec-stop:not([hidden])")
    page.wait_for_function("() => document.querySelector('meter.level').value > 0",
                           timeout=10_000)
    shot(page, "54-speaking-recording-nl")
    nl_ctx.close()

    # -- Arabic: the whole path, with two crashes ---------------------------------------------
    ctx = media_browser.new_context(viewport={"width": 1280, "height": 720})
    page = ctx.new_page()
    page.goto(base + "/?taal=nl")
    tab_to(page, "nav.languages a[lang=ar]")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # the candidate chooses Arabic on the login page
    assert page.evaluate("document.documentElement.dir") == "rtl"
    login(page, base, exam, "ar")
    assert page.evaluate("document.documentElement.lang") == "ar"
    enter_on_autofocus(page)
    write_practice(page)
    microphone_check(page, "ar")
    page.wait_for_selector(".speaking .rec-now")
    page.keyboard.press("Enter")
    page.wait_for_selector(".speaking .rec-stop:not([hidden])")
    time.sleep(2.5)
    page.keyboard.press("Enter")  # Klaar met spreken
    page.wait_for_selector(".speaking .rec-again:not([hidden])", timeout=15_000)
    next_screen(page)

    # writing section: a confirmed save, then more typing, then the browser is gone
    enter_on_autofocus(page)  # Start (section 1)
    page.wait_for_selector(".writing textarea")
    tab_to(page, ".writing textarea")
    first = "Beste juf, mijn zoon Adam is vandaag ziek."
    page.keyboard.type(first)
    page.wait_for_selector(".save-state.saved", timeout=20_000)
    shot(page, "55-writing-ar")
    pid = int(page.get_attribute(".writing", "data-presentation"))
    more = " Hij heeft koorts en blijft thuis. Morgen komt hij weer naar school."
    page.keyboard.type(more, delay=30)  # the context closes while this text is being typed
    ctx.close()
    stored = fresh(world, select(WritingDraft).where(WritingDraft.presentation_id == pid))
    assert stored.version >= 1 and stored.text.startswith(first)
    assert (first + more).startswith(stored.text)

    release(world, exam["ar"])
    ctx = media_browser.new_context(viewport={"width": 1280, "height": 720})
    page = ctx.new_page()
    login(page, base, exam, "ar")
    page.wait_for_selector(".writing textarea")
    stored = fresh(world, select(WritingDraft).where(WritingDraft.presentation_id == pid))
    assert page.input_value(".writing textarea") == stored.text  # up to the last confirmed save
    shot(page, "56-writing-after-crash-ar")
    tab_to(page, ".writing textarea")
    page.keyboard.press("Control+End")  # the end of the text, not of the (wrapped) line
    page.keyboard.type(" Met vriendelijke groet, Amal.")
    next_screen(page)
    answer = fresh(world, select(Response.raw).where(Response.presentation_id == pid))
    assert answer.startswith(first) and answer.endswith("Met vriendelijke groet, Amal.")

    # speaking section: preparation, then recording; the browser is gone after 2 chunks
    enter_on_autofocus(page)  # Start (section 2): the microphone check was done
    page.wait_for_selector(".speaking")
    spid = int(page.get_attribute(".speaking", "data-presentation"))
    shot(page, "57-speaking-prepare-ar")
    page.wait_for_selector(".speaking .rec-stop:not([hidden])", timeout=15_000)  # after 5 s
    shot(page, "58-speaking-recording-ar")

    def chunks(number):
        take = fresh(world, select(RecordingTake).where(RecordingTake.presentation_id == spid,
                                                        RecordingTake.number == number))
        if take is None:
            return 0
        return fresh(world, select(RecordingPart.chunk_count).where(
            RecordingPart.take_id == take.id, RecordingPart.number == 0)) or 0

    wait_until(lambda: chunks(1) >= 2, what="two acknowledged chunks")
    ctx.close()
    take1 = fresh(world, select(RecordingTake).where(RecordingTake.presentation_id == spid))
    audio = service.take_audio(world.db, app_storage, take1.uid)
    assert audio.mime_type in ("audio/webm", "audio/ogg") and len(audio.parts) == 1
    decode_page = media_browser.new_page()
    decoded = decode(decode_page, audio.data)
    assert decoded["ok"], decoded
    assert decoded["seconds"] >= 2.0
    decode_page.close()
    # the server reads the container's time stamps of Chromium's recording (the duration check)
    assert media.media_ms(audio.mime_type, audio.data) >= 1000

    # a new computer: the take was interrupted; the candidate re-records once and finishes
    release(world, exam["ar"])
    ctx = media_browser.new_context(viewport={"width": 1280, "height": 720})
    page = ctx.new_page()
    login(page, base, exam, "ar")
    page.wait_for_selector(".speaking .rec-again:not([hidden])")
    shot(page, "59-speaking-interrupted-ar")
    tab_to(page, ".speaking .rec-again")
    page.keyboard.press("Enter")  # Opnieuw opnemen
    page.wait_for_selector(".speaking .rec-stop:not([hidden])")
    wait_until(lambda: chunks(2) >= 2, what="two chunks of the second take")
    assert page.evaluate("document.activeElement.classList.contains('rec-stop')")
    page.keyboard.press("Enter")  # Klaar met spreken
    page.wait_for_function("() => document.activeElement.classList.contains('next')",
                           timeout=15_000)
    with page.expect_navigation():
        page.keyboard.press("Enter")  # Volgende
    page.wait_for_selector("#finished")
    ctx.close()

    take2 = fresh(world, select(RecordingTake).where(RecordingTake.presentation_id == spid,
                                                     RecordingTake.number == 2))
    raw = fresh(world, select(Response.raw).where(Response.presentation_id == spid))
    assert raw == take2.uid  # the last take counts
    decode_page = media_browser.new_page()
    decoded = decode(decode_page, service.take_audio(world.db, app_storage, take2.uid).data)
    assert decoded["ok"] and decoded["seconds"] >= 2.0, decoded
    decode_page.close()
    assert fresh(world, select(Presentation.answered_at).where(Presentation.id == spid))

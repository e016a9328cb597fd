"""The recording studio end to end in headless Chromium with the fake microphone: a
psychometrician names the speakers, records every turn of a two-speaker script (one role at a
time, one turn again), listens to the assembled result, replaces the bank's synthetic file, and
the bank check then counts the stimulus as a human recording. On a private copy of the test
bank, with CSRF on as in production."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from delivery_support import PASSWORD
from studio_support import DIALOGUE, DIALOGUE_FILE, SCRIPT, studio_bank

from toetsbatterij.items import load_bank
from toetsbatterij.items.check import check_bank
from toetsbatterij.items.voice import Speaker, read_voice
from toetsbatterij.items.voice_check import form_voices

from .support import shot
from .test_accessibility import Audit

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def bank_root(tmp_path):
    return studio_bank(tmp_path / "studio-bank")


@pytest.fixture
def studio_server(make_app, bank_root):
    from werkzeug.serving import make_server

    app = make_app(ITEMBANK_PATH=str(bank_root))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


def _record(page, turn, seconds=2.5):
    li = page.locator(f'.studio-turn[data-turn="{turn}"]')
    li.get_by_role("button", name="Opnemen").click()
    page.wait_for_function(
        f"""() => document.querySelector('.studio-turn[data-turn="{turn}"] .turn-clock')
                 .textContent >= '0:0{int(seconds) + 1}'""", timeout=15_000)
    li.get_by_role("button", name="Stoppen").click()
    page.wait_for_function(
        f"""() => document.querySelector('.studio-turn[data-turn="{turn}"] .turn-state')
                 .textContent.startsWith('Opgenomen')""", timeout=15_000)


def test_record_review_replace_and_the_check_counts_it_human(media_browser, studio_server, world,
                                                            bank_root):
    base = studio_server
    audit = Audit()
    page = media_browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{base}/beheer/aanmelden")
    page.fill("#email", f"psychometrician@{world.a['domain']}")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Aanmelden").click()
    page.get_by_role("link", name="Opnamestudio").first.click()
    row = page.locator(f"#stimulus-{DIALOGUE}")
    assert row.get_attribute("data-voice") == "synthetic"
    audit(page, "studio", candidate=False)
    with page.expect_navigation():
        row.get_by_role("link", name="Opnemen").click()

    # 1. the speakers
    page.fill("#name-A", "Els (schuilnaam)")
    page.fill("#region-A", "Vlaanderen")
    page.fill("#name-B", "Jan")
    page.fill("#region-B", "Brussel")
    with page.expect_navigation():
        page.get_by_role("button", name="Sprekers bewaren").click()
    assert "De sprekers zijn bewaard." in page.content()

    # 2. the turns, one speaker at a time: speaker A's two turns, then B's.
    page.get_by_role("button", name="Spreker A").click()
    assert page.locator('.studio-turn[data-turn="1"]').is_hidden()
    _record(page, 0)
    _record(page, 2)
    page.get_by_role("button", name="Spreker B").click()
    assert page.locator('.studio-turn[data-turn="0"]').is_hidden()
    _record(page, 1)
    page.get_by_role("button", name="Alle beurten").click()
    _record(page, 1)  # once more: the new take replaces the first
    assert page.locator(".studio-turn.done").count() == len(SCRIPT)
    # A take plays back in the page.
    duration = page.evaluate("""() => new Promise((resolve) => {
        const a = document.querySelector('.studio-turn[data-turn="1"] audio');
        a.preload = 'auto'; a.load();
        a.addEventListener('loadedmetadata', () => resolve(a.duration), {once: true});
        a.addEventListener('error', () => resolve(-1), {once: true}); })""")
    assert duration != -1
    audit(page, "studio-record", candidate=False)
    shot(page, "studio-record")

    # 3. review: the assembled whole plays in the browser, then replace.
    with page.expect_navigation():
        page.get_by_role("button", name="Beurten samenvoegen").click()
    length = page.evaluate("""() => new Promise((resolve) => {
        const a = document.querySelector('audio.studio-preview');
        a.preload = 'auto'; a.load();
        a.addEventListener('loadedmetadata', () => resolve(a.duration), {once: true});
        a.addEventListener('error', () => resolve(-1), {once: true}); })""")
    assert length > 2 * 0.4 + 2 * 0.7
    played = page.evaluate("""() => document.querySelector('audio.studio-preview').play()
        .then(() => true, () => false)""")
    assert played
    assert read_voice(bank_root / f"{DIALOGUE_FILE}.ogg").synthetic  # not yet replaced
    page.get_by_label("Ik heb het geheel beluisterd").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Bestand in de itembank vervangen").click()
    assert "staat nu in de itembank" in page.content()
    assert page.locator(f"#stimulus-{DIALOGUE}").get_attribute("data-voice") == "human"

    # The bank: a human recording with its speakers, and the check counts it as one.
    voice = read_voice(bank_root / f"{DIALOGUE_FILE}.ogg")
    assert voice.human and voice.speakers == (Speaker("A", "Els (schuilnaam)", "Vlaanderen"),
                                              Speaker("B", "Jan", "Brussel"))
    report = check_bank(bank_root)
    assert report.ok, report.problems
    bank = load_bank(bank_root)
    assert form_voices(bank, bank.tests["lezen-luisteren"]).human == (DIALOGUE,)
    out = subprocess.run([sys.executable, "-m", "toetsbatterij.items", "check", str(bank_root)],
                         capture_output=True, text=True, check=True).stdout
    assert "audio lezen-luisteren: 8 stimuli, 7 synthetic (88 %), 1 human" in out
    assert audit.problems == [], audit.problems

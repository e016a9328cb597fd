"""Browser tests: a live server (werkzeug, threaded) on the test database and headless Debian
Chromium driven by Playwright. Screenshots go to test-artifacts/ (gitignored)."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest

from toetsbatterij.clock import FrozenClock, utcnow

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"]
# Chromium's fake microphone (a test tone) and an automatic yes to the permission prompt.
MEDIA_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


class LiveClock(FrozenClock):
    """Real time (the countdown runs in the browser), plus an offset a test may move forward
    with ``shift``: the server then lives that much later, and the page follows at its next
    status poll. Test-only: the app gets its clock from the test fixture (``make_app``), no
    configuration key can select it."""

    offset = dt.timedelta(0)

    def now(self) -> dt.datetime:
        return utcnow() + self.offset

    def shift(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self.offset += dt.timedelta(seconds=seconds)

    def advance(self, seconds: float = 0.0, **kwargs: float) -> dt.datetime:
        raise RuntimeError("a live clock cannot be advanced; use shift()")


@pytest.fixture
def clock() -> LiveClock:
    return LiveClock()


@pytest.fixture
def live_server(make_app):
    from werkzeug.serving import make_server

    app = make_app(LIVE_POLL_SECONDS=1)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (/usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def media_browser():
    """Chromium with the fake microphone, for the speaking screens and the microphone check."""
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (/usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                               args=ARGS + MEDIA_ARGS)
        yield b
        b.close()

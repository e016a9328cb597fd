"""WCAG 2.2 AA audit in a real browser: axe-core (bundled by axe-playwright-python) on every
candidate screen (login, also right-to-left, instructions, each practice item type, section
intro, reading item, listening testlet, pause, end, an error page, the score report in Dutch and
Arabic) and on the staff login, the session page, the proctor room view and the result pages. Besides axe, measured in the page: every interactive
control of a candidate screen is at least 44 x 44 CSS px (our rule, stricter than 2.5.8), the
keyboard focus is visible (outline or box-shadow under :focus-visible), and there is no
horizontal scroll at 1280 x 720 nor at 200 % zoom (a 640 x 360 viewport)."""

from __future__ import annotations

import pytest
from delivery_support import PASSWORD

from .conftest import ARTIFACTS
from .support import UNANSWERED, bank_with_real_practice, next_question, open_content

pytestmark = [pytest.mark.browser, pytest.mark.slow]

axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# axe files these under "best-practice"; they check the headings and landmarks that 1.3.1 and
# 2.4.6 ask for, so they run too
EXTRA_RULES = ["page-has-heading-one", "heading-order", "landmark-one-main", "region",
               "landmark-unique", "landmark-no-duplicate-main"]
MIN_TARGET = 44
CONTROLS = ("a[href], button, input:not([type=hidden]), select, textarea, summary, audio[controls],"
            " [tabindex]:not([tabindex='-1'])")

# The measured size of each control: a radio button or check box counts with its label (the
# label is the target: a click anywhere on it chooses). Elements that are not rendered are left out.
MEASURE = """([selector, min]) => {
  const out = [];
  for (const el of document.querySelectorAll(selector)) {
    if (!el.getClientRects().length || getComputedStyle(el).visibility === 'hidden') continue;
    const target = (el.type === 'radio' || el.type === 'checkbox') && el.closest('label')
                   ? el.closest('label') : el;
    const r = target.getBoundingClientRect();
    if (r.width < min - 0.5 || r.height < min - 0.5)
      out.push(`${el.outerHTML.slice(0, 90)} is ${r.width.toFixed(1)}x${r.height.toFixed(1)}`);
  }
  return out; }"""

# The focused control and its indicator; for an outline also its contrast with the background
# it is drawn on (the first ancestor with a colour), which 1.4.11 wants at 3:1 at least.
FOCUSED_STYLE = """() => { const e = document.activeElement;
  if (!e || e === document.body) return null;
  const s = getComputedStyle(e);
  const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
    .reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i], 0);
  let bg = [255, 255, 255];
  for (let p = e.parentElement; p; p = p.parentElement) {
    const c = rgb(getComputedStyle(p).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0)) { bg = c.slice(0, 3); break; }
  }
  const [l1, l2] = [lum(rgb(s.outlineColor).slice(0, 3)), lum(bg)].sort((a, b) => b - a);
  return {html: e.outerHTML.slice(0, 90), visible: e.matches(':focus-visible'),
          outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
          contrast: (l1 + 0.05) / (l2 + 0.05), shadow: s.boxShadow !== 'none'}; }"""

HAS_CONTROLS = """(selector) => Array.from(document.querySelectorAll(selector))
  .some(e => e.getClientRects().length > 0)"""

OVERFLOW = """() => { const w = document.documentElement.clientWidth;
  const wide = Array.from(document.body.querySelectorAll('*')).filter(e => {
      const r = e.getBoundingClientRect(); return r.width && r.right > w + 1; })
    .filter(e => !e.parentElement || e.parentElement.getBoundingClientRect().right <= w + 1)
    .slice(0, 3).map(e => e.outerHTML.slice(0, 70));
  return {scroll: document.documentElement.scrollWidth, client: w, wide}; }"""


@pytest.fixture(scope="module")
def bank_dir(tmp_path_factory):
    return bank_with_real_practice(tmp_path_factory)


@pytest.fixture(scope="module")
def content(bank_dir):
    return open_content(bank_dir)


class Audit:
    def __init__(self):
        self.axe = axe_sync.Axe()
        self.problems: list[str] = []
        self.screens: list[str] = []

    def __call__(self, page, name: str, candidate: bool = True, shot: bool = False) -> None:
        page.wait_for_load_state()
        self.screens.append(name)
        if candidate:
            for small in page.evaluate(MEASURE, [CONTROLS, MIN_TARGET]):
                self.problems.append(f"[{name}] target under {MIN_TARGET}px: {small}")
        self._focus(page, name)
        for w, h in ((1280, 720), (640, 360)):
            page.set_viewport_size({"width": w, "height": h})
            self._axe(page, name)
            o = page.evaluate(OVERFLOW)
            if o["scroll"] > o["client"]:
                self.problems.append(f"[{name}] horizontal scroll at {w}x{h}: "
                                     f"{o['scroll']} > {o['client']} ({o['wide']})")
        page.set_viewport_size({"width": 1280, "height": 720})
        if shot:
            page.screenshot(path=str(ARTIFACTS / f"30-a11y-{name}.png"), full_page=True)

    def _axe(self, page, name: str) -> None:
        result = self.axe.run(page, options={
            "runOnly": {"type": "tag", "values": TAGS},
            "rules": {rule: {"enabled": True} for rule in EXTRA_RULES},
            "resultTypes": ["violations"]})
        for v in result.response["violations"]:
            for node in v["nodes"]:
                problem = (f"[{name}] axe {v['id']} ({v['impact']}) at {node['target']}: "
                           f"{v['help']} {v['helpUrl']}")
                if problem not in self.problems:
                    self.problems.append(problem)

    def _focus(self, page, name: str) -> None:
        """Tab through the page (at most 40 stops): each focused control shows an indicator."""
        # Start the Tab order at the top of the page (focusing the body moves the sequential
        # focus starting point there; a blur alone would leave it at an autofocused button).
        page.evaluate("""() => { const b = document.body; b.tabIndex = -1; b.focus();
                                 b.removeAttribute('tabindex'); }""")
        seen = set()
        for _ in range(40):
            page.keyboard.press("Tab")
            f = page.evaluate(FOCUSED_STYLE)
            if f is None or f["html"] in seen:
                break
            seen.add(f["html"])
            if not (f["visible"] and (f["outline"] or f["shadow"])):
                self.problems.append(f"[{name}] no visible focus indicator on {f['html']}")
            elif f["outline"] and not f["shadow"] and f["contrast"] < 3:
                self.problems.append(f"[{name}] focus outline contrast {f['contrast']:.2f}:1 "
                                     f"(under 3:1) on {f['html']}")
        if not seen and page.evaluate(HAS_CONTROLS, CONTROLS):
            self.problems.append(f"[{name}] Tab reaches no control")

    def check(self) -> None:
        assert self.problems == [], (
            f"{len(self.problems)} accessibility problem(s) on {len(self.screens)} screens:\n"
            + "\n".join(self.problems))


def kinds(page) -> set[str]:
    return set(page.evaluate("""() => Array.from(document.querySelectorAll('fieldset.question'))
        .map(fs => fs.querySelector('input[type=radio]') ? 'single_choice'
             : fs.querySelector('input[type=checkbox]') ? 'multiple_response'
             : fs.querySelector('input.gap') ? 'gap_fill'
             : fs.querySelector('textarea') ? 'extended_text'
             : fs.querySelector('ol.order-list') ? 'ordering'
             : fs.querySelector('select') ? 'matching' : 'other')"""))


def pass_sound_check(page, audit) -> None:
    """Play the sound; first answer "Ik hoor niets" (audited), then "Ik hoor het"."""
    page.locator("#sound-check-play").click()
    page.locator("#sound-check-no").click()
    page.locator("#sound-check-failed").wait_for()
    audit(page, "sound-check-failed")
    page.locator("#sound-check-yes").click()
    page.locator("#unit-form").wait_for()


def send(page, audit) -> None:
    """Send the screen as it is; the first time something is left open, audit the question."""
    while next_question(page):
        pass
    if page.evaluate(UNANSWERED):
        page.locator("button.next").click()
        page.locator("#unanswered-go").wait_for()
        if "unanswered-dialog" not in audit.screens:
            audit(page, "unanswered-dialog", shot=True)
        with page.expect_navigation():
            page.locator("#unanswered-go").click()
    else:
        with page.expect_navigation():
            page.locator("button.next").click()


def test_wcag_audit_of_every_screen(browser, live_server, world):
    world.open(world.a)
    base = live_server
    audit = Audit()
    cand_ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    proc_ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    cand, proc = cand_ctx.new_page(), proc_ctx.new_page()

    # staff: login, session page, room view
    proc.goto(f"{base}/beheer/aanmelden")
    audit(proc, "staff-login", candidate=False)
    proc.fill("#email", f"proctor@{world.a['domain']}")
    proc.fill("#password", PASSWORD)
    with proc.expect_navigation():
        proc.get_by_role("button", name="Aanmelden").click()
    proc.goto(f"{base}/beheer/sessies/{world.a['session']}")
    audit(proc, "staff-session", candidate=False)
    proc.goto(f"{base}/beheer/sessies/{world.a['session']}/zaal")
    audit(proc, "staff-room", candidate=False)
    # the confirmation pages, the accommodations form, and a refused registration (the error
    # beside its field)
    first = world.a["candidates"][0]
    proc.goto(f"{base}/beheer/kandidaten/{first}/vrijgeven")
    audit(proc, "staff-confirm-release", candidate=False)
    proc.goto(f"{base}/beheer/sessies/{world.a['session']}/zaal/pauze")
    audit(proc, "staff-confirm-pause-room", candidate=False)
    proc.goto(f"{base}/beheer/kandidaten/{first}/aanpassingen")
    audit(proc, "staff-accommodations", candidate=False)
    proc.goto(f"{base}/beheer/sessies/{world.a['session']}")
    for field, value in (("#first_name", "Amina"), ("#last_name", "El Idrissi"),
                         ("#birth_date", "1985-07-30"), ("#id_number", "85.07.30-033.29")):
        proc.fill(field, value)
    with proc.expect_navigation():
        proc.get_by_role("button", name="Inschrijven").click()
    assert proc.locator("#id_number-error").count() == 1
    audit(proc, "staff-session-refused-registration", candidate=False)
    for role, name in (("psychometrician", "staff-start-psychometrician"),
                       ("rater", "staff-start-rater")):
        ctx = browser.new_context(viewport={"width": 1280, "height": 720})
        other = ctx.new_page()
        other.goto(f"{base}/beheer/aanmelden")
        other.fill("#email", f"{role}@{world.a['domain']}")
        other.fill("#password", PASSWORD)
        with other.expect_navigation():
            other.get_by_role("button", name="Aanmelden").click()
        audit(other, name, candidate=False)
        ctx.close()
    proc.goto(f"{base}/beheer/sessies/{world.a['session']}/zaal")

    # candidate: an error page, the login right-to-left, then in Dutch
    cand.goto(f"{base}/bestaat-niet")
    audit(cand, "error-404")
    cand.goto(f"{base}/?taal=ar")
    audit(cand, "login-ar")
    cand.goto(f"{base}/?taal=nl")
    audit(cand, "login", shot=True)
    cand.fill("#session_code", world.a["session_code"])
    cand.fill("#access_code", world.a["access_codes"][0])
    with cand.expect_navigation():
        cand.keyboard.press("Enter")
    audit(cand, "instructions")
    with cand.expect_navigation():
        cand.get_by_role("button", name="Begin met oefenen").click()

    # practice: every item type, and the audio player
    seen: set[str] = set()
    audio = False
    for i in range(20):
        cand.wait_for_load_state()
        if cand.get_by_role("button", name="Start").count():
            break
        if cand.locator("#sound-check:visible").count():
            audit(cand, "sound-check", shot=True)
            pass_sound_check(cand, audit)
        cand.wait_for_selector("fieldset.question")
        here = kinds(cand)
        has_audio = cand.locator(".audio button.play").count() > 0
        if not here <= seen or (has_audio and not audio):
            audit(cand, f"practice-{i + 1}-{'-'.join(sorted(here))}{'-audio' if has_audio else ''}",
                  shot="ordering" in here)
            seen |= here
            audio = audio or has_audio
        send(cand, audit)
    else:
        raise AssertionError("the practice block did not end")
    assert {"single_choice", "multiple_response", "gap_fill", "ordering", "matching"} <= seen
    assert audio

    # section intro, a reading item, a listening testlet, the pause screen, the end screen
    reading = listening = paused = paged = False
    row = proc.locator(f'tr[data-candidate="{world.a["candidates"][0]}"]')
    intro = 0
    for _ in range(60):
        cand.wait_for_load_state()
        if cand.locator("text=U bent klaar").count():
            break
        start = cand.get_by_role("button", name="Start")
        if start.count():
            intro += 1
            audit(cand, f"section-intro-{intro}")
            with cand.expect_navigation():
                start.click()
            continue
        cand.wait_for_selector("#timer")
        if cand.locator(".audio button.play").count():
            if not listening:
                audit(cand, "listening-testlet")
                listening = True
        elif not reading:
            audit(cand, "reading-item")
            reading = True
        elif cand.locator("button.question-next:visible").count() and not paged:
            audit(cand, "testlet-question-1", shot=True)
            next_question(cand)
            audit(cand, "testlet-question-2")
            paged = True
        elif not paused:
            proc.reload()
            row.locator("form[action$='/pauze'] button").click()
            cand.wait_for_selector("text=Even pauze", timeout=15_000)
            audit(cand, "paused")
            proc.wait_for_load_state()
            row.locator("form[action$='/hervatten'] button").click()
            cand.wait_for_selector("#timer", timeout=15_000)
            paused = True
        send(cand, audit)
    else:
        raise AssertionError("the candidate never finished")
    assert reading and listening and paused and intro >= 1
    assert {"sound-check", "sound-check-failed", "unanswered-dialog"} <= set(audit.screens)
    audit(cand, "finished")
    proc.goto(f"{base}/beheer/sessies/{world.a['session']}/zaal")
    audit(proc, "staff-room-finished", candidate=False)
    proc.goto(f"{base}/beheer/kandidaten/{world.a['candidates'][0]}/beeindigen")
    audit(proc, "staff-confirm-end", candidate=False)
    cand_ctx.close()
    proc_ctx.close()
    print("\n".join(audit.problems))
    audit.check()


def test_wcag_audit_of_the_writing_speaking_and_microphone_screens(media_browser, live_server,
                                                                   world, clock):
    """The same audit on the productions screens, in Dutch and in Arabic (right to left): a
    writing task with its word count and save state, the microphone check (before, after a
    recording, after "it does not work"), a speaking task preparing and recording."""
    from .support import writing_speaking_session

    exam = writing_speaking_session(world, clock)
    audit = Audit()
    for lang in ("nl", "ar"):
        ctx = media_browser.new_context(viewport={"width": 1280, "height": 720})
        page = ctx.new_page()
        page.goto(f"{live_server}/?taal={lang}")
        page.fill("#session_code", exam["code"])
        page.fill("#access_code", exam["access"][lang])
        with page.expect_navigation():
            page.keyboard.press("Enter")
        with page.expect_navigation():
            page.locator("form button.primary").click()  # begin with the practice
        page.wait_for_selector(".writing textarea")
        page.fill(".writing textarea", "Voornaam: Lies. Gemeente: Brugge. Sport: zwemmen.")
        page.locator(".writing textarea").blur()
        page.wait_for_selector(".save-state.saved", timeout=20_000)
        audit(page, f"writing-{lang}", shot=True)
        for _ in range(2):
            with page.expect_navigation():
                page.locator("button.next").click()
            if page.locator("#mic-check").count():
                break
            page.fill(".writing textarea", "Ik heet Lies.")
        page.wait_for_selector("#mic-check")
        audit(page, f"microphone-{lang}", shot=True)
        page.locator(".mic-record").click()
        page.wait_for_selector(".mic-ok:not([disabled])", timeout=15_000)
        audit(page, f"microphone-heard-{lang}")
        with page.expect_navigation():
            page.locator(".mic-failed").click()
        audit(page, f"microphone-failed-{lang}", shot=True)
        with page.expect_navigation():
            page.locator(".mic-proceed").click()
        page.wait_for_selector(".speaking .rec-now:not([hidden])")
        audit(page, f"speaking-prepare-{lang}", shot=True)
        page.locator(".speaking .rec-now").click()
        page.wait_for_selector(".speaking .rec-stop:not([hidden])")
        audit(page, f"speaking-recording-{lang}", shot=True)
        ctx.close()
    print("\n".join(audit.problems))
    audit.check()


def test_wcag_audit_of_the_result_pages(browser, live_server, world, content):
    """The result pages: the session's results, a result's detail, the release confirmation, the
    report preview, a refused filter (agency admin), the list without names (psychometrician;
    the same templates), and the candidate's
    finished screen with its report link and the report page, in Dutch and in Arabic."""
    from .support import released_result

    world.open(world.a)
    audit = Audit()
    reports = {lang: released_result(world, content, 12 + k, instruction_language=lang)
               for k, lang in enumerate(("nl", "ar"))}
    result = reports["nl"][1]
    for role, pages in (
            ("agency_admin", (("session-results", f"/beheer/sessies/{world.a['session']}/resultaten"),
                              ("result", f"/beheer/resultaten/{result.id}"),
                              ("release", f"/beheer/sessies/{world.a['session']}/resultaten/vrijgeven"),
                              ("report-preview", f"/beheer/resultaten/{result.id}/rapport"),
                              ("results-refused", "/beheer/resultaten?van=2026-13-01"))),
            ("psychometrician", (("results-no-names", "/beheer/resultaten"),))):
        ctx = browser.new_context(viewport={"width": 1280, "height": 720})
        page = ctx.new_page()
        page.goto(f"{live_server}/beheer/aanmelden")
        page.fill("#email", f"{role}@{world.a['domain']}")
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Aanmelden").click()
        for name, url in pages:
            page.goto(live_server + url)
            audit(page, f"staff-{name}", candidate=False)
        ctx.close()
    for lang, (access, _result) in reports.items():
        ctx = browser.new_context(viewport={"width": 1280, "height": 720})
        page = ctx.new_page()
        page.goto(f"{live_server}/")
        page.fill("#session_code", world.a["session_code"])
        page.fill("#access_code", access)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_selector("#finished")
        audit(page, f"finished-with-report-{lang}")
        with page.expect_navigation():
            page.locator("a[href='/toets/resultaat']").click()
        audit(page, f"report-{lang}", shot=True)
        ctx.close()
    print("\n".join(audit.problems))
    audit.check()

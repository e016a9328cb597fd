"""The candidate's score report in headless Chromium: after the release the finished screen
links to the report, and the report downloads as a PDF whose text (read with pypdf) holds the
candidate's levels and name, in Dutch and, for an Arabic-speaking candidate, in Arabic."""

from __future__ import annotations

import pytest
from pypdf import PdfReader

from toetsbatterij.i18n import translator

from .support import released_result, shot

pytestmark = pytest.mark.browser

LABELS = {"reading": "Lezen", "listening": "Luisteren", "writing": "Schrijven",
          "speaking": "Spreken"}


def shown(level: str) -> str:
    return "lager dan A1" if level == "below_A1" else level


@pytest.mark.parametrize("lang", ["nl", "ar"])
def test_the_report_downloads_as_pdf_with_the_levels(browser, live_server, world, content,
                                                     tmp_path, lang):
    world.open(world.a)
    access, result = released_result(world, content, 7, instruction_language=lang)
    ctx = browser.new_context(viewport={"width": 1280, "height": 720}, accept_downloads=True)
    page = ctx.new_page()
    page.goto(f"{live_server}/")
    page.fill("#session_code", world.a["session_code"])
    page.fill("#access_code", access)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_selector("#finished")
    with page.expect_navigation():
        page.locator("a[href='/toets/resultaat']").click()
    for entry in result.document["skills"]:
        assert page.get_by_text(f"{LABELS[entry['skill']]} – Uw niveau: {shown(entry['level'])}",
                                exact=True).count() == 1
    shot(page, f"40-report-{lang}")
    with page.expect_download() as download:
        page.locator("a[href='/toets/resultaat.pdf']").click()
    path = tmp_path / "resultaat.pdf"
    download.value.save_as(path)
    reader = PdfReader(path)
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert len(reader.pages) == 1
    cand_name = page.locator(".candidate-bar .who").inner_text().strip()
    assert cand_name and cand_name in text
    for entry in result.document["skills"]:
        assert f"{LABELS[entry['skill']]} – Uw niveau: {shown(entry['level'])}" in text
        if lang == "ar":
            assert translator("ar")(LABELS[entry["skill"]]) in text
    assert "Dit is geen attest" in text
    ctx.close()

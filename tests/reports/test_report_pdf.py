"""The candidate's score report as PDF: the text read back with pypdf holds the right levels and
names in Dutch and in the instruction language; every script prints without a missing glyph."""

from __future__ import annotations

import datetime as dt
import io
import logging

import pytest
from pypdf import PdfReader

from toetsbatterij.i18n import LANGUAGES, translator
from toetsbatterij.pdf import Document, MissingGlyphs, printable_scripts
from toetsbatterij.reports import levels
from toetsbatterij.reports.pdf import render_report_pdf
from toetsbatterij.reports.report import (
    NOT_AN_ATTEST,
    YOUR_LEVEL,
    ScoreReport,
    SkillLevel,
    report_texts,
    skill_levels,
)

LEVELS = {"reading": "A2", "listening": "B1", "writing": "A1", "speaking": "below_A1"}


def report(language: str = "nl", **changes) -> ScoreReport:
    values = dict(result_id=7, organisation_id=1, attempt_id=3,
                  test_name="Attest Nederlands (vier vaardigheden)",
                  organisation="Agentschap Integratie en Inburgering", first_name="Amal",
                  last_name="Haddad-Şahin", birth_date=dt.date(1988, 4, 3),
                  taken_on=dt.date(2026, 3, 2), language=language,
                  skills=tuple(SkillLevel(s, lv) for s, lv in LEVELS.items()))
    values.update(changes)
    return ScoreReport(**values)


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), " ".join(text.split())


@pytest.fixture
def no_glyph_warnings(caplog):
    """fpdf2 warns about missing glyphs at output (without shaping); our document logs the ones
    it finds itself (also with shaping, where fpdf2 drops them silently): either fails."""
    caplog.set_level(logging.WARNING)
    yield
    warnings = [r.getMessage() for r in caplog.records
                if r.name.startswith(("fpdf", "toetsbatterij.pdf")) and r.levelno >= logging.WARNING]
    assert warnings == []


def test_dutch_report_holds_the_levels_names_and_the_notice(no_glyph_warnings):
    pages, text = pdf_text(render_report_pdf(report("nl"), strict=True))
    assert pages == 1
    for fragment in ("Lezen – Uw niveau: A2", "Luisteren – Uw niveau: B1",
                     "Schrijven – Uw niveau: A1", "Spreken – Uw niveau: lager dan A1",
                     "Amal Haddad-Şahin", "03/04/1988", "02/03/2026",
                     "Attest Nederlands (vier vaardigheden)", "Agentschap Integratie en Inburgering",
                     " ".join(NOT_AN_ATTEST.split()), " ".join(levels.SCALE.split())):
        assert fragment in text, fragment
    for skill, level in LEVELS.items():
        assert " ".join(levels.meaning(skill, level).split()) in text


@pytest.mark.parametrize("lang", sorted(set(LANGUAGES) - {"nl"}))
def test_report_in_every_instruction_language(lang, no_glyph_warnings):
    """Dutch and the candidate's language side by side; Arabic, Dari and Tigrinya included."""
    if LANGUAGES[lang].script not in printable_scripts():
        pytest.skip(f"no font for {LANGUAGES[lang].script} on this machine")
    t = translator(lang)
    data = render_report_pdf(report(lang), strict=True)
    pages, text = pdf_text(data)
    assert pages == 1
    assert "Lezen – Uw niveau: A2" in text and "Amal Haddad-Şahin" in text
    for skill, level in LEVELS.items():
        name = t(levels.skill_name(skill))
        shown = t(levels.level_name(level)) if level == "below_A1" else level
        verdict = t(YOUR_LEVEL, level=shown)
        if LANGUAGES[lang].rtl:
            # pypdf gives right-to-left runs in logical order but a mixed line run by run:
            # every word must be there
            for word in f"{name} {verdict}".replace(":", " ").split():
                assert word in text, (lang, word)
        else:
            assert f"{name} – {verdict}" in text, (lang, skill)
        meaning = t(levels.meaning(skill, level))
        first_words = " ".join(meaning.split()[:4])
        assert first_words in text, (lang, first_words)
    assert t(NOT_AN_ATTEST).split()[0] in text


def test_an_unprintable_script_gives_a_dutch_only_report(monkeypatch):
    import toetsbatterij.pdf as pdf_module

    monkeypatch.setattr(pdf_module, "SCRIPT_FONTS", {})  # as on a machine without the Noto fonts
    _, text = pdf_text(render_report_pdf(report("ti"), strict=True))
    assert "Lezen – Uw niveau: A2" in text
    assert translator("ti")("Lezen") not in text


def test_a_missing_glyph_fails_a_strict_document_and_is_logged_otherwise(caplog):
    for code in ("nl", "ar", "ti"):  # with and without the shaping engine
        strict = Document(strict=True)
        strict.add_page()
        strict.use(code, "", 12)
        with pytest.raises(MissingGlyphs) as caught:
            strict.multi_cell(0, 6, "Naam: 山田 太郎")
        assert caught.value.chars == ["太", "山", "田", "郎"]
        strict.output()  # closes the font files
    lenient = Document()
    lenient.add_page()
    lenient.use(None, "", 12)
    with caplog.at_level(logging.WARNING, logger="toetsbatterij.pdf"):
        lenient.cell(0, 6, "山")
    lenient.output()
    assert lenient.missing == {"山"}
    assert any("U+5C71" in r.getMessage() for r in caplog.records)


def test_every_script_of_the_candidate_languages_prints():
    # the fonts this project ships and the system's DejaVu: none of the candidate languages
    # falls back to a Dutch-only report here (CI has DejaVu: scripts/setup installs it)
    assert {LANGUAGES[c].script for c in LANGUAGES} <= printable_scripts()


def test_the_report_holds_levels_and_nothing_else_of_the_result():
    document = {"skills": [
        {"skill": "reading", "level": "B1", "theta": 0.4137, "se": 0.3311, "scale_score": 520.5,
         "probabilities": {"B1": 0.8123}, "p_correct": 0.8123, "n_items": 17,
         "stop_reason": "se+classification"},
        {"skill": "writing", "level": "", "theta": None}]}
    assert skill_levels(document) == (SkillLevel("reading", "B1"), SkillLevel("writing", ""))
    r = report("fr", skills=skill_levels(document))
    _, text = pdf_text(render_report_pdf(r, strict=True))
    for secret in ("0.41", "0,41", "0.33", "520", "0.81", "81", "se+classification", "17"):
        assert secret not in text.replace("1988", "").replace("2026", ""), secret
    assert "Schrijven – Uw niveau: geen niveau (niet genoeg antwoorden)" in text


def test_texts_follow_the_language_and_direction():
    texts = report_texts(report("ar"), translator)
    assert texts.language == "ar" and texts.rtl
    assert texts.skills[0].name.own == translator("ar")("Lezen")
    dutch = report_texts(report("nl"), translator)
    assert dutch.language == "nl" and not dutch.rtl
    assert all(s.name.own is None for s in dutch.skills)
    unknown = report_texts(report("xx"), translator)
    assert unknown.language == "nl"
    no_own = report_texts(report("fr"), translator, show_own=False)
    assert no_own.title.own is None

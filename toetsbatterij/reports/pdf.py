"""The candidate's score report as a PDF (fpdf2 through ``toetsbatterij.pdf``): one A4 page in
Dutch with, beside every text, the candidate's instruction language where the document's fonts
can show its script (Latin, Cyrillic, Arabic script shaped right to left, Ethiopic); otherwise
Dutch only."""

from __future__ import annotations

from collections.abc import Callable

from toetsbatterij.i18n import Translate, translator
from toetsbatterij.pdf import Document
from toetsbatterij.reports.report import Bilingual, ScoreReport, report_texts

_LABEL_WIDTH = 47.0  # the Dutch label; the translated label beside it
_OWN_WIDTH = 40.0


def render_report_pdf(report: ScoreReport, *,
                      translate: Callable[[str], Translate] | None = translator,
                      strict: bool = False) -> bytes:
    """The report as PDF bytes. ``strict``: a character no font shows raises
    ``toetsbatterij.pdf.MissingGlyphs`` (the tests); otherwise it is logged."""
    pdf = Document(strict=strict)
    texts = report_texts(report, translate, show_own=pdf.can_show(report.language))
    own = texts.language if texts.language != "nl" else None
    align = "R" if texts.rtl else "L"
    safe = pdf.safe
    pdf.set_title(f"{texts.title.nl} - {report.full_name}")
    pdf.set_author(report.organisation)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()

    def text(value: Bilingual, size: float, style: str = "", gap: float = 1.5,
             line: float | None = None) -> None:
        height = line or size * 0.5
        pdf.use("nl", style, size)
        pdf.multi_cell(0, height, safe(value.nl), align="L", new_x="LMARGIN", new_y="NEXT")
        if value.own:
            pdf.use(own, style, size)
            pdf.multi_cell(0, height, safe(value.own), align=align, new_x="LMARGIN",
                           new_y="NEXT")
        pdf.ln(gap)

    text(texts.title, 16, "B", gap=3, line=8)
    # The notice in a light box: this sheet is not the attest.
    pdf.set_fill_color(255, 244, 214)
    pdf.set_draw_color(184, 134, 11)
    pdf.use("nl", "B", 10.5)
    pdf.multi_cell(0, 5.5, safe(texts.notice.nl), border="LTR" if texts.notice.own else 1,
                   fill=True, padding=(2, 2, 0 if texts.notice.own else 2, 2), align="L",
                   new_x="LMARGIN", new_y="NEXT")
    if texts.notice.own:
        pdf.use(own, "", 10.5)
        pdf.multi_cell(0, 5.5, safe(texts.notice.own), border="LBR", fill=True,
                       padding=(1, 2, 2, 2), align=align, new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(0, 0, 0)
    pdf.ln(4)

    # One line per field: the Dutch label, the label in the candidate's language, the value.
    for field in texts.fields:
        y = pdf.get_y()
        pdf.use("nl", "B", 10.5)
        pdf.multi_cell(_LABEL_WIDTH, 6, safe(field.label.nl), align="L", new_x="LMARGIN",
                       new_y="NEXT")
        bottom = pdf.get_y()
        if field.label.own:
            pdf.set_xy(pdf.l_margin + _LABEL_WIDTH, y)
            pdf.use(own, "", 9.5)
            pdf.multi_cell(_OWN_WIDTH, 6, safe(field.label.own), align=align,
                           new_x="LMARGIN", new_y="NEXT")
            bottom = max(bottom, pdf.get_y())
        pdf.set_xy(pdf.l_margin + _LABEL_WIDTH + _OWN_WIDTH + 4, y)
        pdf.use(None, "", 10.5)  # names and dates as typed
        pdf.multi_cell(0, 6, safe(field.value), align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(max(bottom, pdf.get_y()) + 0.5)
    pdf.ln(3)

    for skill in texts.skills:
        pdf.set_draw_color(160, 160, 160)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(2.5)
        heading = Bilingual(f"{skill.name.nl} – {skill.verdict.nl}",
                            f"{skill.name.own} – {skill.verdict.own}" if skill.name.own
                            and skill.verdict.own else None)
        text(heading, 12.5, "B", gap=0.5, line=6.5)
        if skill.meaning is not None:
            text(skill.meaning, 10, gap=2, line=5)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(3)
    text(texts.scale, 10, line=5)
    if texts.complaint is not None:
        text(texts.complaint, 8, gap=0, line=3.8)
    return bytes(pdf.output())

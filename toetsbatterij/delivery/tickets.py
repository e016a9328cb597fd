"""Candidate tickets as PDF (fpdf2): one page per candidate with session code, access code,
a QR code of the login address (segno) and short instructions: in the candidate's instruction
language when the caller passes a translator and the PDF font can show that script, otherwise in
Dutch (the source language). The service stays flask-free: the caller passes ``translator``
(e.g. ``toetsbatterij.i18n.translator``)."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path

import segno
from fpdf import FPDF

from toetsbatterij.delivery.models import Candidate, ExamSession
from toetsbatterij.i18n import LANGUAGES, N_, Translate, identity
from toetsbatterij.organisations.models import Location, Organisation

_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)

INSTRUCTIONS = (
    N_("1. Ga naar de computer die de toetsbegeleider u aanwijst."),
    N_("2. Typ de sessiecode en uw persoonlijke toegangscode. Hoofdletters zijn niet nodig."),
    N_("3. Volg de uitleg op het scherm. U oefent eerst; dat telt niet mee."),
    N_("4. Hebt u een vraag of een probleem? Steek uw hand op."),
    N_("Bewaar dit ticket tot het einde van de toets. Geef uw codes aan niemand anders."),
)
# Scripts the embedded DejaVu font shows correctly without text shaping. Arabic-script and
# Ethiopic tickets would need a shaping engine and other fonts: those candidates get Dutch
# tickets (their screens are translated).
_PDF_SCRIPTS = {"DejaVu": {"Latn", "Cyrl"}, "Helvetica": set()}


def _font(pdf: FPDF) -> str:
    for folder in _FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            pdf.add_font("DejaVu", "", str(regular))
            pdf.add_font("DejaVu", "B", str(bold))
            return "DejaVu"
    return "Helvetica"


def _safe(text: str, font: str) -> str:
    # The core Helvetica font only knows Latin-1; DejaVu covers the names we meet.
    return text if font != "Helvetica" else text.encode("latin-1", "replace").decode("latin-1")


def ticket_translate(lang: str | None, font: str,
                     translator: Callable[[str], Translate] | None) -> Translate:
    """The translate function for one candidate's ticket (Dutch when it cannot be shown)."""
    language = LANGUAGES.get(lang or "")
    if translator is None or language is None or language.script not in _PDF_SCRIPTS[font]:
        return identity
    return translator(language.code)


def render_tickets(*, organisation: Organisation, location: Location, session: ExamSession,
                   candidates: Sequence[Candidate], login_url: str, local_time: str,
                   translator: Callable[[str], Translate] | None = None) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_title(f"Tickets sessie {session.code}")
    pdf.set_creator("toetsbatterij")
    font = _font(pdf)
    qr_png = io.BytesIO()
    segno.make(login_url, error="m").save(qr_png, kind="png", scale=6, border=2)
    for cand in candidates:
        t = ticket_translate(cand.instruction_language, font, translator)
        pdf.add_page()
        pdf.set_font(font, "B", 20)
        # A translated title can be longer than the Dutch one: wrap it left of the QR code.
        pdf.multi_cell(130, 10, _safe(t(N_("Ticket digitale toets Nederlands")), font),
                       new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(font, "", 12)
        pdf.cell(0, 8, _safe(organisation.name, font), new_x="LMARGIN", new_y="NEXT")
        pdf.cell(0, 8, _safe(f"{location.name} - {local_time}", font),
                 new_x="LMARGIN", new_y="NEXT")
        pdf.ln(6)
        pdf.set_font(font, "B", 16)
        pdf.cell(0, 10, _safe(f"{cand.first_name} {cand.last_name}", font),
                 new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        pdf.set_font(font, "", 13)
        pdf.cell(60, 12, _safe(t(N_("Sessiecode:")), font))
        pdf.set_font("Courier", "B", 24)
        pdf.cell(0, 12, session.code, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(font, "", 13)
        pdf.cell(60, 12, _safe(t(N_("Toegangscode:")), font))
        pdf.set_font("Courier", "B", 24)
        pdf.cell(0, 12, f"{cand.access_code[:4]} {cand.access_code[4:]}",
                 new_x="LMARGIN", new_y="NEXT")
        pdf.image(io.BytesIO(qr_png.getvalue()), x=150, y=20, w=40)
        pdf.ln(8)
        pdf.set_font(font, "", 12)
        for line in INSTRUCTIONS:
            pdf.multi_cell(0, 7, _safe(t(line), font), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        pdf.set_font(font, "", 9)
        pdf.set_y(-25)
        pdf.cell(0, 6, _safe(t(N_("Aanmelden op: %(url)s"), url=login_url), font))
    return bytes(pdf.output())

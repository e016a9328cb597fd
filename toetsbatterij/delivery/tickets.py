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
try:  # fpdf2's text shaping engine: joins Arabic letters and lays the text out right-to-left
    import uharfbuzz  # noqa: F401

    _SHAPING = True
except ImportError:  # pragma: no cover - depends on the installation
    _SHAPING = False
# Scripts the embedded DejaVu font shows correctly: Latin and Cyrillic always, Arabic script
# (Arabic, Dari) with the shaping engine. Ethiopic (Tigrinya) needs another font: those
# candidates, like everyone when a script cannot be shown, get a Dutch ticket (their screens
# are translated).
_PDF_SCRIPTS = {"DejaVu": {"Latn", "Cyrl"} | ({"Arab"} if _SHAPING else set()),
                "Helvetica": set()}
_SHAPING_LANGUAGE = {"ar": "ara", "fa": "fas"}  # OpenType language tags


def _font(pdf: FPDF) -> str:
    for folder in _FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            pdf.add_font("DejaVu", "", str(regular))
            pdf.add_font("DejaVu", "B", str(bold))
            return "DejaVu"
    return "Helvetica"


# Noto Sans Ethiopic ships with the candidate screens' fonts (OFL); PDFs use it as the fallback
# for Ethiopic letters (Tigrinya names) that DejaVu lacks.
_FALLBACK_FONTS = {"NotoEthiopic": Path(__file__).resolve().parent.parent / "web" / "static"
                   / "fonts" / "NotoSansEthiopic"}


def register_fonts(pdf: FPDF) -> str:
    """The ticket fonts, plus the fallback fonts for names in other scripts (every PDF of the
    platform: tickets, attests, reports). Returns the main font's name."""
    font = _font(pdf)
    if font == "Helvetica":
        return font
    fallbacks = []
    for name, stem in _FALLBACK_FONTS.items():
        regular, bold = Path(f"{stem}-Regular.ttf"), Path(f"{stem}-Bold.ttf")
        if regular.exists() and bold.exists():
            pdf.add_font(name, "", str(regular))
            pdf.add_font(name, "B", str(bold))
            fallbacks.append(name)
    if fallbacks:
        pdf.set_fallback_fonts(fallbacks)
    return font


def _shape(pdf: FPDF, rtl: bool, code: str) -> None:
    """Shaping on only around translated right-to-left text; names and codes stay as typed."""
    if rtl:
        pdf.set_text_shaping(use_shaping_engine=True, direction="rtl", script="arab",
                             language=_SHAPING_LANGUAGE.get(code))
    elif _SHAPING:
        pdf.set_text_shaping(use_shaping_engine=False)


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
    font = register_fonts(pdf)
    qr_png = io.BytesIO()
    segno.make(login_url, error="m").save(qr_png, kind="png", scale=6, border=2)
    for cand in candidates:
        t = ticket_translate(cand.instruction_language, font, translator)
        language = LANGUAGES.get(cand.instruction_language or "")
        rtl = t is not identity and language is not None and language.rtl
        code = language.code if language else ""
        align = "R" if rtl else "L"
        pdf.add_page()
        pdf.set_font(font, "B", 20)
        # A translated title can be longer than the Dutch one: wrap it left of the QR code.
        _shape(pdf, rtl, code)
        pdf.multi_cell(130, 10, _safe(t(N_("Ticket digitale toets Nederlands")), font),
                       align=align, new_x="LMARGIN", new_y="NEXT")
        _shape(pdf, False, code)
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
        _shape(pdf, rtl, code)
        pdf.cell(60, 12, _safe(t(N_("Sessiecode:")), font))
        _shape(pdf, False, code)
        pdf.set_font("Courier", "B", 24)
        pdf.cell(0, 12, session.code, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(font, "", 13)
        _shape(pdf, rtl, code)
        pdf.cell(60, 12, _safe(t(N_("Toegangscode:")), font))
        _shape(pdf, False, code)
        pdf.set_font("Courier", "B", 24)
        pdf.cell(0, 12, f"{cand.access_code[:4]} {cand.access_code[4:]}",
                 new_x="LMARGIN", new_y="NEXT")
        pdf.image(io.BytesIO(qr_png.getvalue()), x=150, y=20, w=40)
        pdf.ln(8)
        pdf.set_font(font, "", 12)
        _shape(pdf, rtl, code)
        for line in INSTRUCTIONS:
            pdf.multi_cell(0, 7, _safe(t(line), font), align=align, new_x="LMARGIN",
                           new_y="NEXT")
            pdf.ln(1)
        pdf.set_font(font, "", 9)
        pdf.set_y(-25)
        # In a right-to-left line the address is isolated as left-to-right (LRI ... PDI), or the
        # bidi algorithm moves its trailing slash to the front.
        url = f"\u2066{login_url}\u2069" if rtl else login_url
        pdf.cell(0, 6, _safe(t(N_("Aanmelden op: %(url)s"), url=url), font), align=align)
        _shape(pdf, False, code)
    return bytes(pdf.output())

"""Candidate tickets as PDF (fpdf2): one page per candidate with session code, access code,
a QR code of the login address (segno) and short instructions: in the candidate's instruction
language when the caller passes a translator and the document's fonts can show that script
(``toetsbatterij.pdf``: Latin, Cyrillic, Arabic script and Ethiopic), otherwise in Dutch (the
source language). The service stays flask-free: the caller passes ``translator``
(e.g. ``toetsbatterij.i18n.translator``)."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

import segno

from toetsbatterij.delivery.models import Candidate, ExamSession
from toetsbatterij.i18n import LANGUAGES, N_, Translate, identity
from toetsbatterij.organisations.models import Location, Organisation
from toetsbatterij.pdf import Document, can_show

INSTRUCTIONS = (
    N_("1. Ga naar de computer die de toetsbegeleider u aanwijst."),
    N_("2. Typ de sessiecode en uw persoonlijke toegangscode. Hoofdletters zijn niet nodig."),
    N_("3. Volg de uitleg op het scherm. U oefent eerst; dat telt niet mee."),
    N_("4. Hebt u een vraag of een probleem? Steek uw hand op."),
    N_("Bewaar dit ticket tot het einde van de toets. Geef uw codes aan niemand anders."),
)


def ticket_translate(lang: str | None, scripts: frozenset[str],
                     translator: Callable[[str], Translate] | None) -> Translate:
    """The translate function for one candidate's ticket: the instruction language where the
    document's fonts show its script (``scripts``, ``toetsbatterij.pdf``), otherwise Dutch."""
    if translator is None or lang not in LANGUAGES or not can_show(lang, scripts):
        return identity
    return translator(str(lang))


def render_tickets(*, organisation: Organisation, location: Location, session: ExamSession,
                   candidates: Sequence[Candidate], login_url: str, local_time: str,
                   translator: Callable[[str], Translate] | None = None,
                   strict: bool = False) -> bytes:
    pdf = Document(strict=strict)
    pdf.set_auto_page_break(False)
    pdf.set_title(f"Tickets sessie {session.code}")
    safe = pdf.safe
    qr_png = io.BytesIO()
    segno.make(login_url, error="m").save(qr_png, kind="png", scale=6, border=2)
    for cand in candidates:
        t = ticket_translate(cand.instruction_language, pdf.scripts, translator)
        language = LANGUAGES.get(cand.instruction_language or "")
        # Translated text in the candidate's script and direction; names and codes as typed.
        lang = language.code if t is not identity and language is not None else None
        rtl = lang is not None and LANGUAGES[lang].rtl
        align = "R" if rtl else "L"
        pdf.add_page()
        pdf.use(lang, "B", 20)
        # A translated title can be longer than the Dutch one: wrap it left of the QR code.
        pdf.multi_cell(130, 10, safe(t(N_("Ticket digitale toets Nederlands"))),
                       align=align, new_x="LMARGIN", new_y="NEXT")
        pdf.use(None, "", 12)
        pdf.cell(0, 8, safe(organisation.name), new_x="LMARGIN", new_y="NEXT")
        pdf.cell(0, 8, safe(f"{location.name} - {local_time}"), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(6)
        pdf.use(None, "B", 16)
        pdf.cell(0, 10, safe(f"{cand.first_name} {cand.last_name}"),
                 new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        pdf.use(lang, "", 13)
        pdf.cell(60, 12, safe(t(N_("Sessiecode:"))))
        pdf.use_plain("Courier", "B", 24)
        pdf.cell(0, 12, session.code, new_x="LMARGIN", new_y="NEXT")
        pdf.use(lang, "", 13)
        pdf.cell(60, 12, safe(t(N_("Toegangscode:"))))
        pdf.use_plain("Courier", "B", 24)
        pdf.cell(0, 12, f"{cand.access_code[:4]} {cand.access_code[4:]}",
                 new_x="LMARGIN", new_y="NEXT")
        pdf.image(io.BytesIO(qr_png.getvalue()), x=150, y=20, w=40)
        pdf.ln(8)
        pdf.use(lang, "", 12)
        for line in INSTRUCTIONS:
            pdf.multi_cell(0, 7, safe(t(line)), align=align, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        pdf.use(lang, "", 9)
        pdf.set_y(-25)
        # In a right-to-left line the address is isolated as left-to-right (LRI ... PDI), or the
        # bidi algorithm moves its trailing slash to the front.
        url = f"\u2066{login_url}\u2069" if rtl else login_url
        pdf.cell(0, 6, safe(t(N_("Aanmelden op: %(url)s"), url=url)), align=align)
    return bytes(pdf.output())

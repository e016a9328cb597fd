"""The attest as PDF (fpdf2), rendered from the signed payload only: what the paper says is
what was signed. The fonts are the platform's PDF document (``toetsbatterij.pdf.Document``:
DejaVu with the shipped Noto Arabic and Ethiopic fonts as fallbacks, the shaping engine for
Arabic script), so Dutch diacritics and Arabic, Cyrillic and Tigrinya names print correctly. A QR code (segno) holds the
verification address of this attest; number and verification code are printed for people who
type them.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from typing import Any

import segno

from toetsbatterij.attests import numbers
from toetsbatterij.pdf import Document

SKILL_LABELS = {"reading": "Lezen", "listening": "Luisteren", "writing": "Schrijven",
                "speaking": "Spreken"}
ID_KIND_LABELS = {"rrn": "Rijksregisternummer", "bis": "BIS-nummer",
                  "foreign": "Buitenlands document"}


def level_label(level: str) -> str:
    return "lager dan A1" if level == "below_A1" else level


def display_date(iso: str) -> str:
    return dt.date.fromisoformat(iso[:10]).strftime("%d/%m/%Y")


def _script_of(value: str) -> str | None:
    """The language whose shaping a typed name needs: Arabic script joins and runs right to
    left; every other name prints as typed."""
    return "ar" if any("\u0600" <= c <= "\u06ff" or "\u0750" <= c <= "\u077f" for c in value) \
        else None


def verification_url(base_url: str, number: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/attest/{number}?code={code}"


def signed_page(title: str, url: str, *, strict: bool = False) -> tuple[Document, Any]:
    """A one-page A4 signed document (attest, civic-integration certificate) with the QR code
    of its verification ``url`` at the top right, and its line writer ``text(size, value,
    bold=, height=, width=, shape=, newline=)``: Dutch text, a name (``shape``) in the font
    and shaping its script needs."""
    pdf = Document(strict=strict)
    pdf.set_auto_page_break(False)
    pdf.set_title(title)
    qr = io.BytesIO()
    segno.make(url, error="m").save(qr, kind="png", scale=6, border=4)
    pdf.add_page()
    pdf.image(io.BytesIO(qr.getvalue()), x=152, y=14, w=44)

    def text(size: int, value: str, *, bold: bool = False, height: float = 8,
             width: float = 0, shape: bool = False, newline: bool = True) -> None:
        pdf.use(_script_of(value) if shape else "nl", "B" if bold else "", size)
        value = pdf.safe(value)
        if newline:
            pdf.cell(width, height, value, new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.cell(width, height, value)

    return pdf, text


def render_attest(payload: Mapping[str, Any], person: Mapping[str, Any], *,
                  verification_code: str, base_url: str,
                  kind_labels: Mapping[str, str] | None = None,
                  revoked_on: dt.date | None = None, strict: bool = False) -> bytes:
    kind_labels = kind_labels or {}
    number = payload["number"]
    url = verification_url(base_url, number, verification_code)
    pdf, text = signed_page(f"Attest taalniveau Nederlands {numbers.display(number)}", url,
                            strict=strict)
    org = payload["issuer"]["organisation"]
    pdf.set_xy(15, 16)
    text(20, "Attest taalniveau Nederlands", bold=True, height=11, width=130)
    pdf.set_x(15)
    text(12, org["name"], width=130)
    if payload["issuer"].get("location"):
        pdf.set_x(15)
        text(11, payload["issuer"]["location"], width=130)
    pdf.ln(4)
    pdf.set_x(15)
    text(11, "Attestnummer", newline=False, width=45)
    pdf.use_plain("Courier", "B", 14)
    pdf.cell(0, 8, numbers.display(number), new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(15)
    text(11, "Verificatiecode", newline=False, width=45)
    pdf.use_plain("Courier", "B", 14)
    pdf.cell(0, 8, verification_code, new_x="LMARGIN", new_y="NEXT")
    if revoked_on is not None:
        pdf.set_x(15)
        text(12, f"INGETROKKEN op {revoked_on.strftime('%d/%m/%Y')}", bold=True)

    write_holder(pdf, text, person)

    pdf.ln(4)
    pdf.set_x(15)
    text(13, "Niveau per vaardigheid (ERK)", bold=True)
    for skill, level in payload["levels"]["skills"].items():
        pdf.set_x(20)
        text(12, SKILL_LABELS.get(skill, skill), newline=False, width=60)
        text(12, level_label(level), bold=True)
    if payload["levels"]["kinds"]:
        pdf.ln(2)
        pdf.set_x(15)
        text(13, "Niveau per soort (het laagste van de vaardigheden)", bold=True)
        for kind, level in payload["levels"]["kinds"].items():
            pdf.set_x(20)
            text(12, kind_labels.get(kind, kind.capitalize()), newline=False, width=60)
            text(12, level_label(level), bold=True)

    pdf.ln(4)
    pdf.set_x(15)
    test = payload["test"]
    text(11, f"Toets: {test['name'] or test['code']}, afgelegd op {display_date(test['date'])}")
    pdf.set_x(15)
    text(11, f"Uitgereikt op {display_date(payload['issued_at'])} onder de attestregels versie "
             f"{payload['rules']['version']} (van kracht sinds "
             f"{display_date(payload['rules']['effective_from'])})")
    result = payload["result"]
    pdf.set_x(15)
    text(9, f"Resultaat {result['id']}" + (f", invoer {result['inputs_hash'][:16]}"
                                          if result.get("inputs_hash") else ""))

    pdf.set_y(-42)
    pdf.set_x(15)
    text(10, "Echtheid controleren: scan de QR-code of ga naar")
    pdf.set_x(15)
    text(10, f"{base_url.rstrip('/')}/attest en typ het attestnummer en de verificatiecode.")
    pdf.set_x(15)
    text(8, f"Digitaal ondertekend (Ed25519), sleutel {payload['key_id']}")
    pdf.set_x(15)
    text(8, "Ook beschikbaar als Verifiable Credential (Open Badges 3.0).")
    return bytes(pdf.output())


def write_holder(pdf: Any, text: Any, person: Any) -> None:
    """The holder block of a signed document (attest, civic-integration certificate): name,
    birth date and the masked identity number, from 70 mm down. ``text`` is the document's
    own line writer (size, value, bold=, height=, shape=)."""
    pdf.set_y(70)
    pdf.set_x(15)
    text(13, "Houder", bold=True)
    pdf.set_x(15)
    text(16, f"{person['first_name']} {person['last_name']}".strip(), bold=True, height=10,
         shape=True)
    pdf.set_x(15)
    text(11, f"Geboortedatum: {display_date(person['birth_date'])}")
    id_line = f"{ID_KIND_LABELS.get(person['id_kind'], person['id_kind'])}: " \
              f"{person['id_number_masked']}"
    if person.get("id_country"):
        id_line += f" ({person['id_country']})"
    pdf.set_x(15)
    text(11, id_line)

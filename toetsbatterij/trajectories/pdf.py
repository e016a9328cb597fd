"""The civic-integration certificate and the declaration of effort as PDF, rendered from the
signed payload and the holder only (what the paper says is what was signed), with the fonts
of ``toetsbatterij.pdf.Document`` and a QR code (segno) to the public verification page."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import segno

from toetsbatterij.attests import numbers
from toetsbatterij.attests.pdf import ID_KIND_LABELS, display_date, level_label
from toetsbatterij.pdf import Document
from toetsbatterij.trajectories.models import CERTIFICATE
from toetsbatterij.trajectories.rules import COMPONENT_LABELS, STATUS_LABELS

KIND_LABELS = {"mondeling": "mondeling", "schriftelijk": "schriftelijk"}
DECLARATION_TEXT = (
    "Deze verklaring bevestigt dat de houder zich voor het inburgeringstraject heeft ingezet, "
    "ook al is de regel van het inburgeringsattest niet voldaan. Ze is uitgereikt op een "
    "gemotiveerde beslissing van het agentschap.")


def verification_url(base_url: str, number: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/inburgeringsattest/{number}?code={code}"


def _script_of(value: str) -> str | None:
    return "ar" if any("\u0600" <= c <= "\u06ff" or "\u0750" <= c <= "\u077f" for c in value) \
        else None


def render_certificate(payload: Mapping[str, Any], holder: Mapping[str, Any], *,
                       verification_code: str, base_url: str, strict: bool = False) -> bytes:
    from toetsbatterij.trajectories.certificates import TITLES

    number = payload["number"]
    title = TITLES[payload["kind"]]
    url = verification_url(base_url, number, verification_code)
    pdf = Document(strict=strict)
    pdf.set_auto_page_break(False)
    pdf.set_title(f"{title} {numbers.display(number)}")
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

    pdf.set_xy(15, 16)
    text(19 if payload["kind"] == CERTIFICATE else 15, title, bold=True, height=11, width=130)
    pdf.set_x(15)
    text(12, payload["issuer"]["organisation"]["name"], width=130)
    pdf.ln(4)
    for label, value in (("Nummer", numbers.display(number)),
                         ("Verificatiecode", verification_code)):
        pdf.set_x(15)
        text(11, label, newline=False, width=45)
        pdf.use_plain("Courier", "B", 14)
        pdf.cell(0, 8, value, new_x="LMARGIN", new_y="NEXT")

    pdf.set_y(70)
    pdf.set_x(15)
    text(13, "Houder", bold=True)
    pdf.set_x(15)
    text(16, f"{holder['first_name']} {holder['last_name']}".strip(), bold=True, height=10,
         shape=True)
    pdf.set_x(15)
    text(11, f"Geboortedatum: {display_date(holder['birth_date'])}")
    id_line = f"{ID_KIND_LABELS.get(holder['id_kind'], holder['id_kind'])}: " \
              f"{holder['id_number_masked']}"
    if holder.get("id_country"):
        id_line += f" ({holder['id_country']})"
    pdf.set_x(15)
    text(11, id_line)

    pdf.ln(4)
    pdf.set_x(15)
    text(13, "Onderdelen van het inburgeringstraject", bold=True)
    for code, entry in payload["components"].items():
        pdf.set_x(20)
        text(12, COMPONENT_LABELS.get(code, code), newline=False, width=70)
        status = STATUS_LABELS.get(entry["status"], entry["status"])
        if entry.get("date"):
            status += f" ({display_date(entry['date'])})"
        text(12, status, bold=True)
        attest = entry.get("attest")
        if attest:
            levels = ", ".join(f"{KIND_LABELS.get(k, k)} {level_label(v)}"
                               for k, v in attest["levels"].items())
            pdf.set_x(25)
            text(10, f"Attest taalniveau {numbers.display(attest['number'])}: {levels}")
    if payload["kind"] != CERTIFICATE:
        pdf.ln(3)
        pdf.set_x(15)
        pdf.use("nl", "", 11)
        pdf.multi_cell(180, 6, pdf.safe(DECLARATION_TEXT), new_x="LMARGIN", new_y="NEXT")

    pdf.ln(4)
    pdf.set_x(15)
    rules = payload["rules"]
    text(11, f"Beslist op {display_date(payload['decision_date'])} volgens de regel versie "
             f"{rules['version']} (van kracht sinds {display_date(rules['effective_from'])})")
    pdf.set_x(15)
    text(9, rules["label"])

    pdf.set_y(-42)
    pdf.set_x(15)
    text(10, "Echtheid controleren: scan de QR-code of ga naar")
    pdf.set_x(15)
    text(10, f"{base_url.rstrip('/')}/inburgeringsattest en typ het nummer en de "
             "verificatiecode.")
    pdf.set_x(15)
    text(8, f"Digitaal ondertekend (Ed25519), sleutel {payload['key_id']}")
    pdf.set_x(15)
    text(8, "Ook beschikbaar als Verifiable Credential (Open Badges 3.0).")
    return bytes(pdf.output())

"""Typed text, cleaned in one place before any service stores it (no flask).

``clean_text`` normalises (Unicode NFC, surrounding white space stripped, CRLF/CR to LF in
multi-line fields) and refuses, with a Dutch message that names the field:

- invalid Unicode (lone surrogates: they cannot be stored as UTF-8),
- NUL and the other control characters (tab and line feed only in multi-line fields),
- the invisible direction overrides and isolates (U+202A-U+202E, U+2066-U+2069) that make a
  name print differently from what it is (zero-width joiners, which Persian and Arabic names
  need, are allowed),
- text longer than the field (counted after normalisation, in characters, as the database
  column counts them).

So SQLite and PostgreSQL behave the same: PostgreSQL refuses NUL in text, SQLite stores it;
here neither ever sees it.
"""

from __future__ import annotations

import unicodedata

from toetsbatterij.errors import InvalidInput
from toetsbatterij.i18n import N_

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

# The label of a staff field whose service module also holds candidate-facing messages (every
# msgid there is translated for candidates; this one is for staff only).
REASON_LABEL = N_("Reden")

REQUIRED = N_("%(field)s: vul dit veld in.")
TOO_LONG = N_("%(field)s: de tekst is te lang (hoogstens %(max)s tekens).")
CONTROL = N_("%(field)s: de tekst bevat een onzichtbaar of ongeldig teken. Typ hem opnieuw.")


def _bad_character(ch: str, multiline: bool) -> bool:
    if multiline and ch in "\n\t":
        return False
    category = unicodedata.category(ch)
    if category in ("Cc", "Cs"):
        return True
    if ch in BIDI_CONTROLS:
        return True
    code = ord(ch)
    return (code & 0xFFFE) == 0xFFFE or 0xFDD0 <= code <= 0xFDEF  # noncharacters


def clean_text(value: object, *, field: str, label: str, max_length: int,
               required: bool = False, multiline: bool = False) -> str:
    """``value`` normalised, or InvalidInput naming ``label`` (a Dutch field name).

    ``field`` is the form field's name (for the error's ``field``), ``label`` the field as
    the form shows it ("Voornaam", "Adres"). None counts as empty.
    """
    text = "" if value is None else str(value)
    params = {"field": label, "max": max_length}
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(CONTROL, field=field, params=params,
                           detail=f"{field}: invalid unicode") from None
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text).strip()
    if any(_bad_character(ch, multiline) for ch in text):
        raise InvalidInput(CONTROL, field=field, params=params,
                           detail=f"{field}: control character")
    if len(text) > max_length:
        raise InvalidInput(TOO_LONG, field=field, params=params,
                           detail=f"{field}: {len(text)} > {max_length}")
    if required and not text:
        raise InvalidInput(REQUIRED, field=field, params=params)
    return text


def is_clean(value: object, *, max_length: int) -> bool:
    """True when ``value`` would pass ``clean_text`` unchanged in meaning (for look-ups such as
    a login e-mail: unclean text cannot match a stored value, so it is simply not found)."""
    try:
        clean_text(value, field="", label="", max_length=max_length)
    except InvalidInput:
        return False
    return True


def clean_answer(value: object) -> str:
    """A candidate's typed answer, normalised like ``clean_text`` but never refused: invalid
    characters are dropped instead (an exam answer must not be lost over an invisible
    character, and a refusal page in the middle of a section would cost the candidate time).
    Line breaks and tabs stay; surrounding white space stays too (it is the candidate's)."""
    text = "" if value is None else str(value)
    text = text.encode("utf-8", errors="ignore").decode("utf-8")  # lone surrogates out
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return "".join(ch for ch in text if not _bad_character(ch, multiline=True))


"""Belgian identity numbers (DOMAIN.md §8): rijksregisternummer and BIS-nummer checksums.

The sequence number's parity encodes sex; we never read it.
"""

from __future__ import annotations

import datetime as dt
import re

from toetsbatterij.errors import InvalidInput

_NON_DIGITS = re.compile(r"[\s.\-]")


def normalise_number(raw: str) -> str:
    """Strip the usual separators (``85.07.30-033.28``) and return the 11 digits."""
    digits = _NON_DIGITS.sub("", raw or "")
    if not re.fullmatch(r"\d{11}", digits):
        raise InvalidInput("Een rijksregister- of BIS-nummer heeft 11 cijfers.", field="id_number")
    return digits


def _checksum_ok(digits: str) -> tuple[bool, bool]:
    """(valid as born before 2000, valid as born in 2000 or later)."""
    base, check = int(digits[:9]), int(digits[9:])
    return 97 - (base % 97) == check, 97 - ((2_000_000_000 + base) % 97) == check


def _birth_date(digits: str, month_offset: int, after_2000: bool) -> dt.date | None:
    yy, mm, dd = int(digits[0:2]), int(digits[2:4]) - month_offset, int(digits[4:6])
    if mm == 0 or dd == 0:
        return None  # birth date (partly) unknown: allowed, cannot be cross-checked
    try:
        return dt.date((2000 if after_2000 else 1900) + yy, mm, dd)
    except ValueError:
        return None


def validate_national_number(raw: str, kind: str, birth_date: dt.date | None = None) -> str:
    """Validate a rijksregisternummer (``kind='rrn'``) or BIS-nummer (``kind='bis'``).

    Returns the 11 digits. Raises :class:`InvalidInput` with a Dutch message when the checksum
    fails, the month does not fit the kind, or the encoded birth date contradicts ``birth_date``.
    """
    digits = normalise_number(raw)
    month = int(digits[2:4])
    if kind == "rrn":
        if month > 12:
            raise InvalidInput("Dit is geen geldig rijksregisternummer (maand). Is het een "
                               "BIS-nummer?", field="id_number")
        offset = 0
    elif kind == "bis":
        if 20 <= month <= 32:
            offset = 20
        elif 40 <= month <= 52:
            offset = 40
        else:
            raise InvalidInput("Dit is geen geldig BIS-nummer (maand).", field="id_number")
    else:
        raise ValueError(f"unknown identity kind {kind!r}")
    before, after = _checksum_ok(digits)
    if not (before or after):
        label = "rijksregisternummer" if kind == "rrn" else "BIS-nummer"
        raise InvalidInput(f"Het controlegetal van dit {label} klopt niet.", field="id_number")
    encoded = _birth_date(digits, offset, after_2000=after and not before)
    if birth_date is not None and encoded is not None and encoded != birth_date:
        raise InvalidInput("De geboortedatum past niet bij het nummer.", field="id_number")
    return digits


def make_national_number(birth: dt.date, sequence: int, kind: str = "rrn",
                         month_offset: int = 20) -> str:
    """Build a valid number (tests and demo data)."""
    mm = birth.month + (month_offset if kind == "bis" else 0)
    base = f"{birth.year % 100:02d}{mm:02d}{birth.day:02d}{sequence:03d}"
    n = int(base) + (2_000_000_000 if birth.year >= 2000 else 0)
    return f"{base}{97 - n % 97:02d}"


def format_national_number(digits: str) -> str:
    return f"{digits[0:2]}.{digits[2:4]}.{digits[4:6]}-{digits[6:9]}.{digits[9:11]}"

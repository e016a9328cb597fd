"""CSV in and out, safely: the one writer every CSV export uses, and the one tolerant reader
the CSV imports use. Standard library only (the offline ``psychometrics`` tools use it too).

Writing: a cell that a spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return; OWASP "CSV Injection") gets a leading apostrophe, which the
spreadsheet shows as text and hides. Numbers stay numbers: ``-1.25`` or ``+3e-05`` is a
number, not a formula, and the psychometric files are full of them. (defusedcsv does the same
job but neither looks at tab and carriage return nor keeps ``-1e-05`` as a number.)
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import IO, Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """``value`` as a cell that no spreadsheet runs as a formula (numbers and None unchanged)."""
    if value is None or isinstance(value, int | float):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


class SafeWriter:
    """``csv.writer`` with every cell passed through :func:`safe_cell`."""

    def __init__(self, fh: IO[str], dialect: Any = "excel", **fmtparams: Any) -> None:
        self._writer = csv.writer(fh, dialect, **fmtparams)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(fh: IO[str], dialect: Any = "excel", **fmtparams: Any) -> SafeWriter:
    """The CSV writer of every export (drop-in for ``csv.writer``)."""
    return SafeWriter(fh, dialect, **fmtparams)

"""CSV in and out, safely: the one writer every CSV export uses, and the one tolerant reader
the CSV imports use. Standard library only, and the ``N_`` marker (the offline
``psychometrics`` tools use it too).

Writing: a cell that a spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return; OWASP "CSV Injection") gets a leading apostrophe, which the
spreadsheet shows as text and hides. Numbers stay numbers: ``-1.25`` or ``+3e-05`` is a
number, not a formula, and the psychometric files are full of them. (defusedcsv does the same
job but neither looks at tab and carriage return nor keeps ``-1e-05`` as a number.)
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

from toetsbatterij.i18n import N_

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


# -- reading ---------------------------------------------------------------------------------


def normalise_newlines(text: str) -> str:
    """LF line ends for a file with CRLF, LF or CR-only (old spreadsheet exports) line ends.

    In a file that has LF line ends a lone CR is not a line end but a stray character: it is
    left in place, so that the row it is in is reported (and not silently split in two)."""
    if "\n" not in text:
        return text.replace("\r", "\n")
    return text.replace("\r\n", "\n")


@dataclass(frozen=True)
class Row:
    line: int                      # the (first) line of the row in the file, 1-based
    cells: list[str] | None        # None when the row cannot be read
    error: str | None = None       # why not (a Dutch msgid, for the report)


UNREADABLE_ROW = N_("Deze rij kan niet gelezen worden: een onverwacht regeleinde, "
                    "aanhalingsteken of een te lang veld.")


def read_rows(text: str, *, delimiters: str = ";,\t") -> tuple[csv.Dialect | type[csv.Dialect],
                                                               list[Row]]:
    """Every row of a CSV text (a BOM, any line ends, ``;``, ``,`` or tab guessed from the first
    line); a row that the csv module cannot read is a Row with an error, never an exception."""
    text = normalise_newlines(text.lstrip("\ufeff"))
    first = text.split("\n", 1)[0]
    try:
        dialect: Any = csv.Sniffer().sniff(first, delimiters=delimiters)
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline="\n"), dialect)
    rows: list[Row] = []
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error:
            rows.append(Row(start, None, UNREADABLE_ROW))
            continue
        rows.append(Row(start, cells))
    return dialect, rows

"""DIF flags per bank release in the monitoring: the psychometrician runs the offline DIF
analysis (``python -m psychometrics dif``: Mantel-Haenszel with the ETS classes A/B/C, BB/CC
for polytomous items, and logistic regression) and uploads its CSV for a bank version and a
group variable; monitoring shows, per release and variable, how many items were flagged.
Counts of items, never of people: the per-item group sizes stay in the stored rows only."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from toetsbatterij import csvfiles
from toetsbatterij.audit.service import record
from toetsbatterij.clock import Clock
from toetsbatterij.errors import InvalidInput
from toetsbatterij.i18n import N_
from toetsbatterij.monitoring.models import DifReport
from toetsbatterij.textinput import clean_text

COLUMNS = ("item", "n_reference", "n_focal", "ets_class", "lr_class")
ETS_FLAGS = {"B", "C", "BB", "CC"}
SEVERE = {"C", "CC"}
MAX_ROWS = 5000
_VERSION = re.compile(r"[0-9a-f]{8,64}")


def parse_csv(text: str) -> list[dict[str, str]]:
    """The rows of a ``psychometrics dif`` CSV (other columns are kept out)."""
    _dialect, rows = csvfiles.read_rows(text)
    if not rows or rows[0].cells is None:
        raise InvalidInput(N_("Dit is geen CSV-bestand van de DIF-analyse."), field="file")
    header = [c.strip() for c in rows[0].cells]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InvalidInput(N_("Kolommen ontbreken: %(columns)s."), field="file",
                           params={"columns": ", ".join(missing)})
    out = []
    for row in rows[1:]:
        if row.cells is None:
            raise InvalidInput(row.error or csvfiles.UNREADABLE_ROW, field="file")
        if not any(c.strip() for c in row.cells):
            continue
        cells = dict(zip(header, (c.strip() for c in row.cells), strict=False))
        if not cells.get("item") or cells.get("ets_class", "") not in ("", "A", "B", "C", "AA",
                                                                       "BB", "CC"):
            raise InvalidInput(N_("Rij %(line)s: een item en een ETS-klasse (A, B, C, AA, BB, "
                                  "CC) zijn nodig."), field="file", params={"line": row.line})
        out.append({c: cells.get(c, "") for c in COLUMNS})
    if not out or len(out) > MAX_ROWS:
        raise InvalidInput(N_("Het bestand heeft geen of te veel rijen."), field="file")
    return out


def store(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
          bank_version: str, variable: str, text: str) -> DifReport:
    version = (bank_version or "").strip().lower()
    if not _VERSION.fullmatch(version):
        raise InvalidInput(N_("Geef de versie van de itembank (de hash, minstens 8 tekens)."),
                           field="bank_version")
    name = clean_text(variable, field="variable", label="Groepsvariabele", max_length=60,
                      required=True)
    report = DifReport(organisation_id=organisation_id, bank_version=version, variable=name,
                       rows=parse_csv(text), uploaded_at=clock.now(), uploaded_by_id=actor_id)
    db.add(report)
    db.flush()
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id, action="dif.upload",
           object_type="dif_report", object_id=report.id, items=len(report.rows))
    return report


@dataclass(frozen=True)
class DifFlags:
    bank_version: str
    variable: str
    items: int
    flagged: int                   # ETS B/C (BB/CC)
    severe: int                    # ETS C (CC)
    logistic: int                  # logistic regression flagged (class not A)
    uploaded_at: dt.datetime


def flags(db: Session, organisation_ids: Sequence[int]) -> list[DifFlags]:
    """Per upload (the latest first): how many items the analysis flagged."""
    out = []
    for report in db.scalars(select(DifReport).where(
            DifReport.organisation_id.in_(list(organisation_ids)))
            .order_by(DifReport.uploaded_at.desc(), DifReport.id.desc())):
        classes = [r.get("ets_class", "") for r in report.rows]
        out.append(DifFlags(report.bank_version, report.variable, len(report.rows),
                            sum(c in ETS_FLAGS for c in classes),
                            sum(c in SEVERE for c in classes),
                            sum(r.get("lr_class", "") not in ("", "A") for r in report.rows),
                            report.uploaded_at))
    return out

"""The monitoring figures as rows (the CSV file and the tables of the page and the PDF) and the
monthly PDF report per agency (fpdf2 through ``toetsbatterij.pdf``, charts as PNG)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable

from toetsbatterij.i18n import N_
from toetsbatterij.monitoring import charts
from toetsbatterij.monitoring.service import Count, Figures, Measure
from toetsbatterij.pdf import Document
from toetsbatterij.surveys.questions import QUESTIONS

SECTIONS = {
    "attempts": N_("Afnames"), "tests": N_("Afnames per toets"), "months": N_("Afnames per maand"),
    "levels": N_("Niveaus per vaardigheid"), "purposes": N_("Geslaagd voor een doelprofiel"),
    "retakes": N_("Herkansingen"), "waiting": N_("Wachttijden (dagen)"),
    "incidents": N_("Incidenten"), "agreement": N_("Overeenstemming van de beoordelaars"),
    "satisfaction": N_("Tevredenheid (1 tot 5)"),
}
NAMES = {
    "started": N_("begonnen"), "finished": N_("afgerond"), "ended": N_("gestopt door de "
                                                                      "toetsbegeleider"),
    "retakes": N_("aandeel herkansingen"), "sessions": N_("sessies"),
    "per_session": N_("incidenten per sessie"),
    "test_median": N_("inschrijving tot toets, mediaan"),
    "test_p90": N_("inschrijving tot toets, 90e percentiel"),
    "attest_median": N_("toets tot attest, mediaan"),
    "attest_p90": N_("toets tot attest, 90e percentiel"),
}
SUPPRESSED = "<{min}"
Translate = Callable[[str], str]


def _count(c: Count, figures: Figures) -> str:
    return SUPPRESSED.format(min=figures.min_group) if c.value is None else str(c.value)


def _measure(m: Measure, figures: Figures, *, percent: bool = False) -> tuple[str, str]:
    if m.value is None:
        value = "—" if m.n.value == 0 else SUPPRESSED.format(min=figures.min_group)
    elif percent:
        value = f"{m.value * 100:.1f} %".replace(".", ",")
    else:
        value = f"{m.value:g}".replace(".", ",")
    return value, _count(m.n, figures)


def rows(figures: Figures, t: Translate = lambda s: s,
         skill_label: Translate = lambda s: s) -> list[tuple[str, str, str, str]]:
    """(section, name, value, number of people it is computed on) for every figure."""
    out: list[tuple[str, str, str, str]] = []

    def add(section: str, name: str, value: str, n: str = "") -> None:
        out.append((t(SECTIONS[section]), name, value, n))

    for key, count in figures.attempts.items():
        add("attempts", t(NAMES[key]), _count(count, figures))
    for code, count in figures.by_test.items():
        add("tests", code, _count(count, figures))
    for month, count in figures.by_month.items():
        add("months", month, _count(count, figures))
    for skill, levels in figures.levels.items():
        for level, count in levels.items():
            add("levels", f"{skill_label(skill)} {level}", _count(count, figures))
    for code, (label, measure) in figures.purposes.items():
        add("purposes", label or code, *_measure(measure, figures, percent=True))
    add("retakes", t(NAMES["retakes"]), *_measure(figures.retakes, figures, percent=True))
    for prefix, values in (("test", figures.wait_to_test_days),
                           ("attest", figures.wait_to_attest_days)):
        for stat, measure in values.items():
            add("waiting", t(NAMES[f"{prefix}_{stat}"]), *_measure(measure, figures))
    add("incidents", t(NAMES["sessions"]), _count(figures.sessions, figures))
    for code, count in figures.incidents.items():
        add("incidents", code, _count(count, figures))
    add("incidents", t(NAMES["per_session"]), *_measure(figures.incidents_per_session, figures))
    for month, (exact, adjacent) in figures.rater_agreement.items():
        add("agreement", f"{month} " + t(N_("gelijk")), *_measure(exact, figures, percent=True))
        add("agreement", f"{month} " + t(N_("gelijk of één punt verschil")),
            *_measure(adjacent, figures, percent=True))
    questions = dict(QUESTIONS)
    for key, measure in figures.satisfaction.items():
        add("satisfaction", t(questions[key]), *_measure(measure, figures))
    return out


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """'2026-03' -> (1 March, 31 March)."""
    first = dt.date.fromisoformat(f"{month}-01")
    following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first, following - dt.timedelta(days=1)


def monthly_pdf(figures: Figures, *, organisation: str, month: str,
                t: Translate = lambda s: s, skill_label: Translate = lambda s: s,
                strict: bool = False) -> bytes:
    """The monthly report of one agency: the table of every figure and the two charts."""
    pdf = Document(strict=strict)
    safe = pdf.safe
    title = t(N_("Maandrapport monitoring")) + f" {month}"
    pdf.set_title(f"{title} - {organisation}")
    pdf.set_author(organisation)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.use("nl", "B", 16)
    pdf.multi_cell(0, 8, safe(title), new_x="LMARGIN", new_y="NEXT")
    pdf.use("nl", "", 11)
    pdf.multi_cell(0, 6, safe(organisation), new_x="LMARGIN", new_y="NEXT")
    pdf.use("nl", "", 9)
    pdf.multi_cell(0, 5, safe(t(N_("Groepen kleiner dan %(count)s worden niet getoond.")) %
                              {"count": figures.min_group}),
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for png in (charts.attempts_per_month(figures, t, kind="png"),
                charts.levels_per_skill(figures.levels, skill_label, lambda s: s, kind="png")):
        if png:
            pdf.image(io.BytesIO(png), w=170)
            pdf.ln(2)
    section = None
    for sec, name, value, n in rows(figures, t, skill_label):
        if sec != section:
            pdf.ln(2)
            pdf.use("nl", "B", 11)
            pdf.multi_cell(0, 6, safe(sec), new_x="LMARGIN", new_y="NEXT")
            section = sec
        pdf.use("nl", "", 9.5)
        y = pdf.get_y()
        pdf.multi_cell(110, 5, safe(name), new_x="LMARGIN", new_y="NEXT")
        bottom = pdf.get_y()
        pdf.set_xy(pdf.l_margin + 112, y)
        pdf.cell(30, 5, safe(value), align="R")
        pdf.cell(30, 5, safe(f"n = {n}" if n else ""), align="R")
        pdf.set_y(max(bottom, y + 5))
    return bytes(pdf.output())

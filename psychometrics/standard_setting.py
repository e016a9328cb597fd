"""Standard setting: the Bookmark method and a modified Angoff method, files in, files out.

The workflow follows the standard-setting stage of the Council of Europe's manual for relating
examinations to the CEFR (2009, ch. 6): the panel is familiarised with the level descriptors,
judges in rounds, sees between rounds where the others put their judgements and what the cuts
would mean for the candidates (impact data), and the final cuts are published with their
provenance.

**Bookmark** (machine-scored skills; Mitzel, Lewis, Patz & Green 2001). The *ordered item
booklet* has one page per item score point, ordered by its location at the response
probability RP (default 0.67, "RP67"): the θ where P(X ≥ k | θ) = RP. For a 2PL item that is
``b + ln(RP / (1 − RP)) / a``; for a 3PL item ``b + ln((RP − c) / (1 − RP)) / a``; for polytomous
items the root of P(X ≥ k | θ) = RP. Parameters may be calibrated or provisional: the booklet
says which. A panellist puts, per level, a bookmark on the *last page a just-qualified
candidate masters* (answers with probability at least RP). Their cut is the midpoint of that
page's location and the next page's (the borderline candidate lies between the last mastered
and the first unmastered page; a bookmark on the last page gives that page's location). The
panel's cut is the mean of the panellists' cuts and its standard error the SD across
panellists over √n (the error that another panel of the same size would bring).

**Modified Angoff for rated tasks** (writing, speaking; the extended Angoff of Hambleton &
Plake 1995). For each level, each panellist states the expected rubric score of a
just-qualified candidate on each criterion of each benchmark task. Their raw cut is the sum;
their θ cut is the θ where the test characteristic curve of those criteria (the GPCM
parameters of the form: ``TestForm.criterion_parameters``, or a PARAMS.csv with items named
``<task>/<criterion>``) equals that sum. Panel cut and SE as for the Bookmark method.

Impact between rounds: the share of a reference population (N(mean, sd²), or the θ̂ of real
candidates) that each round's cuts would put at each level.

Files (CSV, UTF-8, header row):

- BOOKMARKS.csv: ``panellist,round,level,page`` (page = the booklet's page number, 1-based);
- ANGOFF.csv: ``panellist,round,level,task,criterion,score`` (expected score of a just-qualified
  candidate; decimals allowed);
- THETAS.csv (optional reference population): a column ``theta``.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from toetsbatterij.scoring import ItemParameters

from .cutscores import LEVELS
from .data import InputError, _open_csv, _rows
from .models import DICHOTOMOUS, probs

__all__ = [
    "Booklet",
    "BookletPage",
    "PanelCut",
    "RoundResult",
    "Study",
    "angoff_study",
    "bookmark_study",
    "build_booklet",
    "read_angoff",
    "read_bookmarks",
    "read_thetas",
    "write_cut_file",
    "write_report",
]

DEFAULT_RP = 0.67


# ------------------------------------------------------------------------------ the booklet
@dataclass(frozen=True)
class BookletPage:
    page: int                 # 1-based
    item: str
    category: int             # the score point k (1 for a dichotomous item)
    location: float           # θ where P(X ≥ k | θ) = RP
    level: str                # the item's intended level ("" when unknown)
    source: str               # parameter source: calibration | expert | provisional


@dataclass(frozen=True)
class Booklet:
    rp: float
    pages: tuple[BookletPage, ...]

    def location(self, page: int) -> float:
        return self.pages[page - 1].location

    def cut_at(self, page: int) -> float:
        """The cut of a bookmark on ``page``: the midpoint to the next page (see module)."""
        if page >= len(self.pages):
            return self.pages[-1].location
        return (self.pages[page - 1].location + self.pages[page].location) / 2

    @property
    def provisional_share(self) -> float:
        return float(np.mean([p.source == "provisional" for p in self.pages])) if self.pages else 0.0


def _p_at_least(p: ItemParameters, k: int, theta: np.ndarray) -> np.ndarray:
    return probs(p.model, p.vector(), theta)[k:].sum(axis=0)


def rp_location(p: ItemParameters, k: int, rp: float) -> float:
    """θ where P(X ≥ k | θ) = rp (closed form for 2PL/3PL, a root otherwise)."""
    if p.model in DICHOTOMOUS:
        c = p.values.get("c", 0.0) if p.model == "3pl" else 0.0
        if rp <= c:
            raise ValueError(f"{p.item}: RP {rp} is not above the guessing parameter {c}")
        return float(p.values["b"] + math.log((rp - c) / (1 - rp)) / p.values["a"])
    from scipy.optimize import brentq

    f = lambda t: float(_p_at_least(p, k, np.array([t]))[0]) - rp  # noqa: E731
    lo, hi = -12.0, 12.0
    if f(lo) > 0 or f(hi) < 0:
        raise ValueError(f"{p.item}: no θ in [-12, 12] with P(X ≥ {k}) = {rp}")
    return float(brentq(f, lo, hi, xtol=1e-10))


def build_booklet(params: Mapping[str, ItemParameters], *, rp: float = DEFAULT_RP,
                  levels: Mapping[str, str] | None = None) -> Booklet:
    """The ordered item booklet of ``params`` at response probability ``rp``."""
    if not 0.5 <= rp < 1:
        raise InputError(None, None, f"responskans {rp}: kies een waarde in [0.5, 1), bv. 0.67")
    entries = []
    for item, p in params.items():
        for k in range(1, p.n_categories):
            try:
                loc = rp_location(p, k, rp)
            except ValueError as exc:
                raise InputError(None, None, str(exc)) from None
            entries.append((loc, item, k, (levels or {}).get(item, ""),
                            str(p.provenance.get("source", "calibration")) if p.provenance else "calibration"))
    entries.sort(key=lambda e: (e[0], e[1], e[2]))
    return Booklet(rp, tuple(BookletPage(n + 1, item, k, float(loc), level, source)
                             for n, (loc, item, k, level, source) in enumerate(entries)))


# ------------------------------------------------------------------------------ judgements
def _level(value: str, path, row_no) -> str:
    if value not in LEVELS:
        raise InputError(path, row_no, f"niveau {value!r}: kies uit {', '.join(LEVELS)}")
    return value


def _int(value: str, name: str, path, row_no, minimum: int = 1) -> int:
    try:
        out = int(value)
    except ValueError:
        raise InputError(path, row_no, f"{name} {value!r} is geen geheel getal") from None
    if out < minimum:
        raise InputError(path, row_no, f"{name} moet minstens {minimum} zijn")
    return out


def _float(value: str, name: str, path, row_no) -> float:
    try:
        out = float(value.replace(",", "."))
    except ValueError:
        raise InputError(path, row_no, f"{name} {value!r} is geen getal") from None
    if not math.isfinite(out):
        raise InputError(path, row_no, f"{name} moet een eindig getal zijn")
    return out


def read_bookmarks(path: str | Path, n_pages: int) -> dict[int, dict[str, dict[str, int]]]:
    """round -> level -> panellist -> page."""
    path = Path(path)
    handle, reader, header = _open_csv(path, ("panellist", "round", "level", "page"))
    out: dict[int, dict[str, dict[str, int]]] = {}
    with handle:
        for row_no, row in _rows(path, reader, header):
            r = _int(row["round"], "ronde", path, row_no)
            level = _level(row["level"], path, row_no)
            page = _int(row["page"], "pagina", path, row_no)
            if page > n_pages:
                raise InputError(path, row_no, f"pagina {page}: het boekje heeft {n_pages} pagina's")
            who = row["panellist"]
            if not who:
                raise InputError(path, row_no, "panellid ontbreekt")
            per = out.setdefault(r, {}).setdefault(level, {})
            if who in per:
                raise InputError(path, row_no, f"panellid {who} heeft al een bladwijzer voor {level} in ronde {r}")
            per[who] = page
    if not out:
        raise InputError(path, None, "geen enkele bladwijzer")
    return out


def read_angoff(path: str | Path) -> dict[int, dict[str, dict[str, dict[tuple[str, str], float]]]]:
    """round -> level -> panellist -> (task, criterion) -> expected score."""
    path = Path(path)
    handle, reader, header = _open_csv(path, ("panellist", "round", "level", "task", "criterion", "score"))
    out: dict = {}
    with handle:
        for row_no, row in _rows(path, reader, header):
            r = _int(row["round"], "ronde", path, row_no)
            level = _level(row["level"], path, row_no)
            who = row["panellist"]
            if not who:
                raise InputError(path, row_no, "panellid ontbreekt")
            score = _float(row["score"], "score", path, row_no)
            if score < 0:
                raise InputError(path, row_no, "een verwachte score is niet negatief")
            key = (row["task"], row["criterion"])
            per = out.setdefault(r, {}).setdefault(level, {}).setdefault(who, {})
            if key in per:
                raise InputError(path, row_no, f"dubbel oordeel van {who} over {key[0]}/{key[1]} "
                                 f"voor {level} in ronde {r}")
            per[key] = score
    if not out:
        raise InputError(path, None, "geen enkel oordeel")
    return out


def read_thetas(path: str | Path) -> np.ndarray:
    path = Path(path)
    handle, reader, header = _open_csv(path, ("theta",))
    with handle:
        values = [_float(row["theta"], "theta", path, row_no) for row_no, row in _rows(path, reader, header)]
    if len(values) < 2:
        raise InputError(path, None, "minstens twee θ-waarden nodig voor impactgegevens")
    return np.array(values)


# ------------------------------------------------------------------------------ results
@dataclass(frozen=True)
class PanelCut:
    level: str
    cut: float                      # mean of the panellists' θ cuts
    se: float                       # SD / √n
    sd: float
    median: float
    n: int
    panellists: Mapping[str, float]  # panellist -> θ cut
    raw: Mapping[str, float] = field(default_factory=dict)  # Angoff: panellist -> raw cut
    pages: Mapping[str, int] = field(default_factory=dict)  # Bookmark: panellist -> page


@dataclass(frozen=True)
class RoundResult:
    round: int
    cuts: tuple[PanelCut, ...]
    impact: Mapping[str, float]     # level (incl. "onder A1") -> share of the reference population

    def cut(self, level: str) -> PanelCut:
        return next(c for c in self.cuts if c.level == level)


@dataclass(frozen=True)
class Study:
    method: str                     # bookmark | angoff
    skill: str
    rounds: tuple[RoundResult, ...]
    reference: str                  # what the impact is computed on
    booklet: Booklet | None = None
    rp: float | None = None

    @property
    def final(self) -> RoundResult:
        return self.rounds[-1]

    @property
    def panel_size(self) -> int:
        return max(c.n for c in self.final.cuts)


def _panel_cut(level: str, cuts: Mapping[str, float], **extra) -> PanelCut:
    values = np.array(list(cuts.values()), dtype=float)
    n = values.size
    sd = float(values.std(ddof=1)) if n > 1 else 0.0
    return PanelCut(level, float(values.mean()), sd / math.sqrt(n) if n > 1 else float("nan"), sd,
                    float(np.median(values)), n, dict(cuts), **extra)


def impact(cuts: Mapping[str, float], reference: np.ndarray | tuple[float, float]) -> dict[str, float]:
    """Share of the reference population per level (``(mean, sd)`` of a normal, or θ values)."""
    from scipy import stats

    from .cutscores import BELOW

    ordered = sorted(cuts.items(), key=lambda kv: kv[1])
    edges = [-np.inf] + [c for _, c in ordered] + [np.inf]
    names = [BELOW] + [lv for lv, _ in ordered]
    out = {}
    for name, lo, hi in zip(names, edges[:-1], edges[1:], strict=True):
        if isinstance(reference, tuple):
            m, s = reference
            out[name] = float(stats.norm.cdf(hi, m, s) - stats.norm.cdf(lo, m, s))
        else:
            out[name] = float(np.mean((reference >= lo) & (reference < hi)))
    return out


def _check_order(result: Mapping[str, PanelCut], where: str) -> None:
    seq = [result[lv].cut for lv in LEVELS if lv in result]
    if any(b <= a for a, b in zip(seq, seq[1:], strict=False)):
        raise InputError(None, None, f"{where}: de cesuren stijgen niet van niveau tot niveau "
                         f"({', '.join(f'{lv} {result[lv].cut:.2f}' for lv in LEVELS if lv in result)})")


def bookmark_study(booklet: Booklet, bookmarks: Mapping[int, Mapping[str, Mapping[str, int]]],
                   skill: str, reference: np.ndarray | tuple[float, float] = (0.0, 1.0)) -> Study:
    rounds = []
    for r in sorted(bookmarks):
        cuts = {}
        for level in LEVELS:
            per = bookmarks[r].get(level)
            if per:
                cuts[level] = _panel_cut(level, {who: booklet.cut_at(page) for who, page in per.items()},
                                         pages=dict(per))
        _check_order(cuts, f"ronde {r}")
        rounds.append(RoundResult(r, tuple(cuts.values()), impact({k: v.cut for k, v in cuts.items()}, reference)))
    return Study("bookmark", skill, tuple(rounds), _reference_label(reference), booklet, booklet.rp)


def tcc_inverse(params: Sequence[ItemParameters], raw: float) -> float:
    """θ where Σ E[X | θ] over ``params`` equals ``raw`` (strictly inside (0, max))."""
    from scipy.optimize import brentq

    top = sum(p.n_categories - 1 for p in params)
    if not 0 < raw < top:
        raise InputError(None, None, f"ruwe cesuur {raw:g} ligt niet strikt tussen 0 en het maximum {top}")

    def f(t: float) -> float:
        th = np.array([t])
        return float(sum((np.arange(p.n_categories) @ probs(p.model, p.vector(), th))[0] for p in params)) - raw

    return float(brentq(f, -12.0, 12.0, xtol=1e-10))


def angoff_study(judgements: Mapping, params: Mapping[str, ItemParameters], skill: str,
                 reference: np.ndarray | tuple[float, float] = (0.0, 1.0)) -> Study:
    """Modified Angoff on rated tasks: ``params`` maps ``"<task>/<criterion>"`` to its GPCM
    (or dichotomous) parameters."""
    rounds = []
    for r in sorted(judgements):
        cuts = {}
        for level in LEVELS:
            per = judgements[r].get(level)
            if not per:
                continue
            theta, raw = {}, {}
            for who, scores in per.items():
                keys = sorted(scores)
                missing = [f"{t}/{c}" for t, c in keys if f"{t}/{c}" not in params]
                if missing:
                    raise InputError(None, None, f"geen parameters voor {', '.join(missing[:3])}")
                ps = [params[f"{t}/{c}"] for t, c in keys]
                for (t, c), p in zip(keys, ps, strict=True):
                    if scores[(t, c)] > p.n_categories - 1:
                        raise InputError(None, None, f"{who}: verwachte score {scores[(t, c)]:g} op {t}/{c} "
                                         f"boven het maximum {p.n_categories - 1}")
                raw[who] = float(sum(scores.values()))
                theta[who] = tcc_inverse(ps, raw[who])
            cuts[level] = _panel_cut(level, theta, raw=raw)
        _check_order(cuts, f"ronde {r}")
        rounds.append(RoundResult(r, tuple(cuts.values()), impact({k: v.cut for k, v in cuts.items()}, reference)))
    return Study("angoff", skill, tuple(rounds), _reference_label(reference))


def _reference_label(reference) -> str:
    if isinstance(reference, tuple):
        return f"N({reference[0]:g}, {reference[1]:g}²)"
    return f"{len(reference)} waargenomen θ-waarden"


# ------------------------------------------------------------------------------ output
def write_cut_file(study: Study, path: str | Path, *, version: str, panel: str,
                   date: str | None = None) -> Path:
    """The CUTS.yaml of ``psychometrics.cutscores`` with the provenance ``publish --cuts`` writes
    into the form: method, date, panel, panel size, SE per cut, RP, rounds."""
    final = study.final
    doc = {
        "skill": study.skill, "version": str(version),
        "method": "bookmark" if study.method == "bookmark" else "modified-angoff",
        "date": date or dt.date.today().isoformat(), "panel": panel,
        "panel_size": study.panel_size,
        "cuts": {c.level: round(c.cut, 4) for c in final.cuts},
        "se": {c.level: round(c.se, 4) for c in final.cuts if math.isfinite(c.se)},
        "rounds": len(study.rounds),
    }
    if study.rp is not None:
        doc["rp"] = study.rp
    path = Path(path)
    path.write_text("# Cesuren uit een standaardbepaling (python -m psychometrics standard-setting)\n"
                    + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _plt():
    from .report import _plt as plt

    return plt()


LEVEL_COLOURS = {"A1": "#9ecae1", "A2": "#4292c6", "B1": "#41ab5d", "B2": "#fd8d3c", "C1": "#cb181d", "": "#999999"}


def figure_booklet(study: Study, path: Path) -> Path:
    plt = _plt()
    booklet = study.booklet
    fig, ax = plt.subplots(figsize=(8, 4))
    pages = np.array([p.page for p in booklet.pages])
    locs = np.array([p.location for p in booklet.pages])
    colours = [LEVEL_COLOURS.get(p.level, "#999999") for p in booklet.pages]
    ax.scatter(pages, locs, c=colours, s=14)
    for c in study.final.cuts:
        ax.axhline(c.cut, color=LEVEL_COLOURS.get(c.level), lw=1, ls="--")
        ax.text(pages[-1], c.cut, f" {c.level}", va="center", fontsize=8)
    ax.set_xlabel("pagina in het geordende itemboekje")
    ax.set_ylabel(f"θ bij RP{round(100 * booklet.rp)}")
    ax.set_title("Geordend itemboekje (kleur: beoogd niveau van het item) en eindcesuren", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def figure_rounds(study: Study, path: Path) -> Path:
    """The panellists' cuts per round and level (a dot per panellist, the mean ± 2 SE)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 4))
    n_r = len(study.rounds)
    for k, rr in enumerate(study.rounds):
        for c in rr.cuts:
            x = LEVELS.index(c.level) + (k - (n_r - 1) / 2) * 0.22
            vals = np.array(list(c.panellists.values()))
            jitter = np.linspace(-0.05, 0.05, vals.size) if vals.size > 1 else np.zeros(1)
            ax.scatter(x + jitter, vals, s=10, color=LEVEL_COLOURS[c.level], alpha=0.35 + 0.65 * (k + 1) / n_r)
            if math.isfinite(c.se):
                ax.errorbar(x, c.cut, yerr=2 * c.se, color="black", capsize=3, lw=1)
            ax.plot([x - 0.08, x + 0.08], [c.cut, c.cut], color="black")
    ax.set_xticks(range(len(LEVELS)), LEVELS)
    ax.set_ylabel("cesuur (θ)")
    ax.set_title("Oordelen per ronde (links eerste ronde; streep: gemiddelde ± 2 SE)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def figure_impact(study: Study, path: Path) -> Path:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 3.2))
    for k, rr in enumerate(study.rounds):
        left = 0.0
        for name, share in rr.impact.items():
            ax.barh(k, share, left=left, color=LEVEL_COLOURS.get(name, "#dddddd"), edgecolor="white")
            if share > 0.04:
                ax.text(left + share / 2, k, f"{name}\n{100 * share:.0f}%", ha="center", va="center", fontsize=7)
            left += share
    ax.set_yticks(range(len(study.rounds)), [f"ronde {rr.round}" for rr in study.rounds])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"aandeel van de referentiepopulatie ({study.reference})")
    ax.set_title("Impact: aandeel per niveau met de cesuren van elke ronde", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_report(study: Study, out_dir: str | Path, *, title: str | None = None) -> Path:
    """``out_dir/index.html`` with the figures (ordered booklet, judgements per round, impact)."""
    from .report import CSS, _table

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    method = "Bookmark" if study.method == "bookmark" else "gemodificeerde Angoff"
    title = title or f"Standaardbepaling {study.skill}: {method}"
    parts = [f"<h1>{html.escape(title)}</h1>",
             f"<p>Gemaakt op {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC. Methode: {method}; "
             f"{len(study.rounds)} ronde(n); panel van {study.panel_size} leden; θ op de logitschaal "
             "(D = 1). De cesuur van een ronde is het gemiddelde van de panelleden, de standaardfout "
             "de SD tussen de panelleden gedeeld door √n.</p>"]
    if study.booklet is not None:
        b = study.booklet
        parts.append(f"<h2>Geordend itemboekje (RP{round(100 * b.rp)})</h2>"
                     f"<p>{len(b.pages)} pagina's; {100 * b.provisional_share:.0f} % op voorlopige "
                     "parameters (nog niet gekalibreerd).</p>"
                     '<img src="boekje.png" alt="geordend itemboekje met de eindcesuren">')
        figure_booklet(study, out / "boekje.png")
        parts.append(_table(["pagina", "item", "scorepunt", f"θ bij RP{round(100 * b.rp)}", "niveau", "parameters"],
                            [[p.page, p.item, p.category, p.location, p.level, p.source] for p in b.pages]))
    figure_rounds(study, out / "rondes.png")
    figure_impact(study, out / "impact.png")
    rows = []
    for rr in study.rounds:
        for c in rr.cuts:
            rows.append([rr.round, c.level, c.cut, c.se, c.sd, c.median, c.n])
    parts.append("<h2>Cesuren per ronde</h2>" + _table(
        ["ronde", "niveau", "cesuur θ", "SE", "SD panel", "mediaan", "panelleden"], rows)
        + '<img src="rondes.png" alt="oordelen van de panelleden per ronde en niveau">')
    parts.append("<h2>Impact tussen de rondes</h2>"
                 f"<p>Referentiepopulatie: {html.escape(study.reference)}.</p>" + _table(
                     ["ronde", *study.final.impact.keys()],
                     [[rr.round, *[rr.impact.get(k, 0.0) for k in study.final.impact]] for rr in study.rounds])
                 + '<img src="impact.png" alt="aandeel per niveau per ronde">')
    judge_rows = []
    for c in study.final.cuts:
        for who, theta in sorted(c.panellists.items()):
            extra = c.pages.get(who, c.raw.get(who, ""))
            judge_rows.append([c.level, who, extra, theta])
    parts.append("<h2>Oordelen in de laatste ronde</h2>" + _table(
        ["niveau", "panellid", "pagina" if study.method == "bookmark" else "ruwe cesuur", "cesuur θ"], judge_rows))
    page = (f'<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{CSS}</style></head><body>\n" + "\n".join(parts) + "\n</body></html>\n")
    target = out / "index.html"
    target.write_text(page, encoding="utf-8")
    return target

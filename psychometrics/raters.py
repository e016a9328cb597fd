"""Rater quality from a ratings file: agreement, kappa, many-facet Rasch severity and fit, drift.

The statistics are the platform's own (:mod:`toetsbatterij.scoring.raters`); this module reads
the file, runs them per rubric and renders ``rich`` tables.

RATINGS.csv (UTF-8, header row; one row per rater × production × criterion)
    ``person``     the candidate (or a pseudonym); a production is ``person`` × ``task``
    ``task``       the writing or speaking task
    ``criterion``  the rubric criterion
    ``rater``      the rater
    ``score``      integer 0..max
    optional:
    ``rubric``     analyse every rubric on its own (agreement and a model per rubric)
    ``max_score``  the criterion's top score in the rubric (the same on every row of a
                   criterion); without it the top score seen
    ``window``     time window of the rating (e.g. a week ``2026-W14`` or ``1``, ``2``): a rater's
                   severity per window and the drift rule on the latest window. Windows are
                   ordered numerically when they all are numbers, else as text (ISO weeks and
                   dates sort right)
    ``reference``  the reference score of a control response (empty for live ratings): agreement
                   with the reference and the control drift rule per rater

A rater rating one cell (person, task, criterion) twice is an error; so is a row with an empty
field among the required ones, or a score that is not a whole number of 0 or more.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from toetsbatterij.scoring.raters import (
    FacetObservation,
    MFRMResult,
    agreement,
    detect_drift,
    fit_mfrm,
    pairwise_agreement,
    simulate_ratings,
    window_severities,
)

from .data import InputError, _open_csv, _rows

REQUIRED = ("person", "task", "criterion", "rater", "score")
#: Mean squares outside this range are flagged (Linacre: 0.5-1.5 is productive for measurement).
FIT_LOW, FIT_HIGH = 0.5, 1.5

DRIFT_TEXT = {
    "control_deviation": "controles: gemiddelde afwijking van de referentie te groot",
    "control_bias": "controles: stelselmatig strenger of milder dan de referentie",
    "severity_shift": "strengheid in het laatste tijdvak verschoven",
}


@dataclass
class RubricRatings:
    """The rows of one rubric."""

    observations: list[FacetObservation] = field(default_factory=list)
    windows: list[str] = field(default_factory=list)          # parallel to observations ('' = none)
    controls: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # rater -> (score, ref)
    max_scores: dict[str, int] = field(default_factory=dict)


def _int(path: Path, row_no: int, name: str, raw: str) -> int:
    try:
        value = float(raw)
    except ValueError:
        raise InputError(path, row_no, f"{name} {raw!r} is geen geheel getal") from None
    if not math.isfinite(value) or value != int(value) or value < 0:
        raise InputError(path, row_no, f"{name} {raw!r} is geen geheel getal van 0 of meer")
    return int(value)


def read_ratings(path: str | Path) -> dict[str, RubricRatings]:
    """Read RATINGS.csv into one :class:`RubricRatings` per rubric (``""`` without a rubric
    column), in order of first appearance."""
    path = Path(path)
    handle, reader, header = _open_csv(path, REQUIRED)
    out: dict[str, RubricRatings] = {}
    seen: dict[tuple, int] = {}
    max_row: dict[tuple[str, str], tuple[int, int]] = {}
    with handle:
        for row_no, rec in _rows(path, reader, header):
            for name in REQUIRED:
                if not rec[name]:
                    raise InputError(path, row_no, f"lege kolom {name}")
            rubric = rec.get("rubric", "")
            score = _int(path, row_no, "score", rec["score"])
            key = (rubric, rec["person"], rec["task"], rec["criterion"], rec["rater"])
            if key in seen:
                raise InputError(path, row_no, f"beoordelaar {rec['rater']!r} beoordeelt dezelfde cel "
                                 f"(persoon {rec['person']!r}, taak {rec['task']!r}, criterium "
                                 f"{rec['criterion']!r}) twee keer (ook in rij {seen[key]})")
            seen[key] = row_no
            group = out.setdefault(rubric, RubricRatings())
            if rec.get("max_score"):
                top = _int(path, row_no, "max_score", rec["max_score"])
                first = max_row.setdefault((rubric, rec["criterion"]), (top, row_no))
                if first[0] != top:
                    raise InputError(path, row_no, f"max_score {top} van criterium {rec['criterion']!r} "
                                     f"verschilt van {first[0]} in rij {first[1]}")
                if score > top:
                    raise InputError(path, row_no, f"score {score} ligt boven max_score {top}")
                group.max_scores[rec["criterion"]] = top
            group.observations.append(FacetObservation(rec["person"], rec["task"], rec["criterion"],
                                                       rec["rater"], score))
            group.windows.append(rec.get("window", ""))
            if rec.get("reference"):
                ref = _int(path, row_no, "reference", rec["reference"])
                group.controls.setdefault(rec["rater"], []).append((score, ref))
    if not out:
        raise InputError(path, None, "geen beoordelingen in het bestand")
    return out


def _window_order(windows: Iterable[str]) -> list[str]:
    distinct = sorted(set(windows))
    try:
        return sorted(distinct, key=float)
    except ValueError:
        return distinct


def _round(v: float | None, digits: int = 3) -> float | None:
    if v is None or not math.isfinite(v):
        return None
    return round(float(v), digits)


def _fit_flags(infit: float | None, outfit: float | None) -> list[str]:
    values = [v for v in (infit, outfit) if v is not None]
    flags = []
    if any(v > FIT_HIGH for v in values):
        flags.append("misfit")
    if values and any(v < FIT_LOW for v in values):
        flags.append("overfit")
    return flags


def analyse_rubric(group: RubricRatings) -> dict:
    """Agreement, control agreement, the many-facet Rasch model and drift of one rubric, as a
    JSON-ready dict (see :func:`render`)."""
    top = max([o.score for o in group.observations] + list(group.max_scores.values()))
    pairs = pairwise_agreement(group.observations, max_score=top)
    result: dict = {"n_ratings": len(group.observations)}
    try:
        model: MFRMResult | None = fit_mfrm(group.observations, max_scores=group.max_scores or None)
        result["model_error"] = None
    except ValueError as exc:
        model = None
        result["model_error"] = str(exc)
    windows = _window_order(w for w in group.windows if w)
    by_window: dict = {}
    result["window_error"] = None
    if model is not None and len(windows) >= 2:
        rank = {w: i for i, w in enumerate(windows)}
        timed = sorted(((o, w) for o, w in zip(group.observations, group.windows, strict=True) if w),
                       key=lambda ow: rank[ow[1]])
        try:
            by_window = window_severities([o for o, _ in timed], [w for _, w in timed],
                                          max_scores=group.max_scores or None)
        except ValueError as exc:
            result["window_error"] = str(exc)
    raters: dict[str, dict] = {}
    for rater, agr in pairs.items():
        row: dict = {"pairs": agr.n, "exact": _round(agr.exact), "adjacent": _round(agr.adjacent),
                     "kappa": _round(agr.kappa), "mean_difference": _round(agr.mean_difference)}
        controls = group.controls.get(rater, [])
        if controls:
            ctrl = agreement([s for s, _ in controls], [r for _, r in controls], max_score=top)
            row["controls"] = {"n": ctrl.n, "exact": _round(ctrl.exact), "adjacent": _round(ctrl.adjacent),
                               "kappa": _round(ctrl.kappa), "mean_difference": _round(ctrl.mean_difference)}
        severities = ()
        if model is not None:
            est = model.raters[rater]
            row.update(severity=_round(est.measure), se=_round(est.se), infit=_round(est.infit, 2),
                       outfit=_round(est.outfit, 2), infit_z=_round(est.infit_z, 1),
                       outfit_z=_round(est.outfit_z, 1), n=est.n, observed_mean=_round(est.observed_mean, 2),
                       extreme=est.extreme)
            severities = by_window.get(rater, ())
            if severities:
                row["windows"] = [{"window": w.window, "severity": _round(w.severity), "se": _round(w.se),
                                   "n": w.n} for w in severities]
        drift = detect_drift(controls=controls, severities=severities)
        row["drift"] = {"flagged": drift.flagged, "reasons": [r.code for r in drift.reasons],
                        "control_mad": _round(drift.control_mad), "severity_shift": _round(drift.severity_shift),
                        "shift_z": _round(drift.shift_z, 2)}
        row["flags"] = _fit_flags(row.get("infit"), row.get("outfit")) + (["drift"] if drift.flagged else [])
        raters[str(rater)] = row
    result["raters"] = raters
    if model is not None:
        result["tasks"] = {str(k): {"difficulty": _round(v.measure), "se": _round(v.se), "n": v.n,
                                    "infit": _round(v.infit, 2), "outfit": _round(v.outfit, 2)}
                           for k, v in model.tasks.items()}
        result["criteria"] = {str(k): {"difficulty": _round(v.measure), "se": _round(v.se), "n": v.n,
                                       "infit": _round(v.infit, 2), "outfit": _round(v.outfit, 2),
                                       "max_score": model.max_scores[k],
                                       "thresholds": [_round(t) for t in model.thresholds[k]]}
                              for k, v in model.criteria.items()}
        result["model"] = {"converged": model.converged, "n_iter": model.n_iter,
                           "loglik": _round(model.loglik, 2), "bias_factor": _round(model.bias_factor, 4),
                           "n_subsets": model.n_subsets, "n_persons": len(model.persons),
                           "n_extreme_persons": sum(1 for v in model.persons.values() if v.extreme)}
    return result


def analyse_file(path: str | Path) -> dict:
    return {rubric: analyse_rubric(group) for rubric, group in read_ratings(path).items()}


# ---------------------------------------------------------------------------- simulation
def simulation_study(seed: int, *, n_persons: int = 400, n_raters: int = 12, severity_sd: float = 0.5,
                     drift: float = 1.0) -> dict:
    """The known-truth check of the issue, in two runs of :func:`simulate_ratings`.

    Run 1: ``n_raters`` raters (severities ~ N(0, severity_sd)) plus the last one rating at
    random; RMSE and correlation of the estimated severities of the well-behaved raters (origin
    aligned over them, as the random rater's "true" severity means nothing), and the fit of
    every rater. Run 2: the first rater is ``drift`` logits more severe from the middle on;
    severity per half and the drift rule for every rater.
    """
    sim = simulate_ratings(seed, n_persons=n_persons, n_raters=n_raters, severity_sd=severity_sd,
                           random_raters=(n_raters - 1,))
    model = fit_mfrm(sim.observations)
    good = [k for k in sim.severity if k not in sim.random_raters]
    true = np.array([sim.severity[k] for k in good])
    est = np.array([model.raters[k].measure for k in good])
    rmse = float(np.sqrt(np.mean(((est - est.mean()) - (true - true.mean())) ** 2)))
    raters = {k: {"true": _round(sim.severity[k]) if k in good else None,
                  "severity": _round(v.measure), "se": _round(v.se), "infit": _round(v.infit, 2),
                  "outfit": _round(v.outfit, 2), "infit_z": _round(v.infit_z, 1), "n": v.n,
                  "random": k in sim.random_raters,
                  "flags": _fit_flags(v.infit, v.outfit)}
              for k, v in model.raters.items()}
    sim2 = simulate_ratings(seed + 1, n_persons=n_persons, n_raters=n_raters, severity_sd=severity_sd,
                            drift={0: drift})
    halves = window_severities(sim2.observations, [int(t >= n_persons * 2 / 2) for t in sim2.time])
    drift_rows = {}
    for rater in sim2.severity:
        ws = halves[rater]
        d = detect_drift(severities=ws)
        drift_rows[rater] = {"first_half": _round(ws[0].severity), "second_half": _round(ws[-1].severity),
                             "shift": _round(d.severity_shift), "z": _round(d.shift_z, 2),
                             "flagged": d.flagged, "true_shift": sim2.drift.get(rater, 0.0)}
    return {
        "seed": seed, "n_persons": n_persons, "n_raters": n_raters, "severity_sd": severity_sd,
        "design": f"{n_persons} personen x 2 taken x 4 criteria (0..3) x {n_raters} beoordelaars, "
                  "2 beoordelaars per productie",
        "rmse_severity": round(rmse, 4),
        "correlation_severity": round(float(np.corrcoef(true, est)[0, 1]), 4),
        "mean_se_severity": round(float(np.mean([model.raters[k].se for k in good])), 4),
        "converged": model.converged, "n_iter": model.n_iter,
        "random_rater": {"label": sim.random_raters[0], **raters[sim.random_raters[0]]},
        "max_infit_good": round(max(model.raters[k].infit for k in good), 3),
        "raters": raters,
        "drift": {"shift": drift, "rater": next(iter(sim2.drift)), "raters": drift_rows},
    }


# ---------------------------------------------------------------------------- rendering
def _fmt(v, digits: int = 2) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "ja" if v else "nee"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def render(analysis: dict, console) -> None:
    """Print the tables of :func:`analyse_file` on a ``rich`` console."""
    from rich.table import Table

    for rubric, res in analysis.items():
        title = f"rubric {rubric}" if rubric else "alle beoordelingen"
        console.rule(f"[bold]{title}[/bold] ({res['n_ratings']} beoordelingen)")
        agr = Table(title="Overeenstemming met de andere beoordelaars op dezelfde cellen", title_justify="left")
        for col in ("beoordelaar", "paren", "exact", "aangrenzend", "kappa (kwadr.)", "gem. verschil"):
            agr.add_column(col, justify="left" if col == "beoordelaar" else "right")
        for rater, row in sorted(res["raters"].items()):
            agr.add_row(rater, str(row["pairs"]), _fmt(row["exact"]), _fmt(row["adjacent"]), _fmt(row["kappa"]),
                        _fmt(row["mean_difference"]))
        console.print(agr)
        if any("controls" in row for row in res["raters"].values()):
            ctl = Table(title="Controles: overeenstemming met de referentiescore", title_justify="left")
            for col in ("beoordelaar", "n", "exact", "aangrenzend", "kappa (kwadr.)", "gem. verschil"):
                ctl.add_column(col, justify="left" if col == "beoordelaar" else "right")
            for rater, row in sorted(res["raters"].items()):
                if "controls" in row:
                    c = row["controls"]
                    ctl.add_row(rater, str(c["n"]), _fmt(c["exact"]), _fmt(c["adjacent"]), _fmt(c["kappa"]),
                                _fmt(c["mean_difference"]))
            console.print(ctl)
        if res.get("model_error"):
            console.print(f"[red]Geen Rasch-model geschat:[/red] {res['model_error']}")
            continue
        m = res["model"]
        console.print(f"Rasch-model (personen × taken × criteria × beoordelaars): "
                      f"{'geconvergeerd' if m['converged'] else '[red]NIET geconvergeerd[/red]'} na {m['n_iter']} "
                      f"iteraties, log-likelihood {m['loglik']}, {m['n_persons']} personen "
                      f"({m['n_extreme_persons']} met een extreme score), biascorrectie × {m['bias_factor']}")
        if res.get("window_error"):
            console.print(f"[red]Geen strengheid per tijdvak geschat:[/red] {res['window_error']}")
        if m["n_subsets"] > 1:
            console.print(f"[red]Waarschuwing:[/red] het ontwerp valt uiteen in {m['n_subsets']} losse "
                          "deelverzamelingen; strengheden van verschillende delen zijn niet vergelijkbaar.")
        sev = Table(title="Beoordelaars: strengheid (logit, hoger = strenger) en fit", title_justify="left")
        for col in ("beoordelaar", "strengheid", "SE", "infit", "outfit", "infit z", "outfit z", "n", "gem. score",
                    "signalen"):
            sev.add_column(col, justify="left" if col in ("beoordelaar", "signalen") else "right")
        for rater, row in sorted(res["raters"].items()):
            signals = []
            if "misfit" in row["flags"]:
                signals.append(f"ruis (MS > {FIT_HIGH})")
            if "overfit" in row["flags"]:
                signals.append(f"te voorspelbaar (MS < {FIT_LOW})")
            signals += [DRIFT_TEXT[c] for c in row["drift"]["reasons"]]
            sev.add_row(rater, _fmt(row["severity"]), _fmt(row["se"]), _fmt(row["infit"]), _fmt(row["outfit"]),
                        _fmt(row["infit_z"], 1), _fmt(row["outfit_z"], 1), str(row["n"]),
                        _fmt(row["observed_mean"]), "; ".join(signals) or "—")
        console.print(sev)
        windowed = {r: row["windows"] for r, row in res["raters"].items() if "windows" in row}
        if windowed:
            win = Table(title="Strengheid per tijdvak (beoordelaar × tijdvak als element); drift: laatste "
                              "tijdvak tegen de eerdere",
                        title_justify="left")
            for col in ("beoordelaar", "tijdvakken", "verschuiving", "z", "drift"):
                win.add_column(col, justify="left" if col in ("beoordelaar", "tijdvakken") else "right")
            for rater, ws in sorted(windowed.items()):
                d = res["raters"][rater]["drift"]
                win.add_row(rater, ", ".join(f"{w['window']}: {_fmt(w['severity'])} ({w['n']})" for w in ws),
                            _fmt(d["severity_shift"]), _fmt(d["shift_z"]), _fmt(d["flagged"]))
            console.print(win)
        tab = Table(title="Taken en criteria: moeilijkheid (logit) en drempels", title_justify="left")
        for col in ("facet", "element", "moeilijkheid", "SE", "infit", "outfit", "n", "drempels"):
            tab.add_column(col, justify="left" if col in ("facet", "element", "drempels") else "right")
        for label, row in res["tasks"].items():
            tab.add_row("taak", label, _fmt(row["difficulty"]), _fmt(row["se"]), _fmt(row["infit"]),
                        _fmt(row["outfit"]), str(row["n"]), "")
        for label, row in res["criteria"].items():
            tab.add_row("criterium", label, _fmt(row["difficulty"]), _fmt(row["se"]), _fmt(row["infit"]),
                        _fmt(row["outfit"]), str(row["n"]),
                        f"0..{row['max_score']}: " + " ".join(_fmt(t) for t in row["thresholds"]))
        console.print(tab)


def render_simulation(study: dict, console) -> None:
    from rich.table import Table

    console.rule("[bold]Simulatie met bekende strengheden[/bold]")
    console.print(f"{study['design']}; strengheden ~ N(0, {study['severity_sd']}); seed {study['seed']}")
    console.print(f"RMSE strengheid (goede beoordelaars): [bold]{study['rmse_severity']:.3f}[/bold] logit; "
                  f"correlatie met de ware waarden {study['correlation_severity']:.3f}; "
                  f"gemiddelde SE {study['mean_se_severity']:.3f}")
    rr = study["random_rater"]
    console.print(f"Beoordelaar die willekeurig scoort ({rr['label']}): infit {rr['infit']:.2f}, "
                  f"outfit {rr['outfit']:.2f} (signaal boven {FIT_HIGH}); hoogste infit van de andere "
                  f"beoordelaars {study['max_infit_good']:.2f}")
    sev = Table(title="Ware en geschatte strengheid", title_justify="left")
    for col in ("beoordelaar", "waar", "geschat", "SE", "infit", "outfit", "n", "signalen"):
        sev.add_column(col, justify="left" if col in ("beoordelaar", "signalen") else "right")
    for rater, row in sorted(study["raters"].items()):
        sev.add_row(rater, "willekeurig" if row["random"] else _fmt(row["true"]), _fmt(row["severity"]),
                    _fmt(row["se"]), _fmt(row["infit"]), _fmt(row["outfit"]), str(row["n"]),
                    ", ".join(row["flags"]) or "—")
    console.print(sev)
    d = study["drift"]
    dr = Table(title=f"Drift: {d['rater']} wordt halverwege {d['shift']:+.1f} logit strenger",
               title_justify="left")
    for col in ("beoordelaar", "eerste helft", "tweede helft", "verschuiving", "z", "gesignaleerd"):
        dr.add_column(col, justify="left" if col == "beoordelaar" else "right")
    for rater, row in d["raters"].items():
        dr.add_row(rater, _fmt(row["first_half"]), _fmt(row["second_half"]), _fmt(row["shift"]), _fmt(row["z"]),
                   _fmt(row["flagged"]))
    console.print(dr)

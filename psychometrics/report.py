"""An HTML report with PNG figures (matplotlib), readable in any browser without Python.

Contents: item characteristic curves, test information and conditional SE, a Wright map
(persons and items on one θ scale), the fit table with every flag and its reason, the DIF
table (when a ``dif`` output is given), cut scores with provenance and impact. All text is
Dutch; figures are written beside ``index.html`` in the output folder.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from toetsbatterij.scoring import ItemParameters

from .data import ResponseData
from .models import DICHOTOMOUS, information, probs

THETA = np.linspace(-4, 4, 161)


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _b_of(p: ItemParameters) -> float:
    if p.model in DICHOTOMOUS:
        return p.values["b"]
    return float(np.mean([v for k, v in p.values.items() if k.startswith("b")]))


def figure_icc(params: Mapping[str, ItemParameters], path: Path, per_page: int = 24) -> list[Path]:
    """Item characteristic curves (expected score / max for polytomous items), small multiples."""
    plt = _plt()
    items = list(params.values())
    files = []
    for page in range(0, len(items), per_page):
        chunk = items[page:page + per_page]
        cols = 6
        rows = int(np.ceil(len(chunk) / cols))
        fig, axes = plt.subplots(rows, cols, figsize=(2.4 * cols, 1.9 * rows), sharex=True, sharey=True,
                                 squeeze=False)
        for ax, p in zip(axes.ravel(), chunk, strict=False):
            if p.model in DICHOTOMOUS:
                ax.plot(THETA, probs(p.model, p.vector(), THETA)[1], color="#1f4e79")
            else:
                for k, curve in enumerate(probs(p.model, p.vector(), THETA)):
                    ax.plot(THETA, curve, lw=1, label=str(k))
            ax.set_title(f"{p.item} ({p.model})", fontsize=7)
            ax.tick_params(labelsize=6)
            ax.set_ylim(0, 1)
        for ax in axes.ravel()[len(chunk):]:
            ax.axis("off")
        fig.supxlabel("θ (vaardigheid)", fontsize=8)
        fig.supylabel("kans", fontsize=8)
        fig.tight_layout()
        out = path.with_name(f"{path.stem}-{page // per_page + 1}.png")
        fig.savefig(out, dpi=110)
        plt.close(fig)
        files.append(out)
    return files


def figure_information(params: Mapping[str, ItemParameters], path: Path, cuts=None) -> Path:
    plt = _plt()
    info = sum(information(p.model, p.vector(), THETA) for p in params.values())
    se = 1 / np.sqrt(np.maximum(info, 1e-12))
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.plot(THETA, info, color="#1f4e79", label="toetsinformatie")
    ax.set_xlabel("θ (vaardigheid)")
    ax.set_ylabel("informatie")
    ax2 = ax.twinx()
    ax2.plot(THETA, se, color="#c55a11", ls="--", label="standaardfout (SE)")
    ax2.set_ylabel("SE(θ)")
    ax2.set_ylim(0, min(2.0, float(se.max()) * 1.05))
    if cuts is not None:
        for level, cut in cuts.ordered:
            ax.axvline(cut, color="grey", lw=0.6)
            ax.text(cut, ax.get_ylim()[1] * 0.95, level, fontsize=7, ha="left")
    fig.legend(loc="upper center", ncol=2, fontsize=7, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.92))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def figure_wright(params: Mapping[str, ItemParameters], theta_hat: np.ndarray | None, path: Path) -> Path:
    """Persons (histogram of θ̂) and items (difficulties) on one θ scale."""
    plt = _plt()
    fig, (left, right) = plt.subplots(1, 2, figsize=(7, 5), sharey=True, gridspec_kw={"width_ratios": [1, 1]})
    bins = np.linspace(-4, 4, 33)
    if theta_hat is not None and theta_hat.size:
        left.hist(np.clip(theta_hat, -4, 4), bins=bins, orientation="horizontal", color="#1f4e79")
        left.invert_xaxis()
    left.set_title("personen (θ̂)", fontsize=9)
    left.set_ylabel("θ")
    bs = np.array([_b_of(p) for p in params.values()])
    right.hist(np.clip(bs, -4, 4), bins=bins, orientation="horizontal", color="#c55a11")
    right.set_title("items (moeilijkheid b)", fontsize=9)
    left.set_xlabel("aantal personen", fontsize=8)
    right.set_xlabel("aantal items", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _table(header: list[str], rows: list[list]) -> str:
    def cell(v):
        if isinstance(v, float):
            return "" if not np.isfinite(v) else f"{v:.3f}"
        return html.escape(str(v))

    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "\n".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>"


def read_csv_rows(path: str | Path) -> tuple[list[str], list[list[str]]]:
    with Path(path).open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        return header, [row for row in reader]


CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:13px;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}
th{background:#eef3f8}td:first-child,th:first-child{text-align:left}img{max-width:100%}
.flag{color:#a00}h2{border-bottom:1px solid #ddd;padding-bottom:.2em}"""


def build_report(out_dir: str | Path, params: Mapping[str, ItemParameters], *, data: ResponseData | None = None,
                 dif_csv: str | Path | None = None, cuts=None, title: str = "Kalibratierapport",
                 calibration_summary: Mapping | None = None) -> Path:
    """Write ``index.html`` and its PNG figures into ``out_dir``; returns the HTML path."""
    from .calibration import posterior
    from .cutscores import impact_from_normal, impact_from_posterior
    from .quality import quality_report

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    parts = [f"<h1>{html.escape(title)}</h1>",
             f"<p>Gemaakt op {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {len(params)} items. "
             "θ op de logitschaal (D = 1).</p>"]
    if calibration_summary:
        parts.append("<h2>Kalibratie</h2>" + _table(["kenmerk", "waarde"],
                                                     [[k, v] for k, v in calibration_summary.items()]))
    rows = []
    for p in params.values():
        vals = ", ".join(f"{k} = {v:.3f}" for k, v in p.values.items())
        ses = ", ".join(f"{k} = {v:.3f}" for k, v in p.se.items() if v == v)
        rows.append([p.item, p.model, vals, ses])
    parts.append("<h2>Itemparameters</h2>" + _table(["item", "model", "parameters", "standaardfouten"], rows))
    icc = figure_icc(params, out / "icc.png")
    parts.append("<h2>Itemkarakteristieke curven</h2>" +
                 "".join(f'<img src="{f.name}" alt="itemkarakteristieke curven, blad {k + 1}">'
                         for k, f in enumerate(icc)))
    figure_information(params, out / "informatie.png", cuts)
    parts.append("<h2>Toetsinformatie en conditionele standaardfout</h2>"
                 '<img src="informatie.png" alt="toetsinformatie en standaardfout over θ">'
                 "<p>Informatie en SE als alle items samen worden afgenomen.</p>")
    theta_hat = None
    if data is not None:
        nodes, post, _ = posterior(data, params)
        theta_hat = post @ nodes
        rep = quality_report(data, params)
        fit = {r.item: r for r in rep["fit"]}
        parts.append("<h2>Betrouwbaarheid</h2>" + _table(["maat", "waarde"], [
            ["marginale betrouwbaarheid", rep["marginal_reliability"]],
            ["Cronbachs α (alleen volledige data)", rep["alpha"] if rep["alpha"] is not None else "n.v.t."],
            ["gemiddelde Q3", rep["q3_mean"]]]))
        parts.append("<h2>Klassieke statistiek en itemfit</h2>" + _table(
            ["item", "n", "p-waarde", "item-rest", "infit", "outfit", "S-X²", "df", "p (S-X²)"],
            [[c.item, c.n, c.p_value, c.item_rest, fit[c.item].infit, fit[c.item].outfit, fit[c.item].sx2,
              fit[c.item].sx2_df, fit[c.item].sx2_p] for c in rep["classical"]]))
        flags = rep["flags"]
        parts.append("<h2>Gevlagde items</h2>" + (
            _table(["item", "controle", "waarde", "reden"], [[f.item, f.check, f.value, f.reason] for f in flags])
            if flags else "<p>Geen enkel item gevlagd.</p>"))
    figure_wright(params, theta_hat, out / "wright.png")
    parts.append('<h2>Wright-kaart</h2><img src="wright.png" alt="personen en items op dezelfde θ-schaal">')
    if dif_csv is not None:
        header, rows = read_csv_rows(dif_csv)
        parts.append("<h2>DIF</h2>" + _table(header, rows) +
                     "<p>ETS-klassen: A verwaarloosbaar, B matig, C groot (Δ<sub>MH</sub>, Zwick 2012).</p>")
    if cuts is not None:
        impact = (impact_from_posterior(cuts, nodes, post) if data is not None
                  else impact_from_normal(cuts))
        parts.append(f"<h2>Cesuren en impact ({html.escape(cuts.skill)})</h2>" + _table(
            ["niveau", "θ vanaf", "aandeel referentiepopulatie"],
            [[level, lo if np.isfinite(lo) else "", impact[level]] for level, lo, _ in cuts.bands()]) +
            f"<p>Methode {html.escape(cuts.method)}, {html.escape(cuts.date)}, panel: {html.escape(cuts.panel)}, "
            f"versie {html.escape(cuts.version)}.</p>")
    page = (f'<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{CSS}</style></head><body>\n" + "\n".join(parts) + "\n</body></html>\n")
    target = out / "index.html"
    target.write_text(page, encoding="utf-8")
    return target


__all__ = ["build_report", "figure_icc", "figure_information", "figure_wright"]

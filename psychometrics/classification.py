"""Classification accuracy and consistency of a test form, per section and cut.

Three estimates side by side, for a N(0, 1) reference population:

- **the form's figures** (``TestForm.decision_figures``): Rudner's method with the SE curve of
  the section's own design; these are frozen with every result;
- **Rudner from estimates** (Rudner 2005): each simulated candidate's θ̂ and SE, the way the
  index is computed from real candidates' results;
- **simulation**: the share of simulated candidates whose decision at the cut is the true one
  (accuracy) and the share with the same decision on a second, independent administration
  (consistency), the engine driven exactly as the delivery drives it.

The form report (:func:`write_form_report`) shows them with the conditional accuracy curves near
each cut, the expected share of wrong decisions at the decisive cut, where each skill's cuts came
from (``cut_score_provenance``) and the items still on provisional parameters.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from toetsbatterij.scoring import CutScores, rudner_from_estimates, simulate

__all__ = ["SectionStudy", "provisional_items", "section_study", "write_form_report"]


@dataclass(frozen=True)
class SectionStudy:
    skill: str
    figures: dict[str, Any]                    # TestForm.decision_figures
    rows: list[dict[str, Any]]                 # per cut: every estimate
    n: int                                     # simulees (0: no simulation, a rated section)
    conditional: dict[str, list[tuple[float, float, int]]]  # level -> (θ, simulated P(correct), n)
    length_mean: float | None


def section_study(form, section_index: int, *, n: int = 2000, seed: int = 1) -> SectionStudy | None:
    figures = form.decision_figures(section_index)
    if figures is None:
        return None
    section = form.section(section_index)
    cuts = CutScores.from_mapping(form.cut_scores[section.skill])
    rows = []
    conditional: dict[str, list[tuple[float, float, int]]] = {}
    length = None
    simulated = section.adaptive and n > 0
    if simulated:
        design, pool = form.design(section_index), form.pool(section_index)
        thetas = np.random.default_rng(seed).standard_normal(n)
        first = simulate(design, pool, thetas, seed)
        second = simulate(design, pool, thetas, seed + 7919)
        est = rudner_from_estimates(cuts, first.theta_hat, first.se, decisive=figures["decisive"])
        length = float(first.length_mean)
    for fig in figures["cuts"]:
        level, cut = fig["level"], fig["cut"]
        row = {"level": level, "cut": cut, "rudner_accuracy": fig["accuracy"],
               "rudner_consistency": fig["consistency"], "wrong": fig["wrong"]}
        if simulated:
            truth = thetas >= cut
            d1, d2 = first.theta_hat >= cut, second.theta_hat >= cut
            row.update({"estimates_accuracy": est.at(level).accuracy,
                        "estimates_consistency": est.at(level).consistency,
                        "simulated_accuracy": float(np.mean(d1 == truth)),
                        "simulated_consistency": float(np.mean(d1 == d2))})
            edges = cut + np.linspace(-1.0, 1.0, 11)
            conditional[level] = []
            for lo, hi in zip(edges[:-1], edges[1:], strict=True):
                m = (thetas >= lo) & (thetas < hi)
                if m.sum() >= 5:
                    conditional[level].append(((lo + hi) / 2, float(np.mean(d1[m] == truth[m])), int(m.sum())))
        rows.append(row)
    return SectionStudy(section.skill, figures, rows, n if simulated else 0, conditional, length)


def provisional_items(form) -> list[tuple[str, str, str, str]]:
    """(item, skill, level, status) of every scored item of the form still on provisional
    parameters (no calibration has placed it on the operational scale yet)."""
    out = []
    for item in form.items.values():
        p = item.parameters
        if p is not None and (p.provenance or {}).get("source") == "provisional" and item.status in (
                "operational", "pretest"):
            out.append((item.id, item.skill, item.level, item.status))
    return sorted(out)


def _figure_curves(study: SectionStudy, path: Path) -> Path:
    from .report import _plt

    plt = _plt()
    cuts = study.figures["cuts"]
    fig, axes = plt.subplots(1, len(cuts), figsize=(2.6 * len(cuts), 2.8), sharey=True, squeeze=False)
    for ax, c in zip(axes[0], cuts, strict=True):
        curve = np.array(c["curve"])
        ax.plot(curve[:, 0], curve[:, 1], color="#1f4e79", label="Rudner")
        sim = study.conditional.get(c["level"])
        if sim:
            arr = np.array([(t, p) for t, p, _ in sim])
            ax.plot(arr[:, 0], arr[:, 1], "o", ms=3, color="#c55a11", label="simulatie")
        ax.axvline(c["cut"], color="grey", lw=0.6)
        ax.set_title(f"{c['level']} (θ = {c['cut']:g})", fontsize=8)
        ax.set_ylim(0.0, 1.02)
        ax.tick_params(labelsize=7)
    axes[0][0].set_ylabel("P(juiste beslissing | θ)", fontsize=8)
    axes[0][0].legend(fontsize=6, loc="lower left")
    fig.supxlabel("θ", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_form_report(form, studies: list[SectionStudy], out_dir: str | Path) -> Path:
    """``out_dir/index.html``: per skill the cuts with their provenance, the classification
    figures (form, Rudner from estimates, simulation) and the conditional accuracy curves; the
    items still on provisional parameters."""
    from .report import CSS, _table

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    title = f"Formulierrapport {form.id}"
    provenance = (form.manifest.get("cut_score_provenance") or {})
    parts = [f"<h1>{html.escape(title)}</h1>",
             f"<p>{html.escape(form.name)}; formulierversie <code>{form.version[:16]}</code>; gemaakt op "
             f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC. Nauwkeurigheid: het aandeel kandidaten van een "
             "referentiepopulatie N(0, 1) bij wie de beslissing aan een cesuur de juiste is; consistentie: het "
             "aandeel met dezelfde beslissing bij twee onafhankelijke afnames. De cijfers van het formulier "
             "(Rudner) worden met elk resultaat vastgelegd.</p>"]
    for study in studies:
        fig = study.figures
        prov = provenance.get(study.skill)
        parts.append(f"<h2>{html.escape(study.skill)}</h2>")
        if prov:
            se = prov.get("se") or {}
            parts.append(f"<p>Cesuren: methode {html.escape(str(prov.get('method')))}, "
                         f"{html.escape(str(prov.get('date')))}, panel {html.escape(str(prov.get('panel')))}"
                         f" ({html.escape(str(prov.get('panel_size', '?')))} leden), versie "
                         f"{html.escape(str(prov.get('version')))}; SE per cesuur: "
                         + html.escape(", ".join(f"{k} {v:.3f}" for k, v in se.items()) or "onbekend") + ".</p>")
        else:
            parts.append("<p class=flag>Voor deze cesuren is geen standaardbepaling vastgelegd "
                         "(geen <code>cut_score_provenance</code> in het manifest).</p>")
        header = ["niveau", "cesuur θ", "Rudner nauwkeurigheid", "Rudner consistentie"]
        if study.n:
            header += ["Rudner uit schattingen", "simulatie nauwkeurigheid", "simulatie consistentie"]
        body = []
        for r in study.rows:
            row = [r["level"], r["cut"], r["rudner_accuracy"], r["rudner_consistency"]]
            if study.n:
                row += [r["estimates_accuracy"], r["simulated_accuracy"], r["simulated_consistency"]]
            body.append(row)
        parts.append(_table(header, body))
        name = f"curven-{study.skill}.png"
        _figure_curves(study, out / name)
        wrong = fig.get("wrong_at_decisive")
        parts.append(f'<img src="{name}" alt="conditionele nauwkeurigheid rond elke cesuur, {study.skill}">')
        extra = (f"; simulatie met {study.n} kandidaten, gemiddelde lengte {study.length_mean:.1f} items"
                 if study.n else "")
        parts.append(f"<p>Niveaunauwkeurigheid {fig['level_accuracy']:.3f}, niveauconsistentie "
                     f"{fig['level_consistency']:.3f}"
                     + (f"; verwacht aandeel foute beslissingen aan de beslissende cesuur {fig['decisive']}: "
                        f"<strong>{100 * wrong:.1f} %</strong>" if wrong is not None else "")
                     + f"{extra}. SE-bron: {html.escape(fig['se_source'])}.</p>")
    prov_items = provisional_items(form)
    parts.append("<h2>Items op voorlopige parameters</h2>" + (
        f"<p>{len(prov_items)} items zijn nog niet gekalibreerd (regel level-anchor-v1); zie "
        "<code>python -m psychometrics pilot-plan</code>.</p>"
        + _table(["item", "vaardigheid", "niveau", "status"], [list(x) for x in prov_items])
        if prov_items else "<p>Geen: elk item heeft gekalibreerde parameters.</p>"))
    page = (f'<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{CSS}</style></head><body>\n" + "\n".join(parts) + "\n</body></html>\n")
    target = out / "index.html"
    target.write_text(page, encoding="utf-8")
    return target

"""The subcommands of ``python -m psychometrics``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .cli import command, print_json, progress_bar
from .data import (
    InputError,
    check_variance,
    read_item_models,
    read_params,
    read_responses,
    write_params,
)
from .models import MODELS


def _write_json(path: str | None, obj) -> None:
    if path:
        Path(path).write_text(json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                              encoding="utf-8")


# ---------------------------------------------------------------------------- calibrate
@command("calibrate", "Kalibreer items met marginale grootste aannemelijkheid (1PL/2PL/3PL/GPCM/GRM).")
def _calibrate_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("responses", metavar="RESPONSES.csv", help="antwoorden in lang formaat: person,item,score")
    p.add_argument("--model", choices=MODELS, default="2pl", help="model voor alle items (standaard 2pl)")
    p.add_argument("--out", required=True, metavar="PARAMS.csv", help="uitvoer: itemparameters met standaardfouten")
    p.add_argument("--fixed", metavar="PARAMS.csv",
                   help="vaste (operationele) parameters; alleen de overige items worden gekalibreerd "
                        "op dezelfde schaal")
    p.add_argument("--item-models", metavar="MODELS.csv",
                   help="item,model per item voor een gemengde bank (overschrijft --model)")
    p.add_argument("--quad", type=int, default=61, help="aantal kwadratuurpunten (standaard 61)")
    p.add_argument("--max-iter", type=int, default=500, help="maximaal aantal EM-iteraties")
    p.add_argument("--tol", type=float, default=1e-4, help="convergentiecriterium (grootste parameterwijziging)")
    p.add_argument("--summary", metavar="SUMMARY.json", help="schrijf log-likelihood, AIC/BIC en convergentie weg")
    p.add_argument("--quiet", action="store_true", help="geen voortgangsbalk")
    p.set_defaults(run=run_calibrate)


def run_calibrate(args: argparse.Namespace) -> int:
    from .calibration import MMLCalibrator

    fixed = read_params(args.fixed) if args.fixed else {}
    item_models = read_item_models(args.item_models) if args.item_models else {}
    data = read_responses(args.responses,
                          max_score={k: v.n_categories - 1 for k, v in fixed.items()},
                          require_variance=False)
    free_items = [i for i in data.items if i not in fixed]
    if not free_items:
        raise InputError(args.responses, None, "alle items staan vast; er valt niets te kalibreren")
    check_variance(data, free_items)  # a fixed anchor without variance in this sample does no harm
    with progress_bar("Kalibratie (EM)", args.max_iter, enabled=not args.quiet) as advance:
        cal = MMLCalibrator(args.model, item_models=item_models, n_quad=args.quad, max_iter=args.max_iter,
                            tol=args.tol, progress=lambda it, mx, ll, ch: advance(
                                completed=it, description=f"Kalibratie (EM), log-likelihood {ll:,.1f}")).fit(data, fixed)
    extra = {item: {"n": int(n), "status": "fixed" if item in fixed else "estimated"}
             for item, n in zip(data.items, cal.n_obs_per_item_, strict=True)}
    write_params(args.out, cal.items_.values(), extra)
    summary = calibration_summary(cal)
    _write_json(args.summary, summary)
    print_json(summary)
    if not cal.convergence_.converged:
        import sys

        print(f"waarschuwing: {cal.convergence_.describe()}; publiceer deze parameters niet "
              "(verhoog --max-iter of bekijk de data)", file=sys.stderr)
    return 0


def calibration_summary(cal) -> dict:
    conv = cal.convergence_
    return {
        "loglik": round(cal.loglik_, 4), "aic": round(cal.aic_, 4), "bic": round(cal.bic_, 4),
        "n_params": cal.n_params_, "n_persons": cal.n_persons_, "n_items": len(cal.items_),
        "n_fixed": len(cal.fixed_items_), "converged": conv.converged, "n_iter": conv.n_iter,
        "max_change": conv.max_change, "seconds": round(conv.seconds, 3),
        "latent_mean": round(cal.latent_mean_, 4), "latent_sd": round(cal.latent_sd_, 4),
        "message": conv.describe(),
    }


# ---------------------------------------------------------------------------- score
@command("score", "Schat θ per persoon (EAP/MAP/MLE/WLE) met de scoringskern van het platform.")
def _score_parser(p: argparse.ArgumentParser) -> None:
    from .scoring_bridge import METHODS

    p.add_argument("responses", metavar="RESPONSES.csv", help="antwoorden: person,item,score")
    p.add_argument("--params", required=True, metavar="PARAMS.csv", help="itemparameters")
    p.add_argument("--method", choices=METHODS, default="eap", help="schatter (standaard eap)")
    p.add_argument("--out", required=True, metavar="THETAS.csv", help="uitvoer: person,theta,se")
    p.add_argument("--quiet", action="store_true", help="geen voortgangsbalk")
    p.set_defaults(run=run_score)


def run_score(args: argparse.Namespace) -> int:
    from .data import write_rows
    from .scoring_bridge import score_persons

    params = read_params(args.params)
    data = read_responses(args.responses, known_items=params,
                          max_score={k: v.n_categories - 1 for k, v in params.items()},
                          min_per_person=1, require_variance=False)
    with progress_bar("Scoren", len(data.persons), enabled=not args.quiet) as advance:
        scores = score_persons(data, params, args.method, progress=advance)
    write_rows(args.out, ["person", "theta", "se", "method", "note"],
               ([s.person, round(s.theta, 6), round(s.se, 6), s.method, s.note or ""] for s in scores))
    print_json({"n": len(scores), "method": args.method,
                "fallbacks": sum(1 for s in scores if s.note)})
    return 0


# ---------------------------------------------------------------------------- simulate
@command("simulate", "CAT-simulatiestudie: vertekening, RMSE, lengte, classificatie, blootstelling.")
def _simulate_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--params", metavar="PARAMS.csv", help="itemparameters (of gebruik --bank)")
    p.add_argument("--bank", metavar="ITEMBANK", help="de echte itembank (itembank/) in plaats van --params")
    p.add_argument("--test", metavar="MANIFEST", help="met --bank: toetsmanifest (bv. attest-4) voor ontwerp en cesuren")
    p.add_argument("--skill", help="met --bank: vaardigheid (reading, listening, ...)")
    p.add_argument("--n", type=int, default=1000, help="aantal gesimuleerde kandidaten")
    p.add_argument("--seed", type=int, default=1, help="toevalszaad")
    p.add_argument("--theta-mean", type=float, default=0.0)
    p.add_argument("--theta-sd", type=float, default=1.0)
    p.add_argument("--stop-se", type=float, help="stop zodra SE onder deze waarde ligt")
    p.add_argument("--max-items", type=int, default=30, help="maximale toetslengte")
    p.add_argument("--min-items", type=int, default=0, help="minimale toetslengte")
    p.add_argument("--cuts", help="cesuren c1,c2,... (θ waar A1, A2, ... begint); negatief: --cuts=-1.2,0,1.2")
    p.add_argument("--sh-target", type=float, metavar="R_MAX",
                   help="stem Sympson-Hetter af op dit blootstellingsplafond en simuleer daarmee")
    p.add_argument("--sh-out", metavar="SH.csv", help="schrijf de afgestemde K_i weg (item,sh_k)")
    p.add_argument("--conditional", metavar="COND.csv", help="vertekening/RMSE/lengte per θ-interval")
    p.add_argument("--exposure", metavar="EXPO.csv", help="blootstelling per item")
    p.add_argument("--consistency", action="store_true",
                   help="ook classificatieconsistentie (tweede onafhankelijke afname)")
    p.add_argument("--out", required=True, metavar="RESULTS.csv", help="uitvoer per gesimuleerde kandidaat")
    p.set_defaults(run=run_simulate)


def _parse_cuts(text: str | None) -> list[float]:
    if not text:
        return []
    try:
        cuts = [float(x) for x in text.split(",")]
    except ValueError:
        raise InputError(None, None, f"--cuts {text!r}: geef getallen gescheiden door komma's") from None
    if any(b <= a for a, b in zip(cuts, cuts[1:], strict=False)):
        raise InputError(None, None, "--cuts moeten strikt stijgen")
    if len(cuts) > 5:
        raise InputError(None, None, "--cuts: hoogstens vijf cesuren (A1..C1)")
    return cuts


def run_simulate(args: argparse.Namespace) -> int:
    import numpy as np

    from toetsbatterij.scoring import simulate, tune_sympson_hetter

    from .data import write_rows
    from .scoring_bridge import (
        classification_consistency,
        cut_scores_from_list,
        pool_from_params,
        simple_design,
    )

    if args.n < 1:
        raise InputError(None, None, "--n moet minstens 1 zijn")
    if bool(args.params) == bool(args.bank):
        raise InputError(None, None, "geef precies een van --params of --bank")
    cuts = cut_scores_from_list(_parse_cuts(args.cuts))
    if args.bank:
        from toetsbatterij.items import BankError, load_bank

        if not (args.test and args.skill):
            raise InputError(None, None, "--bank vraagt ook --test en --skill")
        try:
            bank = load_bank(args.bank)
        except BankError as exc:
            raise InputError(args.bank, None, f"itembank ongeldig: {exc}") from None
        if args.test not in bank.tests:
            raise InputError(args.bank, None, f"onbekend toetsmanifest {args.test!r}; "
                             f"kies uit {', '.join(sorted(bank.tests))}")
        pool = bank.pool(args.skill)
        design = bank.tests[args.test].design(args.skill, version=bank.version)
    else:
        pool = pool_from_params(read_params(args.params))
        design = simple_design(max_items=args.max_items, min_items=args.min_items, stop_se=args.stop_se,
                               cuts=cuts or None)
    rng = np.random.default_rng(args.seed)
    thetas = rng.normal(args.theta_mean, args.theta_sd, args.n)
    tuned = None
    if args.sh_target is not None:
        if not 0 < args.sh_target <= 1:
            raise InputError(None, None, "--sh-target ligt in (0, 1]")
        pool, history = tune_sympson_hetter(design, pool, args.sh_target, true_thetas=thetas, seed=args.seed)
        import dataclasses

        design = dataclasses.replace(design, exposure="sympson_hetter")
        tuned = history
        if args.sh_out:
            write_rows(args.sh_out, ["item", "sh_k"], zip(pool.ids, map(float, pool.sh_k), strict=True))
    report = simulate(design, pool, thetas, args.seed)
    write_rows(args.out, ["simulee", "true_theta", "theta", "se", "length"],
               ([k + 1, float(t), float(h), float(s), int(n)] for k, (t, h, s, n) in
                enumerate(zip(report.true_theta, report.theta_hat, report.se, report.lengths, strict=True))))
    if args.conditional:
        write_rows(args.conditional, ["lower", "upper", "n", "bias", "rmse", "length_mean"],
                   ([float(r.lower), float(r.upper), r.n, float(r.bias), float(r.rmse), float(r.length_mean)]
                    for r in report.conditional))
    if args.exposure:
        write_rows(args.exposure, ["item", "exposure", "selection_rate", "sh_k"],
                   zip(pool.ids, map(float, report.exposure), map(float, report.selection_rate),
                       map(float, pool.sh_k), strict=True))
    from .scoring_bridge import simulation_summary

    summary = simulation_summary(report)
    if tuned is not None:
        summary["sh_max_exposure_per_iteration"] = [round(float(x), 4) for x in tuned]
    if args.consistency:
        summary["classification_consistency"] = {
            k: round(v, 4) for k, v in classification_consistency(design, pool, thetas, args.seed).items()}
    print_json(summary)
    return 0


# ---------------------------------------------------------------------------- link
@command("link", "Link een nieuwe kalibratie aan de referentieschaal via gemeenschappelijke items.")
def _link_parser(p: argparse.ArgumentParser) -> None:
    from .linking import METHODS

    p.add_argument("reference", metavar="REF.csv", help="parameters op de referentieschaal")
    p.add_argument("new", metavar="NEW.csv", help="parameters van de nieuwe kalibratie")
    p.add_argument("--method", choices=METHODS, default="stocking-lord", help="linkingmethode")
    p.add_argument("--out", required=True, metavar="LINKED.csv",
                   help="alle items van NEW.csv, getransformeerd naar de referentieschaal")
    p.set_defaults(run=run_link)


def run_link(args: argparse.Namespace) -> int:
    from .linking import anchor_differences, apply_link, link

    ref = read_params(args.reference)
    new = read_params(args.new)
    try:
        result = link(ref, new, args.method)
    except InputError as exc:
        raise InputError(args.new, None, exc.message) from None
    linked = apply_link(new, result)
    write_params(args.out, linked.values(),
                 {k: {"anchor": "yes" if k in result.common else "no"} for k in linked})
    drift = anchor_differences(ref, linked, result.common)
    worst = max(drift, key=lambda t: t[1])
    print_json({"method": result.method, "A": round(result.A, 6), "B": round(result.B, 6),
                "n_common": len(result.common), "largest_anchor_shift": {"item": worst[0],
                                                                         "abs_b": round(worst[1], 4)}})
    return 0


# ---------------------------------------------------------------------------- fit
@command("fit", "Kwaliteitscontroles: klassieke statistiek, infit/outfit, S-X², Q3, betrouwbaarheid, vlaggen.")
def _fit_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("responses", metavar="RESPONSES.csv",
                   help="antwoorden: person,item,score (optioneel kolom option voor afleideranalyse)")
    p.add_argument("--params", required=True, metavar="PARAMS.csv", help="itemparameters")
    p.add_argument("--out", required=True, metavar="FIT.csv", help="per item: klassiek en fit")
    p.add_argument("--flags", metavar="FLAGS.csv", help="elk gevlagd item met de reden")
    p.add_argument("--q3", metavar="Q3.csv", help="Q3 per itempaar")
    p.add_argument("--distractors", metavar="DISTRACTORS.csv", help="afleideranalyse (vraagt kolom option)")
    p.set_defaults(run=run_fit)


def run_fit(args: argparse.Namespace) -> int:
    from .data import read_options, write_rows
    from .quality import quality_report

    params = read_params(args.params)
    data = read_responses(args.responses, known_items=params,
                          max_score={k: v.n_categories - 1 for k, v in params.items()},
                          require_variance=False)
    options = read_options(args.responses)
    rep = quality_report(data, params, options)
    fit = {r.item: r for r in rep["fit"]}
    write_rows(args.out, ["item", "n", "p_value", "item_rest", "infit", "outfit", "sx2", "sx2_df", "sx2_p"],
               ([c.item, c.n, c.p_value, c.item_rest, fit[c.item].infit, fit[c.item].outfit,
                 fit[c.item].sx2, fit[c.item].sx2_df, fit[c.item].sx2_p] for c in rep["classical"]))
    if args.flags:
        write_rows(args.flags, ["item", "check", "value", "reason"],
                   ([f.item, f.check, f.value, f.reason] for f in rep["flags"]))
    if args.q3:
        write_rows(args.q3, ["item_a", "item_b", "n", "q3", "same_testlet"],
                   ([p.item_a, p.item_b, p.n, p.q3, "yes" if p.same_testlet else "no"] for p in rep["q3"]))
    if args.distractors:
        write_rows(args.distractors, ["item", "option", "share", "mean_rest", "point_biserial", "is_key"],
                   ([d.item, d.option, d.share, d.mean_rest, d.point_biserial, "yes" if d.is_key else "no"]
                    for d in rep["distractors"]))
    print_json({"n_items": len(data.items), "n_persons": len(data.persons),
                "marginal_reliability": round(rep["marginal_reliability"], 4),
                "cronbach_alpha": None if rep["alpha"] is None else round(rep["alpha"], 4),
                "mean_q3": round(rep["q3_mean"], 4) if rep["q3"] else None,
                "flagged_items": sorted({f.item for f in rep["flags"]})})
    return 0


# ---------------------------------------------------------------------------- dif
@command("dif", "DIF-analyse: Mantel-Haenszel met ETS-klassen A/B/C en logistische regressie.")
def _dif_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("responses", metavar="RESPONSES.csv", help="antwoorden: person,item,score")
    p.add_argument("--covariates", required=True, metavar="COVARIATES.csv", help="person,<variabelen>")
    p.add_argument("--variable", required=True, help="groepsvariabele (bv. gender, age_band, l1_group, literacy_route)")
    p.add_argument("--focal", help="focale groep (standaard: de kleinste van twee)")
    p.add_argument("--reference", help="referentiegroep (standaard: de grootste van twee)")
    p.add_argument("--params", metavar="PARAMS.csv",
                   help="itemparameters; nodig bij onvolledige (adaptieve) data om op θ̂ te matchen")
    p.add_argument("--strata", type=int, default=10, help="aantal θ̂-strata bij onvolledige data")
    p.add_argument("--out", required=True, metavar="DIF.csv", help="per item: MH en logistische regressie")
    p.set_defaults(run=run_dif)


def run_dif(args: argparse.Namespace) -> int:
    from .calibration import posterior
    from .data import read_covariates, write_rows
    from .dif import groups_from_covariates, logistic_dif, mantel_haenszel, mantel_polytomous

    params = read_params(args.params) if args.params else None
    data = read_responses(args.responses, known_items=params,
                          max_score=None if params is None else {k: v.n_categories - 1 for k, v in params.items()},
                          require_variance=False)
    cov, variables = read_covariates(args.covariates)
    if args.variable not in variables:
        raise InputError(args.covariates, 1, f"kolom {args.variable!r} ontbreekt (wel: {', '.join(variables)})")
    focal, reference, fname, rname = groups_from_covariates(data, cov, args.variable, args.focal, args.reference,
                                                            args.covariates)
    complete = bool((data.scores >= 0).all())
    if complete:
        matching = data.scores.sum(axis=1).astype(float)
        theta = None
    else:
        if params is None:
            raise InputError(args.responses, None, "onvolledige (adaptieve) data: geef --params om op θ̂ te matchen")
        nodes, post, _ = posterior(data, params)
        theta = post @ nodes
        matching = theta
    mh = {r.item: r for r in mantel_haenszel(data, focal, reference, theta=theta, n_strata=args.strata)}
    poly = {r.item: r for r in mantel_polytomous(data, focal, reference, theta=theta, n_strata=args.strata)}
    lr = {r.item: r for r in logistic_dif(data, focal, reference, matching)}
    nan = float("nan")
    rows = []
    for item in data.items:
        m, q, r = mh.get(item), poly.get(item), lr.get(item)
        head = m or q
        rows.append([item,
                     head.n_reference if head else "", head.n_focal if head else "",
                     m.delta_mh if m else nan, m.se_delta if m else nan,
                     q.smd if q else nan, q.effect if q else nan,
                     head.p_value if head else nan, head.ets_class if head else "",
                     r.chi2_any if r else nan, r.p_any if r else nan,
                     r.p_uniform if r else nan, r.p_nonuniform if r else nan,
                     r.delta_r2 if r else nan, r.dif_class if r else ""])
    write_rows(args.out, ["item", "n_reference", "n_focal", "delta_mh", "se_delta", "smd", "smd_effect",
                          "mh_p", "ets_class", "lr_chi2", "lr_p", "lr_p_uniform", "lr_p_nonuniform",
                          "delta_r2", "lr_class"], rows)
    print_json({"variable": args.variable, "focal": fname, "reference": rname,
                "matching": "total score" if complete else "theta (EAP)",
                "ets_B": sorted(k for k, v in mh.items() if v.ets_class == "B"),
                "ets_C": sorted(k for k, v in mh.items() if v.ets_class == "C"),
                "ets_BB": sorted(k for k, v in poly.items() if v.ets_class == "BB"),
                "ets_CC": sorted(k for k, v in poly.items() if v.ets_class == "CC"),
                "lr_flagged": sorted(k for k, v in lr.items() if v.dif_class != "A")})
    return 0


# ---------------------------------------------------------------------------- publish
@command("publish", "Publiceer een kalibratierelease in de itembank (parameters met herkomst; pretest → operationeel).")
def _publish_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("params", metavar="PARAMS.csv", nargs="?",
                   help="uitvoer van calibrate (met kolommen n en status); niet bij --cuts")
    p.add_argument("--bank", required=True, metavar="ITEMBANK", help="de itembank (map met items/)")
    p.add_argument("--cuts", metavar="CUTS.yaml",
                   help="publiceer cesuren (uitvoer van standard-setting) met hun herkomst in het "
                        "toetsmanifest van --test, in plaats van itemparameters")
    p.add_argument("--test", metavar="MANIFEST", help="met --cuts: de toets (bv. attest-4)")
    p.add_argument("--calibration-id", help="unieke release-id, bv. cal-2026-03")
    p.add_argument("--data-from", metavar="JJJJ-MM-DD", help="begin van het dataventer")
    p.add_argument("--data-to", metavar="JJJJ-MM-DD", help="einde van het dataventer")
    p.add_argument("--responses", metavar="RESPONSES.csv", help="de gebruikte antwoorden (checksum in de release)")
    p.add_argument("--min-n", type=int, default=200, help="minimum aantal antwoorden per item (standaard 200)")
    p.add_argument("--summary", metavar="SUMMARY.json",
                   help="samenvatting van calibrate: convergentie en fit komen in de release; "
                        "een niet-geconvergeerde kalibratie wordt geweigerd")
    p.add_argument("--promote", action="store_true", help="zet gepubliceerde pretestitems op operationeel")
    p.set_defaults(run=run_publish)


def _read_extra_columns(path: str) -> tuple[dict[str, int], dict[str, str]]:
    import csv

    n, status = {}, {}
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if "n" not in (reader.fieldnames or []):
            raise InputError(path, 1, "kolom 'n' (antwoorden per item) ontbreekt; gebruik de uitvoer van calibrate")
        for row_no, row in enumerate(reader, start=2):
            try:
                n[row["item"]] = int(row["n"])
            except ValueError:
                raise InputError(path, row_no, f"n = {row['n']!r} is geen geheel getal") from None
            if row.get("status"):
                status[row["item"]] = row["status"]
    return n, status


def run_publish(args: argparse.Namespace) -> int:
    from .publish import publish

    if args.cuts:
        from .cutscores import read_cut_scores
        from .publish import publish_cut_scores

        if args.params or not args.test:
            raise InputError(None, None, "--cuts gaat met --test en zonder PARAMS.csv")
        cuts = read_cut_scores(args.cuts)
        path = publish_cut_scores(cuts, args.bank, args.test)
        print_json({"manifest": str(path), "skill": cuts.skill, "cuts": cuts.cuts, **cuts.provenance()})
        return 0
    missing = [name for name, v in (("PARAMS.csv", args.params), ("--calibration-id", args.calibration_id),
                                    ("--data-from", args.data_from), ("--data-to", args.data_to)) if not v]
    if missing:
        raise InputError(None, None, "ontbreekt: " + ", ".join(missing))
    params = read_params(args.params)
    n, status = _read_extra_columns(args.params)
    summary = None
    if args.summary:
        try:
            summary = json.loads(Path(args.summary).read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputError(args.summary, exc.lineno, f"geen geldige JSON ({exc.msg})") from None
        if not summary.get("converged", False):
            raise InputError(args.summary, None, "de kalibratie is niet geconvergeerd; niet publiceren")
    res = publish(params, n, args.bank, calibration_id=args.calibration_id, data_from=args.data_from,
                  data_to=args.data_to, params_path=args.params, responses_path=args.responses,
                  promote=args.promote, min_n=args.min_n, statuses=status, calibration_summary=summary)
    print_json({"calibration_id": res.calibration_id, "run_id": res.run_id, "record": str(res.record),
                "published": len(res.published), "promoted": res.promoted, "skipped": res.skipped})
    return 0


# ---------------------------------------------------------------------------- report
@command("report", "Maak een HTML-rapport met figuren (ICC's, informatie, Wright-kaart, fit, DIF, cesuren).")
def _report_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--params", required=True, metavar="PARAMS.csv", help="itemparameters")
    p.add_argument("--responses", metavar="RESPONSES.csv", help="antwoorden (voor fit, betrouwbaarheid, Wright-kaart)")
    p.add_argument("--dif", metavar="DIF.csv", help="uitvoer van het dif-commando")
    p.add_argument("--cuts", metavar="CUTS.yaml", help="cesuren met herkomst (voor impact)")
    p.add_argument("--summary", metavar="SUMMARY.json", help="samenvatting van calibrate")
    p.add_argument("--title", default="Kalibratierapport")
    p.add_argument("--out", required=True, metavar="MAP", help="uitvoermap (index.html en PNG-figuren)")
    p.set_defaults(run=run_report)


def run_report(args: argparse.Namespace) -> int:
    from .cutscores import read_cut_scores
    from .report import build_report

    params = read_params(args.params)
    data = None
    if args.responses:
        data = read_responses(args.responses, known_items=params,
                              max_score={k: v.n_categories - 1 for k, v in params.items()},
                              require_variance=False, min_per_person=1)
    cuts = read_cut_scores(args.cuts) if args.cuts else None
    summary = None
    if args.summary:
        try:
            summary = json.loads(Path(args.summary).read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputError(args.summary, exc.lineno, f"geen geldige JSON ({exc.msg})") from None
    if args.dif:
        import csv

        with open(args.dif, newline="", encoding="utf-8-sig") as fh:
            header = next(csv.reader(fh), [])
        if "item" not in header or "ets_class" not in header:
            raise InputError(args.dif, 1, "geen uitvoer van het dif-commando (kolommen item, ets_class)")
    target = build_report(args.out, params, data=data, dif_csv=args.dif, cuts=cuts, title=args.title,
                          calibration_summary=summary)
    print_json({"report": str(target), "figures": sorted(p.name for p in Path(args.out).glob("*.png"))})
    return 0


# ---------------------------------------------------------------------------- impact
@command("impact", "Impact van cesuren: aandeel van de referentiepopulatie per niveau.")
def _impact_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cuts", required=True, metavar="CUTS.yaml", help="cesuren met herkomst")
    p.add_argument("--params", metavar="PARAMS.csv", help="itemparameters (met --responses)")
    p.add_argument("--responses", metavar="RESPONSES.csv", help="antwoorden van de referentiepopulatie")
    p.add_argument("--mean", type=float, default=0.0, help="zonder antwoorden: gemiddelde van θ")
    p.add_argument("--sd", type=float, default=1.0, help="zonder antwoorden: SD van θ")
    p.set_defaults(run=run_impact)


def run_impact(args: argparse.Namespace) -> int:
    from .calibration import posterior
    from .cutscores import impact_from_normal, impact_from_posterior, read_cut_scores

    cuts = read_cut_scores(args.cuts)
    if args.responses:
        if not args.params:
            raise InputError(None, None, "--responses vraagt ook --params")
        params = read_params(args.params)
        data = read_responses(args.responses, known_items=params,
                              max_score={k: v.n_categories - 1 for k, v in params.items()},
                              require_variance=False, min_per_person=1)
        nodes, post, _ = posterior(data, params)
        shares = impact_from_posterior(cuts, nodes, post)
        source = "posterior"
    else:
        shares = impact_from_normal(cuts, args.mean, args.sd)
        source = f"N({args.mean}, {args.sd}²)"
    print_json({"skill": cuts.skill, "version": cuts.version, "method": cuts.method, "date": cuts.date,
                "panel": cuts.panel, "source": source, "impact": {k: round(v, 4) for k, v in shares.items()}})
    return 0


# ---------------------------------------------------------------------------- export
@command("export", "Pseudonimiseer een platformdump (JSON Lines) tot lange antwoorden en covariaten.")
def _export_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("records", metavar="RECORDS.jsonl",
                   help="een record per regel: person_id, item, score, administered_at, organisation, "
                        "bank_version, position, pretest (andere velden worden genegeerd)")
    p.add_argument("--key-file", required=True, metavar="SLEUTEL",
                   help="bestand met de geheime exportsleutel (minstens 16 bytes); zelfde sleutel = zelfde pseudoniemen")
    p.add_argument("--out", required=True, metavar="RESPONSES.csv", help="lange antwoorden")
    p.add_argument("--persons", metavar="PERSONS.jsonl",
                   help="personen: person_id, gender, birth_date, reference_date, l1_group, literacy_route")
    p.add_argument("--covariates-out", metavar="COVARIATES.csv", help="covariaten voor DIF (vraagt --persons)")
    p.set_defaults(run=run_export)


def _read_jsonl(path: str) -> list[dict]:
    out = []
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError:
        raise InputError(path, None, "bestand bestaat niet of is onleesbaar") from None
    with handle:
        try:
            for row_no, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(path, row_no, f"geen geldige JSON ({exc.msg})") from None
                if not isinstance(rec, dict):
                    raise InputError(path, row_no, "verwacht een JSON-object per regel")
                out.append(rec)
        except UnicodeDecodeError:
            raise InputError(path, None, "geen UTF-8-tekst") from None
    return out


def run_export(args: argparse.Namespace) -> int:
    from .export import ExportError, write_covariates, write_responses

    key_path = Path(args.key_file)
    if not key_path.exists():
        raise InputError(key_path, None, "sleutelbestand bestaat niet")
    key = key_path.read_bytes().strip()
    if args.covariates_out and not args.persons:
        raise InputError(None, None, "--covariates-out vraagt --persons")
    records = _read_jsonl(args.records)
    try:
        n = write_responses(args.out, records, key)
    except ExportError as exc:
        raise InputError(args.records, None, str(exc)) from None
    n_cov = 0
    if args.covariates_out:
        try:
            n_cov = write_covariates(args.covariates_out, _read_jsonl(args.persons), key)
        except ExportError as exc:
            raise InputError(args.persons, None, str(exc)) from None
    print_json({"responses": n, "covariates": n_cov})
    return 0


# ---------------------------------------------------------------------------- raters
def _console():
    from rich.console import Console

    console = Console()
    if not console.is_terminal:  # a pipe or a captured stream: wide enough for the tables
        console = Console(width=160)
    return console


@command("raters", "Beoordelaarskwaliteit: overeenstemming, gewogen kappa, Rasch-strengheid en fit, drift.")
def _raters_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ratings", required=True, metavar="RATINGS.csv",
                   help="beoordelingen: person,task,criterion,rater,score (optioneel rubric, max_score, "
                        "window, reference)")
    p.add_argument("--json", metavar="RATERS.json", help="schrijf alle cijfers ook als JSON weg")
    p.set_defaults(run=run_raters)


def run_raters(args: argparse.Namespace) -> int:
    from .raters import analyse_file, render

    analysis = analyse_file(args.ratings)
    _write_json(args.json, analysis)
    render(analysis, _console())
    return 0


@command("simulate-raters", "Simulatie met bekende beoordelaarsstrengheden: RMSE, fit van een willekeurige "
                            "beoordelaar, drift.")
def _simulate_raters_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=20260101, help="toevalszaad")
    p.add_argument("--persons", type=int, default=400, help="aantal personen (standaard 400)")
    p.add_argument("--raters", type=int, default=12, help="aantal beoordelaars, de laatste scoort willekeurig")
    p.add_argument("--severity-sd", type=float, default=0.5, help="SD van de ware strengheden (logit)")
    p.add_argument("--drift", type=float, default=1.0, help="verschuiving van de driftende beoordelaar (logit)")
    p.add_argument("--json", metavar="STUDY.json", help="schrijf alle cijfers ook als JSON weg")
    p.set_defaults(run=run_simulate_raters)


def run_simulate_raters(args: argparse.Namespace) -> int:
    from .raters import render_simulation, simulation_study

    if args.persons < 20:
        raise InputError(None, None, "--persons moet minstens 20 zijn")
    if args.raters < 3:
        raise InputError(None, None, "--raters moet minstens 3 zijn")
    if not args.severity_sd >= 0:
        raise InputError(None, None, "--severity-sd mag niet negatief zijn")
    study = simulation_study(args.seed, n_persons=args.persons, n_raters=args.raters,
                             severity_sd=args.severity_sd, drift=args.drift)
    _write_json(args.json, study)
    render_simulation(study, _console())
    return 0


# ---------------------------------------------------------------------------- standard setting
def _bank_or_params(args, *, with_levels: bool = True):
    """(params, levels) of --params or of the operational items of --skill in --bank."""
    import re

    if bool(args.params) == bool(args.bank):
        raise InputError(None, None, "geef precies een van --params of --bank")
    if args.params:
        params = read_params(args.params)
        levels = {}
        for item in params:
            m = re.match(r"^[A-Z]{1,2}-([ABC][12])-", item)
            if m:
                levels[item] = m.group(1)
        return params, levels
    from toetsbatterij.items import BankError, load_bank

    if not args.skill:
        raise InputError(None, None, "--bank vraagt ook --skill")
    try:
        bank = load_bank(args.bank)
    except BankError as exc:
        raise InputError(args.bank, None, f"itembank ongeldig: {exc}") from None
    statuses = ("operational", "pretest") if getattr(args, "include_pretest", False) else ("operational",)
    items = [i for i in bank.items.values() if i.skill == args.skill and i.status in statuses
             and i.parameters is not None and not i.rated]
    if not items:
        raise InputError(args.bank, None, f"geen machinaal gescoorde items voor {args.skill!r}")
    import dataclasses

    params = {i.id: dataclasses.replace(i.parameters, item=i.id) for i in items}
    return params, {i.id: i.level for i in items}


@command("booklet", "Geordend itemboekje voor de Bookmark-methode (locatie van elk scorepunt bij RP).")
def _booklet_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--params", metavar="PARAMS.csv", help="itemparameters (of gebruik --bank)")
    p.add_argument("--bank", metavar="ITEMBANK", help="de itembank: gekalibreerde of voorlopige parameters")
    p.add_argument("--skill", help="met --bank: vaardigheid (reading, listening)")
    p.add_argument("--include-pretest", action="store_true", help="met --bank: ook pretestitems")
    p.add_argument("--rp", type=float, default=0.67, help="responskans (standaard 0.67, RP67)")
    p.add_argument("--out", required=True, metavar="BOOKLET.csv", help="pagina,item,scorepunt,locatie,niveau,bron")
    p.set_defaults(run=run_booklet)


def run_booklet(args: argparse.Namespace) -> int:
    from .data import write_rows
    from .standard_setting import build_booklet

    params, levels = _bank_or_params(args)
    booklet = build_booklet(params, rp=args.rp, levels=levels)
    write_rows(args.out, ["page", "item", "category", "location", "level", "source"],
               ([pg.page, pg.item, pg.category, round(pg.location, 6), pg.level, pg.source]
                for pg in booklet.pages))
    print_json({"pages": len(booklet.pages), "rp": args.rp,
                "provisional_share": round(booklet.provisional_share, 4)})
    return 0


@command("standard-setting", "Standaardbepaling: Bookmark of gemodificeerde Angoff, met rapport en cesuurbestand.")
def _standard_setting_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--method", choices=("bookmark", "angoff"), required=True)
    p.add_argument("--skill", required=True, help="vaardigheid van de cesuren")
    p.add_argument("--bookmarks", metavar="BOOKMARKS.csv", help="bookmark: panellist,round,level,page")
    p.add_argument("--judgements", metavar="ANGOFF.csv",
                   help="angoff: panellist,round,level,task,criterion,score (verwachte score van de "
                        "net-voldoende kandidaat)")
    p.add_argument("--params", metavar="PARAMS.csv",
                   help="itemparameters (angoff: items als <taak>/<criterium>)")
    p.add_argument("--bank", metavar="ITEMBANK", help="de itembank in plaats van --params")
    p.add_argument("--test", metavar="MANIFEST", help="angoff met --bank: de toets waarvan de criteria komen")
    p.add_argument("--include-pretest", action="store_true", help="bookmark met --bank: ook pretestitems")
    p.add_argument("--rp", type=float, default=0.67, help="bookmark: responskans (standaard 0.67)")
    p.add_argument("--reference", metavar="THETAS.csv", help="referentiepopulatie voor impact (kolom theta)")
    p.add_argument("--mean", type=float, default=0.0, help="zonder --reference: gemiddelde van θ")
    p.add_argument("--sd", type=float, default=1.0, help="zonder --reference: SD van θ")
    p.add_argument("--out", required=True, metavar="MAP", help="rapport: index.html en PNG-figuren")
    p.add_argument("--cuts-out", metavar="CUTS.yaml", help="cesuurbestand met herkomst (voor publish --cuts)")
    p.add_argument("--version", default="1", help="versie van de cesuren in het cesuurbestand")
    p.add_argument("--panel", default="", help="naam van het panel")
    p.add_argument("--date", help="datum van de laatste ronde (JJJJ-MM-DD; standaard vandaag)")
    p.set_defaults(run=run_standard_setting)


def _criterion_params(args) -> dict:
    if args.params:
        return read_params(args.params)
    if not (args.bank and args.test):
        raise InputError(None, None, "angoff vraagt --params of --bank met --test")
    from toetsbatterij.items import BankError, load_bank
    from toetsbatterij.items.form import build_form

    try:
        form = build_form(load_bank(args.bank), args.test)
    except BankError as exc:
        raise InputError(args.bank, None, f"itembank ongeldig: {exc}") from None
    except KeyError:
        raise InputError(args.bank, None, f"onbekend toetsmanifest {args.test!r}") from None
    out = {}
    for item_id, item in form.items.items():
        if item.rated and item.skill == args.skill:
            for crit, p in form.criterion_parameters(item_id).items():
                out[f"{item_id}/{crit}"] = p
    return out


def run_standard_setting(args: argparse.Namespace) -> int:
    import datetime as dt

    from .standard_setting import (
        angoff_study,
        bookmark_study,
        build_booklet,
        read_angoff,
        read_bookmarks,
        read_thetas,
        write_cut_file,
        write_report,
    )

    if args.date:
        try:
            dt.date.fromisoformat(args.date)
        except ValueError:
            raise InputError(None, None, f"--date {args.date!r} is geen datum (JJJJ-MM-DD)") from None
    if not args.sd > 0:
        raise InputError(None, None, "--sd moet positief zijn")
    reference = read_thetas(args.reference) if args.reference else (args.mean, args.sd)
    if args.method == "bookmark":
        if not args.bookmarks:
            raise InputError(None, None, "bookmark vraagt --bookmarks")
        params, levels = _bank_or_params(args)
        booklet = build_booklet(params, rp=args.rp, levels=levels)
        study = bookmark_study(booklet, read_bookmarks(args.bookmarks, len(booklet.pages)), args.skill, reference)
    else:
        if not args.judgements:
            raise InputError(None, None, "angoff vraagt --judgements")
        study = angoff_study(read_angoff(args.judgements), _criterion_params(args), args.skill, reference)
    report = write_report(study, args.out)
    if args.cuts_out:
        write_cut_file(study, args.cuts_out, version=args.version, panel=args.panel or "onbekend panel",
                       date=args.date)
    print_json({"report": str(report), "method": study.method, "skill": study.skill,
                "panel_size": study.panel_size,
                "rounds": [{"round": r.round, "cuts": {c.level: {"theta": round(c.cut, 4),
                                                                  "se": round(c.se, 4) if c.se == c.se else None}
                                                        for c in r.cuts},
                            "impact": {k: round(v, 4) for k, v in r.impact.items()}} for r in study.rounds]})
    return 0


# ---------------------------------------------------------------------------- classification
def _load_form(bank_path: str, test: str):
    from toetsbatterij.items import BankError, load_bank
    from toetsbatterij.items.form import build_form

    try:
        bank = load_bank(bank_path)
    except BankError as exc:
        raise InputError(bank_path, None, f"itembank ongeldig: {exc}") from None
    if test not in bank.tests:
        raise InputError(bank_path, None, f"onbekend toetsmanifest {test!r}; kies uit {', '.join(sorted(bank.tests))}")
    return bank, build_form(bank, test)


@command("classification", "Classificatienauwkeurigheid en -consistentie van een formulier per cesuur "
                           "(Rudner en simulatie), met het formulierrapport.")
def _classification_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bank", required=True, metavar="ITEMBANK", help="de itembank")
    p.add_argument("--test", required=True, metavar="MANIFEST", help="het toetsmanifest (bv. attest-4)")
    p.add_argument("--skill", action="append", help="alleen deze vaardigheid (herhaalbaar)")
    p.add_argument("--n", type=int, default=2000, help="gesimuleerde kandidaten per adaptieve sectie (0: geen)")
    p.add_argument("--seed", type=int, default=1, help="toevalszaad")
    p.add_argument("--out", metavar="MAP", help="schrijf het formulierrapport (index.html met figuren)")
    p.add_argument("--json", metavar="CLASSIFICATION.json", help="alle cijfers ook als JSON")
    p.set_defaults(run=run_classification)


def run_classification(args: argparse.Namespace) -> int:
    from .classification import section_study, write_form_report

    if args.n < 0:
        raise InputError(None, None, "--n mag niet negatief zijn")
    _, form = _load_form(args.bank, args.test)
    wanted = set(args.skill or [s.skill for s in form.sections])
    unknown = wanted - {s.skill for s in form.sections}
    if unknown:
        raise InputError(None, None, f"de toets heeft geen sectie {', '.join(sorted(unknown))}")
    studies = []
    with progress_bar("Classificatie", len(wanted)) as advance:
        for section in form.sections:
            if section.skill in wanted:
                study = section_study(form, section.index, n=args.n, seed=args.seed)
                if study is not None:
                    studies.append(study)
                advance()
    report = write_form_report(form, studies, args.out) if args.out else None
    summary = {"test": form.id, "form_version": form.version, "report": str(report) if report else None,
               "skills": {s.skill: {"n": s.n, "length_mean": s.length_mean,
                                    "decisive": s.figures["decisive"],
                                    "wrong_at_decisive": s.figures["wrong_at_decisive"],
                                    "level_accuracy": s.figures["level_accuracy"],
                                    "cuts": s.rows} for s in studies}}
    _write_json(args.json, summary)
    console = _console()
    from rich.table import Table

    for s in studies:
        table = Table(title=f"{form.id} {s.skill}" + (f" ({s.n} gesimuleerde kandidaten)" if s.n else ""))
        cols = ["niveau", "cesuur", "Rudner nauwk.", "Rudner cons."]
        if s.n:
            cols += ["Rudner (schattingen)", "simulatie nauwk.", "simulatie cons."]
        for c in cols:
            table.add_column(c, justify="right")
        for r in s.rows:
            vals = [r["level"], f"{r['cut']:g}", f"{r['rudner_accuracy']:.3f}", f"{r['rudner_consistency']:.3f}"]
            if s.n:
                vals += [f"{r['estimates_accuracy']:.3f}", f"{r['simulated_accuracy']:.3f}",
                         f"{r['simulated_consistency']:.3f}"]
            table.add_row(*vals)
        console.print(table)
    print_json({k: v for k, v in summary.items() if k != "skills"} | {
        "wrong_at_decisive": {s.skill: s.figures["wrong_at_decisive"] for s in studies}})
    return 0


# ---------------------------------------------------------------------------- pilot plan
@command("pilot-plan", "Pilotkalibratieplan: wanneer heeft elk pretestitem genoeg antwoorden voor de "
                       "kalibratie met vaste parameters?")
def _pilot_plan_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bank", required=True, metavar="ITEMBANK", help="de itembank")
    p.add_argument("--test", required=True, metavar="MANIFEST", help="het toetsmanifest met de pretestposities")
    p.add_argument("--agencies", metavar="AGENCIES.csv", help="agency,candidates_per_month")
    p.add_argument("--candidates-per-month", type=float,
                   help="in plaats van --agencies: verwachte kandidaten per maand in totaal")
    p.add_argument("--target", type=int, default=500, help="gewenst aantal antwoorden per item (standaard 500)")
    p.add_argument("--counts", metavar="COUNTS.csv",
                   help="antwoorden tot nu toe: item,n (bv. PARAMS.csv van calibrate) of RESPONSES.csv")
    p.add_argument("--skill", action="append", help="alleen deze vaardigheid (herhaalbaar)")
    p.add_argument("--n-sim", type=int, default=400, help="gesimuleerde kandidaten voor het bereik van de posities")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True, metavar="PLAN.csv", help="het plan per item")
    p.set_defaults(run=run_pilot_plan)


def run_pilot_plan(args: argparse.Namespace) -> int:
    from .data import write_rows
    from .pilot import pilot_plan, read_agencies, read_counts

    if bool(args.agencies) == (args.candidates_per_month is not None):
        raise InputError(None, None, "geef precies een van --agencies of --candidates-per-month")
    if args.n_sim < 10:
        raise InputError(None, None, "--n-sim moet minstens 10 zijn")
    agencies = read_agencies(args.agencies) if args.agencies else {"totaal": args.candidates_per_month}
    total = float(sum(agencies.values()))
    _, form = _load_form(args.bank, args.test)
    counts = read_counts(args.counts) if args.counts else {}
    rows, reach = pilot_plan(form, total, args.target, counts=counts, n_sim=args.n_sim, seed=args.seed,
                             skills=set(args.skill) if args.skill else None)
    write_rows(args.out, ["item", "unit", "skill", "level", "status", "parameters", "n_now", "per_month",
                          "months_to_target", "ready"],
               ([r.item, r.unit, r.skill, r.level, r.status, r.parameters, r.n_now, round(r.per_month, 3),
                 "" if r.months_to_target is None else round(r.months_to_target, 2),
                 "yes" if r.ready else "no"] for r in rows))
    pretest = [r for r in rows if r.status == "pretest"]
    months = [r.months_to_target for r in pretest if r.months_to_target is not None]
    print_json({"candidates_per_month": total, "agencies": len(agencies), "target": args.target,
                "reach": {k: {str(p): round(v, 3) for p, v in v_.items()} for k, v_ in reach.items()},
                "pretest_items": len(pretest), "ready": sorted(r.item for r in pretest if r.ready),
                "months_until_all_pretest_ready": round(max(months), 2) if months else None,
                "provisional_operational_items": sum(1 for r in rows if r.status == "operational"),
                "never": sorted(r.item for r in rows if r.months_to_target is None)})
    return 0

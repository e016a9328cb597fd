"""The subcommands of ``python -m psychometrics``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .cli import command, print_json, progress_bar
from .data import InputError, read_item_models, read_params, read_responses, write_params
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
                          require_variance=True)
    free_items = [i for i in data.items if i not in fixed]
    if not free_items:
        raise InputError(args.responses, None, "alle items staan vast; er valt niets te kalibreren")
    with progress_bar("Kalibratie (EM)", args.max_iter, enabled=not args.quiet) as advance:
        cal = MMLCalibrator(args.model, item_models=item_models, n_quad=args.quad, max_iter=args.max_iter,
                            tol=args.tol, progress=lambda it, mx, ll, ch: advance(completed=it)).fit(data, fixed)
    extra = {item: {"n": int(n), "status": "fixed" if item in fixed else "estimated"}
             for item, n in zip(data.items, cal.n_obs_per_item_, strict=True)}
    write_params(args.out, cal.items_.values(), extra)
    summary = calibration_summary(cal)
    _write_json(args.summary, summary)
    print_json(summary)
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

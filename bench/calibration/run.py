"""2PL calibration benchmark: psychometrics vs girth 0.8 vs mirt 1.2 (PyPI), side by side.

Run on a quiet machine::

    python bench/calibration/run.py                      # the issue's table (takes a few minutes)
    python bench/calibration/run.py --sizes 1000x20 --missing 0   # quick look

For every size and missing share one data set is drawn with known truth
(a ~ logN(0, 0.25), b ~ N(0, 1), θ ~ N(0, 1), seeded); each package calibrates the same
matrix, and we report wall time and RMSE of a and b against the truth. All three use
61 quadrature points on [−6, 6] (mirt's default of 21 points biases a on long tests).
Our time includes standard errors; girth and mirt are timed without.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from pathlib import Path


def _blas_threads_from_argv() -> str | None:
    # BLAS reads its thread count when numpy is first imported, so this runs before that import
    for k, arg in enumerate(sys.argv):
        if arg == "--blas-threads" and k + 1 < len(sys.argv):
            return sys.argv[k + 1]
        if arg.startswith("--blas-threads="):
            return arg.split("=", 1)[1]
    return None


if (_threads := _blas_threads_from_argv()) is not None:
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = _threads

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from psychometrics.calibration import MMLCalibrator  # noqa: E402
from psychometrics.synthetic import random_items, simulate_responses  # noqa: E402

N_QUAD = 61


def rmse(est, true):
    return float(np.sqrt(np.mean((np.asarray(est) - np.asarray(true)) ** 2)))


def run_ours(scores, items):
    from psychometrics.data import from_matrix

    data = from_matrix(scores, items=[it.item for it in items])
    t = time.perf_counter()
    cal = MMLCalibrator("2pl", n_quad=N_QUAD).fit(data)
    dt = time.perf_counter() - t
    a = [cal.items_[it.item].values["a"] for it in items]
    b = [cal.items_[it.item].values["b"] for it in items]
    return dt, np.array(a), np.array(b)


def run_girth(scores, items):
    import girth

    x = np.where(scores < 0, girth.INVALID_RESPONSE, scores.astype(np.int64)).T
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = girth.twopl_mml(x, {"quadrature_n": N_QUAD, "quadrature_bounds": (-6.0, 6.0)})
    dt = time.perf_counter() - t
    return dt, np.asarray(res["Discrimination"]), np.asarray(res["Difficulty"])


def run_mirt(scores, items, n_quad=N_QUAD):
    import mirt

    x = np.where(scores < 0, np.nan, scores).astype(float)
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = mirt.fit_mirt(x, model="2PL", n_quadpts=n_quad, compute_standard_errors=False)
    dt = time.perf_counter() - t
    return dt, np.asarray(res.model.discrimination).ravel(), np.asarray(res.model.difficulty).ravel()


def run_mirt_21(scores, items):
    return run_mirt(scores, items, n_quad=21)


RUNNERS = {"psychometrics": run_ours, "girth": run_girth, "mirt": run_mirt}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000x20,5000x50,20000x100", help="comma-separated PERSONSxITEMS")
    ap.add_argument("--missing", default="0,0.7", help="comma-separated shares of empty cells")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--skip", default="", help="comma-separated packages to skip (girth, mirt)")
    ap.add_argument("--out", help="also write the markdown table to this file")
    ap.add_argument("--blas-threads", help="BLAS/OpenMP threads for all three packages (default: library default); "
                    "1 avoids oversubscription on a loaded machine")
    ap.add_argument("--mirt-default-quadrature", action="store_true",
                    help="also run mirt with its default 21 quadrature points (shows its slope bias on long tests)")
    args = ap.parse_args(argv)
    skip = {s for s in args.skip.split(",") if s}
    runners = {k: v for k, v in RUNNERS.items() if k not in skip}
    if args.mirt_default_quadrature:
        runners["mirt (21 points)"] = run_mirt_21
    sizes = [tuple(int(v) for v in s.lower().split("x")) for s in args.sizes.split(",")]
    missings = [float(m) for m in args.missing.split(",")]

    # warm-up: first calls pay for lazy imports and JIT/initialisation in every package
    rng = np.random.default_rng(0)
    warm = random_items(rng, 5, "2pl")
    warm_data = simulate_responses(warm, rng.normal(0, 1, 300), rng)
    for fn in runners.values():
        fn(warm_data.scores, warm)

    lines = [
        "| persons × items | missing | package | time (s) | RMSE a | RMSE b | mean bias a | time ratio vs psychometrics |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    bars = []
    for n, j in sizes:
        for miss in missings:
            rng = np.random.default_rng([args.seed, n, j, int(miss * 100)])
            items = random_items(rng, j, "2pl")
            data = simulate_responses(items, rng.normal(0, 1, n), rng, missing=miss)
            a_true = np.array([it.values["a"] for it in items])
            b_true = np.array([it.values["b"] for it in items])
            results = {}
            for name, fn in runners.items():
                dt, a, b = fn(data.scores, items)
                results[name] = (dt, rmse(a, a_true), rmse(b, b_true), float(np.mean(np.asarray(a) - a_true)))
                print(f"  {n}x{j} missing={miss:.0%} {name}: {dt:.2f} s", file=sys.stderr, flush=True)
            ours = results["psychometrics"][0]
            for name, (dt, ra, rb, ba) in results.items():
                ratio = "1.0×" if name == "psychometrics" else (
                    f"{dt / ours:.1f}× slower" if dt >= ours else f"{ours / dt:.1f}× faster")
                lines.append(f"| {n:,} × {j} | {miss:.0%} | {name} | {dt:.2f} | {ra:.4f} | {rb:.4f} | {ba:+.4f} "
                             f"| {ratio} |")
            if (n, j) == (20000, 100) and "girth" in results:
                dt, ra, rb, _ = results["psychometrics"]
                gdt, gra, grb, _ = results["girth"]
                ok = gdt / dt >= 10 and ra <= gra * 1.05 and rb <= grb * 1.05
                bars.append(f"- bar vs girth at 20,000×100, missing {miss:.0%}: {gdt / dt:.1f}× faster "
                            f"(need ≥ 10×), RMSE a {ra:.4f} vs {gra:.4f}·1.05, RMSE b {rb:.4f} vs {grb:.4f}·1.05 "
                            f"→ {'MET' if ok else 'NOT MET'}")
            if (n, j) == (20000, 100) and "mirt" in results:
                dt, ra, rb, _ = results["psychometrics"]
                mdt, mra, mrb, _ = results["mirt"]
                ok = mdt > dt and ra <= mra * 1.05 and rb <= mrb * 1.05
                bars.append(f"- bar vs mirt (61 points) at 20,000×100, missing {miss:.0%}: {mdt / dt:.1f}× faster, "
                            f"RMSE a {ra:.4f} vs {mra:.4f}, RMSE b {rb:.4f} vs {mrb:.4f} → {'MET' if ok else 'NOT MET'}")
    header = (f"2PL calibration, {N_QUAD} quadrature points, seed {args.seed}; "
              f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
              f"numpy {np.__version__}, BLAS threads {args.blas_threads or 'default'}, "
              f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")
    text = "\n".join([header, "", *lines, "", *bars]) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

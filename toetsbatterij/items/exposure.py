"""Sympson-Hetter exposure parameters of the item bank: the tuned K values and their tuning.

Where the K values live: ``<bank>/exposure/<test-id>.yaml`` (see itembank/FORMAT.md, "Exposure
parameters"). They are item-bank content, not database rows: they are reviewed like code by
whoever publishes a bank, and they are part of a test form's version
(:class:`toetsbatterij.items.form.TestForm`), so a changed K file makes a new form version and
an attempt pinned to a form keeps the K values it was delivered with. The manifest itself is not
touched: its ``exposure`` block keeps ``{method, r_max}``; the file must be tuned for that same
``r_max``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

__all__ = [
    "EXPOSURE_DIR", "POOL_STATUSES", "ExposureFileError", "TuningResult", "check_against_manifests",
    "k_array", "k_values_path", "load_k_values", "tune_test", "write_k_values",
]

EXPOSURE_DIR = "exposure"
POOL_STATUSES = ("operational", "pretest")


class ExposureFileError(ValueError):
    """A K-value file that does not fit its manifest (unknown test, skill or r_max)."""


def k_values_path(bank_root: Path, test_id: str) -> Path:
    return Path(bank_root) / EXPOSURE_DIR / f"{test_id}.yaml"


def load_k_values(bank_root: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """Every K file of a bank: ``{test id: {skill: {"r_max": float, "k": {item id: K}}}}``.

    Items missing from ``k`` have K = 1.
    """
    out: dict[str, dict[str, dict[str, Any]]] = {}
    folder = Path(bank_root) / EXPOSURE_DIR
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        test_id = str(data.get("test", ""))
        if test_id != path.stem:
            raise ExposureFileError(f"{path.name}: 'test' must be {path.stem!r}")
        sections: dict[str, dict[str, Any]] = {}
        for skill, block in (data.get("sections") or {}).items():
            k = {str(i): float(v) for i, v in (block.get("k") or {}).items()}
            bad = [i for i, v in k.items() if not (0.0 < v <= 1.0) or math.isnan(v)]
            if bad:
                raise ExposureFileError(f"{path.name}: {skill}: K outside (0, 1] for {bad[:3]}")
            sections[str(skill)] = {"r_max": float(block["r_max"]), "k": k}
        out[test_id] = sections
    return out


def check_against_manifests(k_values: Mapping[str, Mapping[str, Mapping[str, Any]]],
                            manifests: Mapping[str, Mapping[str, Any]]) -> None:
    """Refuse K values that were tuned for another test, skill or ceiling than the manifest
    now asks for: delivering them would promise an exposure rate nobody simulated."""
    for test_id, sections in k_values.items():
        manifest = manifests.get(test_id)
        if manifest is None:
            raise ExposureFileError(f"exposure/{test_id}.yaml: no test manifest {test_id!r}")
        designs = {s["skill"]: (s.get("design") or {}) for s in manifest["sections"]}
        for skill, block in sections.items():
            exposure = designs.get(skill, {}).get("exposure")
            if not isinstance(exposure, Mapping) or exposure.get("method") != "sympson_hetter":
                raise ExposureFileError(
                    f"exposure/{test_id}.yaml: section {skill!r} does not use sympson_hetter")
            r_max = exposure.get("r_max")
            if r_max is None or not math.isclose(float(r_max), block["r_max"]):
                raise ExposureFileError(
                    f"exposure/{test_id}.yaml: {skill} tuned for r_max {block['r_max']}, the "
                    f"manifest asks {r_max}; run tune-exposure again")


def k_array(pool: Any, k: Mapping[str, float]) -> np.ndarray:
    """The pool-ordered K vector, shape (n,), 1 for items without a tuned value."""
    out = np.ones(pool.n)
    for item_id, value in k.items():
        i = pool.index.get(item_id)
        if i is not None:
            out[i] = value
    return out


# -- tuning --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TuningResult:
    skill: str
    r_max: float
    n_items: int
    k: dict[str, float]          # only the items with K < 1
    history: list[float]         # maximum exposure rate per simulation round
    final_exposure_max: float    # of a fresh simulation with the tuned K


def tune_test(bank: Any, manifest: Mapping[str, Any], *, r_max: float | None = None,
              n_simulees: int = 1000, iterations: int = 10, seed: int = 0) -> list[TuningResult]:
    """Tune the K values of every Sympson-Hetter section of ``manifest`` by simulation
    (``toetsbatterij.scoring.tune_sympson_hetter``) on the pool the delivery uses.

    ``r_max``: must equal the manifest's ``r_max`` when both are given (the delivery refuses K
    values tuned for another ceiling); defaults to it.
    """
    from toetsbatterij.scoring import simulate, tune_sympson_hetter

    from .designs import design_from_config

    results = []
    for section in manifest["sections"]:
        exposure = (section.get("design") or {}).get("exposure")
        if not isinstance(exposure, Mapping) or exposure.get("method") != "sympson_hetter":
            continue
        wanted = exposure.get("r_max")
        if r_max is not None and wanted is not None and not math.isclose(r_max, float(wanted)):
            raise ExposureFileError(
                f"{manifest['id']}: {section['skill']} asks r_max {wanted}, not {r_max}")
        target = float(r_max if r_max is not None else wanted if wanted is not None else 0.25)
        cuts = (manifest.get("cut_scores") or {}).get(section["skill"])
        design = design_from_config({**section, "target_level": manifest.get("target_level")},
                                    cuts, name=f"{manifest['id']}/{section['skill']}")
        pool = bank.pool(section["skill"], statuses=POOL_STATUSES)
        tuned, history = tune_sympson_hetter(design, pool, target, n_simulees=n_simulees,
                                             iterations=iterations, seed=seed)
        check = simulate(design, tuned, np.random.default_rng(seed + 1).standard_normal(
            n_simulees), seed + 2)
        k = {str(pool.ids[i]): round(float(tuned.sh_k[i]), 4)
             for i in range(pool.n) if tuned.sh_k[i] < 1.0}
        results.append(TuningResult(section["skill"], target, pool.n, k, list(history),
                                    float(check.exposure_max)))
    return results


def write_k_values(bank_root: Path, test_id: str, results: list[TuningResult], *,
                   n_simulees: int, iterations: int, seed: int, bank_version: str) -> Path:
    path = k_values_path(bank_root, test_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "test": test_id,
        "tuned_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "tuned_on_bank": bank_version,
        "method": {"n_simulees": n_simulees, "iterations": iterations, "seed": seed},
        "sections": {r.skill: {"r_max": r.r_max, "items_in_pool": r.n_items,
                               "max_exposure_per_round": [round(h, 4) for h in r.history],
                               "max_exposure_check": round(r.final_exposure_max, 4),
                               "k": dict(sorted(r.k.items()))}
                     for r in results},
    }
    header = ("# Sympson-Hetter K values, written by `python -m toetsbatterij.cli tune-exposure`.\n"
              "# Items not listed have K = 1. See itembank/FORMAT.md, \"Exposure parameters\".\n")
    path.write_text(header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    return path

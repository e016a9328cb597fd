"""Timings of the item code on a bank: ``python -m toetsbatterij.items bench itembank``.

Prints the median of ``repeat`` runs for each step (wall clock, one process). The machine is
shared, so numbers are noisy; re-run on a quiet machine for figures to quote.
"""

from __future__ import annotations

import io
import statistics
import time
from collections.abc import Callable
from pathlib import Path


def _median(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(path: str | Path, repeat: int = 5) -> list[tuple[str, float, str]]:
    from .api import score, view_model
    from .bank import load_bank, load_bank_cached
    from .check import check_bank
    from .qti import export_package, import_package

    bank = load_bank(path, strict=False)
    auto = [i for i in bank.items.values() if not i.rated]
    keys = [(i, i.itype.full_credit_responses(i.definition)[0]) for i in auto]
    load_bank_cached(path, strict=False)
    buf = io.BytesIO()
    export_package(bank, buf)
    package = buf.getvalue()
    rows = [
        ("load_bank", _median(lambda: load_bank(path, strict=False), repeat), f"{len(bank.items)} items"),
        ("load_bank_cached (hit)", _median(lambda: load_bank_cached(path, strict=False), repeat), "directory walk"),
        ("check_bank", _median(lambda: check_bank(path), repeat), "load + assets + keys + blueprints"),
        ("view_model x all items", _median(lambda: [view_model(i, seed=1) for i in bank.items.values()], repeat), ""),
        ("score x all keys", _median(lambda: [score(i, r) for i, r in keys], repeat), f"{len(keys)} responses"),
        ("pool(reading)+pool(listening)", _median(lambda: (bank.pool("reading"), bank.pool("listening")), repeat), ""),
        ("QTI export", _median(lambda: export_package(bank, io.BytesIO()), max(1, repeat // 2)), f"{len(package) / 1e6:.1f} MB zip"),
        ("QTI import", _median(lambda: import_package(package), max(1, repeat // 2)), ""),
    ]
    return rows


def main(path: str, repeat: int = 5) -> None:
    print(f"{'step':<32}{'median s':>10}  note")
    for name, seconds, note in run(path, repeat):
        print(f"{name:<32}{seconds:>10.4f}  {note}")

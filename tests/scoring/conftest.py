"""Shared pool factories for the scoring tests (seeded)."""

from __future__ import annotations

import numpy as np
import pytest

from toetsbatterij.scoring import ItemPool

TOPICS = ("municipality", "school", "health", "work", "housing", "transport", "shopping", "leisure")
TASK_TYPES = ("notice", "letter", "email", "message", "form")


def make_2pl_pool(n: int, seed: int = 0, **extra) -> ItemPool:
    rng = np.random.default_rng(seed)
    records = [
        {
            "id": f"R-X-{i:05d}",
            "model": "2pl",
            "a": float(rng.lognormal(0.0, 0.3)),
            "b": float(rng.normal()),
            "attributes": {"topic": TOPICS[i % len(TOPICS)], "task_type": TASK_TYPES[i % 5]},
            **{k: v(i) for k, v in extra.items()},
        }
        for i in range(n)
    ]
    return ItemPool.from_records(records)


def make_mixed_pool(seed: int = 0) -> ItemPool:
    """1PL, 2PL, 3PL, GPCM and GRM items together."""
    rng = np.random.default_rng(seed)
    recs = []
    for i in range(30):
        kind = ("1pl", "2pl", "3pl", "gpcm", "grm")[i % 5]
        rec = {"id": f"I{i}", "model": kind, "a": float(rng.uniform(0.6, 2.0))}
        if kind == "1pl":
            rec["a"] = 1.0
        if kind in ("1pl", "2pl", "3pl"):
            rec["b"] = float(rng.normal())
        if kind == "3pl":
            rec["c"] = float(rng.uniform(0.1, 0.3))
        if kind in ("gpcm", "grm"):
            m = int(rng.integers(2, 5))
            th = np.sort(rng.normal(0, 1.2, m)) + np.arange(m) * 0.05
            rec["b"] = [float(t) for t in th]
        recs.append(rec)
    return ItemPool.from_records(recs)


@pytest.fixture
def mixed_pool() -> ItemPool:
    return make_mixed_pool()


@pytest.fixture
def pool_2pl() -> ItemPool:
    return make_2pl_pool(400, seed=1)

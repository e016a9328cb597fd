"""Helpers shared by the psychometrics tests (a unique module name: no clash with other conftests)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from psychometrics.data import ResponseData


def write_long(path: Path, data: ResponseData, extra_rows: list[list] | None = None) -> Path:
    """Write a ResponseData as long person,item,score CSV."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["person", "item", "score"])
        rows, cols = np.nonzero(data.scores >= 0)
        for r, c in zip(rows, cols, strict=True):
            w.writerow([data.persons[r], data.items[c], int(data.scores[r, c])])
        for row in extra_rows or []:
            w.writerow(row)
    return path

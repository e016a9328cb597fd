"""The OpenAPI 3.1 document of the partner API, kept as data (``openapi.yaml``)."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import yaml

DOCUMENT = Path(__file__).resolve().parent / "openapi.yaml"


@functools.cache
def _load() -> dict[str, Any]:
    with DOCUMENT.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def document() -> dict[str, Any]:
    """A copy of the document (callers may change theirs)."""
    return copy.deepcopy(_load())

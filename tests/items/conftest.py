"""Fixtures: small banks written to tmp_path, and the real bank."""

from __future__ import annotations

from pathlib import Path

import pytest

from .itemfixtures import REAL_BANK, write_bank


@pytest.fixture
def mini_bank_path(tmp_path) -> Path:
    return write_bank(tmp_path / "bank")


@pytest.fixture(scope="session")
def real_bank():
    from toetsbatterij.items import load_bank

    return load_bank(REAL_BANK, strict=False)

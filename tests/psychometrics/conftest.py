"""Shared fixtures for the psychometrics toolkit tests."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(20260101)

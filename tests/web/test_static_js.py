"""Every script the app serves parses (a syntax error silently disables every screen helper:
ordering buttons, clock, heartbeat). Uses the machine's Node.js when it is there."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "toetsbatterij" / "web" / "static"


@pytest.mark.parametrize("script", sorted(p.name for p in STATIC.rglob("*.js")))
def test_script_parses(script):
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    done = subprocess.run([node, "--check", str(STATIC / script)], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr

"""Helpers shared by the browser tests: a test bank with the real practice block, screenshots and
the ticket login."""

from __future__ import annotations

import shutil
from pathlib import Path

from bankfixture import ROOT, write_bank

from .conftest import ARTIFACTS


def bank_with_real_practice(tmp_path_factory) -> Path:
    """The test bank with the item bank's own practice block (every interaction type)."""
    root = write_bank(tmp_path_factory.mktemp("bank") / "itembank")
    shutil.rmtree(root / "practice")
    shutil.copytree(ROOT / "itembank" / "practice", root / "practice")
    return root


def open_content(bank_dir: Path):
    from toetsbatterij.delivery.content import open_bank

    return open_bank(bank_dir)


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def login(page, base: str, world, i: int = 0) -> None:
    page.goto(base + "/")
    page.fill("#session_code", world.a["session_code"])
    page.fill("#access_code", world.a["access_codes"][i])
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Zo werkt de toets")

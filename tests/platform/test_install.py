"""`pip install .` gives a working app and CLI: the wheel carries the migrations, templates,
static files and catalogs, and the installed package migrates a database, syncs the bank (its
location is configuration) and serves the candidate login page, outside the checkout."""

from __future__ import annotations

import glob
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    wheels = tmp_path_factory.mktemp("wheel")
    target = tmp_path_factory.mktemp("site")
    pip = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(wheels), str(ROOT)], check=True,
                   capture_output=True)
    wheel = glob.glob(str(wheels / "toetsbatterij-*.whl"))[0]
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("toetsbatterij/migrations/env.py",
                     "toetsbatterij/migrations/versions/0001_initial_schema.py",
                     "toetsbatterij/web/templates/candidate/login.html",
                     "toetsbatterij/web/static/candidate.js",
                     "toetsbatterij/translations/ar/LC_MESSAGES/messages.mo"):
        assert required in names, required
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), wheel], check=True,
                   capture_output=True)
    return target


@pytest.mark.slow
def test_installed_package_migrates_syncs_and_serves(installed, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOETSBATTERIJ_")}
    env.update(PYTHONPATH=str(installed), TOETSBATTERIJ_INSTANCE_PATH=str(tmp_path / "inst"),
               TOETSBATTERIJ_ITEMBANK_PATH=str(ROOT / "itembank"),
               TOETSBATTERIJ_SECRET_KEY="installed")

    def run(*code: str) -> str:
        done = subprocess.run([sys.executable, *code], cwd=tmp_path, env=env,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    where = run("-c", "import toetsbatterij; print(toetsbatterij.__file__)")
    assert where.startswith(str(installed))  # the installed copy, not the checkout
    assert "database up to date" in run("-m", "toetsbatterij.cli", "migrate")
    assert "attest-4" in run("-m", "toetsbatterij.cli", "sync-definitions")
    page = run("-c", "from toetsbatterij.web import create_app\n"
                     "c = create_app().test_client()\n"
                     "r = c.get('/')\n"
                     "print(r.status_code, 'sessiecode' in r.get_data(as_text=True).lower())")
    assert page.split() == ["200", "True"]

"""The dependency arrows of the house plan, checked by walking every import with ``ast``.

- ``toetsbatterij.scoring`` imports only numpy, scipy, the standard library and itself;
- only ``toetsbatterij.web`` imports flask or a flask extension;
- only ``toetsbatterij.state_store`` imports redis;
- only ``psychometrics`` (and the tests and benchmarks) import girth, catsim or mirt;
- ``items`` and ``scoring`` never import the services or the web layer;
- the services never import the web layer;
- the services and the web layer never import the scoring core: they ask the test form
  (``items.TestForm``), which owns the manifest format and the designs (web -> services ->
  items -> scoring); ONE exception (``SCORING_EXCEPTIONS``): the rating service may import
  ``toetsbatterij.scoring.raters``, the rater statistics (agreement, kappa, the many-facet
  Rasch model, drift), which are about raters and not about a test form;
- ``psychometrics`` is never imported by ``toetsbatterij`` (it reads exports and uses scoring
  and items);
- the web layer knows no item type by name (answer parsing lives in the item-type registry).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "toetsbatterij"
SERVICES_EXCLUDED = {"scoring", "items", "web"}


def module_name(path: Path, root: Path = ROOT) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imported_modules(path: Path, root: Path = ROOT) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path, root)
    if path.name != "__init__.py":
        package = package.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
                found.add(target)
                if not node.module:
                    found.update(f"{target}.{alias.name}" for alias in node.names)
            elif node.module:
                found.add(node.module)
    return found


def python_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if ".venv" not in p.parts)


def top(name: str) -> str:
    return name.split(".")[0]


def test_scoring_is_pure():
    allowed_third_party = {"numpy", "scipy"}
    stdlib = set(sys.stdlib_module_names)
    offenders = []
    for path in python_files(PACKAGE / "scoring"):
        for name in imported_modules(path):
            if name.startswith("toetsbatterij.scoring") or name == "__future__":
                continue
            if top(name) in allowed_third_party or top(name) in stdlib:
                continue
            offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_scoring_does_no_io():
    forbidden = {"os", "io", "socket", "subprocess", "shutil", "pathlib", "sqlite3", "urllib", "http"}
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in python_files(PACKAGE / "scoring")
        for name in imported_modules(path)
        if top(name) in forbidden
    ]
    assert not offenders, "\n".join(offenders)


def test_only_web_imports_flask():
    offenders = []
    for path in python_files(PACKAGE) + python_files(ROOT / "psychometrics"):
        if (PACKAGE / "web") in path.parents:
            continue
        for name in imported_modules(path):
            if top(name) == "flask" or top(name).startswith("flask_"):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_only_the_state_store_imports_redis():
    offenders = []
    for path in python_files(PACKAGE) + python_files(ROOT / "psychometrics"):
        if module_name(path) == "toetsbatterij.state_store":
            continue
        for name in imported_modules(path):
            if top(name) == "redis":
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_only_psychometrics_imports_the_peers():
    peers = {"girth", "catsim", "mirt"}
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in python_files(PACKAGE)
        for name in imported_modules(path)
        if top(name) in peers
    ]
    assert not offenders, "\n".join(offenders)


def test_core_never_imports_services_or_web():
    service_names = {
        p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()
    } - SERVICES_EXCLUDED
    offenders = []
    for sub in ("scoring", "items"):
        for path in python_files(PACKAGE / sub):
            for name in imported_modules(path):
                parts = name.split(".")
                if parts[0] == "toetsbatterij" and len(parts) > 1 and (
                    parts[1] in service_names or parts[1] == "web"
                ):
                    offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_services_never_import_web():
    offenders = []
    for path in python_files(PACKAGE):
        rel = path.relative_to(PACKAGE).parts
        if rel[0] == "web":
            continue
        for name in imported_modules(path):
            if name.startswith("toetsbatterij.web"):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_scoring_imports_nothing_but_numpy_scipy_stdlib_at_runtime():
    """Belt and braces: import the package in a clean interpreter and look at sys.modules.

    Compiled extension modules of numpy and scipy register top-level names of their own
    (``_cython_3_2_4``, ``_moduleTNC``, ...), plus Cython's runtime bookkeeping; a module counts as numpy's or scipy's when its file
    lives inside those packages.
    """
    import subprocess

    code = r"""
import os, sys
before = set(sys.modules)
import toetsbatterij.scoring
import numpy, scipy
roots = [os.path.dirname(numpy.__file__), os.path.dirname(scipy.__file__)]
bad = []
for name in sorted(set(sys.modules) - before):
    top = name.split('.')[0]
    if top in sys.stdlib_module_names or top in {'numpy', 'scipy', 'toetsbatterij', '_distutils_hack'}:
        continue
    path = getattr(sys.modules[name], '__file__', None) or ''
    if any(path.startswith(root) for root in roots):
        continue
    # Interpreter and Cython runtime bookkeeping that compiled scipy modules register.
    if name.startswith(('_cython_', '_sysconfigdata_')) or name == 'cython_runtime':
        continue
    bad.append(name)
print(','.join(bad))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", out.stdout


def test_items_and_scoring_never_import_sqlalchemy():
    """The item bank and its test forms are plain values: the database store of pinned forms
    lives in the services, around ``TestForm.to_document`` / ``from_document``."""
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for sub in ("items", "scoring")
        for path in python_files(PACKAGE / sub)
        for name in imported_modules(path)
        if top(name) in {"sqlalchemy", "alembic"}
    ]
    assert not offenders, "\n".join(offenders)


#: The documented exceptions to "services never import scoring": package -> the one scoring
#: module it may import. Rater statistics (agreement, kappa, many-facet Rasch severity and fit,
#: drift) describe raters, not a test form, so the test form has nothing to own there.
SCORING_EXCEPTIONS = {"rating": "toetsbatterij.scoring.raters"}


def scoring_import_allowed(package: str, name: str) -> bool:
    """Whether a module of ``toetsbatterij.<package>`` may import scoring module ``name``:
    only the exact module of ``SCORING_EXCEPTIONS`` (or a name inside it, ``from
    toetsbatterij.scoring.raters import agreement``), never the scoring package itself."""
    allowed = SCORING_EXCEPTIONS.get(package)
    return allowed is not None and (name == allowed or name.startswith(allowed + "."))


def test_services_and_web_never_import_scoring():
    offenders = []
    for path in python_files(PACKAGE):
        rel = path.relative_to(PACKAGE).parts
        if rel[0] in ("scoring", "items") or path.name == "platform.py":
            continue
        for name in imported_modules(path):
            if name.startswith("toetsbatterij.scoring") and not scoring_import_allowed(rel[0], name):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_the_scoring_exception_is_narrow(tmp_path):
    """Only the rating service, only ``scoring.raters``; the import forms that reach other
    scoring modules (the package, a sibling, a relative ``from ..scoring import ...``) stay
    refused."""
    assert scoring_import_allowed("rating", "toetsbatterij.scoring.raters")
    assert scoring_import_allowed("rating", "toetsbatterij.scoring.raters.agreement")
    assert not scoring_import_allowed("rating", "toetsbatterij.scoring")
    assert not scoring_import_allowed("rating", "toetsbatterij.scoring.estimation")
    assert not scoring_import_allowed("rating", "toetsbatterij.scoring.ratersx")
    assert not scoring_import_allowed("results", "toetsbatterij.scoring.raters")
    assert not scoring_import_allowed("web", "toetsbatterij.scoring.raters")
    # each import form, as imported_modules sees it in a module of the rating package
    pkg = tmp_path / "toetsbatterij" / "rating"
    pkg.mkdir(parents=True)
    forms = {
        "from toetsbatterij.scoring.raters import agreement": True,
        "from ..scoring.raters import fit_mfrm": True,
        "import toetsbatterij.scoring.raters": True,
        # the package form cannot be told apart from "from toetsbatterij.scoring import engine"
        "from toetsbatterij.scoring import raters": False,
        "from ..scoring import raters": False,
        "from toetsbatterij.scoring import engine": False,
        "from ..scoring.estimation import eap": False,
        "import toetsbatterij.scoring": False,
    }
    for i, (line, allowed) in enumerate(forms.items()):
        probe = pkg / f"probe{i}.py"
        probe.write_text(line + "\n", encoding="utf-8")
        names = [n for n in imported_modules(probe, root=tmp_path) if n.startswith("toetsbatterij.scoring")]
        assert names, line
        assert all(scoring_import_allowed("rating", n) for n in names) is allowed, (line, names)


def test_toetsbatterij_never_imports_psychometrics():
    offenders = [f"{path.relative_to(ROOT)} imports {name}"
                 for path in python_files(PACKAGE) for name in imported_modules(path)
                 if top(name) == "psychometrics"]
    assert not offenders, "\n".join(offenders)


def test_the_web_layer_knows_no_item_type_by_name():
    types = ("single_choice", "multiple_response", "text_entry", "ordering", "matching")
    offenders = [f"{path.relative_to(ROOT)} names {t}"
                 for path in python_files(PACKAGE / "web")
                 for t in types if f'"{t}"' in path.read_text(encoding="utf-8")]
    assert not offenders, "\n".join(offenders)

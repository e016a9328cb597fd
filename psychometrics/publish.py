"""Publishing a calibration release into the item bank (itembank/FORMAT.md, "Parameters").

A release is the only way new parameters enter the bank and the only way an item moves
from ``pretest`` to ``operational``:

- every published item gets a ``parameters:`` block with ``provenance`` (``source:
  calibration``, ``calibration_id``, ``n``, ``se``, ``date``, and a ``note`` pointing at the
  release record);
- the release record ``itembank/releases/<calibration_id>.yaml`` keeps what the item files
  cannot: data window, N per item, model, software versions, a run id and the SHA-256 of
  the parameter file (and of the response file when given). A release id is never reused;
- item files are edited as text, so comments, block scalars and key order stay as the
  item writers left them; only the ``parameters:`` block (and ``status:`` on promotion)
  changes;
- after writing, the bank is loaded with the item code (``toetsbatterij.items.load_bank``);
  if the release would add a problem to an edited file, every file is restored and the
  release is refused.

The platform pins the bank version (a hash over everything that affects scoring) with every
administration, so scores stay reproducible under the release they were made with.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import platform
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from toetsbatterij.scoring import ItemParameters

from .data import InputError
from .models import DICHOTOMOUS

ID_RE = re.compile(r"^(?P<base>[A-Z]{1,2}-[A-Z]\d-(?:T\d{3}|\d{4}))(?:-(?P<member>\d+))?$")
RELEASE_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


@dataclass
class ReleaseResult:
    calibration_id: str
    run_id: str
    record: Path
    published: list[str] = field(default_factory=list)
    promoted: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def _software_versions() -> dict[str, str]:
    import numpy
    import scipy

    from . import __name__ as pkg

    versions = {"python": platform.python_version(), "numpy": numpy.__version__, "scipy": scipy.__version__}
    try:
        from importlib.metadata import version

        versions["toetsbatterij"] = version("toetsbatterij")
    except Exception:  # noqa: BLE001 - an uninstalled checkout still publishes
        versions["toetsbatterij"] = "onbekend"
    versions["calibration"] = f"{pkg}.calibration MMLCalibrator"
    return versions


def _r(x: float) -> float:
    return float(round(x, 4))


def parameters_block(p: ItemParameters, calibration_id: str, n: int, date: str, note: str) -> dict:
    """The ``parameters`` mapping of FORMAT.md for one calibrated item."""
    block: dict = {"model": p.model, "a": _r(p.values["a"])}
    se: dict = {}
    if p.model in DICHOTOMOUS:
        block["b"] = _r(p.values["b"])
        if p.model == "3pl":
            block["c"] = _r(p.values["c"])
        for k in ("a", "b", "c"):
            if k in p.se and p.se[k] == p.se[k]:
                se[k] = _r(p.se[k])
    else:
        names = [f"b{k}" for k in range(1, p.n_categories)]
        block["thresholds"] = [_r(p.values[k]) for k in names]
        if "a" in p.se and p.se["a"] == p.se["a"]:
            se["a"] = _r(p.se["a"])
        if all(k in p.se and p.se[k] == p.se[k] for k in names):
            se["thresholds"] = [_r(p.se[k]) for k in names]
    prov = {"source": "calibration", "calibration_id": calibration_id, "n": int(n)}
    if se:
        prov["se"] = se
    prov["date"] = date
    prov["note"] = note
    block["provenance"] = prov
    return block


def _dump_block(block: dict, indent: int) -> list[str]:
    text = yaml.safe_dump({"parameters": block}, sort_keys=False, allow_unicode=True, default_flow_style=None,
                          width=120)
    return [(" " * indent + line) if line else line for line in text.rstrip("\n").split("\n")]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _replace_block(lines: list[str], start: int, end: int, key_indent: int, new: list[str]) -> list[str]:
    """Replace the ``parameters:`` key at ``key_indent`` inside lines[start:end], or append it."""
    for k in range(start, end):
        line = lines[k]
        if _indent(line) == key_indent and line.strip().startswith("parameters:"):
            stop = k + 1
            while stop < end and (not lines[stop].strip() or _indent(lines[stop]) > key_indent):
                stop += 1
            return lines[:k] + new + lines[stop:]
    # no block yet: insert at the end of the mapping, before trailing blank lines
    insert = end
    while insert > start and not lines[insert - 1].strip():
        insert -= 1
    return lines[:insert] + new + lines[insert:]


def edit_item_text(text: str, item_id: str, block: dict) -> str:
    """Return ``text`` with the parameters of ``item_id`` (an item file or a testlet member) replaced."""
    lines = text.split("\n")
    m = ID_RE.match(item_id)
    if m and m.group("member"):
        # testlet member: find "- id: <ID>" inside items:, its keys sit two columns deeper
        for k, line in enumerate(lines):
            s = line.strip()
            if s.startswith("- ") and re.match(rf"^-\s+id:\s*['\"]?{re.escape(item_id)}['\"]?\s*$", s):
                dash = _indent(line)
                end = k + 1
                while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > dash):
                    end += 1
                new = _dump_block(block, dash + 2)
                return "\n".join(_replace_block(lines, k + 1, end, dash + 2, new))
        raise KeyError(item_id)
    return "\n".join(_replace_block(lines, 0, len(lines), 0, _dump_block(block, 0)))


def _status(text: str) -> str | None:
    for line in text.split("\n"):
        if line.startswith("status:"):
            return line.split(":", 1)[1].split("#")[0].strip()
    return None


def _set_status(text: str, status: str) -> str:
    return re.sub(r"(?m)^status:[ \t]*\S+", f"status: {status}", text, count=1)


def _bank_problems(bank: Path, edited) -> list[tuple[str, str, str]]:
    """Problems the item code finds in the edited files (file relative to the bank, field, message)."""
    from toetsbatterij.items import load_bank

    rel = {str(Path(p).resolve().relative_to(bank.resolve())) for p in edited}
    loaded = load_bank(bank, strict=False)
    return [(p.file, p.field, p.message) for p in loaded.problems if p.file in rel]


def find_item_files(bank: Path) -> dict[str, Path]:
    """Map file id (item or testlet id) → file under ``bank/items``."""
    return {p.stem: p for p in (bank / "items").rglob("*.yaml")}


def publish(params: Mapping[str, ItemParameters], n_per_item: Mapping[str, int], bank: str | Path, *,
            calibration_id: str, data_from: str, data_to: str, params_path: str | Path,
            responses_path: str | Path | None = None, promote: bool = False, min_n: int = 200,
            statuses: Mapping[str, str] | None = None, today: dt.date | None = None,
            calibration_summary: Mapping | None = None) -> ReleaseResult:
    """Write a calibration release into ``bank``; see the module docstring.

    ``statuses`` (item → "estimated"/"fixed") skips items held fixed in the calibration:
    their parameters came from an earlier release.
    """
    bank = Path(bank)
    if not RELEASE_ID.match(calibration_id):
        raise InputError(None, None, f"kalibratie-id {calibration_id!r}: kleine letters, cijfers, '.', '_', '-'")
    for name, value in (("--data-from", data_from), ("--data-to", data_to)):
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise InputError(None, None, f"{name} {value!r} is geen datum (JJJJ-MM-DD)") from None
    if data_from > data_to:
        raise InputError(None, None, "het dataventer begint na het einde")
    if not (bank / "items").is_dir():
        raise InputError(bank, None, "geen itembank (map items/ ontbreekt)")
    record = bank / "releases" / f"{calibration_id}.yaml"
    if record.exists():
        raise InputError(record, None, f"release {calibration_id!r} bestaat al; een release-id wordt nooit hergebruikt")
    files = find_item_files(bank)
    today = today or dt.datetime.now(dt.UTC).date()
    note = f"release itembank/releases/{calibration_id}.yaml"
    run_id = str(uuid.uuid4())
    result = ReleaseResult(calibration_id, run_id, record)
    # plan first, write after: a refused release leaves the bank untouched
    edits: dict[Path, str] = {}
    testlet_members: dict[str, list[str]] = {}
    for item, p in sorted(params.items()):
        if statuses and statuses.get(item) == "fixed":
            result.skipped[item] = "vast gehouden in de kalibratie"
            continue
        m = ID_RE.match(item)
        base = m.group("base") if m else item
        path = files.get(base)
        if path is None:
            raise InputError(params_path, None, f"item {item!r} bestaat niet in {bank / 'items'}")
        n = int(n_per_item.get(item, 0))
        if n < min_n:
            result.skipped[item] = f"te weinig antwoorden (n = {n} < {min_n})"
            continue
        text = edits.get(path, path.read_text(encoding="utf-8"))
        status = _status(text)
        if status in ("retired", "draft", "review"):
            result.skipped[item] = f"status {status}: niet gepubliceerd"
            continue
        try:
            text = edit_item_text(text, item, parameters_block(p, calibration_id, n, today.isoformat(), note))
        except KeyError:
            raise InputError(path, None, f"item {item!r} niet gevonden in het testlet") from None
        edits[path] = text
        result.published.append(item)
        if m and m.group("member"):
            testlet_members.setdefault(base, []).append(item)
    if promote:
        for path, text in list(edits.items()):
            if _status(text) != "pretest":
                continue
            data = yaml.safe_load(text)
            members = [it["id"] for it in data.get("items", [])] if "items" in data else [data["id"]]
            missing = [x for x in members if x not in result.published]
            if missing:
                for x in members:
                    result.skipped.setdefault(x, f"niet gepromoveerd: testletitems {', '.join(missing)} "
                                                 "zitten niet in deze release")
                continue
            edits[path] = _set_status(text, "operational")
            result.promoted += members
    for text in edits.values():
        yaml.safe_load(text)  # never write a file that no longer parses
    if not result.published:
        raise InputError(params_path, None, "geen enkel item te publiceren: " +
                         "; ".join(f"{k}: {v}" for k, v in list(result.skipped.items())[:5]))
    models = sorted({params[i].model for i in result.published})
    release = {
        "calibration_id": calibration_id, "run_id": run_id,
        "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "data_window": {"from": data_from, "to": data_to},
        "models": models,
        "software": _software_versions(),
        "checksums": {"parameters_sha256": sha256_file(params_path),
                      **({"responses_sha256": sha256_file(responses_path)} if responses_path else {})},
        "min_n": min_n,
        **({"calibration": {k: calibration_summary[k] for k in (
            "loglik", "aic", "bic", "n_params", "n_persons", "converged", "n_iter", "latent_mean", "latent_sd")
            if k in calibration_summary}} if calibration_summary else {}),
        "items": {i: {"n": int(n_per_item.get(i, 0)), "model": params[i].model,
                      "promoted": i in result.promoted} for i in result.published},
        "skipped": dict(sorted(result.skipped.items())),
    }
    before = _bank_problems(bank, edits)
    originals = {path: path.read_text(encoding="utf-8") for path in edits}
    for path, text in edits.items():
        path.write_text(text, encoding="utf-8")
    new_problems = sorted(set(_bank_problems(bank, edits)) - set(before))
    if new_problems:
        for path, text in originals.items():  # leave the bank exactly as it was
            path.write_text(text, encoding="utf-8")
        raise InputError(bank / new_problems[0][0], None, "de release zou de itembank ongeldig maken: "
                         + "; ".join(f"{f}: {fld}: {msg}" for f, fld, msg in new_problems[:5]))
    record.parent.mkdir(exist_ok=True)
    record.write_text("# Kalibratierelease: herkomst van gepubliceerde itemparameters (niet met de hand wijzigen)\n"
                      + yaml.safe_dump(release, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return result


# ------------------------------------------------------------------------------ cut scores
CUT_LEVELS = ("A1", "A2", "B1", "B2", "C1")


def _top_block(lines: list[str], key: str) -> tuple[int, int] | None:
    """(first, end) line indices of a top-level ``key:`` block (end: the next top-level line)."""
    for k, line in enumerate(lines):
        if line.startswith(f"{key}:"):
            end = k + 1
            while end < len(lines) and (not lines[end].strip() or lines[end].startswith((" ", "#"))):
                end += 1
            while end > k + 1 and not lines[end - 1].strip():
                end -= 1
            return k, end
    return None


def _flow(mapping: Mapping[str, float]) -> str:
    return "{" + ", ".join(f"{k}: {float(v):g}" for k, v in mapping.items()) + "}"


def edit_manifest_cuts(text: str, skill: str, cuts: Mapping[str, float], provenance: Mapping) -> str:
    """``text`` (a test manifest) with ``cut_scores.<skill>`` replaced and the skill's entry in
    ``cut_score_provenance`` written; every other line stays as the author wrote it."""
    lines = text.split("\n")
    block = _top_block(lines, "cut_scores")
    if block is None:
        raise KeyError("cut_scores")
    first, end = block
    new_line = f"  {skill}: {_flow(cuts)}"
    for k in range(first + 1, end):
        if re.match(rf"^\s+{re.escape(skill)}:", lines[k]):
            indent = len(lines[k]) - len(lines[k].lstrip(" "))
            stop = k + 1
            while stop < end and (not lines[stop].strip() or len(lines[stop]) - len(lines[stop].lstrip(" ")) > indent):
                stop += 1
            lines[k:stop] = [" " * indent + f"{skill}: {_flow(cuts)}"]
            break
    else:
        lines.insert(end, new_line)
    data = yaml.safe_load("\n".join(lines)) or {}
    prov = dict(data.get("cut_score_provenance") or {})
    prov[skill] = dict(provenance)
    dumped = yaml.safe_dump({"cut_score_provenance": prov}, sort_keys=False, allow_unicode=True,
                            default_flow_style=None, width=120).rstrip("\n").split("\n")
    comment = ["# Herkomst van de cesuren (python -m psychometrics publish --cuts): methode, datum, panel,",
               "# panelgrootte en standaardfout per cesuur."]
    block = _top_block(lines, "cut_score_provenance")
    if block is not None:
        lines[block[0]:block[1]] = dumped
    else:
        cut_block = _top_block(lines, "cut_scores")
        lines[cut_block[1]:cut_block[1]] = comment + dumped
    return "\n".join(lines)


def publish_cut_scores(cuts, bank: str | Path, test: str) -> Path:
    """Write a standard-setting result (``cutscores.CutScoreSet``) into the manifest of ``test``:
    its cuts replace the skill's (levels it does not set are kept; the whole must still rise
    from A1 to C1) and its provenance (method, date, panel, panel size, SE per cut, version)
    goes into ``cut_score_provenance``. The bank is loaded with the item code afterwards; a
    manifest the bank would refuse is restored and the publication refused."""
    bank = Path(bank)
    path = bank / "tests" / f"{test}.yaml"
    if not path.exists():
        raise InputError(path, None, f"toetsmanifest {test!r} bestaat niet")
    original = path.read_text(encoding="utf-8")
    data = yaml.safe_load(original) or {}
    current = dict((data.get("cut_scores") or {}).get(cuts.skill) or {})
    if cuts.skill not in (data.get("cut_scores") or {}) and not any(
            s.get("skill") == cuts.skill for s in data.get("sections") or []):
        raise InputError(path, None, f"de toets {test} heeft geen sectie {cuts.skill}")
    merged = {lv: float(cuts.cuts.get(lv, current.get(lv))) for lv in CUT_LEVELS
              if lv in cuts.cuts or lv in current}
    seq = list(merged.values())
    if any(b <= a for a, b in zip(seq, seq[1:], strict=False)):
        raise InputError(path, None, "met deze cesuren stijgen de niveaus niet meer van A1 naar C1: "
                         + ", ".join(f"{k} {v:g}" for k, v in merged.items()))
    provenance = {**cuts.provenance(), "levels": sorted(cuts.cuts, key=CUT_LEVELS.index)}
    text = edit_manifest_cuts(original, cuts.skill, merged, provenance)
    yaml.safe_load(text)
    before = _bank_problems(bank, [path])
    path.write_text(text, encoding="utf-8")
    new_problems = sorted(set(_bank_problems(bank, [path])) - set(before))
    if new_problems:
        path.write_text(original, encoding="utf-8")
        raise InputError(path, None, "de cesuren zouden het manifest ongeldig maken: "
                         + "; ".join(f"{fld}: {msg}" for _, fld, msg in new_problems[:5]))
    return path

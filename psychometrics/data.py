"""Reading and writing the toolkit's files, with strict checks.

Every malformed input raises :class:`InputError` naming the file and the row (the
header is row 1), in Dutch, because psychometricians and staff read it. The CLI
turns it into a message and a non-zero exit, never a traceback.

Files
-----
RESPONSES.csv : long format, header ``person,item,score`` (more columns allowed,
    e.g. the administration metadata of the export).
PARAMS.csv : ``item,model,a,b,c`` for dichotomous items and
    ``item,model,a,b1,...,bk`` for polytomous items, plus ``se_<name>`` columns.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from toetsbatterij import csvfiles
from toetsbatterij.scoring import ItemParameters

from .models import DICHOTOMOUS, MODELS

MAX_CATEGORIES = 20


class InputError(Exception):
    """Malformed input file; ``str()`` is a Dutch message with file and row."""

    def __init__(self, path: str | Path | None, row: int | None, message: str):
        self.path = str(path) if path is not None else None
        self.row = row
        self.message = message
        where = self.path or "invoer"
        if row is not None:
            where += f", rij {row}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class ResponseData:
    """A persons × items score matrix with missing cells.

    Attributes
    ----------
    persons : tuple of person ids, length N
    items : tuple of item ids, length J
    scores : (N, J) int16, −1 where the person did not see the item
    path : source file, for messages
    first_row : item id or person id → first file row that mentions it
    """

    persons: tuple[str, ...]
    items: tuple[str, ...]
    scores: np.ndarray
    path: str | None = None
    first_row: Mapping[str, int] = field(default_factory=dict)

    @property
    def observed(self) -> np.ndarray:
        return self.scores >= 0

    def max_scores(self) -> np.ndarray:
        """Highest observed score per item, (J,)."""
        return self.scores.max(axis=0)

    def subset_items(self, keep: Iterable[str]) -> ResponseData:
        keep = list(keep)
        idx = [self.items.index(i) for i in keep]
        return ResponseData(self.persons, tuple(keep), self.scores[:, idx], self.path, self.first_row)


def from_matrix(scores: np.ndarray, items: Iterable[str] | None = None,
                persons: Iterable[str] | None = None) -> ResponseData:
    """Wrap a (N, J) matrix (−1 or NaN = missing) as :class:`ResponseData`."""
    arr = np.asarray(scores, dtype=float)
    arr = np.where(np.isnan(arr), -1, arr).astype(np.int16)
    n, j = arr.shape
    items = tuple(items) if items is not None else tuple(f"i{k + 1:03d}" for k in range(j))
    persons = tuple(persons) if persons is not None else tuple(f"p{k + 1:06d}" for k in range(n))
    return ResponseData(persons, items, arr)


def _encoding_error(path: Path) -> InputError:
    """The first line that is not UTF-8 (text decoding reads ahead, so find it in the bytes)."""
    with path.open("rb") as fh:
        for row_no, raw in enumerate(fh, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return InputError(path, row_no, "geen UTF-8-tekst; bewaar het bestand als CSV UTF-8")
    return InputError(path, None, "geen UTF-8-tekst; bewaar het bestand als CSV UTF-8")


def _open_csv(path: Path, required: Iterable[str]):
    if not path.exists():
        raise InputError(path, None, "bestand bestaat niet")
    handle = path.open(newline="", encoding="utf-8-sig")
    reader = csv.reader(handle)
    try:
        header = next(reader)
    except StopIteration:
        handle.close()
        raise InputError(path, 1, "het bestand is leeg (kopregel ontbreekt)") from None
    except UnicodeDecodeError:
        handle.close()
        raise _encoding_error(path) from None
    except csv.Error as exc:
        handle.close()
        raise InputError(path, 1, f"onleesbare kopregel ({exc})") from None
    header = [h.strip() for h in header]
    missing = [c for c in required if c not in header]
    if missing:
        handle.close()
        raise InputError(path, 1, "ontbrekende kolom(men): " + ", ".join(missing)
                         + " (kopregel: " + ",".join(header) + ")")
    return handle, reader, header


def _rows(path: Path, reader, header):
    """Yield (row number, dict) with decoding errors turned into InputError."""
    row_no = 1
    try:
        for raw in reader:
            row_no += 1
            if not raw or all(not c.strip() for c in raw):
                continue
            if len(raw) != len(header):
                raise InputError(path, row_no, f"{len(raw)} velden, verwacht {len(header)}")
            yield row_no, {h: v.strip() for h, v in zip(header, raw, strict=True)}
    except UnicodeDecodeError:
        raise _encoding_error(path) from None
    except csv.Error as exc:
        raise InputError(path, row_no + 1, f"onleesbare regel ({exc})") from None


def read_responses(path: str | Path, *, max_score: Mapping[str, int] | None = None,
                   known_items: Iterable[str] | None = None, min_per_person: int = 2,
                   require_variance: Iterable[str] | bool = True) -> ResponseData:
    """Read a long ``person,item,score`` file into a :class:`ResponseData`.

    Parameters
    ----------
    max_score : item → highest allowed score; items not in it may score 0..MAX_CATEGORIES-1
    known_items : if given, an item outside it is an error ("onbekend item")
    min_per_person : persons with fewer responses are an error
    require_variance : True (all items), False, or the items that must show variance
    """
    path = Path(path)
    handle, reader, header = _open_csv(path, ("person", "item", "score"))
    known = set(known_items) if known_items is not None else None
    seen: dict[tuple[str, str], int] = {}
    person_idx: dict[str, int] = {}
    item_idx: dict[str, int] = {}
    first_row: dict[str, int] = {}
    triples: list[tuple[int, int, int]] = []
    with handle:
        for row_no, rec in _rows(path, reader, header):
            person, item, raw = rec["person"], rec["item"], rec["score"]
            if not person:
                raise InputError(path, row_no, "lege persoon")
            if not item:
                raise InputError(path, row_no, "leeg item")
            try:
                value = float(raw)
            except ValueError:
                raise InputError(path, row_no, f"score {raw!r} is geen geheel getal") from None
            if not math.isfinite(value) or value != int(value):
                raise InputError(path, row_no, f"score {raw!r} is geen geheel getal")
            score = int(value)
            if known is not None and item not in known:
                raise InputError(path, row_no, f"onbekend item {item!r} (niet in het parameterbestand)")
            upper = MAX_CATEGORIES - 1
            if max_score is not None and item in max_score:
                upper = max_score[item]
            if score < 0 or score > upper:
                raise InputError(path, row_no, f"score {score} van item {item!r} ligt buiten 0..{upper}")
            key = (person, item)
            if key in seen:
                raise InputError(path, row_no, f"dubbele rij voor persoon {person!r} en item {item!r} "
                                 f"(ook in rij {seen[key]})")
            seen[key] = row_no
            if person not in person_idx:
                person_idx[person] = len(person_idx)
                first_row[person] = row_no
            if item not in item_idx:
                item_idx[item] = len(item_idx)
                first_row.setdefault(item, row_no)
            triples.append((person_idx[person], item_idx[item], score))
    if not triples:
        raise InputError(path, None, "geen antwoorden in het bestand")
    arr = np.asarray(triples, dtype=np.int64)
    scores = np.full((len(person_idx), len(item_idx)), -1, dtype=np.int16)
    scores[arr[:, 0], arr[:, 1]] = arr[:, 2]
    persons = tuple(person_idx)
    items = tuple(item_idx)
    data = ResponseData(persons, items, scores, str(path), first_row)
    counts = (scores >= 0).sum(axis=1)
    few = np.flatnonzero(counts < min_per_person)
    if few.size:
        p = persons[few[0]]
        raise InputError(path, first_row[p], f"persoon {p!r} heeft maar {counts[few[0]]} antwoord(en); "
                         f"minstens {min_per_person} nodig ({few.size} perso(o)n(en) in totaal)")
    if require_variance:
        check_variance(data, None if require_variance is True else require_variance)
    return data


def check_variance(data: ResponseData, items: Iterable[str] | None = None) -> None:
    """Raise :class:`InputError` for the first item (of ``items``, default all) whose scores never vary."""
    index = {item: k for k, item in enumerate(data.items)}
    for item in (data.items if items is None else [i for i in items if i in index]):
        col = data.scores[:, index[item]]
        col = col[col >= 0]
        if col.size and col.min() == col.max():
            raise InputError(data.path, data.first_row.get(item), f"item {item!r} heeft geen variantie "
                             f"(alle {col.size} scores zijn {col[0]})")


def _fmt(x: float) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.6f}"


def write_params(path: str | Path, params: Iterable[ItemParameters], extra: Mapping[str, Mapping] | None = None) -> None:
    """Write PARAMS.csv: ``item,model,a,b,c,b1..bk`` and ``se_*`` columns (blank = not applicable)."""
    params = list(params)
    max_m = max((p.n_categories - 1 for p in params if p.model not in DICHOTOMOUS), default=0)
    names = ["a", "b", "c"] + [f"b{k}" for k in range(1, max_m + 1)]
    extra_cols: list[str] = []
    for row in (extra or {}).values():
        extra_cols += [k for k in row if k not in extra_cols]
    header = ["item", "model"] + names + [f"se_{n}" for n in names] + extra_cols
    with Path(path).open("w", newline="", encoding="utf-8") as fh:
        w = csvfiles.writer(fh)
        w.writerow(header)
        for p in params:
            vals = dict(p.values)
            if p.model == "2pl" or p.model == "1pl":
                vals.setdefault("c", 0.0)
            row = [p.item, p.model]
            row += [_fmt(vals.get(n, float("nan"))) for n in names]
            row += [_fmt(p.se.get(n, float("nan"))) for n in names]
            ex = (extra or {}).get(p.item, {})
            row += [str(ex.get(k, "")) for k in extra_cols]
            w.writerow(row)


def read_params(path: str | Path) -> dict[str, ItemParameters]:
    """Read PARAMS.csv written by :func:`write_params` (or by hand, same columns)."""
    path = Path(path)
    handle, reader, header = _open_csv(path, ("item", "model", "a"))
    out: dict[str, ItemParameters] = {}
    rows: dict[str, int] = {}
    with handle:
        for row_no, rec in _rows(path, reader, header):
            item, model = rec["item"], rec["model"].lower()
            if not item:
                raise InputError(path, row_no, "leeg item")
            if item in out:
                raise InputError(path, row_no, f"item {item!r} staat dubbel (ook in rij {rows[item]})")
            if model not in MODELS:
                raise InputError(path, row_no, f"onbekend model {rec['model']!r}; kies uit {', '.join(MODELS)}")

            def num(name: str, row_no=row_no, rec=rec, required=True) -> float:
                raw = rec.get(name, "")
                if raw == "":
                    if required:
                        raise InputError(path, row_no, f"kolom {name!r} ontbreekt of is leeg")
                    return float("nan")
                try:
                    v = float(raw)
                except ValueError:
                    raise InputError(path, row_no, f"{name} = {raw!r} is geen getal") from None
                if not math.isfinite(v):
                    raise InputError(path, row_no, f"{name} = {raw!r} is geen eindig getal")
                return v

            if model in DICHOTOMOUS:
                names = ["a", "b"] + (["c"] if model == "3pl" else [])
            else:
                ks = sorted(int(h[1:]) for h in header if h.startswith("b") and h[1:].isdigit()
                            and rec.get(h, "") != "")
                if not ks or ks != list(range(1, len(ks) + 1)):
                    raise InputError(path, row_no, "drempels b1..bk ontbreken of zijn onvolledig")
                names = ["a"] + [f"b{k}" for k in ks]
            values = {n: num(n) for n in names}
            if values["a"] <= 0:
                raise InputError(path, row_no, f"discriminatie a = {values['a']} moet positief zijn")
            if model == "3pl" and not 0 <= values["c"] < 1:
                raise InputError(path, row_no, f"gokparameter c = {values['c']} ligt niet in [0, 1)")
            if model == "grm":
                bs = [values[n] for n in names[1:]]
                if any(x >= y for x, y in zip(bs, bs[1:], strict=False)):
                    raise InputError(path, row_no, "GRM-drempels moeten strikt stijgen")
            se = {n: num(f"se_{n}", required=False) for n in names if f"se_{n}" in header}
            out[item] = ItemParameters.from_values(item, model, values, se)
            rows[item] = row_no
    if not out:
        raise InputError(path, None, "geen items in het parameterbestand")
    return out


def read_item_models(path: str | Path) -> dict[str, str]:
    """Read an ``item,model`` file assigning a model per item (for a mixed bank)."""
    path = Path(path)
    handle, reader, header = _open_csv(path, ("item", "model"))
    out: dict[str, str] = {}
    with handle:
        for row_no, rec in _rows(path, reader, header):
            model = rec["model"].lower()
            if model not in MODELS:
                raise InputError(path, row_no, f"onbekend model {rec['model']!r}; kies uit {', '.join(MODELS)}")
            if rec["item"] in out:
                raise InputError(path, row_no, f"item {rec['item']!r} staat dubbel")
            out[rec["item"]] = model
    return out


def write_rows(path: str | Path, header: list[str], rows: Iterable[Iterable]) -> None:
    """Write a plain CSV file."""
    with Path(path).open("w", newline="", encoding="utf-8") as fh:
        w = csvfiles.writer(fh)
        w.writerow(header)
        for r in rows:
            w.writerow([_fmt(v) if isinstance(v, float) else v for v in r])


def read_options(path: str | Path) -> dict[tuple[str, str], str]:
    """The chosen option per (person, item) from an ``option`` column, if the file has one."""
    path = Path(path)
    handle, reader, header = _open_csv(path, ("person", "item"))
    with handle:
        if "option" not in header:
            return {}
        return {(rec["person"], rec["item"]): rec["option"] for _, rec in _rows(path, reader, header)
                if rec["option"]}


def read_covariates(path: str | Path) -> tuple[dict[str, dict[str, str]], list[str]]:
    """A ``person,<variable>,...`` file (gender, age band, first-language group, literacy route)."""
    path = Path(path)
    handle, reader, header = _open_csv(path, ("person",))
    out: dict[str, dict[str, str]] = {}
    with handle:
        for row_no, rec in _rows(path, reader, header):
            person = rec.pop("person")
            if not person:
                raise InputError(path, row_no, "lege persoon")
            if person in out:
                raise InputError(path, row_no, f"persoon {person!r} staat dubbel")
            out[person] = rec
    return out, [h for h in header if h != "person"]

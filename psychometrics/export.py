"""The pure part of the platform export: pseudonymised long response data and covariates.

The platform command (delivery database → records) still has to call
:func:`write_responses` and :func:`write_covariates`; everything here works on plain
records so it can be tested without a database.

- Persons get a keyed pseudonym, HMAC-SHA-256 over the platform's person id with a secret
  export key kept by the agency: stable across exports with the same key, not reversible
  without it, and different for another key (another research project).
- Only whitelisted columns are written. Names, birth dates and register numbers
  (rijksregisternummer, BIS-nummer) never leave: a birth date only yields an age band at
  the administration date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from base64 import b32encode
from collections.abc import Iterable, Mapping
from pathlib import Path

from toetsbatterij import csvfiles

RESPONSE_COLUMNS = ("person", "item", "score", "date", "organisation", "bank_version", "position", "kind")
COVARIATE_COLUMNS = ("person", "gender", "age_band", "l1_group", "literacy_route")
KINDS = ("scored", "pretest")
AGE_BANDS = ((16, 17), (18, 25), (26, 35), (36, 45), (46, 55), (56, 200))
MIN_KEY_BYTES = 16


class ExportError(ValueError):
    """A record cannot be exported (message in Dutch, with the record number)."""


def pseudonym(key: bytes, person_id: str) -> str:
    """Keyed pseudonym ``P-`` + 20 base32 characters (100 bits) of HMAC-SHA-256(key, person_id)."""
    if len(key) < MIN_KEY_BYTES:
        raise ExportError(f"de exportsleutel moet minstens {MIN_KEY_BYTES} bytes lang zijn")
    digest = hmac.new(key, person_id.strip().encode("utf-8"), hashlib.sha256).digest()
    return "P-" + b32encode(digest).decode("ascii")[:20]


def age_band(birth_date: dt.date, on: dt.date) -> str:
    """Age band at ``on`` (16-17, 18-25, 26-35, 36-45, 46-55, 56+)."""
    age = on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
    for lo, hi in AGE_BANDS:
        if lo <= age <= hi:
            return f"{lo}+" if hi >= 200 else f"{lo}-{hi}"
    return "onder 16"


def _date(value, what: str, k: int) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ExportError(f"record {k}: {what} {value!r} is geen datum (JJJJ-MM-DD)") from None


def response_rows(records: Iterable[Mapping], key: bytes) -> list[list]:
    """Long rows ``person,item,score,date,organisation,bank_version,position,kind``.

    Each record needs ``person_id``, ``item``, ``score``, ``administered_at`` (date or
    datetime), ``organisation``, ``bank_version``, ``position`` and ``pretest`` (bool);
    any other field (name, birth date, register number ...) is ignored.
    """
    rows = []
    for k, rec in enumerate(records, start=1):
        try:
            person = pseudonym(key, str(rec["person_id"]))
            score = int(rec["score"])
            position = int(rec["position"])
            row = [person, str(rec["item"]), score, _date(rec["administered_at"], "afnamedatum", k).isoformat(),
                   str(rec["organisation"]), str(rec["bank_version"]), position,
                   "pretest" if rec.get("pretest") else "scored"]
        except KeyError as exc:
            raise ExportError(f"record {k}: veld {exc.args[0]!r} ontbreekt") from None
        except (TypeError, ValueError) as exc:
            if isinstance(exc, ExportError):
                raise
            raise ExportError(f"record {k}: ongeldige waarde ({exc})") from None
        rows.append(row)
    return rows


def covariate_rows(persons: Iterable[Mapping], key: bytes) -> list[list]:
    """Rows ``person,gender,age_band,l1_group,literacy_route``, one per person.

    Each mapping needs ``person_id`` and may hold ``gender``, ``birth_date`` with
    ``reference_date`` (the administration date) for the age band, ``l1_group`` and
    ``literacy_route``. Missing values are written empty.
    """
    rows, seen = [], set()
    for k, rec in enumerate(persons, start=1):
        if "person_id" not in rec:
            raise ExportError(f"record {k}: veld 'person_id' ontbreekt")
        person = pseudonym(key, str(rec["person_id"]))
        if person in seen:
            continue
        seen.add(person)
        band = ""
        if rec.get("birth_date") and rec.get("reference_date"):
            band = age_band(_date(rec["birth_date"], "geboortedatum", k), _date(rec["reference_date"], "datum", k))
        rows.append([person, str(rec.get("gender") or ""), band, str(rec.get("l1_group") or ""),
                     str(rec.get("literacy_route") or "")])
    return rows


def _write(path: str | Path, header, rows) -> int:
    with Path(path).open("w", newline="", encoding="utf-8") as fh:
        w = csvfiles.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return len(rows)


def write_responses(path: str | Path, records: Iterable[Mapping], key: bytes) -> int:
    """Write the long response file (``calibrate``/``fit``/``dif`` read it); returns the row count."""
    return _write(path, RESPONSE_COLUMNS, response_rows(records, key))


def write_covariates(path: str | Path, persons: Iterable[Mapping], key: bytes) -> int:
    """Write the separate covariates file for fairness analyses; returns the row count."""
    return _write(path, COVARIATE_COLUMNS, covariate_rows(persons, key))

"""Ids and numbers from the request, range-checked at the edge.

Every id column is a 32-bit integer on PostgreSQL (and 64-bit on SQLite): an id outside
1..2^31-1 cannot exist, so in a URL it is a 404 (the ``id`` converter, used instead of ``int``
in every route) and in a form it is a 404 too; a form number that is no number at all is a 400.
Only ASCII digits count: ``int()`` also reads "٣", " 3 " and "3_000".
"""

from __future__ import annotations

import re

from flask import Flask, request
from werkzeug.routing import IntegerConverter

from toetsbatterij.errors import InvalidInput, NotFound

MAX_ID = 2**31 - 1
_DIGITS = re.compile(r"[0-9]{1,10}")
_NUMBER = re.compile(r"-?[0-9]{1,10}")


class IdConverter(IntegerConverter):
    """``<id:name>``: a database id, 1..2^31-1; anything else does not match (404)."""

    def __init__(self, map: object, *args: object, **kwargs: object) -> None:  # noqa: A002
        super().__init__(map, min=1, max=MAX_ID)  # type: ignore[arg-type]


def init_app(app: Flask) -> None:
    app.url_map.converters["id"] = IdConverter


def parse_id(raw: str | None) -> int | None:
    """The id in ``raw`` when it can be one, else None."""
    if raw is None or not _DIGITS.fullmatch(raw):
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_ID else None


def form_id(name: str, *, required: bool = True) -> int | None:
    """A posted id: None when optional and empty; a 404 when it cannot exist."""
    raw = request.form.get(name, "")
    if raw == "" and not required:
        return None
    value = parse_id(raw)
    if value is None:
        raise NotFound(None, detail=f"form id {name}={raw[:20]!r}")  # default text
    return value


def form_int(name: str) -> int:
    """A posted whole number within the 32-bit range (the service checks its own range)."""
    raw = request.form.get(name, "").strip()
    if not _NUMBER.fullmatch(raw) or abs(int(raw)) > MAX_ID:
        raise InvalidInput(None, field=name, detail=f"form number {name}={raw[:20]!r}")
    return int(raw)

"""A small collecting validator: every problem is recorded with its file and field path.

Definitions are plain YAML data; the checker never raises on bad input, it records a
``Problem`` and returns ``None`` so that one pass reports every problem of a file.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import Problem

MISSING = object()
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def type_name(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    return {
        bool: "true/false",
        int: "a whole number",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)


class Checker:
    """Collects problems for one file."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def add(self, field: str, message: str) -> None:
        self.problems.append(Problem(self.file, field, message))

    @property
    def ok(self) -> bool:
        return not self.problems

    # -- typed getters -------------------------------------------------------------------

    def mapping(self, value: Any, path: str) -> Mapping | None:
        if not isinstance(value, Mapping):
            self.add(path, f"must be a mapping, got {type_name(value)}")
            return None
        bad = [k for k in value if not isinstance(k, str)]
        if bad:
            hint = ""
            if value.get(bad[0]) is None:
                hint = " (a comma inside {...} separates fields: put quotes around text with a comma)"
            self.add(path, f"field names must be text, got {bad[0]!r}{hint}")
            return None
        return value

    def unknown_fields(self, data: Mapping, allowed: Iterable[str], path: str) -> None:
        allowed = set(allowed)
        for key in data:
            if key not in allowed:
                self.add(_join(path, str(key)), f"unknown field (allowed: {', '.join(sorted(allowed))})")

    def get(self, data: Mapping, name: str, path: str, *, required: bool = True) -> Any:
        if name not in data or data[name] is None:
            if required:
                self.add(_join(path, name), "required field is missing")
            return MISSING
        return data[name]

    def text(self, data: Mapping, name: str, path: str, *, required: bool = True,
             max_len: int = 20000, allow_empty: bool = False) -> str | None:
        value = self.get(data, name, path, required=required)
        if value is MISSING:
            return None
        if not isinstance(value, str):
            self.add(_join(path, name), f"must be text, got {type_name(value)}")
            return None
        if not allow_empty and not value.strip():
            self.add(_join(path, name), "must not be empty")
            return None
        if len(value) > max_len:
            self.add(_join(path, name), f"is too long ({len(value)} > {max_len} characters)")
            return None
        # Canonical form: no surrounding white space (YAML block scalars end in a newline), so
        # that the definition, its hash and its QTI form do not depend on how it was quoted.
        return value.strip()

    def ident(self, data: Mapping, name: str, path: str, *, required: bool = True) -> str | None:
        """An identifier: text, or a plain integer (YAML ``1``) which is read as ``"1"``."""
        value = self.get(data, name, path, required=required)
        if value is MISSING:
            return None
        return self.ident_value(value, _join(path, name))

    def ident_value(self, value: Any, path: str) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.add(path, f"must be an identifier (text), got {type_name(value)}; quote it")
            return None
        if not ID_RE.match(value):
            self.add(path, f"invalid identifier {value!r} (letters, digits, - _ . ; max 64)")
            return None
        return value

    def integer(self, data: Mapping, name: str, path: str, *, required: bool = True,
                minimum: int | None = None, maximum: int | None = None,
                default: int | None = None) -> int | None:
        value = self.get(data, name, path, required=required)
        if value is MISSING:
            return default
        if not isinstance(value, int) or isinstance(value, bool):
            self.add(_join(path, name), f"must be a whole number, got {type_name(value)}")
            return None
        if minimum is not None and value < minimum:
            self.add(_join(path, name), f"must be at least {minimum}, got {value}")
            return None
        if maximum is not None and value > maximum:
            self.add(_join(path, name), f"must be at most {maximum}, got {value}")
            return None
        return value

    def number(self, data: Mapping, name: str, path: str, *, required: bool = True,
               minimum: float | None = None, maximum: float | None = None,
               exclusive_minimum: bool = False) -> float | None:
        value = self.get(data, name, path, required=required)
        if value is MISSING:
            return None
        return self.number_value(value, _join(path, name), minimum=minimum, maximum=maximum,
                                 exclusive_minimum=exclusive_minimum)

    def number_value(self, value: Any, path: str, *, minimum: float | None = None,
                     maximum: float | None = None, exclusive_minimum: bool = False) -> float | None:
        if not isinstance(value, int | float) or isinstance(value, bool):
            self.add(path, f"must be a number, got {type_name(value)}")
            return None
        value = float(value)
        if not math.isfinite(value):
            self.add(path, "must be a finite number")
            return None
        if minimum is not None and (value <= minimum if exclusive_minimum else value < minimum):
            self.add(path, f"must be {'above' if exclusive_minimum else 'at least'} {minimum}, got {value}")
            return None
        if maximum is not None and value > maximum:
            self.add(path, f"must be at most {maximum}, got {value}")
            return None
        return value

    def boolean(self, data: Mapping, name: str, path: str, *, default: bool) -> bool:
        value = self.get(data, name, path, required=False)
        if value is MISSING:
            return default
        if not isinstance(value, bool):
            self.add(_join(path, name), f"must be true or false, got {type_name(value)}")
            return default
        return value

    def choice(self, data: Mapping, name: str, path: str, allowed: Iterable[str], *,
               required: bool = True, default: str | None = None) -> str | None:
        value = self.get(data, name, path, required=required)
        if value is MISSING:
            return default
        allowed = list(allowed)
        if not isinstance(value, str) or value not in allowed:
            self.add(_join(path, name), f"must be one of {', '.join(allowed)}; got {value!r}")
            return None
        return value

    def listing(self, data: Mapping, name: str, path: str, *, required: bool = True,
                min_len: int = 0, max_len: int | None = None) -> list | None:
        value = self.get(data, name, path, required=required)
        if value is MISSING:
            return None
        if not isinstance(value, list):
            self.add(_join(path, name), f"must be a list, got {type_name(value)}")
            return None
        if len(value) < min_len:
            self.add(_join(path, name), f"needs at least {min_len} entries, has {len(value)}")
            return None
        if max_len is not None and len(value) > max_len:
            self.add(_join(path, name), f"allows at most {max_len} entries, has {len(value)}")
            return None
        return value


def _join(path: str, name: str | int) -> str:
    if isinstance(name, int):
        return f"{path}[{name}]"
    return f"{path}.{name}" if path else name


join = _join

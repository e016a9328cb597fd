"""Errors of the item package: validation problems, bad responses, bank errors."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One problem found in a bank file: ``file: field: message``."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field or '-'}: {self.message}"


class ItemValidationError(ValueError):
    """An item, testlet, rubric or manifest definition is not valid.

    ``problems`` lists every problem found, each with file and field.
    """

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid definition")


class BankError(ItemValidationError):
    """The bank as a whole has problems (raised by ``load_bank(strict=True)``)."""


class InvalidResponse(ValueError):
    """A raw response posted for an item is malformed (wrong shape, unknown ids, too long).

    An empty or missing response is *not* invalid: it scores 0.
    """


class NotAutoScored(TypeError):
    """The item is scored by raters on a rubric, not by the machine."""

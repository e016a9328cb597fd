"""Errors of the item package: validation problems, bad responses, bank errors."""

from __future__ import annotations

from dataclasses import dataclass

from toetsbatterij.errors import Conflict, InvalidInput
from toetsbatterij.i18n import N_


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


class UnknownContent(InvalidInput):
    """A unit, item or section that is not on the test form (a bad request, never a 500)."""


class UnusableAnswer(InvalidInput):
    """A posted answer that cannot be stored for its item (wrong shape, unknown ids, too long)."""

    default_message = N_("Dit antwoord kan niet verwerkt worden.")


class FormDocumentError(Conflict):
    """A test form document (or its stimulus files) that does not match its version."""

"""The controlled lists of ``itembank/vocabulary.yaml``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

SKILL_LETTERS = {"reading": "R", "listening": "L", "writing": "W", "speaking": "S"}
#: Which interaction types a skill may use.
SKILL_TYPES = {
    "reading": ("single_choice", "multiple_response", "text_entry", "ordering", "matching"),
    "listening": ("single_choice", "multiple_response", "text_entry", "ordering", "matching"),
    "writing": ("extended_text",),
    "speaking": ("spoken_response",),
}


@dataclass(frozen=True)
class Vocabulary:
    skills: dict[str, str]
    levels: tuple[str, ...]
    topics: dict[str, str]
    task_types: dict[str, dict[str, str]]
    statuses: tuple[str, ...]

    @classmethod
    def load(cls, path: str | Path) -> Vocabulary:
        data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=SafeLoader)  # noqa: S506
        return cls(skills=dict(data["skills"]), levels=tuple(data["levels"]),
                   topics=dict(data["topics"]),
                   task_types={k: dict(v) for k, v in data["task_types"].items()},
                   statuses=tuple(data["statuses"]))


#: libyaml's safe loader when available (about ten times faster), else the pure-Python one.
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str):
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a safe loader


DEFAULT_VOCABULARY_PATH = Path(__file__).resolve().parents[2] / "itembank" / "vocabulary.yaml"

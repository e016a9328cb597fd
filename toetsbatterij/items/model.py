"""Immutable item-bank objects: items, testlets, stimuli, parameters, rubrics."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from toetsbatterij.scoring.parameters import (
    DICHOTOMOUS_MODELS,
    MODELS,
    POLYTOMOUS_MODELS,
    ItemParameters,
)

from .types import REGISTRY, ItemType

#: The item bank's name for the one parameters type (``toetsbatterij.scoring.ItemParameters``,
#: shared with the delivery and the psychometrics).
Parameters = ItemParameters

__all__ = ["DICHOTOMOUS_MODELS", "MODELS", "POLYTOMOUS_MODELS", "Criterion", "Item",
           "Parameters", "Rubric", "Stimulus", "Testlet", "canonical_json", "sha256_of"]


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def sha256_of(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Stimulus:
    kind: str                       # text | image | audio
    title: str | None = None
    text: str | None = None         # kind text
    src: str | None = None          # image, audio: file name beside the item file
    alt: str | None = None          # image
    transcript: str | None = None   # audio: for reviewers and accessibility
    script: tuple[dict, ...] = ()   # audio: spoken turns {speaker, voice, speed, text}
    max_plays: int | None = None    # audio (default 2)

    def as_dict(self) -> dict:
        out: dict[str, Any] = {"kind": self.kind}
        for name in ("title", "text", "src", "alt", "transcript", "max_plays"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.script:
            out["script"] = [dict(t) for t in self.script]
        return out

    def view(self) -> dict:
        """What the candidate gets: no transcript and no speech script."""
        out: dict[str, Any] = {"kind": self.kind}
        if self.title is not None:
            out["title"] = self.title
        if self.kind == "text":
            out["text"] = self.text
        elif self.kind == "image":
            out.update(src=self.src, alt=self.alt)
        elif self.kind == "audio":
            out.update(src=self.src, max_plays=self.max_plays)
        return out


@dataclass(frozen=True)
class Criterion:
    id: str
    name: str
    levels: tuple[dict, ...]        # {score, descriptor}

    @property
    def max_score(self) -> int:
        return max(level["score"] for level in self.levels)


@dataclass(frozen=True)
class Rubric:
    id: str
    skill: str
    level: str | None
    criteria: tuple[Criterion, ...]
    source: str = ""
    name: str | None = None

    @property
    def max_score(self) -> int:
        return sum(c.max_score for c in self.criteria)

    def as_dict(self) -> dict:
        out: dict[str, Any] = {"id": self.id, "skill": self.skill}
        if self.level is not None:
            out["level"] = self.level
        if self.name is not None:
            out["name"] = self.name
        out["criteria"] = [{"id": c.id, "name": c.name, "levels": [dict(x) for x in c.levels]}
                           for c in self.criteria]
        return out


@dataclass(frozen=True)
class Item:
    """One scored unit. ``definition`` is the normalised interaction (prompt, options, key...);
    treat it as read-only."""

    id: str
    skill: str
    level: str
    topic: str
    task_type: str
    status: str
    type: str
    definition: dict
    author: str | None = None
    stimulus: Stimulus | None = None      # the item's own stimulus (testlet members: usually none)
    parameters: Parameters | None = None  # None only for a rated item whose rubric is unknown
    enemies: tuple[str, ...] = ()
    testlet_id: str | None = None
    position: int = 0                     # 1-based position in the testlet, 0 when standalone
    notes: str | None = None
    feedback: str | None = None           # practice items: shown after answering
    source: str = ""                      # file, relative to the bank root
    content_hash: str = ""
    rubric_max: int | None = None         # rated items: max score of the rubric
    explicit_parameters: bool = False     # parameters written in the file (not provisional)
    # Rated items: GPCM parameters per rubric criterion (criterion id -> parameters), written in
    # the file (``criterion_parameters``) or provisional per criterion; empty for other items.
    criterion_parameters: Mapping[str, Parameters] = field(default_factory=dict)
    explicit_criteria: tuple[str, ...] = ()  # the criteria whose parameters the file wrote

    @property
    def itype(self) -> ItemType:
        return REGISTRY[self.type]

    @property
    def rated(self) -> bool:
        return self.itype.rated

    @property
    def max_score(self) -> int:
        return self.itype.max_score(self.definition, self.rubric_max)

    @property
    def rubric(self) -> str | None:
        return self.definition.get("rubric")


@dataclass(frozen=True)
class Testlet:
    id: str
    skill: str
    level: str
    topic: str
    task_type: str
    status: str
    stimulus: Stimulus
    items: tuple[Item, ...]
    author: str | None = None
    enemies: tuple[str, ...] = ()
    notes: str | None = None
    source: str = ""

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.items)

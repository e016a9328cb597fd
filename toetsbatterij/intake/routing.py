"""The routing advice as data (``default_routing.yaml``): pure, no database.

``RoutingRules.in_force(on)`` is the version with the latest effective date on or before ``on``;
``Version.advise(profile)`` is the advice of its first rule whose conditions all hold. The
advice names the course's starting level too: the placement level (or below A1).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from toetsbatterij.errors import InvalidInput

DEFAULT_PATH = Path(__file__).resolve().parent / "default_routing.yaml"
LEVELS = ("below_A1", "A1", "A2", "B1", "B2", "C1", "C2")
LITERACY = ("none", "weak", "good")
GOALS = ("work", "study", "daily_life", "nationality", "children_school")
PROVIDERS = ("cbe", "cvo", "language_centre")
COURSES = ("alfa", "nt2")
PACES = ("slow", "standard", "fast")
CONDITIONS = {"latin_literacy", "mother_tongue_literacy", "schooling_years_max",
              "schooling_years_min", "level_min", "level_max", "goals_any"}


@dataclass(frozen=True)
class Profile:
    """What the advice is based on: the placement level and the intake interview."""

    level: str                                # LEVELS; "below_A1" without a placement result
    latin_literacy: str
    mother_tongue_literacy: str
    schooling_years: int
    goals: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Advice:
    provider: str
    course: str
    pace: str
    start_level: str
    rule: str
    label: str
    version: int

    def to_json(self) -> dict[str, Any]:
        return {"provider": self.provider, "course": self.course, "pace": self.pace,
                "start_level": self.start_level, "rule": self.rule, "label": self.label,
                "version": self.version}


@dataclass(frozen=True)
class Rule:
    id: str
    label: str
    when: Mapping[str, Any]
    provider: str
    course: str
    pace: str

    def holds(self, p: Profile) -> bool:
        w = self.when
        rank = LEVELS.index
        return all((
            "latin_literacy" not in w or p.latin_literacy in w["latin_literacy"],
            "mother_tongue_literacy" not in w
            or p.mother_tongue_literacy in w["mother_tongue_literacy"],
            "schooling_years_max" not in w or p.schooling_years <= w["schooling_years_max"],
            "schooling_years_min" not in w or p.schooling_years >= w["schooling_years_min"],
            "level_min" not in w or rank(p.level) >= rank(w["level_min"]),
            "level_max" not in w or rank(p.level) <= rank(w["level_max"]),
            "goals_any" not in w or bool(p.goals & set(w["goals_any"])),
        ))


@dataclass(frozen=True)
class Version:
    version: int
    effective_from: dt.date
    rules: tuple[Rule, ...] = field(default_factory=tuple)

    def advise(self, profile: Profile) -> Advice:
        for rule in self.rules:
            if rule.holds(profile):
                return Advice(rule.provider, rule.course, rule.pace, profile.level, rule.id,
                              rule.label, self.version)
        raise InvalidInput(detail=f"routing version {self.version} has no rule for {profile}")


def _bad(where: str) -> InvalidInput:
    return InvalidInput(detail=f"routing rules: {where}")


def _rule(raw: Any, where: str) -> Rule:
    if not isinstance(raw, Mapping) or not {"id", "label", "when", "advice"} <= set(raw):
        raise _bad(f"{where} needs id, label, when and advice")
    when, advice = raw["when"], raw["advice"]
    if not isinstance(when, Mapping) or set(when) - CONDITIONS:
        raise _bad(f"{where}.when: unknown conditions {sorted(set(when) - CONDITIONS)}")
    for key, allowed in (("latin_literacy", LITERACY), ("mother_tongue_literacy", LITERACY),
                         ("goals_any", GOALS)):
        if key in when and (not isinstance(when[key], list) or set(when[key]) - set(allowed)):
            raise _bad(f"{where}.when.{key}")
    for key in ("level_min", "level_max"):
        if key in when and when[key] not in LEVELS:
            raise _bad(f"{where}.when.{key}")
    for key in ("schooling_years_min", "schooling_years_max"):
        if key in when and not isinstance(when[key], int):
            raise _bad(f"{where}.when.{key}")
    if not isinstance(advice, Mapping) or advice.get("provider") not in PROVIDERS or \
            advice.get("course") not in COURSES or advice.get("pace") not in PACES:
        raise _bad(f"{where}.advice")
    return Rule(str(raw["id"]), str(raw["label"]), dict(when), advice["provider"],
                advice["course"], advice["pace"])


@dataclass(frozen=True)
class RoutingRules:
    versions: tuple[Version, ...]

    @classmethod
    def parse(cls, document: Any) -> RoutingRules:
        if not isinstance(document, Mapping) or not isinstance(document.get("versions"), list):
            raise _bad("a list of versions is needed")
        versions = []
        for i, raw in enumerate(document["versions"]):
            where = f"versions[{i}]"
            if not isinstance(raw, Mapping) or not isinstance(raw.get("effective_from"),
                                                               dt.date):
                raise _bad(f"{where} needs an effective_from date")
            rules = tuple(_rule(r, f"{where}.rules[{j}]")
                          for j, r in enumerate(raw.get("rules") or []))
            if not rules or rules[-1].when:
                raise _bad(f"{where}: the last rule must hold for everyone (when: {{}})")
            versions.append(Version(int(raw["version"]), raw["effective_from"], rules))
        if [v.version for v in versions] != sorted({v.version for v in versions}):
            raise _bad("versions must be numbered upwards without repeats")
        return cls(tuple(versions))

    def in_force(self, on: dt.date) -> Version:
        valid = [v for v in self.versions if v.effective_from <= on]
        if not valid:
            raise InvalidInput(detail=f"no routing rules in force on {on}")
        return max(valid, key=lambda v: (v.effective_from, v.version))


def default_rules(path: Path = DEFAULT_PATH) -> RoutingRules:
    return RoutingRules.parse(yaml.safe_load(path.read_text(encoding="utf-8")))


def profile(level: str | None, interview: Mapping[str, Any]) -> Profile:
    """The profile from a placement level (None: no placement result) and an interview's
    answers (``intake.service.INTERVIEW_FIELDS``)."""
    return Profile(level=level if level in LEVELS else "below_A1",
                   latin_literacy=str(interview.get("latin_literacy", "none")),
                   mother_tongue_literacy=str(interview.get("mother_tongue_literacy", "none")),
                   schooling_years=int(interview.get("schooling_years", 0)),
                   goals=frozenset(interview.get("goals") or ()))


def goals_of(values: Sequence[str]) -> list[str]:
    return [g for g in GOALS if g in set(values)]

"""Attest rules as data: attest kinds, purpose profiles and the retake policy.

A :class:`RuleSet` is one version of an agency's rules, parsed and checked from a plain document
(the seed is ``default_rules.yaml``; changes are stored as new rows of ``attest_rule_set``, see
``toetsbatterij.attests.rulesets``). Everything here is pure: no database, no clock.

- **Kinds.** Every skill is attested on its own; a kind ("mondeling" = listening + speaking,
  "schriftelijk" = reading + writing) is attested when every skill it combines has a level, and
  its level is the lowest of them.
- **Profiles.** A purpose ("nationaliteit": A2 mondeling) requires a lowest level per skill or
  kind; :meth:`RuleSet.check_profile` says whether a result's levels meet it and what is short.
- **Retake policy.** :meth:`RuleSet.retake` decides, from a person's earlier attempts, whether
  a new attempt may be taken on a date, from when otherwise, and whether it is free.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from toetsbatterij.errors import InvalidInput
from toetsbatterij.i18n import N_

DEFAULT_RULES_PATH = Path(__file__).with_name("default_rules.yaml")
KNOWN_SKILLS = ("reading", "listening", "writing", "speaking")
_TOP_KEYS = {"effective_from", "levels", "skills", "kinds", "profiles", "retake"}
_RETAKE_KEYS = {"waiting_days", "max_attempts", "period_days", "free_attempts",
                "technical_incident_free_retake"}


def _invalid(detail: str) -> InvalidInput:
    return InvalidInput(N_("De regels zijn niet geldig: %(detail)s"), field="document",
                        params={"detail": detail}, detail=detail)


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    skills: tuple[str, ...]


@dataclass(frozen=True)
class RetakePolicy:
    waiting_days: int = 90
    max_attempts: int = 3
    period_days: int = 365
    free_attempts: int = 1
    technical_incident_free_retake: bool = True

    @classmethod
    def parse(cls, raw: Any, where: str) -> RetakePolicy:
        if not isinstance(raw, Mapping):
            raise _invalid(f"{where} moet een tabel zijn")
        unknown = set(raw) - _RETAKE_KEYS
        if unknown:
            raise _invalid(f"{where}: onbekende sleutel {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {}
        for key in ("waiting_days", "max_attempts", "period_days", "free_attempts"):
            if key in raw:
                value = raw[key]
                if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3650:
                    raise _invalid(f"{where}.{key} moet een geheel getal van 0 tot 3650 zijn")
                values[key] = value
        if "technical_incident_free_retake" in raw:
            if not isinstance(raw["technical_incident_free_retake"], bool):
                raise _invalid(f"{where}.technical_incident_free_retake moet ja of nee zijn")
            values["technical_incident_free_retake"] = raw["technical_incident_free_retake"]
        policy = cls(**values)
        if policy.max_attempts < 1 or policy.period_days < 1:
            raise _invalid(f"{where}: max_attempts en period_days zijn minstens 1")
        return policy

    def to_document(self) -> dict[str, Any]:
        return {"waiting_days": self.waiting_days, "max_attempts": self.max_attempts,
                "period_days": self.period_days, "free_attempts": self.free_attempts,
                "technical_incident_free_retake": self.technical_incident_free_retake}


@dataclass(frozen=True)
class Profile:
    code: str
    label: str
    requires: tuple[tuple[str, str], ...]      # (skill or kind, lowest level), in order
    retake: RetakePolicy | None = None


@dataclass(frozen=True)
class ProfileCheck:
    """Whether a result meets a profile; ``short`` lists (skill or kind, required, reached)."""

    profile: Profile
    met: bool
    short: tuple[tuple[str, str, str | None], ...] = ()


@dataclass(frozen=True)
class PastAttempt:
    """One earlier attempt of the same person: the day it was taken, and whether a technical
    incident was recorded for it (``delivery.models.Incident`` with code "technical")."""

    taken_on: dt.date
    technical_incident: bool = False


@dataclass(frozen=True)
class RetakeDecision:
    allowed: bool
    free: bool
    earliest: dt.date                      # the first day a new attempt may be taken
    counted: int                           # counted attempts in the period ending on the day
    reason: str                            # Dutch msgid
    params: dict[str, Any] = field(default_factory=dict)


RETAKE_OK = N_("Een nieuwe afname is toegelaten.")
RETAKE_FIRST = N_("Eerste afname.")
RETAKE_TECHNICAL = N_("Herkansing na een technisch incident: telt niet mee en is gratis.")
RETAKE_WAIT = N_("Wachttijd na de vorige afname: een nieuwe afname kan vanaf %(date)s.")
RETAKE_LIMIT = N_("Het maximum van %(count)s afnames per %(days)s dagen is bereikt: een nieuwe "
                  "afname kan vanaf %(date)s.")


@dataclass(frozen=True)
class RuleSet:
    """One version of the attest rules (immutable)."""

    levels: tuple[str, ...]
    skills: tuple[str, ...]
    kinds: tuple[Kind, ...]
    profiles: tuple[Profile, ...]
    retake_policy: RetakePolicy
    effective_from: dt.date | None = None

    # -- parsing ------------------------------------------------------------------------------

    @classmethod
    def parse(cls, document: Any) -> RuleSet:
        """Check and parse a rules document; an InvalidInput names the first problem."""
        if not isinstance(document, Mapping):
            raise _invalid("het document moet een tabel zijn")
        unknown = set(document) - _TOP_KEYS
        if unknown:
            raise _invalid(f"onbekende sleutel {', '.join(sorted(map(str, unknown)))}")
        levels = document.get("levels")
        if (not isinstance(levels, list) or len(levels) < 2
                or not all(isinstance(v, str) and v for v in levels)
                or len(set(levels)) != len(levels)):
            raise _invalid("levels moet een lijst van minstens twee verschillende niveaus zijn")
        skills = document.get("skills")
        if (not isinstance(skills, list) or not skills
                or any(s not in KNOWN_SKILLS for s in skills) or len(set(skills)) != len(skills)):
            raise _invalid(f"skills moet een lijst zijn uit {', '.join(KNOWN_SKILLS)}")
        kinds = []
        raw_kinds = document.get("kinds") or {}
        if not isinstance(raw_kinds, Mapping):
            raise _invalid("kinds moet een tabel zijn")
        for code, raw in raw_kinds.items():
            if not isinstance(raw, Mapping) or not isinstance(raw.get("skills"), list):
                raise _invalid(f"kinds.{code} heeft skills nodig")
            if str(code) in skills:
                raise _invalid(f"kinds.{code}: een soort heet niet zoals een vaardigheid")
            kind_skills = tuple(raw["skills"])
            if len(kind_skills) < 2 or any(s not in skills for s in kind_skills):
                raise _invalid(f"kinds.{code}.skills: minstens twee vaardigheden uit skills")
            kinds.append(Kind(str(code), str(raw.get("label") or code), kind_skills))
        names = set(skills) | {k.code for k in kinds}
        profiles = []
        raw_profiles = document.get("profiles") or {}
        if not isinstance(raw_profiles, Mapping):
            raise _invalid("profiles moet een tabel zijn")
        for code, raw in raw_profiles.items():
            if not isinstance(raw, Mapping) or not isinstance(raw.get("requires"), Mapping) \
                    or not raw["requires"]:
                raise _invalid(f"profiles.{code} heeft requires nodig")
            requires = []
            for target, level in raw["requires"].items():
                if target not in names:
                    raise _invalid(f"profiles.{code}.requires: onbekende vaardigheid of soort "
                                   f"{target}")
                if level not in levels:
                    raise _invalid(f"profiles.{code}.requires.{target}: onbekend niveau {level}")
                requires.append((str(target), str(level)))
            retake = (RetakePolicy.parse(raw["retake"], f"profiles.{code}.retake")
                      if "retake" in raw else None)
            profiles.append(Profile(str(code), str(raw.get("label") or code), tuple(requires),
                                    retake))
        retake_policy = RetakePolicy.parse(document.get("retake") or {}, "retake")
        effective = document.get("effective_from")
        if effective is not None and not isinstance(effective, dt.date):
            try:
                effective = dt.date.fromisoformat(str(effective))
            except ValueError:
                raise _invalid("effective_from moet een datum zijn (JJJJ-MM-DD)") from None
        return cls(tuple(levels), tuple(skills), tuple(kinds), tuple(profiles), retake_policy,
                   effective)

    def to_document(self) -> dict[str, Any]:
        """The JSON document stored per version (``effective_from`` lives in its own column)."""
        return {
            "levels": list(self.levels),
            "skills": list(self.skills),
            "kinds": {k.code: {"label": k.label, "skills": list(k.skills)} for k in self.kinds},
            "profiles": {p.code: {"label": p.label, "requires": dict(p.requires),
                                  **({"retake": p.retake.to_document()} if p.retake else {})}
                         for p in self.profiles},
            "retake": self.retake_policy.to_document(),
        }

    # -- levels and kinds ---------------------------------------------------------------------

    def rank(self, level: str) -> int:
        try:
            return self.levels.index(level)
        except ValueError:
            raise _invalid(f"onbekend niveau {level}") from None

    def lowest(self, levels: Sequence[str]) -> str:
        return min(levels, key=self.rank)

    def kind(self, code: str) -> Kind:
        for k in self.kinds:
            if k.code == code:
                return k
        raise _invalid(f"onbekende soort {code}")

    def kind_levels(self, skill_levels: Mapping[str, str]) -> dict[str, str]:
        """The level of every kind whose skills all have a level: the lowest of them."""
        out = {}
        for kind in self.kinds:
            if all(skill_levels.get(s) for s in kind.skills):
                out[kind.code] = self.lowest([skill_levels[s] for s in kind.skills])
        return out

    def all_levels(self, skill_levels: Mapping[str, str]) -> dict[str, str]:
        """Skill levels (the rule set's skills only) and kind levels, in one mapping."""
        skills = {s: skill_levels[s] for s in self.skills if skill_levels.get(s)}
        for level in skills.values():
            self.rank(level)
        return skills | self.kind_levels(skills)

    # -- profiles -----------------------------------------------------------------------------

    def profile(self, code: str) -> Profile:
        for p in self.profiles:
            if p.code == code:
                return p
        raise _invalid(f"onbekend profiel {code}")

    def check_profile(self, code: str, skill_levels: Mapping[str, str]) -> ProfileCheck:
        profile = self.profile(code)
        reached = self.all_levels(skill_levels)
        short = tuple((target, level, reached.get(target)) for target, level in profile.requires
                      if target not in reached or self.rank(reached[target]) < self.rank(level))
        return ProfileCheck(profile, not short, short)

    def check_profiles(self, skill_levels: Mapping[str, str]) -> list[ProfileCheck]:
        return [self.check_profile(p.code, skill_levels) for p in self.profiles]

    # -- retakes ------------------------------------------------------------------------------

    def retake(self, history: Sequence[PastAttempt], on: dt.date,
               profile: str | None = None) -> RetakeDecision:
        """May the person take a new attempt on ``on``, and is it free?

        An attempt with a technical incident does not count (when the policy says so): no
        waiting time after it, not in the limit, and the retake after it is free.
        """
        policy = (self.profile(profile).retake if profile else None) or self.retake_policy
        past = sorted((a for a in history if a.taken_on <= on), key=lambda a: a.taken_on)
        if not past:
            return RetakeDecision(True, policy.free_attempts > 0, on, 0, RETAKE_FIRST)
        excused = policy.technical_incident_free_retake
        counted = [a for a in past if not (excused and a.technical_incident)]
        last = past[-1]
        earliest = on
        reason, params = RETAKE_OK, {}
        if counted:
            wait_until = counted[-1].taken_on + dt.timedelta(days=policy.waiting_days)
            if wait_until > earliest:
                earliest, reason = wait_until, RETAKE_WAIT
            # The limit: a new attempt on day d counts with every counted attempt after
            # d - period_days; find the first day where fewer than max_attempts remain.
            window = [a.taken_on for a in counted]
            day = earliest
            while True:
                start = day - dt.timedelta(days=policy.period_days)
                in_window = [d for d in window if d > start]
                if len(in_window) < policy.max_attempts:
                    break
                day = in_window[0] + dt.timedelta(days=policy.period_days)
                reason = RETAKE_LIMIT
            earliest = day
        in_period = len([a for a in counted
                         if a.taken_on > on - dt.timedelta(days=policy.period_days)])
        technical = excused and last.technical_incident
        free = technical or len(counted) < policy.free_attempts
        if technical and earliest == on:
            reason = RETAKE_TECHNICAL
        if reason != RETAKE_OK and reason != RETAKE_TECHNICAL:
            params = {"date": earliest.strftime("%d/%m/%Y"), "count": policy.max_attempts,
                      "days": policy.period_days}
        return RetakeDecision(earliest <= on, free, earliest, in_period, reason, params)


def load_default_document(path: Path = DEFAULT_RULES_PATH) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def default_rules() -> RuleSet:
    return RuleSet.parse(load_default_document())

"""The rules of the civic-integration certificate as data (``certificate_rules.yaml``): pure, no
database, no clock.

A :class:`CertificateRules` holds every version with its effective date; :meth:`in_force`
gives the version of a decision date (the latest effective date on or before it). A
:class:`RuleVersion` checks the facts of a trajectory's components (:class:`ComponentFacts`)
and says what is still missing (:class:`Missing`, a Dutch msgid with its parameters).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from toetsbatterij.errors import InvalidInput
from toetsbatterij.i18n import N_
from toetsbatterij.trajectories.models import (
    COMPONENT_KINDS,
    COMPONENT_STATUSES,
    EXEMPTED,
    NT2,
)

DEFAULT_RULES_PATH = Path(__file__).with_name("certificate_rules.yaml")
EVIDENCE = ("attest", "attest_or_result")
_REQUIREMENT_KEYS = {"component", "status", "level", "of", "evidence", "exempted"}
_VERSION_KEYS = {"version", "effective_from", "label", "requires"}

COMPONENT_LABELS = {"mo": N_("Maatschappelijke oriëntatie"), "nt2": N_("Nederlands (NT2)"),
                    "career": N_("Loopbaanoriëntatie"),
                    "participation": N_("Participatie en netwerking")}
STATUS_LABELS = {"planned": N_("gepland"), "started": N_("gestart"), "passed": N_("geslaagd"),
                 "failed": N_("niet geslaagd"), "exempted": N_("vrijgesteld"),
                 "stopped": N_("gestopt")}

NO_COMPONENT = N_("%(component)s: dit onderdeel ontbreekt in het traject.")
STATUS_SHORT = N_("%(component)s: vereist is %(required)s; nu %(status)s.")
NO_EVIDENCE = N_("%(component)s: er is geen geldig attest gekoppeld.")
NO_EVIDENCE_OR_RESULT = N_("%(component)s: er is geen geldig attest of resultaat gekoppeld.")
LEVEL_ABSENT = N_("%(component)s: het gekoppelde bewijs heeft geen niveau voor %(target)s "
                  "(vereist: %(level)s).")
LEVEL_SHORT = N_("%(component)s: %(target)s vraagt minstens %(level)s, bereikt is "
                 "%(reached)s.")
NO_RULES = N_("Op deze datum was er nog geen regel voor het inburgeringsattest van kracht.")


def _invalid(detail: str) -> InvalidInput:
    return InvalidInput(N_("De regels van het inburgeringsattest zijn niet geldig: "
                           "%(detail)s"), params={"detail": detail}, detail=detail)


@dataclass(frozen=True)
class ComponentFacts:
    """What the rules look at of one component: its latest status and the levels of its linked
    evidence (a valid attest: skills and kinds; or a frozen result: skills)."""

    kind: str
    status: str
    attest_levels: Mapping[str, str] | None = None     # None: no valid attest linked
    result_levels: Mapping[str, str] | None = None     # None: no result linked


@dataclass(frozen=True)
class Missing:
    component: str
    message: str                                       # Dutch msgid
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Requirement:
    component: str
    statuses: tuple[str, ...] = ()
    level: str = ""
    of: tuple[str, ...] = ()
    evidence: str = "attest"
    exempted: bool = False


@dataclass(frozen=True)
class Check:
    version: RuleVersion
    missing: tuple[Missing, ...]

    @property
    def met(self) -> bool:
        return not self.missing


@dataclass(frozen=True)
class RuleVersion:
    version: int
    effective_from: dt.date
    label: str
    requires: tuple[Requirement, ...]
    levels: tuple[str, ...]

    def rank(self, level: str) -> int:
        return self.levels.index(level) if level in self.levels else -1

    def check(self, components: Mapping[str, ComponentFacts]) -> Check:
        missing: list[Missing] = []
        for req in self.requires:
            label = COMPONENT_LABELS.get(req.component, req.component)
            facts = components.get(req.component)
            if facts is None:
                missing.append(Missing(req.component, NO_COMPONENT, {"component": label}))
                continue
            if req.statuses and facts.status not in req.statuses:
                missing.append(Missing(req.component, STATUS_SHORT, {
                    "component": label, "status": STATUS_LABELS.get(facts.status, facts.status),
                    "required": " of ".join(STATUS_LABELS.get(s, s) for s in req.statuses)}))
                continue
            if req.level and not (req.exempted and facts.status == EXEMPTED):
                missing.extend(self._level(req, label, facts))
        return Check(self, tuple(missing))

    def _level(self, req: Requirement, label: str, facts: ComponentFacts) -> list[Missing]:
        evidence = facts.attest_levels
        if evidence is None and req.evidence == "attest_or_result":
            evidence = facts.result_levels
        if evidence is None:
            message = NO_EVIDENCE if req.evidence == "attest" else NO_EVIDENCE_OR_RESULT
            return [Missing(req.component, message, {"component": label})]
        out = []
        for target in req.of:
            reached = evidence.get(target)
            if not reached:
                out.append(Missing(req.component, LEVEL_ABSENT, {
                    "component": label, "target": target, "level": req.level}))
            elif self.rank(reached) < self.rank(req.level):
                out.append(Missing(req.component, LEVEL_SHORT, {
                    "component": label, "target": target, "level": req.level,
                    "reached": "lager dan A1" if reached == "below_A1" else reached}))
        return out


@dataclass(frozen=True)
class CertificateRules:
    levels: tuple[str, ...]
    versions: tuple[RuleVersion, ...]          # by effective date

    @classmethod
    def parse(cls, document: Any) -> CertificateRules:
        if not isinstance(document, Mapping) or set(document) - {"levels", "versions"}:
            raise _invalid("een tabel met levels en versions")
        levels = document.get("levels")
        if (not isinstance(levels, list) or len(levels) < 2
                or not all(isinstance(v, str) and v for v in levels)
                or len(set(levels)) != len(levels)):
            raise _invalid("levels: een lijst van minstens twee verschillende niveaus")
        raw_versions = document.get("versions")
        if not isinstance(raw_versions, list) or not raw_versions:
            raise _invalid("versions: minstens één versie")
        versions = [cls._version(raw, tuple(levels)) for raw in raw_versions]
        numbers = [v.version for v in versions]
        dates = [v.effective_from for v in versions]
        if len(set(numbers)) != len(numbers) or len(set(dates)) != len(dates):
            raise _invalid("elke versie heeft een eigen nummer en een eigen ingangsdatum")
        ordered = sorted(versions, key=lambda v: v.effective_from)
        if [v.version for v in ordered] != sorted(numbers):
            raise _invalid("een latere versie heeft een latere ingangsdatum")
        return cls(tuple(levels), tuple(ordered))

    @staticmethod
    def _version(raw: Any, levels: tuple[str, ...]) -> RuleVersion:
        if not isinstance(raw, Mapping) or set(raw) - _VERSION_KEYS:
            raise _invalid("een versie heeft version, effective_from, label en requires")
        number = raw.get("version")
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise _invalid("version: een geheel getal vanaf 1")
        effective = raw.get("effective_from")
        if not isinstance(effective, dt.date):
            try:
                effective = dt.date.fromisoformat(str(effective))
            except ValueError:
                raise _invalid(f"versie {number}: effective_from is een datum") from None
        requires = raw.get("requires")
        if not isinstance(requires, list) or not requires:
            raise _invalid(f"versie {number}: requires is een lijst van vereisten")
        parsed = [_requirement(r, levels, number) for r in requires]
        kinds = [r.component for r in parsed]
        if len(set(kinds)) != len(kinds):
            raise _invalid(f"versie {number}: elk onderdeel staat er één keer in")
        return RuleVersion(number, effective, str(raw.get("label") or f"versie {number}"),
                           tuple(parsed), levels)

    def in_force(self, on: dt.date) -> RuleVersion:
        found = [v for v in self.versions if v.effective_from <= on]
        if not found:
            raise InvalidInput(NO_RULES, detail=f"no certificate rules in force on {on}")
        return found[-1]

    def version(self, number: int) -> RuleVersion:
        for v in self.versions:
            if v.version == number:
                return v
        raise _invalid(f"onbekende versie {number}")


def _requirement(raw: Any, levels: Sequence[str], number: int) -> Requirement:
    where = f"versie {number}"
    if not isinstance(raw, Mapping) or set(raw) - _REQUIREMENT_KEYS:
        raise _invalid(f"{where}: een vereiste heeft component, status, level, of, evidence, "
                       "exempted")
    component = raw.get("component")
    if component not in COMPONENT_KINDS:
        raise _invalid(f"{where}: onbekend onderdeel {component}")
    statuses = raw.get("status") or []
    if not isinstance(statuses, list) or any(s not in COMPONENT_STATUSES for s in statuses):
        raise _invalid(f"{where}.{component}: status is een lijst uit "
                       f"{', '.join(COMPONENT_STATUSES)}")
    level = raw.get("level") or ""
    of = raw.get("of") or []
    if level:
        if level not in levels:
            raise _invalid(f"{where}.{component}: onbekend niveau {level}")
        if not isinstance(of, list) or not of or not all(isinstance(t, str) for t in of):
            raise _invalid(f"{where}.{component}: of noemt de vaardigheden of soorten")
    elif of:
        raise _invalid(f"{where}.{component}: of zonder level")
    if not statuses and not level:
        raise _invalid(f"{where}.{component}: een vereiste vraagt een status of een niveau")
    evidence = raw.get("evidence", "attest")
    if evidence not in EVIDENCE:
        raise _invalid(f"{where}.{component}: evidence is attest of attest_or_result")
    if level and component != NT2:
        raise _invalid(f"{where}.{component}: alleen NT2 heeft een niveau")
    exempted = raw.get("exempted", False)
    if not isinstance(exempted, bool):
        raise _invalid(f"{where}.{component}: exempted is true of false")
    return Requirement(str(component), tuple(statuses), str(level), tuple(of), str(evidence),
                       exempted)


def load_document(path: Path = DEFAULT_RULES_PATH) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@cache
def default_rules() -> CertificateRules:
    return CertificateRules.parse(load_document())

"""A small QTI 3.0 response-processing interpreter, for the conformance tests only.

It executes an exported ``qti-assessment-item`` the way a conformant delivery engine does
(QTI 3.0 ASI, "Response Processing" and "Expressions"): outcomes start at their default values,
the standard templates ``match_correct`` and ``map_response`` run as the specification defines
them, and explicit rules are evaluated with QTI's NULL semantics (an empty string or an empty
container is NULL; a condition that is NULL is not true). ``qti-pattern-match`` patterns are
XML Schema regular expressions, translated by elementpath (an independent XSD regex
implementation), never by our own code.

Only the rules and operators our export emits are implemented; any other element raises
:class:`Unsupported`, so a new operator in the export cannot pass the conformance test
unexecuted.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache

from elementpath.regex import translate_pattern

TEMPLATES = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/"
RULES = {"qti-response-condition", "qti-set-outcome-value"}
EXPRESSIONS = {"qti-base-value", "qti-variable", "qti-correct", "qti-sum", "qti-and",
               "qti-pattern-match", "qti-match", "qti-equal", "qti-index", "qti-map-response"}
STRUCTURE = {"qti-response-processing", "qti-response-if", "qti-response-else-if",
             "qti-response-else"}


class Unsupported(Exception):
    """The item uses a rule or operator this interpreter does not implement."""


@dataclass(frozen=True)
class Container:
    cardinality: str          # multiple or ordered
    values: tuple


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _kids(el, name: str | None = None):
    return [c for c in el if name is None or _local(c.tag) == name]


def _value(text: str, base_type: str):
    text = (text or "").strip() if base_type != "string" else (text or "")
    if base_type in ("identifier", "string"):
        return text
    if base_type == "float":
        return float(text)
    if base_type == "integer":
        return int(text)
    if base_type == "directedPair":
        source, target = text.split()
        return (source, target)
    raise Unsupported(f"base-type {base_type}")


def null(value) -> bool:
    return value is None or value == "" or (isinstance(value, Container) and not value.values)


@cache
def _regex(pattern: str) -> re.Pattern:
    return re.compile(translate_pattern(pattern, anchors=False))


class Item:
    def __init__(self, root):
        self.root = root
        self.declarations = {}
        for rd in _kids(root, "qti-response-declaration"):
            card, base = rd.get("cardinality"), rd.get("base-type")
            correct = [_value(v.text, base) for cr in _kids(rd, "qti-correct-response")
                       for v in _kids(cr, "qti-value")]
            mapping = next(iter(_kids(rd, "qti-mapping")), None)
            self.declarations[rd.get("identifier")] = {
                "cardinality": card, "base_type": base, "mapping": mapping,
                "correct": (correct[0] if correct else None) if card == "single"
                else (Container(card, tuple(correct)) if correct else None)}
        self.defaults = {}
        for od in _kids(root, "qti-outcome-declaration"):
            base = od.get("base-type")
            values = [_value(v.text, base) for dv in _kids(od, "qti-default-value")
                      for v in _kids(dv, "qti-value")]
            self.defaults[od.get("identifier")] = values[0] if values else None
        self.processing = next(iter(_kids(root, "qti-response-processing")), None)

    def elements(self) -> set[str]:
        """The names of every element in the response processing."""
        return {_local(e.tag) for e in self.processing.iter()} if self.processing is not None else set()

    # -- running ----------------------------------------------------------------------

    def run(self, responses: dict) -> dict:
        """The outcome values after response processing of ``responses`` (identifier ->
        value; a missing or empty response is NULL)."""
        self.responses = {k: (None if null(v) else v) for k, v in responses.items()}
        self.outcomes = dict(self.defaults)
        rp = self.processing
        if rp is None:
            return self.outcomes
        template = rp.get("template")
        if template is not None:
            if len(rp):
                raise Unsupported("template with rules")
            name = template.removeprefix(TEMPLATES)
            if name == "match_correct.xml":
                right = self._match(self.responses.get("RESPONSE"), self.declarations["RESPONSE"]["correct"])
                self.outcomes["SCORE"] = 1.0 if right is True else 0.0
            elif name == "map_response.xml":
                response = self.responses.get("RESPONSE")
                self.outcomes["SCORE"] = 0.0 if response is None else self._map("RESPONSE")
            else:
                raise Unsupported(f"template {template}")
            return self.outcomes
        self._rules(_kids(rp))
        return self.outcomes

    def _rules(self, rules) -> None:
        for rule in rules:
            name = _local(rule.tag)
            if name == "qti-set-outcome-value":
                (expr,) = _kids(rule)
                value = self.eval(expr)
                self.outcomes[rule.get("identifier")] = None if value is None else float(value)
            elif name == "qti-response-condition":
                for branch in _kids(rule):
                    kind = _local(branch.tag)
                    if kind == "qti-response-else":
                        self._rules(_kids(branch))
                        break
                    if kind not in ("qti-response-if", "qti-response-else-if"):
                        raise Unsupported(kind)
                    condition, *body = _kids(branch)
                    if self.eval(condition) is True:
                        self._rules(body)
                        break
            else:
                raise Unsupported(name)

    # -- expressions ------------------------------------------------------------------

    def eval(self, el):
        name = _local(el.tag)
        args = _kids(el)
        if name == "qti-base-value":
            return _value(el.text, el.get("base-type"))
        if name == "qti-variable":
            ident = el.get("identifier")
            return self.outcomes[ident] if ident in self.outcomes else self.responses.get(ident)
        if name == "qti-correct":
            return self.declarations[el.get("identifier")]["correct"]
        if name == "qti-sum":
            values = [self.eval(a) for a in args]
            return None if any(v is None for v in values) else sum(values)
        if name == "qti-and":
            values = [self.eval(a) for a in args]
            if any(v is False for v in values):
                return False
            return None if any(v is None for v in values) else True
        if name == "qti-pattern-match":
            (arg,) = args
            value = self.eval(arg)
            if value is None:
                return None
            return _regex(el.get("pattern")).match(value) is not None
        if name == "qti-match":
            a, b = (self.eval(x) for x in args)
            return self._match(a, b)
        if name == "qti-equal":
            if el.get("tolerance-mode", "exact") != "exact":
                raise Unsupported("qti-equal tolerance")
            a, b = (self.eval(x) for x in args)
            return None if a is None or b is None else float(a) == float(b)
        if name == "qti-index":
            (arg,) = args
            container = self.eval(arg)
            n = int(el.get("n"))
            if container is None:
                return None
            if container.cardinality != "ordered":
                raise Unsupported("qti-index of an unordered container")
            return container.values[n - 1] if 1 <= n <= len(container.values) else None
        if name == "qti-map-response":
            return self._map(el.get("identifier"))
        raise Unsupported(name)

    @staticmethod
    def _match(a, b):
        if a is None or b is None:
            return None
        if isinstance(a, Container) != isinstance(b, Container):
            raise Unsupported("match of a container with a single value")
        if isinstance(a, Container):
            if a.cardinality == "ordered":
                return a.values == b.values
            return Counter(a.values) == Counter(b.values)
        return a == b

    def _map(self, ident: str) -> float:
        decl = self.declarations[ident]
        mapping = decl["mapping"]
        if mapping is None:
            raise Unsupported(f"qti-map-response of {ident} without a mapping")
        default = float(mapping.get("default-value", "0"))
        entries = [(_value(e.get("map-key"), decl["base_type"]), float(e.get("mapped-value")),
                    e.get("case-sensitive", "true") == "true") for e in _kids(mapping, "qti-map-entry")]

        def lookup(value):
            for key, mapped, case_sensitive in entries:
                if key == value or (not case_sensitive and isinstance(key, str)
                                    and key.lower() == value.lower()):
                    return mapped
            return default

        response = self.responses.get(ident)
        if response is None:
            total = default
        elif isinstance(response, Container):
            total = sum(lookup(v) for v in set(response.values))  # each value counts once
        else:
            total = lookup(response)
        if mapping.get("lower-bound") is not None:
            total = max(total, float(mapping.get("lower-bound")))
        if mapping.get("upper-bound") is not None:
            total = min(total, float(mapping.get("upper-bound")))
        return total

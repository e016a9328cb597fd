"""Key patterns a test-wise candidate could exploit, per level and item type.

For every choice item (``single_choice``, ``multiple_response``) the report asks three
questions, each against what chance would give:

* **position**: where does the key stand among the options as written (single choice; the
  delivery shuffles most items, but not those with ``shuffle: false``, and a reviewer reads the
  file order)?
* **longest**: is the key the strictly longest option (multiple response: are the key options
  exactly the longest ones)?
* **hedged**: is the key the strictly most hedged option, the balanced "it depends" answer
  (``meestal``, ``soms``, ``kan``, ``hangt af``, ``zowel ... als``, ``niet altijd``, "X, maar
  Y", ...; multiple response: every key option more hedged than every distractor)?

Groups are level × interaction type, plus level × "opinion questions" (single-choice prompts
that ask what someone thinks, wants or feels: that is where the balanced key does harm). The
bar (README § 4): in no group of at least ``MIN_GROUP`` items does one key position, the
longest option or the most hedged option hold the key in more than ``MAX_SHARE`` of the items.
``python -m toetsbatterij.items key-patterns itembank`` prints the table and exits 1 above the
bar.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from .model import Item

MAX_SHARE = 0.40
MIN_GROUP = 5
CHOICE_TYPES = ("single_choice", "multiple_response")

#: Dutch hedging and balancing expressions, as regular expressions on the lower-cased option
#: text (word boundaries). Each expression counts once per option.
HEDGES: tuple[str, ...] = (
    # frequency and quantity
    r"\bmeestal\b", r"\bsoms\b", r"(?<!\bte )\bvaak\b", r"\bdikwijls\b", r"\bdoorgaans\b",
    r"\bin de regel\b", r"\bin principe\b", r"\bover het algemeen\b", r"\bgrotendeels\b",
    r"\bgedeeltelijk\b", r"\bdeels\b", r"\bvoor een deel\b", r"\bsommige\b", r"\bbepaalde\b",
    r"\bniet alle\b", r"\bniet iedereen\b",
    # possibility
    r"\bkan\b", r"\bkun\b", r"\bkunt\b", r"\bkunnen\b", r"\bzou\b", r"\bzouden\b",
    r"\bmisschien\b", r"\bmogelijk\b(?! (maken|maakt|gemaakt))", r"\beventueel\b", r"\bwellicht\b", r"\bwaarschijnlijk\b",
    # dependence and conditions
    r"\bhangt\b.*\baf\b", r"\bafhankelijk\b", r"\bmits\b", r"\bop voorwaarde\b", r"\btenzij\b",
    r"\bonder voorwaarden\b", r", als\b", r"\balleen als\b", r"\benkel als\b",
    # balance
    r"\bzowel\b.*\bals\b", r"\bniet alleen\b.*\bmaar ook\b", r"\benerzijds\b", r"\banderzijds\b",
    r"\bniet altijd\b", r"\bniet per se\b", r"\bniet helemaal\b", r"\bniet zonder meer\b",
    r", maar\b", r"\bhoewel\b", r"\book al\b", r"\bondanks\b", r"\bweliswaar\b", r"\bal is\b", r"\btoch\b", r"\bbeide\b", r"\ballebei\b", r"\bnuance",
    r"\bgenuanceerd", r"\bvoor- en nadelen\b", r"\bvoordelen en nadelen\b", r"\bafweg",
    r"\bevenwicht", r"\bmiddenweg\b", r"\bcompromis\b", r"\bniet tegen\b",
)
_HEDGES = tuple(re.compile(h) for h in HEDGES)

#: Prompts that ask for an opinion, an attitude or an intention.
OPINION_PROMPT = re.compile(
    r"\b(vindt|vinden|vond|mening|houding|standpunt|denkt|denken|meent|voelt|staat .* tegenover"
    r"|kijkt .* (naar|tegen)|wil .* zeggen|bedoelt|conclusie|raadt|advies|aanbeveelt)\b")


def hedges(text: str) -> int:
    """How many hedging expressions ``text`` contains."""
    low = text.lower()
    return sum(1 for h in _HEDGES if h.search(low))


@dataclass
class Group:
    """Counts for one group of choice items."""

    level: str
    kind: str                                   # interaction type, or "opinion"
    n: int = 0
    positions: Counter = field(default_factory=Counter)   # 1-based key position (single choice)
    longest: int = 0
    hedged: int = 0
    offenders: dict[str, list[str]] = field(default_factory=lambda: {"longest": [], "hedged": []})

    @property
    def judged(self) -> bool:
        return self.n >= MIN_GROUP

    def shares(self) -> dict[str, float]:
        out = {"longest": self.longest / self.n, "hedged": self.hedged / self.n} if self.n else {}
        if self.positions and self.kind != "opinion":
            # The key position is judged per interaction type; the opinion group is there
            # for the balanced key and its length.
            out["position"] = max(self.positions.values()) / self.n
        return out

    def failures(self) -> list[str]:
        if not self.judged:
            return []
        out = []
        for what, share in sorted(self.shares().items()):
            if share > MAX_SHARE:
                detail = ""
                if what == "position":
                    pos, count = self.positions.most_common(1)[0]
                    detail = f" (position {pos}: {count}/{self.n})"
                out.append(f"{self.level} {self.kind}: key is the {what} option in "
                           f"{100 * share:.0f} % of {self.n} items{detail}, above {100 * MAX_SHARE:.0f} %")
        return out


def _strict_top(values: list[int], chosen: list[int]) -> bool:
    """Are the ``chosen`` indexes exactly the strictly highest values?"""
    inside = [values[i] for i in chosen]
    outside = [v for i, v in enumerate(values) if i not in chosen]
    return bool(outside) and min(inside) > max(outside)


def key_facts(item: Item) -> dict:
    """Position (single choice), longest and hedged for one choice item."""
    opts = item.definition["options"]
    ids = [o["id"] for o in opts]
    key = item.definition["key"]
    chosen = [ids.index(k) for k in ([key] if isinstance(key, str) else key)]
    lengths = [len(o["text"]) for o in opts]
    hedge = [hedges(o["text"]) for o in opts]
    return {
        "position": chosen[0] + 1 if isinstance(key, str) else None,
        "longest": _strict_top(lengths, chosen),
        "hedged": min(hedge[i] for i in chosen) > 0 and _strict_top(hedge, chosen),
    }


def is_opinion(item: Item) -> bool:
    return item.type == "single_choice" and bool(OPINION_PROMPT.search(item.definition["prompt"].lower()))


def key_patterns(items: Iterable[Item], levels: Iterable[str]) -> list[Group]:
    """Groups per level × choice type and level × opinion question, in a stable order."""
    groups: dict[tuple[str, str], Group] = {}
    order = list(levels)
    for item in items:
        if item.type not in CHOICE_TYPES or item.status == "retired":
            continue
        facts = key_facts(item)
        kinds = [item.type] + (["opinion"] if is_opinion(item) else [])
        for kind in kinds:
            g = groups.setdefault((item.level, kind), Group(item.level, kind))
            g.n += 1
            if facts["position"] is not None:
                g.positions[facts["position"]] += 1
            for what in ("longest", "hedged"):
                if facts[what]:
                    setattr(g, what, getattr(g, what) + 1)
                    g.offenders[what].append(item.id)
    kinds = [*CHOICE_TYPES, "opinion"]
    return sorted(groups.values(), key=lambda g: (order.index(g.level) if g.level in order else 99,
                                                  kinds.index(g.kind)))


def key_pattern_problems(groups: Iterable[Group]) -> list[str]:
    return [f for g in groups for f in g.failures()]


def key_pattern_table(groups: list[Group], *, verbose: bool = False) -> str:
    head = (f"{'level':<6}{'type':<19}{'n':>4}  {'key position (1/2/3/4/5)':<26}"
            f"{'longest':>9}{'hedged':>9}")
    lines = [head, "-" * len(head)]
    for g in groups:
        pos = "/".join(str(g.positions[p]) for p in range(1, 6)) if g.positions else "-"
        mark = "" if g.judged else "  (too few to judge)"
        if g.failures():
            mark = "  ABOVE THE BAR"
        lines.append(f"{g.level:<6}{g.kind:<19}{g.n:>4}  {pos:<26}"
                     f"{100 * g.longest / g.n:>8.0f}%{100 * g.hedged / g.n:>8.0f}%{mark}")
        if verbose:
            for what in ("longest", "hedged"):
                if g.offenders[what]:
                    lines.append(f"      key {what}: {', '.join(g.offenders[what])}")
    lines.append(f"bar: no group of {MIN_GROUP}+ items where one position, the longest or the "
                 f"most hedged option is the key in more than {100 * MAX_SHARE:.0f} %")
    return "\n".join(lines)

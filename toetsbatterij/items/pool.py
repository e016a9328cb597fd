"""From bank items to the scoring core's ``ItemPool`` (no IRT code here)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from toetsbatterij.scoring import ItemPool

from .model import Item

if TYPE_CHECKING:
    from .bank import Bank

#: Content attributes passed to the pool (blueprint constraints may use any of them).
POOL_ATTRIBUTES = ("skill", "level", "topic", "task_type", "type", "status")


def item_record(item: Item, *, selectable: bool = True, sh_k: float = 1.0) -> dict:
    """One ``ItemPool.from_records`` record for ``item``."""
    p = item.parameters
    if p is None:
        raise ValueError(f"{item.id}: no parameters (rated item without its rubric)")
    return p.record(item.id, attributes={k: getattr(item, k) for k in POOL_ATTRIBUTES},
                    testlet=item.testlet_id, selectable=selectable, sh_k=sh_k)


def enemy_pairs(items: Iterable[Item], testlet_members: Mapping[str, list[str]]) -> list[tuple[str, str]]:
    """Pairs of item ids that never appear together; a testlet id stands for all its members."""
    pairs = set()
    for it in items:
        for e in it.enemies:
            for other in testlet_members.get(e, [e]):
                if other != it.id:
                    pairs.add(tuple(sorted((it.id, other))))
    return sorted(pairs)


def to_pool(bank: Bank, skill: str, statuses: Iterable[str] = ("operational",), *,
            unselectable_statuses: Iterable[str] = ("pretest",),
            sh_k: Mapping[str, float] | None = None) -> ItemPool:
    """The items of ``skill`` whose status is in ``statuses``, as an ``ItemPool``.

    Items with a status in ``unselectable_statuses`` (pretest) are in the pool but marked not
    selectable, so that the delivery can seed them at pretest positions and the adaptive part
    never picks them. ``sh_k`` gives Sympson-Hetter probabilities per item id (default 1).
    """
    statuses = set(statuses)
    unselectable = set(unselectable_statuses)
    sh_k = sh_k or {}
    items = [i for i in bank.items.values() if i.skill == skill and i.status in statuses]
    members: dict[str, list[str]] = {}
    for t in bank.testlets.values():
        members[t.id] = [i.id for i in t.items]
    records = [item_record(i, selectable=i.status not in unselectable, sh_k=sh_k.get(i.id, 1.0))
               for i in items]
    return ItemPool.from_records(records, enemy_pairs(items, members))

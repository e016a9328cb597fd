"""Per-item operations: candidate view, scoring, max score, rubric scores."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from .errors import InvalidResponse
from .model import Item, Rubric, Testlet
from .types import REGISTRY


def _rng(seed: int | str | None, item_id: str) -> random.Random | None:
    # A str seed is hashed with SHA-512 by random.Random: stable across processes.
    return None if seed is None else random.Random(f"{seed}:{item_id}")


def view_model(item: Item, seed: int | str | None = None) -> dict:
    """The candidate's view of ``item`` (JSON-safe).

    Contains no key, no accepted answers, no rubric, no parameters, no transcript. With a
    ``seed`` (e.g. the administration seed) the option order is shuffled reproducibly;
    ordering items are always shown shuffled, never in the key order.
    """
    out: dict[str, Any] = {"id": item.id, "type": item.type}
    if item.stimulus is not None:
        out["stimulus"] = item.stimulus.view()
    out.update(item.itype.view(item.definition, _rng(seed, item.id)))
    return out


def review_model(item: Item) -> dict:
    """Everything about an item for reviewers and raters (never for candidates): metadata,
    the full definition with key and accepted answers, stimulus with transcript and script,
    parameters with provenance."""
    out: dict[str, Any] = {
        "id": item.id, "type": item.type, "skill": item.skill, "level": item.level,
        "topic": item.topic, "task_type": item.task_type, "status": item.status,
        "author": item.author, "testlet": item.testlet_id, "enemies": list(item.enemies),
        "definition": item.definition, "max_score": item.max_score if item.parameters else None,
        "parameters": item.parameters.as_dict() if item.parameters else None,
        "content_hash": item.content_hash, "source": item.source,
    }
    if item.stimulus is not None:
        out["stimulus"] = item.stimulus.as_dict()
    for name in ("notes", "feedback"):
        if getattr(item, name) is not None:
            out[name] = getattr(item, name)
    return out


def view_model_of_testlet(testlet: Testlet, seed: int | str | None = None) -> dict:
    """One screen: the shared stimulus and the view model of each of its items."""
    return {"id": testlet.id, "stimulus": testlet.stimulus.view(),
            "items": [view_model(i, seed) for i in testlet.items]}


def score(item: Item, raw_response: Any) -> int:
    """Score a raw response (as the browser posts it) server-side; see ``types`` for shapes.

    Raises ``InvalidResponse`` for malformed input and ``NotAutoScored`` for rated items.
    """
    try:
        return item.itype.score(item.definition, raw_response)
    except InvalidResponse as exc:
        raise InvalidResponse(f"{item.id}: {exc}") from None
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        # Belt and braces: any other surprise in hostile input is a malformed response.
        from .errors import NotAutoScored

        if isinstance(exc, NotAutoScored):
            raise
        raise InvalidResponse(f"{item.id}: malformed response ({type(exc).__name__})") from None


def check_response(item: Item, raw_response: Any) -> None:
    """Raise ``InvalidResponse`` when the response cannot be stored for this item."""
    try:
        item.itype.check_response(item.definition, raw_response)
    except InvalidResponse as exc:
        raise InvalidResponse(f"{item.id}: {exc}") from None


def parse_posted_answers(unit_view: Mapping[str, Any], form: Any) -> dict[str, Any]:
    """The raw responses of every item of a unit from a posted HTML form.

    ``unit_view``: the unit's candidate view (``TestForm.candidate_view``: ``items`` with ``id``,
    ``type``, ``view``); ``form``: any mapping with ``get(key, default=None)`` and
    ``getlist(key)`` (a werkzeug MultiDict). Each item type reads its own fields (``r.<item
    id>...``, see ``ItemType.parse_posted``); an unknown type answers None.
    """
    out: dict[str, Any] = {}
    for item in unit_view.get("items", []):
        itype = REGISTRY.get(item["type"])
        name = f"r.{item['id']}"
        out[item["id"]] = (None if itype is None
                           else itype.parse_posted(item["view"], name, form.get, form.getlist))
    return out


def max_score(item: Item) -> int:
    return item.max_score


def rubric_score(rubric: Rubric, ratings: Mapping[str, int]) -> int:
    """Sum of the criterion scores a rater gave; every criterion must be rated within range."""
    if not isinstance(ratings, Mapping):
        raise InvalidResponse("ratings: expected a mapping criterion id -> score")
    ids = {c.id: c for c in rubric.criteria}
    unknown = set(ratings) - set(ids)
    if unknown:
        raise InvalidResponse(f"ratings: unknown criterion {sorted(map(str, unknown))[0]!r}")
    total = 0
    for cid, crit in ids.items():
        if cid not in ratings:
            raise InvalidResponse(f"ratings: criterion {cid!r} is not rated")
        value = ratings[cid]
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= crit.max_score:
            raise InvalidResponse(f"ratings: {cid} must be a whole number 0..{crit.max_score}")
        total += value
    return total


def rubric_view(rubric: Rubric) -> dict:
    """The rubric for raters (never for candidates): criteria with Dutch descriptors."""
    return rubric.as_dict()

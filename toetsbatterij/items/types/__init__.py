"""The registry of interaction types.

``REGISTRY[name]`` is the :class:`ItemType` for a ``type:`` value of an item file. Each type
validates its fields (``validate``), builds the candidate view (``view``), scores a raw response
server-side (``score``) and knows its maximum score (``max_score``). The raw response shapes,
as the browser posts them (decoded JSON):

================== ==========================================================
type               raw response
================== ==========================================================
single_choice      ``"B"`` (option id)
multiple_response  ``["A", "C"]`` (option ids)
text_entry         ``{"g1": "maandag", "g2": "10 uur"}`` (gap id -> text)
ordering           ``["C", "A", "B"]`` (every option id, in order)
matching           ``{"s1": "t3", "s2": "t1"}`` (source id -> target id)
extended_text      ``"Beste ..."`` (the text; rated later)
spoken_response    ``"rec-123"`` (id of the stored recording; rated later)
================== ==========================================================

``None`` or an empty answer scores 0; anything else malformed raises ``InvalidResponse``.
"""

from __future__ import annotations

from .base import ItemType, RatedType
from .choice import MultipleResponse, SingleChoice
from .ordering import Matching, Ordering
from .rated import ExtendedText, SpokenResponse
from .text_entry import TextEntry, split_gaps

REGISTRY: dict[str, ItemType] = {
    t.name: t
    for t in (SingleChoice(), MultipleResponse(), TextEntry(), Ordering(), Matching(),
              ExtendedText(), SpokenResponse())
}

__all__ = ["REGISTRY", "ItemType", "RatedType", "split_gaps"]

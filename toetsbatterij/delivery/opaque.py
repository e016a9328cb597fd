"""Opaque, per-attempt identifiers for what a candidate's page names: items, options, gaps,
matching sources and targets (issue 10, item 3).

A bank id names the level (``R-B1-T003``) and option ids can follow the key's order (an
ordering item's ``A, B, C``): neither may reach the browser. Every identifier on a candidate
page is ``HMAC-SHA-256(key, parts)`` cut to 80 bits (base32), with a key derived from the server's
secret, the attempt id and the attempt's seed: stable for one attempt (a reload posts the same
names), different in every attempt, and not computable without the server's secret. The
server maps the posted identifiers back with the same function (:meth:`OpaqueIds.reverse`).

The one place the mapping is made: the candidate template uses the ``opaque`` filter
(web/candidate.py), the answer parser :meth:`OpaqueIds.reverse`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

PREFIX = "x"


class OpaqueIds:
    def __init__(self, secret: str | bytes, attempt_id: int, seed: int) -> None:
        raw = secret.encode("utf-8") if isinstance(secret, str) else secret
        self._key = hmac.new(raw, f"opaque-ids:{attempt_id}:{seed}".encode(),
                             hashlib.sha256).digest()

    def of(self, item_id: str, role: str = "item", value: str = "") -> str:
        """The opaque name of an item (``role`` "item") or of one of its parts (``role``
        "option", "gap", "source" or "target" with the part's id as ``value``)."""
        message = "\x1f".join((item_id, role, value)).encode("utf-8")
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        # 80 bits in base32 (a-z, 2-7): never all digits, so no name on the page ever looks like
        # a bank option or gap id ("a1", "g2").
        return PREFIX + base64.b32encode(digest[:10]).decode("ascii").lower()

    def reverse(self, item_id: str, role: str, values: list[Any]) -> dict[str, str]:
        """Opaque name -> bank id for the parts ``values`` (ids, or dicts with an ``id``)."""
        ids = [v["id"] if isinstance(v, dict) else str(v) for v in values]
        return {self.of(item_id, role, value): value for value in ids}

"""Opaque pagination cursors of the partner API: the position (the last share id of a page)
and the partner it was given to, MAC'd with a key of the server, in base64url. A partner
cannot make, change or reuse another partner's cursor; a bad one is a 400, never a 500."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from toetsbatterij.errors import InvalidInput
from toetsbatterij.i18n import N_

BAD_CURSOR = N_("Deze cursor is ongeldig. Gebruik de next_cursor van het vorige antwoord.")
MAC_BYTES = 16
MAX_LENGTH = 200


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, partner_id: int, body: bytes) -> bytes:
    return hmac.new(key, f"partner-cursor:{partner_id}:".encode() + body,
                    hashlib.sha256).digest()[:MAC_BYTES]


def encode(key: bytes, partner_id: int, after: int) -> str:
    body = json.dumps({"after": after}, separators=(",", ":")).encode()
    return _b64(body) + "." + _b64(_mac(key, partner_id, body))


def decode(key: bytes, partner_id: int, text: str | None) -> int:
    """The position in ``text`` (0 for no cursor), or InvalidInput."""
    if text is None or text == "":
        return 0
    try:
        if len(text) > MAX_LENGTH or text.count(".") != 1:
            raise ValueError
        body_text, mac_text = text.split(".")
        body, mac = _unb64(body_text), _unb64(mac_text)
        if not hmac.compare_digest(mac, _mac(key, partner_id, body)):
            raise ValueError
        after = json.loads(body)["after"]
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            raise ValueError
        return after
    except (ValueError, TypeError, KeyError, UnicodeError):
        raise InvalidInput(BAD_CURSOR, field="cursor", detail="bad cursor") from None

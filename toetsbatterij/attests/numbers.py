"""Attest numbers and verification codes, in Crockford's base 32 (no I, L, O, U: nothing to
misread; typed lower case, with O for 0 or I/L for 1, they are read the same).

An attest number is 12 random symbols (60 bits from ``secrets``: not guessable, and with the
verification code and the rate limit not worth trying) and one check symbol (Luhn mod 32, which
catches every single wrong symbol and every swap of two neighbours but 0 and Z), printed in groups of four:
``K7PX-2M9Q-RT4D-H``. The verification code is six symbols derived from the attest's signature:
the paper and the signed record belong together when they match.
"""

from __future__ import annotations

import hashlib
import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})
BODY_LENGTH = 12
CODE_LENGTH = 6
_SEPARATORS = re.compile(r"[\s\-.]")


def check_symbol(body: str) -> str:
    """Luhn mod 32 check symbol of ``body`` (symbols of ``ALPHABET``)."""
    total, factor = 0, 2
    for ch in reversed(body):
        addend = factor * _VALUE[ch]
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return ALPHABET[(32 - total % 32) % 32]


def new_number() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return body + check_symbol(body)


def normalise(raw: str | None) -> str | None:
    """The stored form of a typed number or code (upper case, aliases read, no separators), or
    None when it cannot be one."""
    text = _SEPARATORS.sub("", (raw or "")).upper().translate(_ALIASES)
    if not text or len(text) > 20 or any(ch not in _VALUE for ch in text):
        return None
    return text


def is_valid_number(number: str) -> bool:
    return (len(number) == BODY_LENGTH + 1 and all(ch in _VALUE for ch in number)
            and check_symbol(number[:-1]) == number[-1])


def display(number: str) -> str:
    """``K7PX2M9QRT4DH`` -> ``K7PX-2M9Q-RT4D-H``."""
    return "-".join(number[i:i + 4] for i in range(0, len(number), 4))


def verification_code(signature: str) -> str:
    """Six symbols of the SHA-256 of the signature (base64url text)."""
    digest = int.from_bytes(hashlib.sha256(signature.encode("ascii")).digest()[:4], "big")
    return "".join(ALPHABET[(digest >> (5 * i)) & 31] for i in range(CODE_LENGTH))

"""What the server can tell from the bytes of a recording chunk, without decoding audio.

- the container a part starts with (WebM: the EBML magic; Ogg: the ``OggS`` capture pattern);
- the latest time stamp a chunk carries, "where possible": the Timecode of each WebM Cluster
  (milliseconds at the default TimecodeScale that MediaRecorder writes) and the granule position
  of each Ogg page (48 kHz samples for Opus). A chunk boundary may cut an element or a page; what
  cannot be read whole is skipped, so the value is a lower bound of the part's length.
"""

from __future__ import annotations

import struct

CONTAINERS = {"audio/webm": b"\x1a\x45\xdf\xa3", "audio/ogg": b"OggS"}
_CLUSTER = b"\x1f\x43\xb6\x75"
_TIMECODE = 0xE7
_OPUS_RATE = 48_000


def base_type(content_type: str) -> tuple[str, dict[str, str]]:
    """``audio/webm;codecs=opus`` -> (``audio/webm``, {"codecs": "opus"})."""
    head, *rest = (content_type or "").split(";")
    params = {}
    for p in rest:
        if "=" in p:
            k, v = p.split("=", 1)
            params[k.strip().lower()] = v.strip().strip('"').lower()
    return head.strip().lower(), params


def starts_container(mime: str, data: bytes) -> bool:
    magic = CONTAINERS.get(mime)
    return magic is not None and data.startswith(magic)


def _vint(data: bytes, pos: int) -> tuple[int, int] | None:
    """An EBML variable-length integer at ``pos``: (value, length), None if cut off; the value
    of an all-ones ("unknown size") integer is -1."""
    if pos >= len(data):
        return None
    first = data[pos]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8 or pos + length > len(data):
        return None
    value = first & (0xFF >> length)
    for b in data[pos + 1:pos + length]:
        value = (value << 8) | b
    if value == (1 << (7 * length)) - 1:
        return -1, length
    return value, length


def _webm_ms(data: bytes) -> int:
    best = 0
    at = data.find(_CLUSTER)
    while at >= 0:
        size = _vint(data, at + 4)
        if size is not None:
            pos = at + 4 + size[1]
            if pos < len(data) and data[pos] == _TIMECODE:
                n = _vint(data, pos + 1)
                if n is not None and 1 <= n[0] <= 8 and pos + 1 + n[1] + n[0] <= len(data):
                    start = pos + 1 + n[1]
                    best = max(best, int.from_bytes(data[start:start + n[0]], "big"))
        at = data.find(_CLUSTER, at + 4)
    return best


def _ogg_ms(data: bytes) -> int:
    best = 0
    at = data.find(b"OggS")
    while at >= 0 and at + 14 <= len(data):
        if data[at + 4] == 0:  # stream structure version
            (granule,) = struct.unpack_from("<q", data, at + 6)
            if granule > 0:
                best = max(best, granule * 1000 // _OPUS_RATE)
        at = data.find(b"OggS", at + 4)
    return best


def media_ms(mime: str, data: bytes) -> int:
    """The latest time stamp (ms from the start of the part) found in ``data``; 0 if none."""
    if mime == "audio/webm":
        return _webm_ms(data)
    if mime == "audio/ogg":
        return _ogg_ms(data)
    return 0

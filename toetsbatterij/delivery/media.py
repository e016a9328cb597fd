"""Media under the rules: single-use audio grants and audio without item metadata.

A counted play (``attempts.register_audio_play``) gives one grant: a signed URL naming the
attempt, the presentation, the number of that play and a random nonce. The grant serves one
playback:

- only while the presentation is the candidate's current unit (unanswered, section running,
  attempt not paused or over) and only while the play it names is the latest counted play;
- its first request opens a window (``MEDIA_GRANT_WINDOW_SECONDS``) for the range requests of
  that playback; after the window, after ``MEDIA_GRANT_MAX_REQUESTS`` requests, or for a second
  request from byte 0 (a second playback) it is refused.

Serving is a GET, and a GET never writes the database: the use of a grant is kept in the state
store (Redis, or in memory with one worker). Without a working store the grant is refused
(fail closed).

Served audio carries no comment tags (an Ogg/Opus TITLE named the item, and the id names the
level): :func:`stripped_copy` serves a copy without tags, cached by content hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toetsbatterij.clock import Clock
from toetsbatterij.errors import Conflict


@dataclass(frozen=True)
class GrantPolicy:
    window_seconds: int
    max_requests: int
    lifetime_seconds: int  # how long the store remembers a grant (at least the URL's lifetime)


def _refused(detail: str) -> Conflict:
    return Conflict("Deze link is verlopen.", detail=detail)


def use_grant(store: Any, clock: Clock, nonce: str, *, from_start: bool,
              policy: GrantPolicy) -> None:
    """Count one request of the grant ``nonce``; raise Conflict when the grant is used up."""
    if not nonce or len(nonce) > 64:
        raise _refused("grant without a nonce")
    now = clock.now()
    key, count_key = f"grant:{nonce}", f"grant-requests:{nonce}"
    try:
        if store.add(key, now.isoformat(), policy.lifetime_seconds):
            store.incr(count_key, policy.lifetime_seconds)
            return  # the first request of this playback
        started = store.get(key)
        requests = store.incr(count_key, policy.lifetime_seconds)
    except Exception as exc:  # noqa: BLE001 - no store, no grant (fail closed)
        raise _refused(f"state store unavailable: {exc!r}") from None
    if started is None:
        raise _refused("grant forgotten")
    if (now - dt.datetime.fromisoformat(started)).total_seconds() > policy.window_seconds:
        raise _refused("grant window over")
    if from_start:
        raise _refused("a second playback from byte 0")
    if requests > policy.max_requests:
        raise _refused("too many requests for one playback")


# -- audio without metadata ---------------------------------------------------------------------

_lock = threading.Lock()
_known: dict[tuple[str, int, int], Path] = {}


def stripped_copy(path: Path, cache_dir: Path) -> Path:
    """A copy of the audio file ``path`` without comment tags (TITLE, ENCODER_OPTIONS, ...),
    made once and cached in ``cache_dir`` under the hash of the original's content (the name
    says nothing about the item)."""
    import mutagen

    stat = path.stat()
    memo = (str(path), stat.st_mtime_ns, stat.st_size)
    with _lock:
        known = _known.get(memo)
    if known is not None and known.exists():
        return known
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    target = cache_dir / f"{digest}{path.suffix.lower()}"
    if not target.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=path.suffix.lower())
        os.close(fd)
        try:
            shutil.copyfile(path, tmp)
            audio = mutagen.File(tmp)
            if audio is not None and audio.tags is not None:
                audio.delete()  # removes every comment and rewrites the file
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    with _lock:
        _known[memo] = target
    return target

"""The state store: the ONLY module that talks to Redis.

Redis holds only what can be rebuilt from the database or may be lost: short locks, the live-event
feed of the proctor console, and small expiring values (``get``/``put``/``add``/``incr``/``delete``):
the last-seen time and the cached row of a login session, the use of a media grant. ``NullStateStore`` is the embedded default (no Redis configured): its lock is a
process-local lock and its feed is an in-memory ring; correctness never depends on either, because
the database constraints (unique presentation position, unique response) are the real guards.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from typing import Any, Protocol


class StateStore(Protocol):
    def lock(self, name: str, ttl_seconds: float = 10.0) -> contextlib.AbstractContextManager[bool]:
        """Hold a short exclusive lock; yields True when acquired, False after waiting in vain."""

    def publish(self, channel: str, event: dict[str, Any]) -> int:
        """Append an event to a channel; returns its sequence number."""

    def events_since(self, channel: str, after: int) -> list[tuple[int, dict[str, Any]]]:
        """Events with a sequence number above ``after`` (oldest first, bounded history)."""

    def ping(self) -> bool: ...

    #: True when every worker of the deployment sees the same values (Redis); a process-local
    #: store must not be used as a cache that another process would have to invalidate.
    shared: bool

    def get(self, key: str) -> str | None:
        """The value under ``key``, or None (missing or expired)."""

    def put(self, key: str, value: str, ttl_seconds: float) -> None:
        """Set ``key`` for ``ttl_seconds``."""

    def add(self, key: str, value: str, ttl_seconds: float) -> bool:
        """Set ``key`` only if it is absent; True when this call set it."""

    def incr(self, key: str, ttl_seconds: float) -> int:
        """Add one to the counter under ``key`` (created at 1, expiring after ``ttl_seconds``)."""

    def delete(self, *keys: str) -> None: ...

    def replace_feed(self, channel: str, events: list[dict[str, Any]]) -> None:
        """Put ``events`` (a history rebuilt from the database, oldest first) in place of the
        channel's entries so far, under new numbers above every earlier one."""

    def count_many(self, key: str, fields: dict[str, int], ttl_seconds: float) -> None:
        """Add to the counters ``fields`` of the hash ``key`` atomically (expiring after
        ``ttl_seconds`` without a change)."""

    def counts(self, key: str) -> dict[str, int] | None:
        """The counters of hash ``key``; None when it does not exist (rebuild it)."""

    def replace_counts(self, key: str, fields: dict[str, int], ttl_seconds: float) -> None:
        """Set the hash ``key`` to exactly ``fields`` (a rebuild from the database)."""


HISTORY = 500


class NullStateStore:
    """In-process implementation used when no Redis is configured (one worker)."""

    shared = False

    def __init__(self) -> None:
        self._values: dict[str, tuple[str, float]] = {}
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._feeds: dict[str, deque[tuple[int, dict[str, Any]]]] = {}
        self._seq: dict[str, int] = {}
        self._hashes: dict[str, dict[str, int]] = {}

    @contextlib.contextmanager
    def lock(self, name: str, ttl_seconds: float = 10.0) -> Iterator[bool]:
        with self._guard:
            lk = self._locks.setdefault(name, threading.Lock())
        acquired = lk.acquire(timeout=ttl_seconds)
        try:
            yield acquired
        finally:
            if acquired:
                lk.release()

    def publish(self, channel: str, event: dict[str, Any]) -> int:
        with self._guard:
            seq = self._seq.get(channel, 0) + 1
            self._seq[channel] = seq
            self._feeds.setdefault(channel, deque(maxlen=HISTORY)).append((seq, dict(event)))
            return seq

    def events_since(self, channel: str, after: int) -> list[tuple[int, dict[str, Any]]]:
        with self._guard:
            return [(s, dict(e)) for s, e in self._feeds.get(channel, ()) if s > after]

    def ping(self) -> bool:
        return True

    def _live(self, key: str) -> str | None:
        found = self._values.get(key)
        if found is None:
            return None
        if found[1] <= time.monotonic():
            del self._values[key]
            return None
        return found[0]

    def get(self, key: str) -> str | None:
        with self._guard:
            return self._live(key)

    def put(self, key: str, value: str, ttl_seconds: float) -> None:
        with self._guard:
            self._values[key] = (value, time.monotonic() + ttl_seconds)

    def add(self, key: str, value: str, ttl_seconds: float) -> bool:
        with self._guard:
            if self._live(key) is not None:
                return False
            self._values[key] = (value, time.monotonic() + ttl_seconds)
            return True

    def incr(self, key: str, ttl_seconds: float) -> int:
        with self._guard:
            current = self._live(key)
            value = int(current or 0) + 1
            expires = self._values[key][1] if current is not None else (
                time.monotonic() + ttl_seconds)
            self._values[key] = (str(value), expires)
            return value

    def delete(self, *keys: str) -> None:
        with self._guard:
            for key in keys:
                self._values.pop(key, None)
                self._hashes.pop(key, None)

    def replace_feed(self, channel: str, events: list[dict[str, Any]]) -> None:
        with self._guard:
            self._feeds[channel] = deque(maxlen=HISTORY)
        for event in events:
            self.publish(channel, event)

    def count_many(self, key: str, fields: dict[str, int], ttl_seconds: float) -> None:
        with self._guard:
            table = self._hashes.setdefault(key, {})
            for name, n in fields.items():
                table[name] = table.get(name, 0) + int(n)

    def counts(self, key: str) -> dict[str, int] | None:
        with self._guard:
            table = self._hashes.get(key)
            return dict(table) if table is not None else None

    def replace_counts(self, key: str, fields: dict[str, int], ttl_seconds: float) -> None:
        with self._guard:
            self._hashes[key] = {name: int(n) for name, n in fields.items()}


#: Appends an event to a room's stream under the next sequence number, atomically. A missing
#: counter (a new room, or a Redis that restarted empty) starts at the current time in
#: milliseconds x 1000, so numbers keep growing across a restart and a room view that
#: reconnects with the last number it saw is never behind the new events (under 2**53: exact
#: in JavaScript).
_PUBLISH = """
local seq_key, stream = KEYS[1], KEYS[2]
if redis.call('EXISTS', seq_key) == 0 then
  local t = redis.call('TIME')
  redis.call('SET', seq_key, string.format('%d', tonumber(t[1]) * 1000000
                                               + math.floor(tonumber(t[2]) / 1000) * 1000))
end
local seq = redis.call('INCR', seq_key)
redis.call('XADD', stream, 'MAXLEN', '~', ARGV[2], string.format('%d', seq) .. '-1',
           'event', ARGV[1])
redis.call('EXPIRE', seq_key, ARGV[3])
redis.call('EXPIRE', stream, ARGV[3])
return seq
"""


class RedisStateStore:
    """Redis implementation: ``SET NX PX`` locks with a token, feeds as capped Redis Streams,
    counters as hashes."""

    shared = True

    def __init__(self, url: str, prefix: str = "tb:") -> None:
        import redis

        self._redis = redis.Redis.from_url(url, decode_responses=True)
        self._prefix = prefix
        self._publish = self._redis.register_script(_PUBLISH)

    def _key(self, *parts: str) -> str:
        return self._prefix + ":".join(parts)

    @contextlib.contextmanager
    def lock(self, name: str, ttl_seconds: float = 10.0) -> Iterator[bool]:
        lk = self._redis.lock(self._key("lock", name), timeout=ttl_seconds,
                              blocking_timeout=ttl_seconds)
        acquired = bool(lk.acquire())
        try:
            yield acquired
        finally:
            if acquired:
                with contextlib.suppress(Exception):
                    lk.release()

    def publish(self, channel: str, event: dict[str, Any]) -> int:
        """XADD to the room's stream (capped at about HISTORY entries, a day's expiry) with the
        entry id ``<seq>-1``: the sequence number is the stream id, so a reader asks for
        everything after the last number it saw (XRANGE) and misses nothing."""
        return int(self._publish(keys=[self._key("seq", channel), self._key("stream", channel)],
                                 args=[json.dumps(event, sort_keys=True), HISTORY, 24 * 3600]))

    def events_since(self, channel: str, after: int) -> list[tuple[int, dict[str, Any]]]:
        rows = self._redis.xrange(self._key("stream", channel), min=f"({int(after)}-1", max="+",
                                  count=HISTORY)
        return [(int(entry_id.split("-")[0]), json.loads(fields["event"]))
                for entry_id, fields in rows]

    def ping(self) -> bool:
        try:
            return bool(self._redis.ping())
        except Exception:
            return False

    def get(self, key: str) -> str | None:
        return self._redis.get(self._key("kv", key))

    def put(self, key: str, value: str, ttl_seconds: float) -> None:
        self._redis.set(self._key("kv", key), value, px=max(1, int(ttl_seconds * 1000)))

    def add(self, key: str, value: str, ttl_seconds: float) -> bool:
        return bool(self._redis.set(self._key("kv", key), value, nx=True,
                                    px=max(1, int(ttl_seconds * 1000))))

    def incr(self, key: str, ttl_seconds: float) -> int:
        name = self._key("kv", key)
        pipe = self._redis.pipeline()  # MULTI: create with its expiry once, then count
        pipe.set(name, 0, nx=True, px=max(1, int(ttl_seconds * 1000)))
        pipe.incr(name)  # INCR keeps the key's expiry
        return int(pipe.execute()[1])

    def delete(self, *keys: str) -> None:
        if keys:
            self._redis.delete(*(self._key("kv", key) for key in keys),
                               *(self._key("hash", key) for key in keys))

    def replace_feed(self, channel: str, events: list[dict[str, Any]]) -> None:
        """Trim the stream up to its newest entry now (entries published meanwhile stay), then
        append the rebuilt history with new, higher numbers."""
        stream = self._key("stream", channel)
        newest = self._redis.xrevrange(stream, count=1)
        if newest:
            top = int(newest[0][0].split("-")[0])
            self._redis.xtrim(stream, minid=f"{top + 1}-0")
        for event in events[-HISTORY:]:
            self.publish(channel, event)

    def count_many(self, key: str, fields: dict[str, int], ttl_seconds: float) -> None:
        name = self._key("hash", key)
        pipe = self._redis.pipeline()  # MULTI/EXEC: every counter or none
        for field, n in fields.items():
            pipe.hincrby(name, field, int(n))
        pipe.expire(name, max(1, int(ttl_seconds)))
        pipe.execute()

    def counts(self, key: str) -> dict[str, int] | None:
        table = self._redis.hgetall(self._key("hash", key))
        return {k: int(v) for k, v in table.items()} if table else None

    def replace_counts(self, key: str, fields: dict[str, int], ttl_seconds: float) -> None:
        name = self._key("hash", key)
        pipe = self._redis.pipeline()
        pipe.delete(name)
        if fields:
            pipe.hset(name, mapping={k: int(v) for k, v in fields.items()})
            pipe.expire(name, max(1, int(ttl_seconds)))
        pipe.execute()

    def flush_prefix(self) -> None:
        """Remove every key of this store (tests use a separate database number)."""
        for key in self._redis.scan_iter(self._prefix + "*"):
            self._redis.delete(key)


def from_url(url: str | None, prefix: str = "tb:") -> StateStore:
    if not url:
        return NullStateStore()
    return RedisStateStore(url, prefix=prefix)



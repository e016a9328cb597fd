import threading

import pytest

from toetsbatterij.state_store import NullStateStore, RedisStateStore, from_url


def exercise(store):
    assert store.ping()
    s1 = store.publish("room:1", {"candidate": 1, "state": "section"})
    s2 = store.publish("room:1", {"candidate": 2, "state": "paused"})
    assert s2 == s1 + 1
    assert [e["candidate"] for _, e in store.events_since("room:1", s1 - 1)] == [1, 2]
    assert [e["candidate"] for _, e in store.events_since("room:1", s1)] == [2]
    assert store.events_since("room:2", 0) == []
    with store.lock("attempt:1", ttl_seconds=2) as got:
        assert got
        result = []
        t = threading.Thread(target=lambda: result.append(
            store.lock("attempt:1", ttl_seconds=0.3).__enter__()))
        t.start()
        t.join()
        assert result == [False]
    # small expiring values: sessions' last-seen and cache, media grants
    assert store.get("k:1") is None
    store.put("k:1", "one", 30)
    assert store.get("k:1") == "one"
    assert store.add("k:1", "two", 30) is False and store.get("k:1") == "one"
    assert store.add("k:2", "two", 30) is True and store.get("k:2") == "two"
    assert [store.incr("n:1", 30) for _ in range(3)] == [1, 2, 3]
    store.delete("k:1", "k:2", "n:1")
    assert store.get("k:1") is None and store.get("k:2") is None
    assert store.incr("n:1", 30) == 1
    store.put("k:3", "short", 0.05)
    import time

    time.sleep(0.15)
    assert store.get("k:3") is None and store.add("k:3", "again", 30) is True
    store.delete("n:1", "k:3")


def test_null_store():
    assert isinstance(from_url(None), NullStateStore)
    exercise(NullStateStore())


@pytest.mark.redis
def test_redis_store(redis_url):
    store = RedisStateStore(redis_url, prefix="tbtest:")
    if not store.ping():
        pytest.fail(f"Redis not reachable at {redis_url}")
    store.flush_prefix()
    try:
        exercise(store)
    finally:
        store.flush_prefix()

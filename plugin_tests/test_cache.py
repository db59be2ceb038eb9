"""WindowCache: LRU bound, single flight under threads, concurrency across keys, errors."""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

import vsstvun.filter.cache
from vsstvun.filter.cache import WindowCache


@pytest.fixture
def waiting(monkeypatch: pytest.MonkeyPatch) -> threading.Semaphore:
    """Released once by every caller that starts waiting for another thread's computation.

    Lets a test release a computation only after its waiters are known to block on it,
    instead of sleeping and hoping they got there.
    """
    entered = threading.Semaphore(0)

    class SignallingFuture(Future):
        def result(self, timeout: float | None = None) -> object:
            entered.release()
            return super().result(timeout)

    monkeypatch.setattr(vsstvun.filter.cache, "Future", SignallingFuture)
    return entered


def wait_for(entered: threading.Semaphore, count: int) -> None:
    for _ in range(count):
        assert entered.acquire(timeout=5), "a caller never started waiting"


def test_hit_and_lru_eviction():
    cache: WindowCache[int, str] = WindowCache(2)
    assert cache.get(1, lambda: "a") == "a"
    assert cache.get(2, lambda: "b") == "b"
    assert cache.get(1, lambda: "never") == "a"  # hit; 1 becomes most recent
    cache.get(3, lambda: "c")  # evicts 2, the least recently used
    assert 1 in cache and 3 in cache and 2 not in cache
    assert len(cache) == 2 and cache.computed == 3


def test_rejects_empty_cache():
    with pytest.raises(ValueError):
        WindowCache(0)


def test_single_flight(waiting):
    """Eight threads ask for one key while its computation is still running: computed once."""
    cache: WindowCache[str, object] = WindowCache(4)
    started, release = threading.Event(), threading.Event()
    value = object()

    def compute() -> object:
        started.set()
        release.wait(5)
        return value

    with ThreadPoolExecutor(8) as pool:
        first = pool.submit(cache.get, "w", compute)
        assert started.wait(5)
        others = [pool.submit(cache.get, "w", compute) for _ in range(7)]
        wait_for(waiting, 7)  # all seven block on the in-flight computation
        release.set()
        results = [first.result(5)] + [f.result(5) for f in others]
    assert all(r is value for r in results)
    assert cache.computed == 1


def test_different_keys_compute_concurrently():
    """The lock is not held while computing: two computations meet at a barrier."""
    cache: WindowCache[int, int] = WindowCache(4)
    barrier = threading.Barrier(2, timeout=5)

    def compute(key: int) -> int:
        barrier.wait()  # raises BrokenBarrierError if the other key cannot start
        return key

    with ThreadPoolExecutor(2) as pool:
        assert sorted(pool.map(lambda k: cache.get(k, lambda: compute(k)), [1, 2])) == [1, 2]


def test_error_reaches_waiters_and_is_not_cached(waiting):
    cache: WindowCache[int, int] = WindowCache(2)
    started, release = threading.Event(), threading.Event()

    def failing() -> int:
        started.set()
        release.wait(5)
        raise RuntimeError("model failed")

    with ThreadPoolExecutor(2) as pool:
        owner = pool.submit(cache.get, 0, failing)
        assert started.wait(5)
        waiter = pool.submit(cache.get, 0, lambda: 1)
        wait_for(waiting, 1)
        release.set()
        for future in (owner, waiter):
            with pytest.raises(RuntimeError, match="model failed"):
                future.result(5)
    assert 0 not in cache
    assert cache.get(0, lambda: 7) == 7  # a later request retries


def test_random_access_from_many_threads_computes_each_key_once():
    """Like VapourSynth: many requests per window, random order, many threads."""
    cache: WindowCache[int, int] = WindowCache(64)
    counts = [0] * 16
    lock = threading.Lock()

    def compute(key: int) -> int:
        with lock:
            counts[key] += 1
        time.sleep(0.001)  # widens the race for the same key; the assertions hold for any timing
        return key * key

    requests = [k for k in range(16) for _ in range(10)]
    random.Random(0).shuffle(requests)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda k: cache.get(k, lambda: compute(k)), requests))
    assert results == [k * k for k in requests]
    assert counts == [1] * 16

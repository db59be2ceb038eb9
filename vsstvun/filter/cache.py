"""Thread-safe, single-flight LRU cache for per-window model states (pure Python).

Every output frame between X3 and X4 is synthesised from the same ``WindowState``, and the
window encode is by far the most expensive model call. VapourSynth asks for output frames from
several threads and in no particular order, so the cache must

* compute each window once even when two threads ask for it at the same moment
  (single flight: later callers wait on the first caller's result instead of recomputing),
* stay bounded (states live on the GPU; the bound is an entry count, entries of one filter
  instance all have the same size),
* never hold its lock while computing, so different windows are encoded concurrently.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future


class WindowCache[K: Hashable, V]:
    """LRU mapping ``key -> value`` whose values are produced on demand by ``get``."""

    def __init__(self, max_entries: int) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be >= 1, got {max_entries}")
        self._max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._in_flight: dict[K, Future[V]] = {}
        self.computed = 0
        """Number of times a value was computed (for tests and diagnostics)."""

    def get(self, key: K, compute: Callable[[], V]) -> V:
        """Return the value for ``key``, calling ``compute()`` only if it is neither cached nor
        already being computed by another thread (then this call waits for that result).

        If ``compute`` raises, every waiter gets the exception and nothing is cached, so a later
        request retries.
        """
        future: Future[V] = Future()
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
            pending = self._in_flight.setdefault(key, future)
            if pending is future:
                self.computed += 1
        if pending is not future:
            return pending.result()
        try:
            value = compute()
        except BaseException as exc:
            with self._lock:
                del self._in_flight[key]
            future.set_exception(exc)
            raise
        with self._lock:
            del self._in_flight[key]
            self._entries[key] = value
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        future.set_result(value)
        return value

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._entries

"""Keep the simulator's reference data in process for a while, bounded and thread-safe."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class ReferenceCache:
    """Reference data the simulator reads, kept in process for ``ttl`` seconds (bounded, thread-safe).

    Parameters, communes, rent map values, premiums, routing and income ceilings change only through
    administrators' imports and settings: a change reaches the simulator at most ``ttl`` seconds later (call
    ``clear`` after an import to see it at once). Cached values are immutable and shared between requests.
    """

    def __init__(self, ttl: float, *, max_entries: int = 4096, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        now = self.clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] > now:
                self._entries.move_to_end(key)
                return entry[1]
        value = load()  # outside the lock: a slow query must not block other requests
        with self._lock:
            self._entries[key] = (now + self.ttl, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def cached(cache: ReferenceCache | None, key: Hashable, load: Callable[[], T]) -> T:
    return load() if cache is None else cache.get(key, load)

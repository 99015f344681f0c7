"""Remember that something happened, so it happens exactly once (Slack retries, one auto-reply per
thread). Bounded in size and in time; in-process, which is enough for one bot instance."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable


class Once:
    """``claim(key)`` is True the first time a key is seen within ``ttl`` seconds, then False."""

    def __init__(
        self,
        ttl: float = 24 * 3600.0,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._max_keys = max_keys
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()

    def claim(self, key: str) -> bool:
        now = self._clock()
        self._expire(now)
        if key in self._seen:
            return False
        self._seen[key] = now
        while len(self._seen) > self._max_keys:
            self._seen.popitem(last=False)
        return True

    def release(self, key: str) -> None:
        """Forget a claim whose work failed, so a retry may do it."""
        self._seen.pop(key, None)

    def _expire(self, now: float) -> None:
        while self._seen:
            key, at = next(iter(self._seen.items()))
            if now - at < self._ttl:
                break
            del self._seen[key]

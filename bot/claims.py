"""Claims: remember that something happened so it happens exactly once (one auto-reply per thread,
a thread taken by a conversation, Slack's retried events, a second press of one button).

The service talks to claims only through ``await claim(key, ttl) -> bool`` and
``await release(key)``; the state store offers the same two calls (durable, shared by replicas).
:class:`MemoryClaims` is the in-process stand-in, bounded in size and in time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from cachetools import LRUCache

DEFAULT_TTL = 24 * 3600.0


@runtime_checkable
class Claims(Protocol):
    async def claim(self, key: str, ttl: float) -> bool:
        """True the first time ``key`` is claimed within ``ttl`` seconds, then False."""
        ...

    async def release(self, key: str) -> None:
        """Forget a claim whose work failed, so a retry may do it."""
        ...


class MemoryClaims:
    """:class:`Claims` in this process (enough for one bot instance)."""

    def __init__(
        self, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._clock = clock
        # key -> when its claim lapses (each claim has its own ttl); the oldest go first when full
        self._seen: LRUCache[str, float] = LRUCache(max_keys)

    async def claim(self, key: str, ttl: float = DEFAULT_TTL) -> bool:
        now = self._clock()
        until = self._seen.get(key)
        if until is not None and until > now:
            return False
        self._seen[key] = now + ttl
        return True

    async def release(self, key: str) -> None:
        self._seen.pop(key, None)

"""In-process store (tests, ``fedbot chat``): the full interface, lost when the process ends."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot import metrics
from bot.store.base import DEFAULT_RETENTION, PurgeSchedule, StateConflict, StoredState, Work


@dataclass
class _Claim:
    expires_at: float
    work: dict[str, Any] | None
    lease_until: float
    attempts: int


class MemoryStore:
    description = "memory://"

    def __init__(
        self, clock: Callable[[], float] = time.time, retention: float = DEFAULT_RETENTION
    ) -> None:
        self._rows: dict[str, StoredState] = {}
        self._claims: dict[str, _Claim] = {}
        self._clock = clock
        self._retention = retention
        self._purge = PurgeSchedule()

    async def open(self) -> None:
        return None

    async def get(self, key: str) -> StoredState | None:
        return self._rows.get(key)

    async def put(self, key: str, data: dict[str, Any], expected_version: int) -> int:
        current = self._rows.get(key)
        if (current.version if current else 0) != expected_version:
            raise StateConflict(key)
        # A JSON round trip keeps the same guarantees as SQLite: no shared mutable data.
        copy = json.loads(json.dumps(data))
        now = self._clock()
        self._rows[key] = StoredState(expected_version + 1, copy, now)
        self._maybe_purge(now)
        return expected_version + 1

    async def delete(self, key: str) -> None:
        self._rows.pop(key, None)

    async def claim(
        self, key: str, ttl: float, work: dict[str, Any] | None = None, lease: float = 60.0
    ) -> bool:
        now = self._clock()
        self._maybe_purge(now)
        current = self._claims.get(key)
        if current is not None and current.expires_at > now:
            return False
        copy = None if work is None else json.loads(json.dumps(work))
        self._claims[key] = _Claim(now + ttl, copy, now + lease, 0)
        return True

    async def release(self, key: str) -> None:
        self._claims.pop(key, None)

    async def claimed(self, key: str) -> dict[str, Any] | None:
        claim = self._claims.get(key)
        if claim is None or claim.expires_at <= self._clock() or claim.work is None:
            return None
        copy: dict[str, Any] = json.loads(json.dumps(claim.work))
        return copy

    async def finish(self, key: str) -> None:
        claim = self._claims.get(key)
        if claim is not None:
            claim.work = None

    async def take_unfinished(self, lease: float, limit: int = 50) -> list[Work]:
        now = self._clock()
        taken: list[Work] = []
        for key, claim in self._claims.items():
            if len(taken) >= limit:
                break
            if claim.work is not None and claim.lease_until <= now and claim.expires_at > now:
                claim.lease_until, claim.attempts = now + lease, claim.attempts + 1
                taken.append(Work(key, claim.work, claim.attempts))
        return taken

    async def update_work(self, key: str, work: dict[str, Any]) -> None:
        claim = self._claims.get(key)
        if claim is not None and claim.work is not None:
            claim.work = json.loads(json.dumps(work))

    async def renew(self, keys: list[str], lease: float) -> None:
        until = self._clock() + lease
        for key in keys:
            claim = self._claims.get(key)
            if claim is not None and claim.work is not None:
                claim.lease_until = until

    async def purge_expired(self, now: float, ttl: float) -> int:
        old = [k for k, row in self._rows.items() if row.updated_at < now - ttl]
        metrics.conversations_purged([self._rows.pop(key).data for key in old])
        gone = [k for k, claim in self._claims.items() if claim.expires_at <= now]
        for key in gone:
            del self._claims[key]
        return len(old) + len(gone)

    def _maybe_purge(self, now: float) -> None:
        if self._purge.due(now):
            old = [k for k, r in self._rows.items() if r.updated_at < now - self._retention]
            metrics.conversations_purged([self._rows.pop(key).data for key in old])
            for key in [k for k, c in self._claims.items() if c.expires_at <= now]:
                del self._claims[key]

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._rows.clear()
        self._claims.clear()

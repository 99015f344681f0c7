"""The state-store interface every backend implements, and what they share.

Two kinds of rows live in one store:

- **conversations**: ``get``/``put`` with versioned writes. ``put(key, data, expected_version)``
  succeeds only when the row is still at ``expected_version`` (``0`` = not stored yet) and
  returns the new version; otherwise :class:`StateConflict`, so two turns of one conversation
  (in one process or in two replicas) never overwrite each other silently.
- **idempotency records**: ``claim(key, ttl)`` is True for exactly one caller until the record
  expires (shared by every process on the store, durable once it returns); ``release(key)``
  forgets a claim whose work failed. A claim may carry the ``work`` it stands for: such a record
  is *unfinished* until ``finish(key)``; ``take_unfinished`` hands unfinished work whose lease ran
  out (its process died) to another caller, so acknowledged work is resumed after a crash;
  ``update_work`` records its next phase (e.g. the replies about to be posted) and ``renew``
  keeps the lease of work still running.

Expired rows of both kinds are purged continuously: each write purges a bounded batch when the
last purge is older than ``purge_every`` seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

PURGE_EVERY = 5.0  # seconds between bounded purges triggered by writes
PURGE_BATCH = 500  # rows of each kind removed by one purge
# an exactly-once record lives this long (Slack retries for minutes, Teams for seconds)
CLAIM_TTL = 24 * 3600.0
DEFAULT_RETENTION = 2 * 24 * 3600.0  # conversations idle this long are deleted


class StateConflict(Exception):
    """The stored version moved on since it was read: reload and re-apply."""


class StoreUnavailable(Exception):
    """The store cannot be used right now (unreachable, overloaded, refusing): work that needs it
    is not acknowledged, or is retried later; never answered as if it had failed for good."""


class StateStoreError(ValueError):
    """The state store URL cannot be used (unknown scheme, missing path, unreachable)."""


@dataclass(frozen=True)
class StoredState:
    version: int
    data: dict[str, Any]
    updated_at: float


@dataclass(frozen=True)
class Work:
    """Unfinished work taken over from a claim: its key, what it was, how often it was tried."""

    key: str
    data: dict[str, Any]
    attempts: int


class StateStore(Protocol):
    description: str

    async def open(self) -> None:
        """Connect and create the schema now; :class:`StateStoreError` naming ``FEDBOT_STATE``
        when the store cannot be used."""

    async def get(self, key: str) -> StoredState | None: ...

    async def put(self, key: str, data: dict[str, Any], expected_version: int) -> int: ...

    async def delete(self, key: str) -> None: ...

    async def claim(
        self, key: str, ttl: float, work: dict[str, Any] | None = None, lease: float = 60.0
    ) -> bool: ...

    async def release(self, key: str) -> None: ...

    async def claimed(self, key: str) -> dict[str, Any] | None:
        """What an unexpired claim carries (its ``work``), ``None`` when it carries nothing."""

    async def finish(self, key: str) -> None: ...

    async def take_unfinished(self, lease: float, limit: int = 50) -> list[Work]: ...

    async def update_work(self, key: str, work: dict[str, Any]) -> None:
        """Replace the record of unfinished work (its next phase); finished work stays finished."""

    async def renew(self, keys: list[str], lease: float) -> None:
        """Extend the lease of unfinished work this process is still doing (a heartbeat)."""

    async def purge_expired(self, now: float, ttl: float) -> int: ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...


class PurgeSchedule:
    """When a write should also purge: at most once per ``every`` seconds of the store's clock."""

    def __init__(self, every: float = PURGE_EVERY) -> None:
        self.every = every
        self._last = float("-inf")

    def due(self, now: float) -> bool:
        if now - self._last < self.every:
            return False
        self._last = now
        return True

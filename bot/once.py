"""Exactly once across restarts and replicas: Slack retries, Teams redeliveries, one auto-reply
per thread. A thin name over the state store's idempotency records (``claim``/``release``), so
the record lives with conversation state: durable (SQLite, PostgreSQL) and shared by every
process on the same store."""

from __future__ import annotations

from bot.store import StateStore

DEFAULT_TTL = 24 * 3600.0  # Slack retries for minutes, Teams for seconds: a day is ample


class Once:
    """``await claim(key)`` is True for exactly one caller within ``ttl`` seconds, then False."""

    def __init__(self, store: StateStore, ttl: float = DEFAULT_TTL) -> None:
        self.store = store
        self.ttl = ttl

    async def claim(self, key: str) -> bool:
        return await self.store.claim(key, self.ttl)

    async def release(self, key: str) -> None:
        """Forget a claim whose work failed, so a retry may do it."""
        await self.store.release(key)

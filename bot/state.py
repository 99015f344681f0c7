"""Compatibility name for :mod:`bot.store` (conversation state and idempotency records)."""

from bot.store import (
    MemoryStore,
    SQLiteStore,
    StateConflict,
    StateStore,
    StateStoreError,
    StoredState,
    Work,
    open_store,
)

__all__ = [
    "MemoryStore",
    "SQLiteStore",
    "StateConflict",
    "StateStore",
    "StateStoreError",
    "StoredState",
    "Work",
    "open_store",
]

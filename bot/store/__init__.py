"""Conversation state and idempotency records: the interface (:mod:`bot.store.base`) and its
backends, ``memory://``, ``sqlite:///path.db`` (the embedded default) and ``postgresql://…``
(several replicas on one database). ``open_store(url)`` picks one."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import unquote, urlsplit

from bot.store.base import (
    CLAIM_TTL,
    DEFAULT_RETENTION,
    StateConflict,
    StateStore,
    StateStoreError,
    StoredState,
    StoreUnavailable,
    Work,
)
from bot.store.memory import MemoryStore
from bot.store.sqlite import SQLiteStore

__all__ = [
    "CLAIM_TTL",
    "MemoryStore",
    "SQLiteStore",
    "StateConflict",
    "StateStore",
    "StateStoreError",
    "StoreUnavailable",
    "StoredState",
    "Work",
    "open_store",
]

USAGE = "use sqlite:///fedbot.db, postgresql://user:password@host/db or memory://"


def open_store(
    url: str, clock: Callable[[], float] = time.time, retention: float = DEFAULT_RETENTION
) -> StateStore:
    """The store ``url`` names (nothing is connected yet; the first call connects)."""
    try:
        parts = urlsplit(url)
    except ValueError as error:
        raise StateStoreError(f"FEDBOT_STATE={url!r}: not a URL ({error}); {USAGE}") from error
    if parts.scheme == "memory":
        return MemoryStore(clock, retention)
    if parts.scheme == "sqlite":
        path = unquote(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else ""
        if not path:
            raise StateStoreError(f"FEDBOT_STATE={url!r}: give a file, e.g. sqlite:///fedbot.db")
        return SQLiteStore(path, clock, retention)
    if parts.scheme in ("postgresql", "postgres"):
        if not parts.hostname and "host=" not in (parts.query or ""):
            raise StateStoreError(
                f"FEDBOT_STATE={url!r}: name the server, e.g. postgresql://fedbot@db.example/fedbot"
            )
        from bot.store.postgres import PostgresStore

        return PostgresStore(url, clock, retention)
    raise StateStoreError(f"FEDBOT_STATE={url!r}: unknown state store; {USAGE}")

"""Conversation state storage: versioned writes, expiry, an in-memory and an SQLite backend.

Every stored row carries a version. ``put(key, data, expected_version)`` succeeds only when the row
is still at ``expected_version`` (``0`` = not stored yet) and returns the new version; otherwise it
raises :class:`StateConflict`, so two turns of one conversation can never overwrite each other
silently. ``open_store(url)`` picks the backend: ``memory://`` or ``sqlite:///path/to/file.db``.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar
from urllib.parse import unquote, urlsplit

T = TypeVar("T")


class StateConflict(Exception):
    """The stored version moved on since it was read: reload and re-apply."""


class StateStoreError(ValueError):
    """The state store URL cannot be used (unknown scheme, missing path)."""


@dataclass(frozen=True)
class StoredState:
    version: int
    data: dict[str, Any]
    updated_at: float


class StateStore(Protocol):
    description: str

    async def get(self, key: str) -> StoredState | None: ...

    async def put(self, key: str, data: dict[str, Any], expected_version: int) -> int: ...

    async def delete(self, key: str) -> None: ...

    async def purge_expired(self, now: float, ttl: float) -> int: ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...


class MemoryStore:
    """In-process store (tests, ``fedbot chat``): lost when the process ends."""

    description = "memory://"

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._rows: dict[str, StoredState] = {}
        self._clock = clock

    async def get(self, key: str) -> StoredState | None:
        return self._rows.get(key)

    async def put(self, key: str, data: dict[str, Any], expected_version: int) -> int:
        current = self._rows.get(key)
        if (current.version if current else 0) != expected_version:
            raise StateConflict(key)
        # A JSON round trip keeps the same guarantees as SQLite: no shared mutable data.
        copy = json.loads(json.dumps(data))
        self._rows[key] = StoredState(expected_version + 1, copy, self._clock())
        return expected_version + 1

    async def delete(self, key: str) -> None:
        self._rows.pop(key, None)

    async def purge_expired(self, now: float, ttl: float) -> int:
        old = [k for k, row in self._rows.items() if row.updated_at < now - ttl]
        for key in old:
            del self._rows[key]
        return len(old)

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._rows.clear()


_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversation_state (
    key TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    data TEXT NOT NULL,
    updated_at REAL NOT NULL
)
"""


class SQLiteStore:
    """One SQLite file (WAL), one table; blocking calls run on one worker thread."""

    def __init__(self, path: str, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.description = f"sqlite:///{path}"
        self._clock = clock
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fedbot-state")
        self._db: sqlite3.Connection | None = None

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        def call() -> T:
            if self._db is None:
                self._db = self._connect()
            return fn(self._db)

        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    def _connect(self) -> sqlite3.Connection:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=5.0, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(_SCHEMA)
        return db

    async def get(self, key: str) -> StoredState | None:
        def get(db: sqlite3.Connection) -> tuple[int, str, float] | None:
            row = db.execute(
                "SELECT version, data, updated_at FROM conversation_state WHERE key = ?", (key,)
            ).fetchone()
            return None if row is None else (int(row[0]), str(row[1]), float(row[2]))

        row = await self._run(get)
        if row is None:
            return None
        version, text, updated_at = row
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        # A garbled row still has its version, so the next write replaces it cleanly.
        return StoredState(version, data if isinstance(data, dict) else {}, updated_at)

    async def put(self, key: str, data: dict[str, Any], expected_version: int) -> int:
        text = json.dumps(data, separators=(",", ":"))
        now = self._clock()

        def put(db: sqlite3.Connection) -> bool:
            if expected_version == 0:
                cur = db.execute(
                    "INSERT OR IGNORE INTO conversation_state VALUES (?, 1, ?, ?)", (key, text, now)
                )
            else:
                cur = db.execute(
                    "UPDATE conversation_state SET version = version + 1, data = ?, updated_at = ?"
                    " WHERE key = ? AND version = ?",
                    (text, now, key, expected_version),
                )
            return cur.rowcount == 1

        if not await self._run(put):
            raise StateConflict(key)
        return expected_version + 1

    async def delete(self, key: str) -> None:
        await self._run(
            lambda db: db.execute("DELETE FROM conversation_state WHERE key = ?", (key,))
        )

    async def purge_expired(self, now: float, ttl: float) -> int:
        def purge(db: sqlite3.Connection) -> int:
            cur = db.execute("DELETE FROM conversation_state WHERE updated_at < ?", (now - ttl,))
            return cur.rowcount

        return await self._run(purge)

    async def ping(self) -> bool:
        try:
            await self._run(lambda db: db.execute("SELECT 1").fetchone())
        except sqlite3.Error:
            return False
        return True

    async def close(self) -> None:
        def close(db: sqlite3.Connection) -> None:
            db.close()
            self._db = None

        if self._db is not None:
            await self._run(close)
        self._executor.shutdown(wait=True)


def open_store(url: str, clock: Callable[[], float] = time.time) -> StateStore:
    """The store ``url`` names: ``memory://`` or ``sqlite:///relative.db`` / ``sqlite:////abs.db``."""
    parts = urlsplit(url)
    if parts.scheme == "memory":
        return MemoryStore(clock)
    if parts.scheme == "sqlite":
        path = unquote(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else ""
        if not path:
            raise StateStoreError(f"FEDBOT_STATE={url!r}: give a file, e.g. sqlite:///fedbot.db")
        return SQLiteStore(path, clock)
    raise StateStoreError(
        f"FEDBOT_STATE={url!r}: unknown state store; use sqlite:///fedbot.db or memory://"
    )

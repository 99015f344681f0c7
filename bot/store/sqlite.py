"""One SQLite file (WAL): conversations and idempotency records side by side.

Blocking calls run on one worker thread. ``synchronous=FULL``: a write that returned is on disk,
so a claim or a conversation written before a request is acknowledged survives a crash of the
process or of the machine. Several processes may share the file (each statement is atomic), but
one process per file is the supported deployment; several replicas use PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from bot import metrics
from bot.store.base import (
    DEFAULT_RETENTION,
    PURGE_BATCH,
    PurgeSchedule,
    StateConflict,
    StateStoreError,
    StoredState,
    StoreUnavailable,
    Work,
)

T = TypeVar("T")

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS conversation_state (
    key TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    data TEXT NOT NULL,
    updated_at REAL NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS conversation_state_updated ON conversation_state (updated_at)",
    """CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    expires_at REAL NOT NULL,
    work TEXT,
    lease_until REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
)""",
    "CREATE INDEX IF NOT EXISTS idempotency_expires ON idempotency (expires_at)",
)


def decode(text: str | None) -> dict[str, Any]:
    """Stored JSON as a dict; a garbled value reads as ``{}`` (its version still counts)."""
    try:
        data = json.loads(text or "")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class SQLiteStore:
    def __init__(
        self,
        path: str,
        clock: Callable[[], float] = time.time,
        retention: float = DEFAULT_RETENTION,
    ) -> None:
        self.path = path
        self.description = f"sqlite:///{path}"
        self._clock = clock
        self._retention = retention
        self._purge = PurgeSchedule()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fedbot-state")
        self._db: sqlite3.Connection | None = None

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        def call() -> T:
            if self._db is None:
                self._db = self._connect()
            return fn(self._db)

        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, call)
        except sqlite3.OperationalError as error:  # locked past the time-out, disk full, I/O
            raise StoreUnavailable(str(error)[:200]) from error

    def _connect(self) -> sqlite3.Connection:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        for statement in _SCHEMA:
            db.execute(statement)
        return db

    def _purge_batch(self, db: sqlite3.Connection, now: float) -> None:
        if self._purge.due(now):
            gone = db.execute(
                "DELETE FROM conversation_state WHERE key IN (SELECT key FROM conversation_state"
                " WHERE updated_at < ? LIMIT ?) RETURNING data",
                (now - self._retention, PURGE_BATCH),
            )
            metrics.conversations_purged([decode(text) for (text,) in gone.fetchall()])
            db.execute(
                "DELETE FROM idempotency WHERE key IN (SELECT key FROM idempotency"
                " WHERE expires_at <= ? LIMIT ?)",
                (now, PURGE_BATCH),
            )

    async def open(self) -> None:
        try:
            await self._run(lambda db: None)
        except (sqlite3.Error, OSError, StoreUnavailable) as error:
            raise StateStoreError(f"FEDBOT_STATE={self.description}: {error}") from error

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
        return StoredState(version, decode(text), updated_at)

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
            self._purge_batch(db, now)
            return cur.rowcount == 1

        if not await self._run(put):
            raise StateConflict(key)
        return expected_version + 1

    async def delete(self, key: str) -> None:
        await self._run(
            lambda db: db.execute("DELETE FROM conversation_state WHERE key = ?", (key,))
        )

    async def claim(
        self, key: str, ttl: float, work: dict[str, Any] | None = None, lease: float = 60.0
    ) -> bool:
        now = self._clock()
        text = None if work is None else json.dumps(work, separators=(",", ":"))

        def claim(db: sqlite3.Connection) -> bool:
            self._purge_batch(db, now)
            cur = db.execute(
                "INSERT INTO idempotency VALUES (?, ?, ?, ?, 0) ON CONFLICT (key) DO UPDATE SET"
                " expires_at = excluded.expires_at, work = excluded.work,"
                " lease_until = excluded.lease_until, attempts = 0"
                " WHERE idempotency.expires_at <= ?",
                (key, now + ttl, text, now + lease, now),
            )
            return cur.rowcount == 1

        return await self._run(claim)

    async def release(self, key: str) -> None:
        await self._run(lambda db: db.execute("DELETE FROM idempotency WHERE key = ?", (key,)))

    async def claimed(self, key: str) -> dict[str, Any] | None:
        now = self._clock()

        def read(db: sqlite3.Connection) -> str | None:
            row = db.execute(
                "SELECT work FROM idempotency WHERE key = ? AND expires_at > ?", (key, now)
            ).fetchone()
            return None if row is None or row[0] is None else str(row[0])

        text = await self._run(read)
        return None if text is None else decode(text)

    async def finish(self, key: str) -> None:
        await self._run(
            lambda db: db.execute("UPDATE idempotency SET work = NULL WHERE key = ?", (key,))
        )

    async def take_unfinished(self, lease: float, limit: int = 50) -> list[Work]:
        now = self._clock()

        def take(db: sqlite3.Connection) -> list[tuple[str, str, int]]:
            rows = db.execute(
                "UPDATE idempotency SET lease_until = ?, attempts = attempts + 1 WHERE key IN"
                " (SELECT key FROM idempotency WHERE work IS NOT NULL AND lease_until <= ?"
                " AND expires_at > ? LIMIT ?) RETURNING key, work, attempts",
                (now + lease, now, now, limit),
            ).fetchall()
            return [(str(k), str(w), int(a)) for k, w, a in rows]

        return [Work(k, decode(w), a) for k, w, a in await self._run(take)]

    async def update_work(self, key: str, work: dict[str, Any]) -> None:
        text = json.dumps(work, separators=(",", ":"))
        await self._run(
            lambda db: db.execute(
                "UPDATE idempotency SET work = ? WHERE key = ? AND work IS NOT NULL", (text, key)
            )
        )

    async def renew(self, keys: list[str], lease: float) -> None:
        until = self._clock() + lease

        def renew(db: sqlite3.Connection) -> None:
            db.executemany(
                "UPDATE idempotency SET lease_until = ? WHERE key = ? AND work IS NOT NULL",
                [(until, key) for key in keys],
            )

        if keys:
            await self._run(renew)

    async def purge_expired(self, now: float, ttl: float) -> int:
        def purge(db: sqlite3.Connection) -> int:
            old = db.execute(
                "DELETE FROM conversation_state WHERE updated_at < ? RETURNING data", (now - ttl,)
            ).fetchall()
            metrics.conversations_purged([decode(text) for (text,) in old])
            gone = db.execute("DELETE FROM idempotency WHERE expires_at <= ?", (now,))
            return len(old) + gone.rowcount

        return await self._run(purge)

    async def ping(self) -> bool:
        try:
            await self._run(lambda db: db.execute("SELECT 1").fetchone())
        except (sqlite3.Error, StoreUnavailable):
            return False
        return True

    async def close(self) -> None:
        def close(db: sqlite3.Connection) -> None:
            db.close()
            self._db = None

        if self._db is not None:
            await self._run(close)
        self._executor.shutdown(wait=True)

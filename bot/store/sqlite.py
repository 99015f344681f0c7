"""One SQLite file (WAL): conversations and idempotency records side by side.

Blocking calls run on one worker thread. ``synchronous=FULL``: a write that returned is on disk,
so a claim or a conversation written before a request is acknowledged survives a crash of the
process or of the machine. Several processes may share the file (each transaction is atomic), but
one process per file is the supported deployment; several replicas use PostgreSQL.

**Group commit.** Writes (``put``, ``claim``, ``finish``, ``update_work``, …) are queued; the
writes queued while a commit is in flight are applied together as the next batch (at most
:data:`BATCH_LIMIT`): one transaction, each write inside its own ``SAVEPOINT`` (a write that fails,
e.g. a version conflict, rolls back only itself and gets its own exception), then one ``COMMIT``,
so one fsync serves the whole batch. Every caller is answered only after the ``COMMIT`` that holds
its write returned: nothing is acknowledged that a crash could lose. When that ``COMMIT`` (or the
transaction) fails, every write of the batch gets :class:`StoreUnavailable`, also those whose
answer was already decided (a lost claim, a conflict): they were decided against writes that are
not stored. Reads (``get``, ``claimed``) run between batches on committed data.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

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

log = logging.getLogger(__name__)

T = TypeVar("T")

BATCH_LIMIT = 64  # writes applied in one transaction (one COMMIT, one fsync)

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


@dataclass
class _Write(Generic[T]):
    """A queued write: what it does on the connection and the future its caller awaits."""

    fn: Callable[[sqlite3.Connection], T]
    future: asyncio.Future[T]
    outcome: T | None = None
    error: BaseException | None = None


@dataclass
class _Batch:
    """The writes of one transaction, and what their results need done once it is committed."""

    writes: list[_Write[Any]]
    after_commit: list[Callable[[], None]] = field(default_factory=list)


def _unavailable(error: BaseException) -> StoreUnavailable:
    unavailable = StoreUnavailable(str(error)[:200])
    unavailable.__cause__ = error
    return unavailable


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
        self._queue: list[_Write[Any]] = []  # writes waiting for the next batch
        self._busy = False  # a batch is scheduled or in flight
        self._closed = False
        self._idle: list[asyncio.Future[None]] = []  # close() waiting for the queue to drain
        self._batch: _Batch | None = None  # the batch being applied (worker thread only)
        self.commits = 0  # COMMITs of write batches that returned
        self.operations = 0  # writes in those batches: operations / commits = writes per fsync

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = self._connect()
        return self._db

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """``fn`` alone on the worker thread, outside any transaction (reads, open, close)."""
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self._executor, lambda: fn(self._connection())
            )
        except sqlite3.OperationalError as error:  # locked past the time-out, disk full, I/O
            raise StoreUnavailable(str(error)[:200]) from error

    async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """``fn`` in the next batch (its own savepoint); its result once the batch is committed.

        ``fn`` runs on the worker thread; an exception it raises rolls back its own changes and
        is raised here (SQLite's operational errors as :class:`StoreUnavailable`)."""
        if self._closed:
            raise StoreUnavailable(f"{self.description} is closed")
        loop = asyncio.get_running_loop()
        write: _Write[T] = _Write(fn, loop.create_future())
        self._queue.append(write)
        if not self._busy:
            self._busy = True
            # at the end of this turn of the loop: writes queued in the same turn share the batch
            loop.call_soon(self._next_batch, loop)
        return await write.future

    def _next_batch(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start a batch of the queued writes, or note that the queue is drained."""
        while self._queue:
            batch = _Batch(self._queue[:BATCH_LIMIT])
            del self._queue[:BATCH_LIMIT]
            try:
                applied = loop.run_in_executor(self._executor, self._apply, batch)
            except RuntimeError as error:  # the worker thread is gone (closed)
                for write in batch.writes:
                    if not write.future.done():
                        write.future.set_exception(_unavailable(error))
                continue
            applied.add_done_callback(functools.partial(self._answer, batch, loop))
            return
        self._busy = False
        for waiter in self._idle:
            if not waiter.done():
                waiter.set_result(None)
        self._idle.clear()

    def _answer(
        self, batch: _Batch, loop: asyncio.AbstractEventLoop, applied: asyncio.Future[None]
    ) -> None:
        """Answer every write of a finished batch, then start the next one. A batch that was not
        committed fails every write in it."""
        failed: BaseException | None = None
        if applied.cancelled():
            failed = StoreUnavailable("the write was cancelled")
        else:
            failed = applied.exception()
        for write in batch.writes:
            if write.future.done():  # its caller was cancelled; the write was applied anyway
                continue
            if failed is not None:
                write.future.set_exception(_unavailable(failed))
            elif isinstance(write.error, sqlite3.OperationalError):  # disk full, I/O
                write.future.set_exception(_unavailable(write.error))
            elif write.error is not None:
                write.future.set_exception(write.error)
            else:
                write.future.set_result(write.outcome)
        self._next_batch(loop)

    def _apply(self, batch: _Batch) -> None:
        """The worker thread's part: one transaction, a savepoint per write, one COMMIT. Raises
        when the transaction cannot be committed (every write of the batch fails with it)."""
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        self._batch = batch
        try:
            for n, write in enumerate(batch.writes):
                db.execute(f"SAVEPOINT w{n}")
                hooks = len(batch.after_commit)
                try:
                    write.outcome = write.fn(db)
                except Exception as error:
                    write.error = error
                    if not db.in_transaction:  # SQLite gave up the transaction (I/O, full)
                        raise
                    db.execute(f"ROLLBACK TO w{n}")
                    del batch.after_commit[hooks:]
                db.execute(f"RELEASE w{n}")
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        finally:
            self._batch = None
        self.commits += 1
        self.operations += len(batch.writes)
        for hook in batch.after_commit:
            try:
                hook()
            except Exception:  # committed all the same: its callers are answered
                log.exception("after committing a state store batch")

    def _after_commit(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` once the write being applied is committed (never if it is rolled back)."""
        if self._batch is None:
            hook()
        else:
            self._batch.after_commit.append(hook)

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
            purged = [decode(text) for (text,) in gone.fetchall()]
            self._after_commit(lambda: metrics.conversations_purged(purged))
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

        def put(db: sqlite3.Connection) -> None:
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
            if cur.rowcount != 1:
                raise StateConflict(key)
            self._purge_batch(db, now)

        await self._write(put)
        return expected_version + 1

    async def delete(self, key: str) -> None:
        def delete(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM conversation_state WHERE key = ?", (key,))

        await self._write(delete)

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

        return await self._write(claim)

    async def release(self, key: str) -> None:
        def release(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM idempotency WHERE key = ?", (key,))

        await self._write(release)

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
        def finish(db: sqlite3.Connection) -> None:
            db.execute("UPDATE idempotency SET work = NULL WHERE key = ?", (key,))

        await self._write(finish)

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

        return [Work(k, decode(w), a) for k, w, a in await self._write(take)]

    async def update_work(self, key: str, work: dict[str, Any]) -> None:
        text = json.dumps(work, separators=(",", ":"))

        def update(db: sqlite3.Connection) -> None:
            db.execute(
                "UPDATE idempotency SET work = ? WHERE key = ? AND work IS NOT NULL", (text, key)
            )

        await self._write(update)

    async def renew(self, keys: list[str], lease: float) -> None:
        until = self._clock() + lease

        def renew(db: sqlite3.Connection) -> None:
            db.executemany(
                "UPDATE idempotency SET lease_until = ? WHERE key = ? AND work IS NOT NULL",
                [(until, key) for key in keys],
            )

        if keys:
            await self._write(renew)

    async def purge_expired(self, now: float, ttl: float) -> int:
        def purge(db: sqlite3.Connection) -> int:
            old = db.execute(
                "DELETE FROM conversation_state WHERE updated_at < ? RETURNING data", (now - ttl,)
            ).fetchall()
            purged = [decode(text) for (text,) in old]
            self._after_commit(lambda: metrics.conversations_purged(purged))
            gone = db.execute("DELETE FROM idempotency WHERE expires_at <= ?", (now,))
            return len(old) + gone.rowcount

        return await self._write(purge)

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

        self._closed = True
        if self._busy:  # queued writes are committed (and answered) first
            idle = asyncio.get_running_loop().create_future()
            self._idle.append(idle)
            await idle
        if self._db is not None:
            await self._run(close)
        self._executor.shutdown(wait=True)

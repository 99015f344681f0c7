"""SQLite group commit: concurrent writes share one transaction and one COMMIT (one fsync), each
in its own savepoint, so a write that fails (a version conflict, an exception) fails alone; no
caller is answered before the COMMIT holding its write returned, so an acknowledged write
survives kill -9."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store import SQLiteStore, StateConflict, StoreUnavailable
from bot.store.sqlite import BATCH_LIMIT

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    store = SQLiteStore(str(tmp_path / "group.db"))
    await store.open()
    yield store
    await store.close()


async def test_concurrent_puts_share_commits_and_all_land(store: SQLiteStore) -> None:
    n = 300
    versions = await asyncio.gather(*(store.put(f"c{i}", {"i": i}, 0) for i in range(n)))
    assert versions == [1] * n
    assert store.operations == n
    assert store.commits < n  # several puts per COMMIT
    assert store.commits >= n / BATCH_LIMIT  # never more than BATCH_LIMIT in one
    for i in range(n):
        row = await store.get(f"c{i}")
        assert row is not None and row.version == 1 and row.data == {"i": i}


async def test_writes_queued_during_a_commit_form_the_next_batch(store: SQLiteStore) -> None:
    """Each caller resolves when its own batch committed; later callers are grouped."""
    first = asyncio.ensure_future(store.put("first", {}, 0))
    await asyncio.sleep(0)  # the first batch (one put) starts
    rest = [asyncio.ensure_future(store.put(f"k{i}", {}, 0)) for i in range(20)]
    assert await first == 1
    assert await asyncio.gather(*rest) == [1] * 20
    assert (store.operations, store.commits) == (21, 2)


async def test_a_conflicting_put_fails_alone_in_its_batch(store: SQLiteStore) -> None:
    await store.put("c", {"turn": 1}, 0)
    before = store.commits
    results = await asyncio.gather(
        store.put("a", {"k": "a"}, 0),
        store.put("c", {"turn": "stale"}, 0),  # conflicts: c is at version 1
        store.put("b", {"k": "b"}, 0),
        store.put("c", {"turn": 2}, 1),
        store.put("d", {"k": "d"}, 0),
        store.put("d", {"k": "second first write"}, 0),  # conflicts with the write before it
        return_exceptions=True,
    )
    assert store.commits == before + 1  # one batch
    assert results[0] == 1 and results[2] == 1 and results[3] == 2 and results[4] == 1
    assert isinstance(results[1], StateConflict) and isinstance(results[5], StateConflict)
    rows = {key: await store.get(key) for key in "abcd"}
    assert {key: (row.version, row.data) for key, row in rows.items() if row is not None} == {
        "a": (1, {"k": "a"}),
        "b": (1, {"k": "b"}),
        "c": (2, {"turn": 2}),
        "d": (1, {"k": "d"}),
    }


async def test_an_exception_inside_one_write_rolls_back_only_that_write(
    store: SQLiteStore,
) -> None:
    def half_done_then_fails(db: sqlite3.Connection) -> None:
        db.execute("INSERT INTO conversation_state VALUES ('half', 1, '{}', 0)")
        raise RuntimeError("boom")

    def bad_sql(db: sqlite3.Connection) -> None:
        db.execute("INSERT INTO conversation_state VALUES ('bad', 1, '{}', 0)")
        db.execute("SELECT * FROM no_such_table")

    results = await asyncio.gather(
        store.put("before", {"ok": 1}, 0),
        store._write(half_done_then_fails),
        store.claim("event:E1", 60.0, work={"body": "x"}),
        store._write(bad_sql),
        store.put("after", {"ok": 2}, 0),
        return_exceptions=True,
    )
    assert (store.operations, store.commits) == (5, 1)
    assert results[0] == 1 and results[2] is True and results[4] == 1
    assert isinstance(results[1], RuntimeError) and str(results[1]) == "boom"
    assert isinstance(results[3], StoreUnavailable) and "no_such_table" in str(results[3])
    assert await store.get("half") is None and await store.get("bad") is None
    before, after = await store.get("before"), await store.get("after")
    assert before is not None and before.data == {"ok": 1}
    assert after is not None and after.data == {"ok": 2}
    assert await store.claimed("event:E1") == {"body": "x"}
    assert await store.put("half", {}, 0) == 1  # the store goes on
    assert store.commits == 2


async def test_every_kind_of_write_goes_through_batches(store: SQLiteStore) -> None:
    await asyncio.gather(
        store.claim("event:A", 60.0, work={"n": 1}, lease=0.0),
        store.claim("event:B", 60.0, work={"n": 2}),
        store.put("conv", {}, 0),
    )
    await asyncio.gather(
        store.update_work("event:B", {"n": 3}),
        store.finish("event:B"),
        store.renew(["event:A"], 0.0),
        store.delete("conv"),
        store.release("event:none"),
    )
    taken = await store.take_unfinished(lease=30.0)
    assert [(w.key, w.data) for w in taken] == [("event:A", {"n": 1})]
    assert await store.purge_expired(now=0.0, ttl=1.0) == 0
    assert (store.operations, store.commits) == (10, 4)


async def test_close_commits_queued_writes_first(tmp_path: Path) -> None:
    path = str(tmp_path / "close.db")
    store = SQLiteStore(path)
    puts = [asyncio.ensure_future(store.put(f"k{i}", {}, 0)) for i in range(100)]
    await asyncio.sleep(0)
    await store.close()
    assert [p.result() for p in puts] == [1] * 100
    with pytest.raises(StoreUnavailable, match="closed"):
        await store.put("late", {}, 0)
    again = SQLiteStore(path)
    assert all([await again.get(f"k{i}") is not None for i in range(100)])
    await again.close()


# --- kill -9 --------------------------------------------------------------------------------------

WRITER = """
import asyncio, sys
from bot.store import SQLiteStore

async def main(path: str) -> None:
    store = SQLiteStore(path)
    await store.open()
    print("ready", flush=True)

    async def writer(w: int) -> None:
        n = 0
        while True:
            key = f"w{w}-{n}"
            await store.put(key, {"n": n}, 0)
            print(key, flush=True)  # acknowledged: its COMMIT returned
            n += 1

    await asyncio.gather(*(writer(w) for w in range(16)))

asyncio.run(main(sys.argv[1]))
"""


async def test_acknowledged_puts_survive_kill_9(tmp_path: Path) -> None:
    path = str(tmp_path / "killed.db")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # A plain Popen, waited on here: asyncio's child watcher can lose the exit status to a race
    # and report 255, which would hide whether the kill happened.
    proc = subprocess.Popen([sys.executable, "-c", WRITER, path], stdout=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    output = b""
    try:
        while output.count(b"\n") < 500:  # acknowledged puts, 16 writers still going
            line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 30)
            assert line, f"the writer ended before it was killed: {output[-500:]!r}"
            output += line
        proc.send_signal(signal.SIGKILL)  # mid-stream: batches in flight
        output += await asyncio.wait_for(asyncio.to_thread(proc.stdout.read), 30)
    finally:
        if proc.poll() is None:
            proc.kill()
        await asyncio.to_thread(proc.wait)
    assert proc.returncode == -signal.SIGKILL
    # whole lines only: a key cut off by the kill may not have been printed in full
    lines = output.decode().split("\n")[:-1]
    assert lines[0] == "ready"
    acknowledged = lines[1:]
    assert len(acknowledged) >= 499
    store = SQLiteStore(path)
    missing = [key for key in acknowledged if await store.get(key) is None]
    await store.close()
    assert missing == []

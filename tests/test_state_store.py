"""Conversation state stores: versioned writes, conflicts, expiry, resume, garbage rows."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store import (
    MemoryStore,
    SQLiteStore,
    StateConflict,
    StateStore,
    StateStoreError,
    open_store,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
async def store_and_clock(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[StateStore, Clock]]:
    clock = Clock()
    store: StateStore
    if request.param == "memory":
        store = MemoryStore(clock)
    elif request.param == "sqlite":
        store = SQLiteStore(str(tmp_path / "s.db"), clock)
    else:
        store = open_store(request.getfixturevalue("pg_url"), clock)
    yield store, clock
    await store.close()


async def test_versions_increase_and_data_round_trips(
    store_and_clock: tuple[StateStore, Clock],
) -> None:
    store, clock = store_and_clock
    assert await store.get("c1") is None
    assert await store.put("c1", {"a": [1, "x"], "b": None}, 0) == 1
    clock.now = 1005.0
    assert await store.put("c1", {"a": 2}, 1) == 2
    row = await store.get("c1")
    assert (
        row is not None and row.version == 2 and row.data == {"a": 2} and row.updated_at == 1005.0
    )


async def test_stale_version_conflicts_and_keeps_the_newer_data(
    store_and_clock: tuple[StateStore, Clock],
) -> None:
    store, _ = store_and_clock
    await store.put("c1", {"turn": 1}, 0)
    await store.put("c1", {"turn": 2}, 1)
    with pytest.raises(StateConflict):
        await store.put("c1", {"turn": "lost"}, 1)
    with pytest.raises(StateConflict):
        await store.put("c1", {"turn": "lost"}, 0)  # a second "first write" of the same key
    row = await store.get("c1")
    assert row is not None and row.data == {"turn": 2} and row.version == 2


async def test_writing_a_missing_row_with_a_version_conflicts(
    store_and_clock: tuple[StateStore, Clock],
) -> None:
    store, _ = store_and_clock
    with pytest.raises(StateConflict):
        await store.put("nobody", {}, 3)


async def test_keys_are_independent_and_delete_removes(
    store_and_clock: tuple[StateStore, Clock],
) -> None:
    store, _ = store_and_clock
    await store.put("a", {"k": "a"}, 0)
    await store.put("b", {"k": "b"}, 0)
    await store.delete("a")
    await store.delete("never-there")
    assert await store.get("a") is None
    row = await store.get("b")
    assert row is not None and row.data == {"k": "b"}


async def test_purge_removes_only_idle_rows(store_and_clock: tuple[StateStore, Clock]) -> None:
    store, clock = store_and_clock
    await store.put("old", {}, 0)
    clock.now = 2000.0
    await store.put("new", {}, 0)
    assert await store.purge_expired(now=2500.0, ttl=1000.0) == 1
    assert await store.get("old") is None and await store.get("new") is not None


async def test_ping(store_and_clock: tuple[StateStore, Clock]) -> None:
    assert await store_and_clock[0].ping() is True


async def test_memory_store_does_not_share_mutable_data() -> None:
    store = MemoryStore()
    data = {"list": [1]}
    await store.put("c", data, 0)
    data["list"].append(2)
    row = await store.get("c")
    assert row is not None and row.data == {"list": [1]}


async def test_sqlite_conversation_survives_closing_and_reopening(tmp_path: Path) -> None:
    path = str(tmp_path / "sub" / "fedbot.db")
    first = open_store(f"sqlite:///{path}")
    await first.put("teams:1", {"step": "scope"}, 0)
    await first.close()
    second = open_store(f"sqlite:///{path}")
    row = await second.get("teams:1")
    assert row is not None and row.version == 1 and row.data == {"step": "scope"}
    assert await second.put("teams:1", {"step": "card"}, 1) == 2
    await second.close()


async def test_sqlite_two_connections_cannot_overwrite_each_other(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.db")
    a, b = SQLiteStore(path), SQLiteStore(path)
    await a.put("c", {"by": "a"}, 0)
    row_a, row_b = await a.get("c"), await b.get("c")
    assert row_a is not None and row_b is not None
    await a.put("c", {"by": "a2"}, row_a.version)
    with pytest.raises(StateConflict):
        await b.put("c", {"by": "b"}, row_b.version)
    await a.close()
    await b.close()


async def test_sqlite_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "wal.db"
    store = SQLiteStore(str(path))
    await store.put("c", {}, 0)
    await store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_sqlite_garbage_row_reads_as_empty_data_and_can_be_replaced(tmp_path: Path) -> None:
    path = tmp_path / "garbage.db"
    store = SQLiteStore(str(path))
    await store.put("c", {"ok": True}, 0)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE conversation_state SET data = '{not json' WHERE key = 'c'")
    row = await store.get("c")
    assert row is not None and row.data == {} and row.version == 1
    assert await store.put("c", {"fresh": 1}, row.version) == 2
    await store.close()


def test_open_store_urls(tmp_path: Path) -> None:
    assert isinstance(open_store("memory://"), MemoryStore)
    store = open_store(f"sqlite:///{tmp_path}/x.db")
    assert isinstance(store, SQLiteStore) and store.path == f"{tmp_path}/x.db"
    assert open_store("sqlite:///fedbot.db").description == "sqlite:///fedbot.db"


@pytest.mark.parametrize(
    "url",
    ["redis://localhost", "fedbot.db", "sqlite://", "sqlite:///", "", "postgresql://", "http://[x"],
)
def test_open_store_refuses_unknown_urls_clearly(url: str) -> None:
    with pytest.raises(StateStoreError, match="FEDBOT_STATE"):
        open_store(url)


# --- idempotency records -------------------------------------------------------------------------


async def test_claim_is_true_once_until_it_expires(
    store_and_clock: tuple[StateStore, Clock],
) -> None:
    store, clock = store_and_clock
    assert await store.claim("event:Ev1", 60.0) is True
    assert await store.claim("event:Ev1", 60.0) is False
    assert await store.claim("event:Ev2", 60.0) is True
    clock.now += 59.0
    assert await store.claim("event:Ev1", 60.0) is False
    clock.now += 2.0
    assert await store.claim("event:Ev1", 60.0) is True  # expired: a new claim


async def test_release_lets_a_retry_claim_again(store_and_clock: tuple[StateStore, Clock]) -> None:
    store, _ = store_and_clock
    assert await store.claim("thread:T:C:1", 3600.0)
    await store.release("thread:T:C:1")
    await store.release("never-claimed")
    assert await store.claim("thread:T:C:1", 3600.0)


async def test_concurrent_claims_have_exactly_one_winner(
    store_and_clock: tuple[StateStore, Clock],
) -> None:
    import asyncio

    store, _ = store_and_clock
    results = await asyncio.gather(*(store.claim("activity:a1", 60.0) for _ in range(20)))
    assert sorted(results) == [False] * 19 + [True]


async def test_unfinished_work_is_taken_over_after_its_lease_and_not_after_finish(
    store_and_clock: tuple[StateStore, Clock],
) -> None:
    store, clock = store_and_clock
    assert await store.claim("event:E1", 3600.0, work={"body": "one"}, lease=30.0)
    assert await store.claim("event:E2", 3600.0, work={"body": "two"}, lease=30.0)
    assert await store.claim("event:E3", 3600.0)  # no work: nothing to resume
    assert await store.take_unfinished(lease=30.0) == []  # leases still held
    await store.finish("event:E2")
    clock.now += 31.0
    taken = await store.take_unfinished(lease=30.0)
    assert [(w.key, w.data, w.attempts) for w in taken] == [("event:E1", {"body": "one"}, 1)]
    assert await store.take_unfinished(lease=30.0) == []  # leased to the taker now
    clock.now += 31.0
    again = await store.take_unfinished(lease=30.0)
    assert [(w.key, w.attempts) for w in again] == [("event:E1", 2)]
    await store.finish("event:E1")
    clock.now += 31.0
    assert await store.take_unfinished(lease=30.0) == []
    assert await store.claim("event:E1", 3600.0) is False  # finished work stays claimed


async def test_writes_purge_expired_claims_and_idle_conversations_continuously(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """No start-up or hourly purge needed: a write a few seconds later removes what expired."""
    for kind in ("memory", "sqlite", "postgresql"):
        clock = Clock()
        store: StateStore
        if kind == "memory":
            store = MemoryStore(clock, retention=100.0)
        elif kind == "sqlite":
            store = SQLiteStore(str(tmp_path / "purge.db"), clock, retention=100.0)
        else:
            store = open_store(request.getfixturevalue("pg_url"), clock, retention=100.0)
        await store.put("idle", {}, 0)
        await store.claim("short", 10.0)
        await store.claim("long", 1000.0)
        clock.now += 150.0
        await store.put("fresh", {}, 0)  # this write purges
        assert await store.get("idle") is None, kind
        assert await store.get("fresh") is not None, kind
        assert await store.claim("short", 10.0) is True, kind  # gone, so claimable
        assert await store.claim("long", 10.0) is False, kind
        assert await store.purge_expired(clock.now, 100.0) == 0, kind
        await store.close()


async def test_sqlite_claims_survive_reopening_and_are_shared_between_connections(
    tmp_path: Path,
) -> None:
    path = str(tmp_path / "claims.db")
    a, b = SQLiteStore(path), SQLiteStore(path)
    assert await a.claim("event:X", 60.0, work={"n": 1})
    assert not await b.claim("event:X", 60.0)
    await a.close()
    c = SQLiteStore(path)
    assert not await c.claim("event:X", 60.0)
    await b.close()
    await c.close()


async def test_postgres_store_refuses_an_unreachable_database_clearly() -> None:
    from tests.pgserver import free_port

    store = open_store(f"postgresql://fedbot:secret@127.0.0.1:{free_port()}/fedbot")
    assert "secret" not in store.description
    assert await store.ping() is False
    with pytest.raises(StateStoreError, match=r"FEDBOT_STATE=.*cannot use the database"):
        await store.open()
    await store.close()


async def test_work_records_its_next_phase_and_a_renewed_lease_is_not_taken(
    store_and_clock: tuple[StateStore, Clock],
) -> None:
    store, clock = store_and_clock
    assert await store.claim("event:P1", 3600.0, work={"body": "one"}, lease=30.0)
    await store.update_work("event:P1", {"body": "one", "messages": ["a", "b"], "sent": 1})
    clock.now += 20.0
    await store.renew(["event:P1"], 30.0)  # still running here: 30 s more from now
    clock.now += 20.0
    assert await store.take_unfinished(lease=30.0) == []
    clock.now += 11.0
    (taken,) = await store.take_unfinished(lease=30.0)
    assert taken.data == {"body": "one", "messages": ["a", "b"], "sent": 1}
    await store.finish("event:P1")
    await store.update_work("event:P1", {"late": True})  # finished work stays finished
    await store.renew(["event:P1"], 30.0)
    clock.now += 100.0
    assert await store.take_unfinished(lease=30.0) == []


async def test_what_a_claim_carries_is_read_back_until_it_expires(
    store_and_clock: tuple[StateStore, Clock],
) -> None:
    store, clock = store_and_clock
    assert await store.claim("thread:T1", 100.0, {"owner": "event:E1"}, lease=100.0)
    assert await store.claimed("thread:T1") == {"owner": "event:E1"}
    assert await store.claim("thread:T2", 100.0)
    assert await store.claimed("thread:T2") is None
    clock.now += 50.0
    assert await store.take_unfinished(lease=30.0) == []  # an owner mark is not work
    clock.now += 51.0
    assert await store.claimed("thread:T1") is None  # expired

"""Which PostgreSQL driver for the state store: asyncpg or psycopg 3 (async, with its pool).

The same work on the same private server, in the same run: for each simulated turn, an
idempotency claim (INSERT … ON CONFLICT), a conversation read and a versioned write, 16 turns in
flight on an 8-connection pool. Prints turns/s and p99 per driver and their ratio.

    .venv/bin/python bench/bench_pg_driver.py [--turns 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.pgserver import start_pg_server

DDL = [
    "CREATE TABLE IF NOT EXISTS c (key TEXT PRIMARY KEY, version INT NOT NULL, data TEXT NOT NULL,"
    " updated_at DOUBLE PRECISION NOT NULL)",
    "CREATE TABLE IF NOT EXISTS i (key TEXT PRIMARY KEY, expires_at DOUBLE PRECISION NOT NULL)",
]
CLAIM = (
    "INSERT INTO i VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at"
    " WHERE i.expires_at < $3"
)
GET = "SELECT version, data FROM c WHERE key = $1"
INSERT = "INSERT INTO c VALUES ($1, 1, $2, $3) ON CONFLICT DO NOTHING"
UPDATE = (
    "UPDATE c SET version = version + 1, data = $2, updated_at = $3 WHERE key = $1 AND version = $4"
)
DATA = '{"phase":"scope","symptom":"presence","contact":"external_org","history":[1,2,3]}'

Turn = Callable[[int], Awaitable[None]]


async def run(turn: Turn, turns: int, concurrency: int = 16) -> tuple[float, float]:
    latencies: list[float] = []
    queue = iter(range(turns))

    async def worker() -> None:
        for n in queue:
            start = time.perf_counter()
            await turn(n)
            latencies.append(time.perf_counter() - start)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    return turns / elapsed, statistics.quantiles(latencies, n=100)[98] * 1000


async def asyncpg_turns(dsn: str, turns: int) -> tuple[float, float]:
    import asyncpg  # type: ignore[import-untyped]

    pool = await asyncpg.create_pool(dsn, min_size=8, max_size=8)
    for ddl in DDL:
        await pool.execute(ddl)

    async def turn(n: int) -> None:
        now = time.time()
        async with pool.acquire() as db:
            await db.execute(CLAIM, f"a{n}", now + 60, now)
            row = await db.fetchrow(GET, f"conv{n % 200}")
            if row is None:
                await db.execute(INSERT, f"conv{n % 200}", DATA, now)
            else:
                await db.execute(UPDATE, f"conv{n % 200}", DATA, now, row[0])

    try:
        return await run(turn, turns)
    finally:
        await pool.close()


async def psycopg_turns(dsn: str, turns: int) -> tuple[float, float]:
    from psycopg_pool import AsyncConnectionPool

    def pc(sql: str) -> str:
        for n in range(4, 0, -1):
            sql = sql.replace(f"${n}", "%s")
        return sql

    claim, get, insert, update = pc(CLAIM), pc(GET), pc(INSERT), pc(UPDATE)
    pool = AsyncConnectionPool(dsn, min_size=8, max_size=8, open=False, kwargs={"autocommit": True})
    await pool.open(wait=True)

    async def turn(n: int) -> None:
        now = time.time()
        async with pool.connection() as db:
            await db.execute(claim, (f"p{n}", now + 60, now))
            cur = await db.execute(get, (f"pconv{n % 200}",))
            row = await cur.fetchone()
            if row is None:
                await db.execute(insert, (f"pconv{n % 200}", DATA, now))
            else:
                await db.execute(update, (DATA, now, f"pconv{n % 200}", row[0]))

    try:
        return await run(turn, turns)
    finally:
        await pool.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=3000)
    args = parser.parse_args()
    server = start_pg_server()
    try:
        dsn = server.create_database("driver")
        results = {}
        for name, fn in (("asyncpg", asyncpg_turns), ("psycopg", psycopg_turns)):
            await fn(dsn, 300)  # warm up: connections, plans, tables
            results[name] = await fn(dsn, args.turns)
            print(f"{name:8} {results[name][0]:8.0f} turns/s  p99 {results[name][1]:6.2f} ms")
        ratio = results["asyncpg"][0] / results["psycopg"][0]
        print(f"asyncpg / psycopg throughput: {ratio:.2f}x")
    finally:
        server.stop()


if __name__ == "__main__":
    asyncio.run(main())

"""Replicas on PostgreSQL against one replica and against one SQLite process, in the same run.

Real ``fedbot serve`` processes, a real PostgreSQL (tests/pgserver.py), the loopback fake Slack
Web API and DNS server of the tests. Each configuration receives the same signed Slack events
(pasted federation errors: triage, a live DNS check, one threaded auto-reply each), every event
delivered twice (a retry, to another replica when there are two), spread round robin. Reported:
acknowledged events/s and p99 of the acknowledgement, replies/s until every reply was posted,
duplicate replies (threads answered more than once: must be 0), and the CPU per event of the
fedbot processes and of the PostgreSQL server (robust where throughput is noisy: the machine is
shared).

``--soak SECONDS --rate N`` then runs a bounded soak on two PostgreSQL replicas at N events/s and
reports each server's RSS at start and end and the database size (e.g. ``--soak 600 --rate 300``
for the 10-minute soak; the default run is short: the machine is shared).

    .venv/bin/python bench/bench_replicas.py [--events 600] [--concurrency 32]
        [--soak 20 --rate 100]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.dnsserver import start_dns_server
from tests.pgserver import start_pg_server
from tests.replicas import PASTED, Replica, event_body, message, post_event, slack_env
from tests.test_slack_helpers import FakeSlack


def rss_kb(replica: Replica) -> int:
    assert replica.process is not None
    for line in Path(f"/proc/{replica.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU the processes used so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICK


def postgres_pids() -> list[int]:
    """Every PostgreSQL server process (the test server's backends do the database's work)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def replies(fake: FakeSlack, channel: str) -> list[dict[str, Any]]:
    return [c for c in fake.calls["chat.postMessage"] if c.get("channel") == channel]


async def drive(
    replicas: list[Replica], channel: str, events: int, concurrency: int, fake: FakeSlack
) -> dict[str, float]:
    bodies = [
        (n, event_body(message(PASTED, channel, f"{1700000000 + n}.000100"), f"Ev{channel}{n}"))
        for n in range(events)
    ]
    work = [(n, body, k) for n, body in bodies for k in range(2)]  # each event twice
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    queue = iter(work)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

        async def worker() -> None:
            for n, body, k in queue:
                replica = replicas[(n + k) % len(replicas)]
                began = time.perf_counter()
                status = await post_event(session, replica.url, body, retry=k or None)
                latencies.append(time.perf_counter() - began)
                statuses[status] += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        acked = time.perf_counter() - began
        await fake.wait_for(lambda: len(replies(fake, channel)) >= events, 300)
        answered = time.perf_counter() - began
    threads = Counter(str(r.get("thread_ts")) for r in replies(fake, channel))
    return {
        "acks_per_s": len(work) / acked,
        "p99_ms": statistics.quantiles(latencies, n=100)[98] * 1000,
        "replies_per_s": events / answered,
        "non_200": sum(v for k, v in statuses.items() if k != 200),
        "duplicates": sum(count - 1 for count in threads.values()),
    }


async def configuration(
    name: str, urls: list[str], fake: FakeSlack, dns: str, args: argparse.Namespace, tmp: Path
) -> dict[str, float]:
    replicas = [
        await Replica(slack_env(url, fake.api_url, dns), log_path=tmp / f"{name}-{i}.log").start()
        for i, url in enumerate(urls)
    ]
    try:
        await drive(replicas, f"W{name}", 50, args.concurrency, fake)  # warm up
        pids = [r.process.pid for r in replicas if r.process is not None]
        db = postgres_pids() if name.startswith("pg") else []
        cpu, db_cpu = cpu_seconds(pids), cpu_seconds(db)
        result = await drive(replicas, f"C{name}", args.events, args.concurrency, fake)
        # CPU per event: robust on a shared machine, where throughput is not
        result["cpu_ms"] = (cpu_seconds(pids) - cpu) * 1000 / args.events
        result["db_cpu_ms"] = (cpu_seconds(db) - db_cpu) * 1000 / args.events
    finally:
        for replica in replicas:
            await replica.stop()
    # after the drain: nothing more was posted late
    threads = Counter(str(r.get("thread_ts")) for r in replies(fake, f"C{name}"))
    result["duplicates"] = sum(count - 1 for count in threads.values())
    return result


async def soak(
    url: str, fake: FakeSlack, dns: str, seconds: float, rate: int, tmp: Path, pg: Any
) -> None:
    """Open-loop load at ``rate`` events/s for ``seconds`` on two PostgreSQL replicas: what was
    sustained, RSS at start and end, database size, duplicates, non-200 answers and replies not
    posted once the backlog drained (up to 10 minutes)."""
    fake.light = True  # 180,000 posts: keep only what is counted
    replicas = [
        await Replica(slack_env(url, fake.api_url, dns), log_path=tmp / f"soak-{i}.log").start()
        for i in range(2)
    ]
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    acked: set[str] = set()  # thread ts of events answered 200 (each must get one reply)
    try:
        await drive(replicas, "Wsoak", 100, 16, fake)
        start_rss = [rss_kb(r) for r in replicas]
        pids = [r.process.pid for r in replicas if r.process is not None]
        cpu, db_cpu = cpu_seconds(pids), cpu_seconds(postgres_pids())
        sent = 0
        began = time.perf_counter()
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
            pending: set[asyncio.Task[None]] = set()

            async def one(n: int) -> None:
                body = event_body(
                    message(PASTED, "Csoak", f"{1800000000 + n}.000100"), f"Evsoak{n}"
                )
                sent_at = time.perf_counter()
                try:
                    status = await post_event(session, replicas[n % 2].url, body)
                except (aiohttp.ClientError, TimeoutError):
                    status = 0
                statuses[status] += 1
                latencies.append(time.perf_counter() - sent_at)
                if status == 200:
                    acked.add(f"{1800000000 + n}.000100")

            series: list[list[int]] = []  # RSS of each replica every minute (flat, or a leak)
            while time.perf_counter() - began < seconds:
                if (time.perf_counter() - began) >= 60 * len(series):
                    series.append([rss_kb(r) for r in replicas])
                target = int((time.perf_counter() - began) * rate)
                while sent < target:
                    task = asyncio.ensure_future(one(sent))
                    pending.add(task)
                    task.add_done_callback(pending.discard)
                    sent += 1
                await asyncio.sleep(0.01)  # pacing the open-loop load generator
            offered = time.perf_counter() - began
            if pending:
                await asyncio.gather(*pending)
            acked_at = time.perf_counter() - began
        with contextlib.suppress(TimeoutError):  # what is missing then is reported
            await fake.wait_for(lambda: len(replies(fake, "Csoak")) >= len(acked), 600)
        answered_at = time.perf_counter() - began
        end_rss = [rss_kb(r) for r in replicas]
        cpu_ms = (cpu_seconds(pids) - cpu) * 1000 / max(sent, 1)
        db_cpu_ms = (cpu_seconds(postgres_pids()) - db_cpu) * 1000 / max(sent, 1)
    finally:
        for replica in replicas:
            await replica.stop()
    threads = Counter(str(r.get("thread_ts")) for r in replies(fake, "Csoak"))
    duplicates = sum(count - 1 for count in threads.values())
    non_200 = sum(v for k, v in statuses.items() if k != 200)
    lost = len(acked - set(threads))  # acknowledged, never answered
    p99 = statistics.quantiles(latencies, n=100)[98] * 1000 if len(latencies) > 1 else 0.0
    print(
        f"soak: {seconds:g}s offered at {rate}/s ({sent / offered:.0f}/s sent) on 2 PostgreSQL "
        f"replicas: {sent} events; acknowledged {statuses[200]} ({statuses[200] / acked_at:.0f}/s, "
        f"ack p99 {p99:.0f} ms), non-200 {non_200} {dict(statuses)}; replies posted "
        f"{len(threads)} ({len(threads) / answered_at:.0f}/s until the last), acknowledged but "
        f"not answered {lost}, duplicates {duplicates}; RSS start {start_rss} kB, end "
        f"{end_rss} kB (every minute: {series}); database "
        f"{pg.database_size('bench') / 1e6:.1f} MB; CPU/event "
        f"{cpu_ms:.2f} ms fedbot + {db_cpu_ms:.2f} ms database"
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--soak", type=float, default=0.0, help="seconds of soak (0: none)")
    parser.add_argument("--rate", type=int, default=100, help="soak events per second")
    parser.add_argument("--no-fsync", action="store_true", help="PostgreSQL without fsync")
    args = parser.parse_args()
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="fedbot-bench-"))
    pg = start_pg_server(fsync=not args.no_fsync)
    dns = start_dns_server()
    fake = await FakeSlack().start()
    try:
        url = pg.create_database("bench")
        sqlite = f"sqlite:///{tmp / 'bench.db'}"
        results = {
            "1 x SQLite": await configuration("sqlite", [sqlite], fake, dns.address, args, tmp),
            "1 x PostgreSQL": await configuration("pg1", [url], fake, dns.address, args, tmp),
            "2 x PostgreSQL": await configuration("pg2", [url, url], fake, dns.address, args, tmp),
        }
        base = results["1 x SQLite"]
        print(f"{args.events} events, each delivered twice, {args.concurrency} in flight")
        for name, r in results.items():
            ratio = r["acks_per_s"] / base["acks_per_s"]
            print(
                f"{name:15} acks {r['acks_per_s']:7.0f}/s ({ratio:.2f}x)"
                f"  p99 {r['p99_ms']:6.1f} ms  replies {r['replies_per_s']:6.0f}/s"
                f" ({r['replies_per_s'] / base['replies_per_s']:.2f}x)"
                f"  duplicates {r['duplicates']:.0f}  non-200 {r['non_200']:.0f}"
                f"  CPU/event {r['cpu_ms']:.2f} ms (+ database {r['db_cpu_ms']:.2f} ms)"
            )
        if args.soak:
            await soak(url, fake, dns.address, args.soak, args.rate, tmp, pg)
    finally:
        await fake.close()
        dns.stop()
        pg.stop()


if __name__ == "__main__":
    asyncio.run(main())

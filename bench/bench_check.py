"""Benchmarks for the live federation check against a loopback DNS server that delays answers.

Run on demand: ``.venv/bin/python bench/bench_check.py [--delay-ms 50] [--domains 1000]``.
Each figure is printed next to the baseline measured in the same run:

(a) a full check's wall time vs one answer's delay (one query timed alone) and vs the sequential
    sum of the check's queries — target <= 2.5 x one answer's delay;
(b) a cached check — target < 1 ms;
(c) N domains through the ``--file`` machinery (federation.batch) — target < 10 s for 1,000;
(d) the same three figures for plain dnspython (``dns.asyncresolver.Resolver`` with its own
    ``LRUCache``, the check's queries gathered the same way, no judge): what the hand-written
    remainder in federation.resolver/checker (one deadline, shared in-flight queries, the result
    cache, outcomes as data) costs or earns against the library alone.

The DNS server runs in a child process so that its CPU time is not charged to the checker.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dns.asyncresolver
import dns.exception
import dns.nameserver
import dns.resolver

from federation.batch import ListEntry, check_list, summarise
from federation.checker import FederationChecker
from federation.judge import first_round, needs_targets, srv_targets, when_srv_missing
from federation.resolver import DnsClient, parse_nameserver
from tests.dnsserver import start_dns_server

GCC_HIGH_EDGE = "sipfed.online.gov.skypeforbusiness.us"
SOA = "@ 300 IN SOA ns1.example. hostmaster.example. 1 3600 600 86400 300"


def list_zone(count: int) -> str:
    """``count`` domains: a mix of Microsoft 365, on-premises and missing records."""
    parts = []
    for i in range(count):
        kind = i % 4
        body = {
            0: "_sipfederationtls._tcp 3600 IN SRV 100 1 5061 sipfed.online.lync.com.",
            1: f"_sipfederationtls._tcp 3600 IN SRV 100 1 5061 sip.bench{i}.example.\n"
            "sip 3600 IN A 203.0.113.1",
            2: "www 3600 IN A 192.0.2.1",
            3: "_sipfederationtls._tcp 3600 IN SRV 100 1 443 "
            "sipfed.online.gov.skypeforbusiness.us.",
        }[kind]
        parts.append(f"$ORIGIN bench{i}.example.\n{SOA}\n{body}\n")
    return "".join(parts)


def serve(zone_text: str, delay_ms: float, address: mp.Queue[str], stop: mp.Event) -> None:  # type: ignore[type-arg]
    server = start_dns_server(zone_text=zone_text, delay_ms=delay_ms)
    address.put(server.address)
    stop.wait()
    server.stop()


async def one_answer(address: str, name: str) -> float:
    client = DnsClient([parse_nameserver(address)])
    started = time.perf_counter()
    await client.query(name, "SOA", time.monotonic() + 5)
    return time.perf_counter() - started


async def sequential_sum(address: str, domain: str) -> tuple[float, int]:
    """Every query of a check, one after another, uncached."""
    client = DnsClient([parse_nameserver(address)])
    deadline = time.monotonic() + 30
    started = time.perf_counter()
    answers = []
    for name, rdtype in first_round(domain).values():
        answers.append(await client.query(name, rdtype, deadline))
    srv = answers[0]
    if needs_targets(srv):
        second = [(t, rt) for t in srv_targets(srv) for rt in ("A", "AAAA")]
    else:
        second = list(when_srv_missing(domain))
    for name, rdtype in second:
        await client.query(name, rdtype, deadline)
    asked = len(answers) + len(second)
    return time.perf_counter() - started, asked


async def bench(address: str, delay_ms: float, domains: int, concurrency: int) -> None:
    delay = statistics.median([await one_answer(address, f"bench{i}.example") for i in range(5)])
    seq, asked = await sequential_sum(address, "bench0.example")
    print(
        f"baseline: one answer {delay * 1000:.1f} ms (server delay {delay_ms:.0f} ms); "
        f"the check's {asked} queries one after another {seq * 1000:.0f} ms"
    )

    walls = []
    for i in range(1, 6):
        checker = FederationChecker([address], timeout=5.0)
        started = time.perf_counter()
        report = await checker.check(f"bench{i * 4}.example")
        walls.append(time.perf_counter() - started)
        assert report.results[0].status == "ok", report
    wall = statistics.median(walls)
    verdict = "ok" if wall <= 2.5 * delay else "MISSED"
    print(
        f"(a) full check: {wall * 1000:.1f} ms = {wall / delay:.2f} x one answer "
        f"(target <= 2.50 x), {seq / wall:.1f} x faster than sequential  [{verdict}]"
    )

    checker = FederationChecker([address], timeout=5.0)
    await checker.check("bench0.example")
    runs = 2000
    started = time.perf_counter()
    for _ in range(runs):
        await checker.check("bench0.example")
    cached = (time.perf_counter() - started) / runs
    verdict = "ok" if cached < 0.001 else "MISSED"
    print(
        f"(b) cached check: {cached * 1e6:.0f} us = {wall / cached:.0f} x faster than uncached "
        f"(target < 1000 us)  [{verdict}]"
    )

    checker = FederationChecker([address], timeout=5.0)
    entries = [ListEntry(i + 1, f"bench{i}.example") for i in range(domains)]
    started = time.perf_counter()
    outcomes = await check_list(checker, entries, concurrency=concurrency)
    elapsed = time.perf_counter() - started
    summary = summarise(outcomes)
    estimate = domains * wall
    target = 10.0 * domains / 1000
    verdict = "ok" if elapsed < target else "MISSED"
    print(
        f"(c) {domains} domains, concurrency {concurrency}: {elapsed:.2f} s "
        f"(one at a time would take ~{estimate:.1f} s; target < {target:.1f} s)  [{verdict}]"
    )
    print(f"    statuses: {summary.by_status}")
    await bench_plain(address, delay, domains, concurrency)


def plain_resolver(address: str) -> dns.asyncresolver.Resolver:
    server = parse_nameserver(address)
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = [dns.nameserver.Do53Nameserver(server.host, server.port)]
    resolver.cache = dns.resolver.LRUCache(10_000)
    resolver.lifetime = 5.0
    return resolver


async def plain_check(resolver: dns.asyncresolver.Resolver, domain: str) -> int:
    """A check's two rounds with dnspython alone: the first round gathered, then the targets."""

    async def ask(name: str, rdtype: str) -> dns.resolver.Answer | None:
        try:
            return await resolver.resolve(name, rdtype, search=False, raise_on_no_answer=False)
        except dns.exception.DNSException:
            return None

    first = await asyncio.gather(*(ask(n, t) for n, t in first_round(domain).values()))
    srv = first[0]
    targets = [str(r.target) for r in srv.rrset] if srv is not None and srv.rrset else []
    second = [(t, rt) for t in targets for rt in ("A", "AAAA")] or list(when_srv_missing(domain))
    await asyncio.gather(*(ask(n, t) for n, t in second))
    return len(first) + len(second)


async def bench_plain(address: str, delay: float, domains: int, concurrency: int) -> None:
    walls = []
    for i in range(1, 6):
        resolver = plain_resolver(address)
        started = time.perf_counter()
        await plain_check(resolver, f"bench{i * 4}.example")
        walls.append(time.perf_counter() - started)
    wall = statistics.median(walls)
    resolver = plain_resolver(address)
    await plain_check(resolver, "bench0.example")
    runs = 2000
    started = time.perf_counter()
    for _ in range(runs):
        await plain_check(resolver, "bench0.example")
    cached = (time.perf_counter() - started) / runs
    resolver = plain_resolver(address)
    queue = list(range(domains))

    async def worker() -> None:
        while queue:
            await plain_check(resolver, f"bench{queue.pop()}.example")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    print(
        f"(d) plain dnspython, same queries: full {wall * 1000:.1f} ms = {wall / delay:.2f} x one "
        f"answer; cached {cached * 1e6:.0f} us; {domains} domains {elapsed:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--delay-ms", type=float, default=50.0)
    parser.add_argument("--domains", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    ctx = mp.get_context("spawn")
    address_queue: mp.Queue[str] = ctx.Queue()  # type: ignore[assignment]
    stop = ctx.Event()
    zone = (
        list_zone(args.domains)
        + (Path(__file__).resolve().parent.parent / "tests/zones/microsoft.zone").read_text()
    )
    child = ctx.Process(target=serve, args=(zone, args.delay_ms, address_queue, stop), daemon=True)
    child.start()
    try:
        address = address_queue.get(timeout=30)
        asyncio.run(bench(address, args.delay_ms, args.domains, args.concurrency))
    finally:
        stop.set()
        child.join(5)


if __name__ == "__main__":
    main()

"""Teams ``/api/messages`` throughput and p99 latency at concurrency 16: fedbot against a stock
botbuilder echo bot, both measured in this run on this machine.

Each server runs in its own process on 127.0.0.1; this process drives the load, hosts the loopback
Bot Connector both reply to, and the loopback DNS server (answers cached by fedbot after the first
query). fedbot turns are full turns: state read and write, dialog step, Adaptive Card, reply (and a
card update for each button press), cycling through "restart" → a symptom button → "fedcheck".

Each round starts both servers afresh and measures the echo bot, then fedbot; the machine is shared
(2 cores, other engineers' tests), so several alternating rounds are run and each figure is reported
per round and as min / median / max. The ratio is taken within a round. Server CPU per turn (from
/proc) is printed too: it depends far less on what else the machine is doing than turns/s.

With ``--without connector_cache,fast_body,fast_read`` each round also measures fedbot with that
patch of third-party internals undone (in the bench's server process only), so each patch's gain
is a same-run figure: CPU per turn with / without it.

``--without metrics`` measures the cost of metrics two ways. Their hooks are timed in process
(bench/metrics_cost.py) and set against this run's server CPU per turn: the figure. And two fedbot
servers run side by side, one with ``FEDBOT_METRICS=off``, taking the same load in short
alternating blocks (``--blocks`` pairs, the order swapped every pair, server CPU from /proc):
CPU per turn with / without as min / quartiles / max, which shows how far whole-turn timing on
this machine is from resolving a cost that small.

Usage: .venv/bin/python bench/bench_teams.py [--seconds 10] [--concurrency 16] [--rounds 3]
       [--without connector_cache,fast_body,fast_read,metrics]
Target: fedbot ≥ 3× the echo bot's turns/s, p99 < 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.dnsserver import start_dns_server  # noqa: E402
from tests.teams_harness import FakeConnector, activity  # noqa: E402

PATCHES = ("connector_cache", "fast_body", "fast_read")
WITHOUTS = (*PATCHES, "metrics")  # metrics: not a patch, FEDBOT_METRICS=off


def serve_without(patches: list[str], port: int) -> int:
    """``fedbot serve`` with the named patches undone (the bench's comparison runs only)."""
    from botbuilder.schema import Activity

    from adapters.teams import connector, endpoint
    from bot.cli import main as fedbot

    if "connector_cache" in patches:

        async def create(self: Any, service_url: str, audience: str | None = None) -> Any:
            client = await self._inner.create(service_url, audience)
            return connector._prepare(client, self._owner.retry, self._owner.session)

        connector._CachedConnectorFactory.create = create  # type: ignore[method-assign]
    if "fast_body" in patches:
        # msrest's own body(); only our cards are still passed as JSON (msrest would str() them)
        from adapters.teams.activity_serializer import JsonObject

        def install(serializer: Any) -> None:
            walk = serializer.serialize_type["object"]
            serializer.serialize_type = {
                **serializer.serialize_type,
                "object": lambda d, **kw: dict(d) if isinstance(d, JsonObject) else walk(d, **kw),
            }

        connector.install = install
    if "fast_read" in patches:
        endpoint.read_activity = lambda data: Activity().deserialize(data)
    return fedbot(["serve", "--host", "127.0.0.1", "--port", str(port)])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def _wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            _r, w = await asyncio.open_connection("127.0.0.1", port)
            w.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError("server did not start")


Turns = Callable[[int, int, FakeConnector], dict[str, Any]]


def echo_turn(user: int, n: int, connector: FakeConnector) -> dict[str, Any]:
    return activity(connector.url, text=f"hello {n}", conversation=f"a:echo-{user}")


def fedbot_turn(user: int, n: int, connector: FakeConnector) -> dict[str, Any]:
    conversation = f"a:bench-{user}"
    step = n % 3
    if step == 0:
        return activity(connector.url, text="restart", conversation=conversation)
    if step == 1:
        # The symptom button of the question "restart" just sent (revision from the card).
        last = next(
            s for s in reversed(connector.sent) if s.conversation == conversation and s.buttons()
        )
        data = next(d for _t, d in last.buttons() if d["q"] == "symptom")
        return activity(connector.url, value=data, reply_to_id=last.id, conversation=conversation)
    return activity(connector.url, text="fedcheck contoso.example", conversation=conversation)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(
    port: int,
    connector: FakeConnector,
    turns: Turns,
    seconds: float,
    concurrency: int,
    pid: int | None = None,
    warmup: float = 1.0,
) -> dict[str, float]:
    url = f"http://127.0.0.1:{port}/api/messages"
    latencies: list[float] = []
    errors = 0
    warmup_until = time.monotonic() + warmup
    stop_at = warmup_until + seconds
    cpu_at_warmup: float | None = None

    async def user(session: aiohttp.ClientSession, index: int) -> None:
        nonlocal errors, cpu_at_warmup
        n = 0
        while time.monotonic() < stop_at:
            body = json.dumps(turns(index, n, connector))
            started = time.monotonic()
            if cpu_at_warmup is None and started >= warmup_until and pid is not None:
                cpu_at_warmup = _cpu_seconds(pid)
            async with session.post(
                url, data=body, headers={"Content-Type": "application/json"}
            ) as response:
                await response.read()
                ok = response.status in (200, 201)
            n += 1
            if started >= warmup_until:
                latencies.append(time.monotonic() - started)
                errors += not ok

    connector_limit = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector_limit) as session:
        await asyncio.gather(*(user(session, i) for i in range(concurrency)))
    cpu = _cpu_seconds(pid) - cpu_at_warmup if pid is not None and cpu_at_warmup else 0.0
    latencies.sort()
    return {
        "cpu_ms": 1000 * cpu / max(1, len(latencies)),
        "turns_per_s": len(latencies) / seconds,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
        "errors": errors,
        "turns": len(latencies),
    }


async def run_server(
    command: list[str],
    env: dict[str, str],
    port: int,
    connector: FakeConnector,
    turns: Turns,
    seconds: float,
    concurrency: int,
) -> dict[str, float]:
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        await _wait_listening(port, proc)
        return await measure(port, connector, turns, seconds, concurrency, proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


async def without_round(
    args: argparse.Namespace, env: dict[str, str], connector: FakeConnector, patch: str
) -> dict[str, float]:
    """fedbot with one patch undone."""
    port = _free_port()
    command = [
        sys.executable,
        "bench/bench_teams.py",
        "--serve-without",
        patch,
        "--port",
        str(port),
    ]
    result = await run_server(
        command, env, port, connector, fedbot_turn, args.seconds, args.concurrency
    )
    connector.sent.clear()
    return result


async def metrics_cost(
    args: argparse.Namespace, env: dict[str, str], connector: FakeConnector
) -> list[float]:
    """CPU per turn with / without metrics, one ratio per pair of alternating blocks."""
    serve = [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port"]
    ports = [_free_port(), _free_port()]
    procs = [
        subprocess.Popen(
            [*serve, str(port)],
            cwd=ROOT,
            env=env | extra,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port, extra in zip(ports, ({}, {"FEDBOT_METRICS": "off"}), strict=True)
    ]
    # separate conversations per server: each finds its own last card in the connector
    loads: list[Turns] = [fedbot_turn, lambda u, n, c: fedbot_turn(u + 1000, n, c)]
    ratios = []
    try:
        for side, (port, proc) in enumerate(zip(ports, procs, strict=True)):
            await _wait_listening(port, proc)
            await measure(port, connector, loads[side], 2.0, args.concurrency, warmup=0)  # warm
            connector.sent.clear()
        for pair in range(args.blocks):
            cpu = [0.0, 0.0]
            for side in (0, 1) if pair % 2 == 0 else (1, 0):
                block = await measure(
                    ports[side],
                    connector,
                    loads[side],
                    args.block_seconds,
                    args.concurrency,
                    procs[side].pid,
                    warmup=0.3,
                )
                cpu[side] = block["cpu_ms"]
                connector.sent.clear()
            ratios.append(cpu[0] / cpu[1])
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)
    return ratios


def _quartiles(values: list[float]) -> str:
    q1, q2, q3 = statistics.quantiles(values, n=4)
    return (
        f"min {min(values):.3f}  q1 {q1:.3f}  median {q2:.3f}  q3 {q3:.3f}  max {max(values):.3f}x"
    )


async def one_round(
    args: argparse.Namespace, env: dict[str, str], connector: FakeConnector
) -> tuple[dict[str, float], dict[str, float]]:
    python = sys.executable
    echo_port = _free_port()
    echo = await run_server(
        [python, "bench/echo_bot.py", str(echo_port)],
        env,
        echo_port,
        connector,
        echo_turn,
        args.seconds,
        args.concurrency,
    )
    connector.sent.clear()
    fed_port = _free_port()
    fed = await run_server(
        [python, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(fed_port)],
        env,
        fed_port,
        connector,
        fedbot_turn,
        args.seconds,
        args.concurrency,
    )
    connector.sent.clear()
    return echo, fed


def _line(name: str, r: dict[str, float]) -> str:
    return (
        f"{name:<28} {r['turns_per_s']:8.1f} turns/s   p50 {r['p50_ms']:6.1f} ms   "
        f"p99 {r['p99_ms']:6.1f} ms   CPU {r['cpu_ms']:5.2f} ms/turn   "
        f"({int(r['turns'])} turns, {int(r['errors'])} errors)"
    )


def _spread(values: list[float], unit: str) -> str:
    return (
        f"min {min(values):7.2f}  median {statistics.median(values):7.2f}  "
        f"max {max(values):7.2f} {unit}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3, help="alternating echo/fedbot rounds")
    parser.add_argument("--without", default="", help=f"also measure without: {WITHOUTS}")
    parser.add_argument("--blocks", type=int, default=20, help="--without metrics: block pairs")
    parser.add_argument("--block-seconds", type=float, default=1.5)
    parser.add_argument("--serve-without", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    undone = [p for p in args.without.split(",") if p]
    if unknown := set(undone) - set(WITHOUTS):
        parser.error(f"unknown patches {sorted(unknown)}; known: {', '.join(WITHOUTS)}")
    with_metrics = "metrics" in undone
    undone = [p for p in undone if p != "metrics"]
    withouts: dict[str, list[dict[str, float]]] = {p: [] for p in undone}

    dns = start_dns_server()
    connector = await FakeConnector().start()
    env = {
        **os.environ,
        "FEDBOT_STATE": "memory://",
        "FEDBOT_DNS_SERVERS": dns.address,
        "MicrosoftAppId": "",
        "PYTHONPATH": str(ROOT),
    }
    print(
        f"/api/messages at concurrency {args.concurrency}, {args.seconds:g} s each, "
        f"{args.rounds} alternating rounds"
    )
    rounds: list[tuple[dict[str, float], dict[str, float]]] = []
    try:
        for number in range(1, args.rounds + 1):
            echo, fed = await one_round(args, env, connector)
            rounds.append((echo, fed))
            ratio = fed["turns_per_s"] / echo["turns_per_s"] if echo["turns_per_s"] else 0.0
            print(f"round {number}")
            print("  " + _line("baseline: stock echo bot", echo))
            print("  " + _line("fedbot (full turns)", fed))
            print(f"  ratio fedbot / echo: {ratio:.2f}x")
            for patch in undone:
                without = await without_round(args, env, connector, patch)
                withouts[patch].append(without)
                print("  " + _line(f"fedbot without {patch}", without))
        cost = await metrics_cost(args, env, connector) if with_metrics else []
    finally:
        await connector.stop()
        dns.stop()

    echoes, feds = [e for e, _ in rounds], [f for _, f in rounds]
    ratios = [f["turns_per_s"] / e["turns_per_s"] for e, f in rounds if e["turns_per_s"]]
    cpu_ratios = [e["cpu_ms"] / f["cpu_ms"] for e, f in rounds if f["cpu_ms"]]
    print(f"over {args.rounds} rounds:")
    for name, runs in (("baseline: stock echo bot", echoes), ("fedbot (full turns)", feds)):
        print(f"  {name}")
        print(f"    turns/s      {_spread([r['turns_per_s'] for r in runs], '')}")
        print(f"    p50          {_spread([r['p50_ms'] for r in runs], 'ms')}")
        print(f"    p99          {_spread([r['p99_ms'] for r in runs], 'ms')}")
        print(f"    CPU per turn {_spread([r['cpu_ms'] for r in runs], 'ms')}")
    print(f"  ratio fedbot / echo turns/s  {_spread(ratios, 'x')}   (target >= 3x)")
    print(f"  ratio echo / fedbot CPU/turn {_spread(cpu_ratios, 'x')}")
    print("  fedbot p99 target < 100 ms")
    if cost:
        from metrics_cost import hook_seconds, report

        hooks = await hook_seconds("/api/messages")
        print(f"  {report(hooks, statistics.median(r['cpu_ms'] for r in feds))}")
        print(f"  {len(cost)} pairs of alternating {args.block_seconds:g} s blocks, two servers:")
        print(f"    server CPU/turn with / without metrics: {_quartiles(cost)}")
    for patch, runs in withouts.items():
        gains = [w["cpu_ms"] / f["cpu_ms"] for w, f in zip(runs, feds, strict=True) if f["cpu_ms"]]
        speed = [f["turns_per_s"] / w["turns_per_s"] for w, f in zip(runs, feds, strict=True)]
        print(f"  {patch}: CPU/turn without / with {_spread(gains, 'x')}")
        print(f"  {patch}: turns/s with / without   {_spread(speed, 'x')}")


if __name__ == "__main__":
    if "--serve-without" in sys.argv:  # a comparison server: serve, outside any event loop
        at = sys.argv.index("--serve-without")
        raise SystemExit(serve_without(sys.argv[at + 1].split(","), int(sys.argv[at + 3])))
    asyncio.run(main())

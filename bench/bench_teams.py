"""Teams ``/api/messages`` throughput and p99 latency at concurrency 16: fedbot against a stock
botbuilder echo bot, both measured in this run on this machine.

Each server runs in its own process on 127.0.0.1; this process drives the load, hosts the loopback
Bot Connector both reply to, and the loopback DNS server (answers cached by fedbot after the first
query). fedbot turns are full turns: state read and write, dialog step, Adaptive Card, reply (and a
card update for each button press), cycling through "restart" → a symptom button → "fedcheck".

Usage: .venv/bin/python bench/bench_teams.py [--seconds 10] [--concurrency 16]
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


async def measure(
    port: int, connector: FakeConnector, turns: Turns, seconds: float, concurrency: int
) -> dict[str, float]:
    url = f"http://127.0.0.1:{port}/api/messages"
    latencies: list[float] = []
    errors = 0
    warmup_until = time.monotonic() + 1.0
    stop_at = warmup_until + seconds

    async def user(session: aiohttp.ClientSession, index: int) -> None:
        nonlocal errors
        n = 0
        while time.monotonic() < stop_at:
            body = json.dumps(turns(index, n, connector))
            started = time.monotonic()
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
    latencies.sort()
    return {
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
        return await measure(port, connector, turns, seconds, concurrency)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    dns = start_dns_server()
    connector = await FakeConnector().start()
    env = {
        **os.environ,
        "FEDBOT_STATE": "memory://",
        "FEDBOT_DNS_SERVERS": dns.address,
        "MicrosoftAppId": "",
        "PYTHONPATH": str(ROOT),
    }
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
    await connector.stop()
    dns.stop()

    def line(name: str, r: dict[str, float]) -> str:
        return (
            f"{name:<28} {r['turns_per_s']:8.1f} turns/s   p50 {r['p50_ms']:6.1f} ms   "
            f"p99 {r['p99_ms']:6.1f} ms   ({int(r['turns'])} turns, {int(r['errors'])} errors)"
        )

    print(f"/api/messages at concurrency {args.concurrency}, {args.seconds:g} s each")
    print(line("baseline: stock echo bot", echo))
    print(line("fedbot (full turns)", fed))
    ratio = fed["turns_per_s"] / echo["turns_per_s"] if echo["turns_per_s"] else float("inf")
    print(f"ratio fedbot / echo: {ratio:.2f}x (target >= 3x); fedbot p99 target < 100 ms")


if __name__ == "__main__":
    asyncio.run(main())

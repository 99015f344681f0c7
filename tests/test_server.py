"""``fedbot serve``: the startup log, loopback-only binding without an app id, health endpoints,
and graceful shutdown (SIGTERM lets an in-flight turn finish)."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from bot.config import Settings
from bot.server import bind_host, build_app, serve, startup_lines
from bot.service import FedBot
from tests.dnsserver import DnsTestServer
from tests.teams_harness import FakeConnector, activity

ROOT = Path(__file__).resolve().parents[1]


def test_no_app_id_binds_loopback_only() -> None:
    host, teams, why = bind_host("0.0.0.0", Settings())
    assert host == "127.0.0.1" and teams and why and "MicrosoftAppId" in why
    assert bind_host("0.0.0.0", Settings(app_id="x")) == ("0.0.0.0", True, None)
    assert bind_host("127.0.0.1", Settings()) == ("127.0.0.1", True, None)


def test_slack_only_listens_publicly_without_the_unauthenticated_teams_endpoint() -> None:
    slack = Settings(slack_bot_token="xoxb-1", slack_signing_secret="s")
    host, teams, why = bind_host("0.0.0.0", slack)
    assert (host, teams) == ("0.0.0.0", False) and why and "Slack only" in why
    # Socket Mode needs no public URL: the loopback rule stands.
    socket_mode = Settings(
        slack_bot_token="xoxb-1", slack_signing_secret="s", slack_app_token="xapp-1"
    )
    assert bind_host("0.0.0.0", socket_mode)[:2] == ("127.0.0.1", True)


async def test_public_slack_only_app_has_no_bot_framework_route() -> None:
    settings = Settings(slack_bot_token="xoxb-1", slack_signing_secret="s", state_url="memory://")
    bot = await FedBot.create(settings)
    try:
        app, lines = build_app(bot, settings, teams=False)
        paths = {r.resource.canonical for r in app.router.routes() if r.resource is not None}
        assert "/api/messages" not in paths and "/slack/events" in paths
        assert lines[0].startswith("teams: off") and "MicrosoftAppId" in lines[0]
    finally:
        await bot.close()


async def test_serve_logs_and_finishes_in_flight_turns_on_stop(
    make_dns_server: Callable[..., DnsTestServer], caplog: pytest.LogCaptureFixture
) -> None:
    dns = make_dns_server(delay_ms=400)
    settings = Settings(dns_servers=(dns.address,), state_url="memory://", dns_timeout=3.0)
    bot = await FedBot.create(settings)
    connector = await FakeConnector().start()
    stop = asyncio.Event()
    with caplog.at_level(logging.INFO):
        task = asyncio.create_task(
            serve(bot, settings, "0.0.0.0", 0, stop=stop, shutdown_timeout=10)
        )
        for _ in range(100):
            if any("listening on" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.02)
        log = "\n".join(r.getMessage() for r in caplog.records)
        port = int(re.search(r"listening on http://127\.0\.0\.1:(\d+)", log).group(1))  # type: ignore[union-attr]
        assert "POST /api/messages" in log and "authentication OFF" in log
        assert "127.0.0.1 only" in log
        assert "state store: memory://" in log
        assert f"DNS resolvers: {dns.address} (from FEDBOT_DNS_SERVERS" in log
        assert "/healthz" in log and "/readyz" in log and "slack" in log
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as session:
            async with session.get(base + "/healthz") as r:
                assert r.status == 200
            async with session.get(base + "/readyz") as r:
                assert r.status == 200 and (await r.json())["ready"] is True
            body = activity(connector.url, text="fedcheck contoso.example")
            in_flight = asyncio.create_task(session.post(base + "/api/messages", json=body))
            await asyncio.sleep(0.15)  # the turn is waiting for DNS
            stop.set()
            response = await in_flight
            assert response.status == 201
        await asyncio.wait_for(task, 15)
    # a typing indicator while the (slow) check ran, then the answer
    replies = [s for s in connector.sent if s.body.get("type") == "message"]
    assert len(replies) == 1 and "contoso.example" in replies[0].text
    assert "fedbot stopped" in "\n".join(r.getMessage() for r in caplog.records)
    await connector.stop()


def test_fedbot_serve_stops_cleanly_on_sigterm(dns_server: DnsTestServer, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "FEDBOT_STATE": "memory://",
        "FEDBOT_DNS_SERVERS": dns_server.address,
        "MicrosoftAppId": "",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", "0"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    lines: list[str] = []
    for line in proc.stderr:
        lines.append(line)
        if "knowledge:" in line:
            break
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=20)
    text = "".join(lines) + (err or "")
    assert proc.returncode == 0, text
    assert "listening on http://127.0.0.1:" in text
    assert "fedbot stopped" in text


def test_startup_names_the_system_resolvers_it_found() -> None:
    from federation.resolver import system_nameservers

    lines = startup_lines(Settings(), [], "127.0.0.1", 3978, system_nameservers("/nonexistent"))
    assert "DNS resolvers: none found: every check will fail" in "\n".join(lines)
    found = startup_lines(Settings(), [], "127.0.0.1", 3978, ("192.0.2.53:53",))
    assert "DNS resolvers: 192.0.2.53:53 (from the system's /etc/resolv.conf" in "\n".join(found)

"""Slack over Socket Mode (``SLACK_APP_TOKEN``): the real application started and stopped the way
``fedbot serve`` does (build_app, aiohttp runner startup and cleanup), connecting through
``apps.connections.open`` on the loopback fake Slack Web API to its loopback WebSocket server,
which sends envelopes and records the acknowledgements."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import socket
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from test_slack_helpers import FakeSlack, assert_valid_message

from adapters.slack import ADAPTER_KEY
from bot.config import Settings
from bot.server import build_app
from bot.service import FedBot
from tests.dnsserver import DnsTestServer, start_dns_server

APP_TOKEN = "xapp-1-A1-1-test"
BOT_TOKEN = "xoxb-test"
TEAM = FakeSlack.TEAM
BOT = FakeSlack.BOT_USER
PASTED = (
    "This message was not delivered to joe@contoso.example because the address is outside your "
    "organization and is not federated with your company, or the address is incorrect."
)


@dataclass
class Running:
    fake: FakeSlack
    bot: FedBot
    runner: web.AppRunner
    url: str
    loop_errors: list[dict[str, Any]]


def _socket_mode_tasks() -> list[asyncio.Task[Any]]:
    """Tasks of the Socket Mode client (slack_sdk's, bolt's, ours) still alive in this loop."""
    alive = []
    for task in asyncio.all_tasks():
        code = getattr(task.get_coro(), "cr_code", None)
        where = code.co_filename if code is not None else ""
        if not task.done() and ("socket_mode" in where or where.endswith("slack/socket.py")):
            alive.append(task)
    return alive


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def dns() -> Iterator[DnsTestServer]:
    server = start_dns_server()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack_sdk's Socket Mode client honours proxy variables: keep the test on loopback."""
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)


async def _start(dns: DnsTestServer, fake: FakeSlack) -> Running:
    settings = Settings(
        dns_servers=(dns.address,),
        dns_timeout=1.0,
        state_url="memory://",
        slack_bot_token=BOT_TOKEN,
        slack_app_token=APP_TOKEN,
        slack_api_url=fake.api_url,
    )
    loop_errors: list[dict[str, Any]] = []
    asyncio.get_running_loop().set_exception_handler(lambda _, ctx: loop_errors.append(ctx))
    bot = await FedBot.create(settings)
    app, lines = build_app(bot, settings)
    assert any(line.startswith("slack: on, Socket Mode") for line in lines), lines
    runner = web.AppRunner(app)
    await runner.setup()  # runs on_startup: the adapter connects here, as in `fedbot serve`
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    return Running(fake, bot, runner, url, loop_errors)


async def _stop(running: Running) -> None:
    await running.runner.cleanup()
    await running.bot.close()
    gc.collect()  # unclosed sessions and destroyed pending tasks report on collection


@pytest.fixture
async def running(dns: DnsTestServer) -> AsyncIterator[Running]:
    fake = await FakeSlack().start()
    started = await _start(dns, fake)
    try:
        yield started
    finally:
        if started.runner.server is not None:
            await _stop(started)
        await fake.close()


def _event_payload(event: dict[str, Any], event_id: str) -> dict[str, Any]:
    return {
        "token": "x",
        "team_id": TEAM,
        "api_app_id": "A1",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "event": event,
        "authorizations": [{"team_id": TEAM, "user_id": BOT, "is_bot": True}],
    }


def _message(text: str, channel: str, ts: str) -> dict[str, Any]:
    return {
        "type": "message",
        "channel": channel,
        "user": "U1",
        "text": text,
        "ts": ts,
        "channel_type": "channel",
    }


async def test_socket_mode_answers_events_and_fedcheck_and_shuts_down_cleanly(
    running: Running,
) -> None:
    fake = running.fake
    await fake.wait_for(lambda: fake.open_sockets())
    # the WebSocket URL was asked for with the app-level token, not the bot token
    assert fake.tokens["apps.connections.open"] == [f"Bearer {APP_TOKEN}"]

    # a pasted federation error in a channel: acknowledged, one threaded reply
    pasted = _message(PASTED, "C1", "1700000001.000100")
    first = await fake.send_envelope(
        "events_api", _event_payload(pasted, "EvSock1"), accepts_response_payload=False
    )
    await fake.wait_for(lambda: fake.acked(first))
    await fake.wait_for(lambda: fake.posted("C1"), timeout=10)
    # Slack redelivers an unacknowledged event as a new envelope with the same event_id
    again = await fake.send_envelope(
        "events_api",
        _event_payload(pasted, "EvSock1"),
        retry_attempt=1,
        retry_reason="timeout",
    )
    # chatter in the same channel: acknowledged, no reply
    chatter = _message("lunch at noon?", "C1", "1700000002.000100")
    quiet = await fake.send_envelope("events_api", _event_payload(chatter, "EvSock2"))

    # /fedcheck: acknowledged at once, the report arrives through response_url
    command = {
        "token": "x",
        "team_id": TEAM,
        "team_domain": "contoso",
        "channel_id": "C1",
        "channel_name": "support",
        "user_id": "U1",
        "user_name": "joe",
        "command": "/fedcheck",
        "text": "contoso.example",
        "api_app_id": "A1",
        "response_url": fake.response_url("sock-cmd"),
        "trigger_id": "1.2.3",
    }
    sent = time.monotonic()
    slash = await fake.send_envelope("slash_commands", command, accepts_response_payload=True)
    await fake.wait_for(lambda: fake.acked(slash))
    assert time.monotonic() - sent < 1.0
    await fake.wait_for(lambda: fake.responses.get("sock-cmd"), timeout=10)

    # a payload we cannot handle: acknowledged (no redelivery), dropped, nothing breaks
    broken = await fake.send_envelope("events_api", {"type": "event_callback"})
    await fake.wait_for(lambda: all(fake.acked(e) for e in (again, quiet, broken)))
    assert await running.runner.app[ADAPTER_KEY].drain(timeout=30)  # the acknowledged work

    (reply,) = fake.posted("C1")
    assert reply["thread_ts"] == pasted["ts"]
    assert "contoso.example" in json.dumps(reply["blocks"])
    assert_valid_message(reply)
    assert fake.tokens["chat.postMessage"] == [f"Bearer {BOT_TOKEN}"]
    (answer,) = fake.responses["sock-cmd"]
    assert answer["response_type"] == "in_channel"
    assert "sipfed.online.lync.com" in json.dumps(answer["blocks"])
    assert_valid_message(answer)
    acked = [ack["envelope_id"] for ack in fake.acks]
    assert sorted(acked) == sorted([first, again, quiet, slash, broken])  # each exactly once

    # shutdown: the socket is closed from our side, nothing of the client is left running
    await _stop(running)
    await fake.wait_for(lambda: not fake.open_sockets())
    assert _socket_mode_tasks() == []
    assert running.loop_errors == []


async def test_socket_mode_reconnects_when_slack_asks(running: Running) -> None:
    fake = running.fake
    await fake.wait_for(lambda: fake.open_sockets())
    # Slack refreshes connections now and then: a `disconnect` message, then a new URL
    await fake.open_sockets()[-1].send_json({"type": "disconnect", "reason": "refresh_requested"})
    await fake.wait_for(lambda: len(fake.sockets) == 2 and len(fake.open_sockets()) == 1)
    assert len(fake.tokens["apps.connections.open"]) == 2
    pasted = _message(PASTED, "C2", "1700000003.000100")
    envelope = await fake.send_envelope("events_api", _event_payload(pasted, "EvSock3"))
    await fake.wait_for(lambda: fake.acked(envelope))
    await fake.wait_for(lambda: fake.posted("C2"), timeout=10)
    await _stop(running)
    assert _socket_mode_tasks() == []
    assert running.loop_errors == []


async def test_refused_app_token_is_reported_once_and_the_server_still_runs(
    dns: DnsTestServer, caplog: pytest.LogCaptureFixture
) -> None:
    fake = await FakeSlack().start()
    fake.fail["apps.connections.open"] = "invalid_auth"
    try:
        with caplog.at_level(logging.ERROR, logger="adapters.slack.socket"):
            running = await _start(dns, fake)
            async with aiohttp.ClientSession() as http, http.get(f"{running.url}/healthz") as resp:
                assert resp.status == 200
            await fake.wait_for(lambda: fake.calls.get("apps.connections.open"))
            await asyncio.sleep(0.3)
        assert len(fake.calls["apps.connections.open"]) == 1  # no retry storm
        assert fake.sockets == []
        assert any("invalid_auth" in r.getMessage() for r in caplog.records)
        await _stop(running)
        assert _socket_mode_tasks() == []
        assert running.loop_errors == []
    finally:
        await fake.close()


async def test_shutdown_while_the_websocket_cannot_be_reached_is_prompt_and_clean(
    dns: DnsTestServer,
) -> None:
    fake = await FakeSlack().start()
    fake.socket_url = f"ws://127.0.0.1:{_closed_port()}/link/"
    try:
        running = await _start(dns, fake)  # startup does not wait for the connection
        async with aiohttp.ClientSession() as http, http.get(f"{running.url}/healthz") as resp:
            assert resp.status == 200
        await fake.wait_for(lambda: fake.calls.get("apps.connections.open"))
        await asyncio.sleep(0.2)  # the client failed to connect and waits to retry
        started = time.monotonic()
        await _stop(running)
        assert time.monotonic() - started < 2.0
        assert _socket_mode_tasks() == []
        assert running.loop_errors == []
    finally:
        await fake.close()

"""Teams time and failure budgets with a misbehaving loopback Bot Connector: a hung connector
never holds the inbound request past the bound (Teams would redeliver after 15 s), the redelivery
is a no-op and the reply arrives once; 5xx answers with text bodies are retried."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import pytest

from adapters.teams.endpoint import REPLY_BOUND
from bot.config import Settings
from bot.service import FedBot
from tests.dnsserver import DnsTestServer
from tests.teams_harness import FakeConnector, RunningApp, activity, run_app


async def until(connector: FakeConnector, holds: Callable[[], bool], timeout: float = 20) -> None:
    async def wait() -> None:
        while not holds():
            connector.changed.clear()
            await connector.changed.wait()

    await asyncio.wait_for(wait(), timeout)


@pytest.fixture
async def teams(dns_server: DnsTestServer) -> AsyncIterator[tuple[RunningApp, FakeConnector]]:
    settings = Settings(dns_servers=(dns_server.address,), state_url="memory://", dns_timeout=2.0)
    bot = await FedBot.create(settings)
    connector = await FakeConnector().start()
    app = await run_app(bot, settings)
    yield app, connector
    if connector.hold is not None:
        connector.hold.set()
    await app.stop()
    await connector.stop()
    await bot.close()


async def test_a_hung_connector_does_not_hold_the_request_and_a_redelivery_is_a_no_op(
    teams: tuple[RunningApp, FakeConnector],
) -> None:
    app, connector = teams
    connector.hold = asyncio.Event()
    body = activity(connector.url, text="help", conversation="a:hung-1")
    began = time.monotonic()
    status, _ = await app.post(body)
    held = time.monotonic() - began
    assert status in (200, 201, 202) and held < REPLY_BOUND + 3.0  # well under Teams' 15 s
    assert (await app.post(body))[0] in (200, 201)  # Teams' redelivery of the same activity
    connector.hold.set()
    await until(connector, lambda: len(connector.posts("a:hung-1")) >= 1)
    another = activity(connector.url, text="help", conversation="a:hung-1")
    assert (await app.post(another))[0] in (200, 201)  # a new activity is answered
    assert len(connector.posts("a:hung-1")) == 2  # the hung one once, the new one once


async def test_connector_5xx_with_text_bodies_are_retried(
    teams: tuple[RunningApp, FakeConnector],
) -> None:
    app, connector = teams
    connector.fail_text_next = [502, 500]
    body = activity(connector.url, text="help", conversation="a:text-5xx")
    assert (await app.post(body))[0] in (200, 201, 202)
    await until(connector, lambda: len(connector.posts("a:text-5xx")) == 1)
    assert connector.fail_text_next == []


async def test_expect_replies_is_answered_200_with_the_replies_in_the_body(
    teams: tuple[RunningApp, FakeConnector],
) -> None:
    import json

    app, connector = teams
    body = activity(connector.url, text="help", conversation="a:expect")
    body["deliveryMode"] = "expectReplies"
    status, text = await app.post(body)
    assert status == 200, text
    replies = json.loads(text)["activities"]
    assert replies and replies[0]["type"] == "message" and replies[0]["attachments"]
    assert connector.posts("a:expect") == []  # in the body, not through the connector


@pytest.fixture
async def teams_short_lease(
    dns_server: DnsTestServer,
) -> AsyncIterator[tuple[RunningApp, FakeConnector, FedBot]]:
    """Unfinished work is taken over after 0.5 s (instead of FEDBOT_WORK_LEASE's 60 s)."""
    settings = Settings(
        dns_servers=(dns_server.address,), state_url="memory://", dns_timeout=2.0, work_lease=0.5
    )
    bot = await FedBot.create(settings)
    connector = await FakeConnector().start()
    app = await run_app(bot, settings)
    yield app, connector, bot
    await app.stop()
    await connector.stop()
    await bot.close()


def _messages(connector: FakeConnector, conversation: str) -> list[str]:
    return [s.text for s in connector.posts(conversation) if s.body.get("type") == "message"]


async def test_a_reply_the_connector_refuses_is_sent_later_once_and_a_lost_one_apologised_for(
    teams_short_lease: tuple[RunningApp, FakeConnector, FedBot], caplog: pytest.LogCaptureFixture
) -> None:
    app, connector, bot = teams_short_lease
    # refused beyond the client's retries twice (408: not retried by the client), then taken
    connector.fail_next = [408, 408]
    body = activity(connector.url, text="fedcheck contoso.example", conversation="a:later-1")
    assert (await app.post(body))[0] in (200, 201)
    await until(connector, lambda: bool(_messages(connector, "a:later-1")))
    await bot.work.drain(10)
    (reply,) = _messages(connector, "a:later-1")
    assert "contoso.example" in reply

    # refused on every attempt: given up, logged once, the user told in a later message
    connector.fail_next = [408] * 4
    body = activity(connector.url, text="fedcheck contoso.example", conversation="a:lost-1")
    with caplog.at_level("ERROR", logger="adapters.teams.turns"):
        assert (await app.post(body))[0] in (200, 201)
        await until(connector, lambda: bool(_messages(connector, "a:lost-1")))
        await bot.work.drain(10)
    (note,) = _messages(connector, "a:lost-1")
    assert note.startswith("Sorry — I couldn't send my answer to")
    assert "fedcheck contoso.example" in note
    given_up = [r.getMessage() for r in caplog.records if "giving up" in r.getMessage()]
    assert len(given_up) == 1 and "a:lost-1" in given_up[0]

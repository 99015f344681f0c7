"""Several real ``fedbot serve`` processes on one real PostgreSQL database, restarts and kill -9:
every Slack event is answered exactly once, whichever replica (or how many) received it, and the
turns of one conversation split across replicas all land in its state."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from adapters.slack.inbound import DM_THREAD
from bot.store import open_store
from tests.dnsserver import DnsTestServer
from tests.replicas import (
    PASTED,
    Replica,
    event_body,
    kill_leftovers,
    message,
    post_event,
    slack_env,
)
from tests.test_slack_helpers import FakeSlack


@pytest.fixture(autouse=True)
def leftover_replicas() -> Iterator[None]:
    yield
    kill_leftovers()  # a failed test's server processes


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = await FakeSlack().start()
    yield fake
    await fake.close()


def posted(fake: FakeSlack, channel: str) -> list[dict[str, object]]:
    return [c for c in fake.calls["chat.postMessage"] if c.get("channel") == channel]


async def test_the_same_events_sent_to_two_replicas_get_one_reply_each(
    pg_url: str, fake_slack: FakeSlack, dns_server: DnsTestServer, tmp_path: Path
) -> None:
    env = slack_env(pg_url, fake_slack.api_url, dns_server.address)
    a = await Replica(env, log_path=tmp_path / "a.log").start()
    b = await Replica(env, log_path=tmp_path / "b.log").start()
    try:
        events = [(f"EvR{n}", message(PASTED, "C9", f"17000000{n:02d}.000100")) for n in range(12)]
        async with aiohttp.ClientSession() as session:
            statuses = await asyncio.gather(
                *(
                    post_event(session, replica.url, event_body(event, event_id), retry)
                    for event_id, event in events
                    for replica, retry in ((a, None), (b, 1), (a, 2), (b, None))
                )
            )
        assert statuses == [200] * len(statuses)
        await fake_slack.wait_for(lambda: len(posted(fake_slack, "C9")) >= len(events), 30)
    finally:
        assert await a.stop() == 0  # SIGTERM drains the work in flight
        assert await b.stop() == 0
    threads = sorted(str(p["thread_ts"]) for p in posted(fake_slack, "C9"))
    assert threads == sorted(event["ts"] for _, event in events)  # one reply per event


async def test_one_conversation_split_across_two_replicas_loses_no_turn(
    pg_url: str, fake_slack: FakeSlack, dns_server: DnsTestServer, tmp_path: Path
) -> None:
    env = slack_env(pg_url, fake_slack.api_url, dns_server.address)
    replicas = [
        await Replica(env, log_path=tmp_path / "a.log").start(),
        await Replica(env, log_path=tmp_path / "b.log").start(),
    ]
    texts = ["our users can't see presence of people in another company", "1", "1", "2", "1", "2"]
    counts: list[int] = []
    try:
        async with aiohttp.ClientSession() as session:
            for n, text in enumerate(texts):
                event = message(text, "D7", f"17000010{n:02d}.000200")  # the DM's top level
                replica = replicas[n % 2]
                before = len(posted(fake_slack, "D7"))
                assert await post_event(session, replica.url, event_body(event, f"EvD{n}")) == 200
                await fake_slack.wait_for(lambda b=before: len(posted(fake_slack, "D7")) > b, 30)
                counts.append(len(posted(fake_slack, "D7")) - before)
    finally:
        for replica in replicas:
            assert await replica.stop() == 0
    store = open_store(pg_url)
    row = await store.get(f"slack:T0001:D7:{DM_THREAD}")
    await store.close()
    assert row is not None and row.version == len(texts), (
        counts
    )  # every turn applied, none overwritten


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_retry_after_kill_9_and_restart_never_replies_twice(
    backend: str,
    request: pytest.FixtureRequest,
    fake_slack: FakeSlack,
    dns_server: DnsTestServer,
    tmp_path: Path,
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'state.db'}"
        if backend == "sqlite"
        else str(request.getfixturevalue("pg_url"))
    )
    env = slack_env(url, fake_slack.api_url, dns_server.address)
    replica = await Replica(env, log_path=tmp_path / "r.log").start()
    event = message(PASTED, "C5", "1700002000.000100")
    body = event_body(event, "EvKill")
    async with aiohttp.ClientSession() as session:
        assert await post_event(session, replica.url, body) == 200
        await fake_slack.wait_for(lambda: len(posted(fake_slack, "C5")) == 1, 30)
        replica.kill()
        await replica.start()
        for retry in (1, 2, 3):
            assert await post_event(session, replica.url, body, retry) == 200
        # the same pasted error again in the same thread: its auto-reply was recorded too
        again = message(PASTED, "C5", "1700002001.000100", thread_ts=event["ts"])
        assert await post_event(session, replica.url, event_body(again, "EvKill2")) == 200
    assert await replica.stop() == 0
    assert len(posted(fake_slack, "C5")) == 1


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_an_event_acknowledged_then_killed_mid_work_is_resumed_once_after_restart(
    backend: str,
    request: pytest.FixtureRequest,
    fake_slack: FakeSlack,
    dns_server: DnsTestServer,
    tmp_path: Path,
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'state.db'}"
        if backend == "sqlite"
        else str(request.getfixturevalue("pg_url"))
    )
    env = slack_env(url, fake_slack.api_url, dns_server.address)
    env |= {"FEDBOT_WORK_LEASE": "2", "FEDBOT_DNS_TIMEOUT": "5"}
    replica = await Replica(env, log_path=tmp_path / "r.log").start()
    dns_server.delay_ms = 1500  # the live check is in flight when the process dies
    event = message(PASTED, "C6", "1700003000.000100")
    body = event_body(event, "EvInFlight")
    async with aiohttp.ClientSession() as session:
        dns_server.clear()
        assert await post_event(session, replica.url, body) == 200  # acknowledged
        while "contoso.example" not in " ".join(dns_server.names()):
            await asyncio.sleep(0.01)  # until the check runs: the thread's claim is taken
        replica.kill()  # before its reply was posted
        assert posted(fake_slack, "C6") == []
        await replica.start()
        await fake_slack.wait_for(lambda: len(posted(fake_slack, "C6")) == 1, 30)
        assert await post_event(session, replica.url, body, retry=1) == 200  # Slack's retry
    assert await replica.stop() == 0
    (reply,) = posted(fake_slack, "C6")
    assert reply["thread_ts"] == event["ts"]


async def test_the_same_teams_activities_sent_to_two_replicas_get_one_reply_each(
    pg_url: str, dns_server: DnsTestServer, tmp_path: Path
) -> None:
    from tests.teams_harness import FakeConnector, activity

    connector = await FakeConnector().start()
    env = {
        "FEDBOT_STATE": pg_url,
        "FEDBOT_DNS_SERVERS": dns_server.address,
        "FEDBOT_HOME_DOMAINS": "fabrikam.example",
        "MicrosoftAppId": "",
        "SLACK_BOT_TOKEN": "",
    }
    a = await Replica(env, log_path=tmp_path / "a.log").start()
    b = await Replica(env, log_path=tmp_path / "b.log").start()
    bodies = [activity(connector.url, text="help", conversation=f"a:replica-{n}") for n in range(8)]
    try:
        async with aiohttp.ClientSession() as session:

            async def send(replica: Replica, body: dict[str, object]) -> int:
                async with session.post(f"{replica.url}/api/messages", json=body) as response:
                    await response.read()
                    return response.status

            statuses = await asyncio.gather(
                *(send(replica, body) for body in bodies for replica in (a, b, a))
            )
        assert all(status < 300 for status in statuses), statuses
    finally:
        assert await a.stop() == 0
        assert await b.stop() == 0
        await connector.stop()
    replies = sorted(sent.conversation for sent in connector.posts())
    assert replies == sorted(f"a:replica-{n}" for n in range(8))  # one reply per activity

"""Acknowledged work is never lost and never repeated: real ``fedbot serve`` processes killed with
SIGKILL after acknowledging a Teams turn (202), a ``/fedcheck`` or a button press, and before
replying, answer exactly once after a restart; a process killed between posting a Slack reply and
marking its work finished does not post it again (``FEDBOT_TEST_CRASH_AT``, a test-only hook)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.dnsserver import DnsTestServer
from tests.replicas import (
    PASTED,
    SECRET,
    TEAM,
    Replica,
    event_body,
    kill_leftovers,
    message,
    post_event,
    slack_env,
)
from tests.teams_harness import FakeConnector, Sent, activity
from tests.test_slack_helpers import FakeSlack, form, interaction, sign


@pytest.fixture(autouse=True)
def leftover_replicas() -> Iterator[None]:
    yield
    kill_leftovers()  # a failed test's server processes


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = await FakeSlack().start()
    yield fake
    await fake.close()


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    fake = await FakeConnector().start()
    yield fake
    await fake.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return str(request.getfixturevalue("pg_url"))


async def until_logged(path: Path, text: str, timeout: float = 30.0) -> None:
    """Wait until the server log has ``text`` (the process reports the work it did)."""
    deadline = time.monotonic() + timeout
    while text not in path.read_text(errors="replace"):
        assert time.monotonic() < deadline, f"{text!r} not logged; log:\n{path.read_text()[-3000:]}"
        await asyncio.sleep(0.05)  # polling a log file another process writes


async def until(connector: FakeConnector, holds: Callable[[], bool], timeout: float = 30) -> None:
    async def wait() -> None:
        while not holds():
            connector.changed.clear()
            await connector.changed.wait()

    await asyncio.wait_for(wait(), timeout)


def teams_messages(connector: FakeConnector, conversation: str) -> list[Sent]:
    return [s for s in connector.posts(conversation) if s.body.get("type") == "message"]


async def test_a_teams_turn_acknowledged_early_then_killed_is_answered_once_after_restart(
    state_url: str, connector: FakeConnector, dns_server: DnsTestServer, tmp_path: Path
) -> None:
    env = {
        "FEDBOT_STATE": state_url,
        "FEDBOT_DNS_SERVERS": dns_server.address,
        "FEDBOT_DNS_TIMEOUT": "10",
        "FEDBOT_WORK_LEASE": "2",
        "MicrosoftAppId": "",
        "SLACK_BOT_TOKEN": "",
    }
    log = tmp_path / "teams.log"
    replica = await Replica(env, log_path=log).start()
    dns_server.delay_ms = 7000  # the check outlasts the 5 s bound: 202, the turn goes on
    body = activity(connector.url, text="fedcheck contoso.example", conversation="a:early-1")
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{replica.url}/api/messages", json=body) as response:
            assert response.status == 202
        replica.kill()  # acknowledged, not answered
        assert teams_messages(connector, "a:early-1") == []
        dns_server.delay_ms = 0
        await replica.start()
        await until(connector, lambda: len(teams_messages(connector, "a:early-1")) >= 1)
        async with session.post(f"{replica.url}/api/messages", json=body) as response:
            assert response.status < 300  # Teams' redelivery: a no-op
        await until_logged(log, "resumed work teams:activity:a:early-1")
    assert await replica.stop() == 0
    (reply,) = teams_messages(connector, "a:early-1")
    assert "contoso.example" in reply.text


def command_body(fake: FakeSlack, hook: str, text: str, channel: str = "C1") -> str:
    return form(
        token="x",
        team_id=TEAM,
        channel_id=channel,
        user_id="U1",
        command="/fedcheck",
        text=text,
        api_app_id="A1",
        response_url=fake.response_url(hook),
        trigger_id="1.2.3",
    )


async def post_signed(session: aiohttp.ClientSession, base: str, body: str) -> int:
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(SECRET, body)}
    async with session.post(f"{base}/slack/events", data=body, headers=headers) as response:
        await response.read()
        return response.status


def answers(fake: FakeSlack, hook: str) -> list[dict[str, Any]]:
    """The command's answers (not its "checking …" progress message)."""
    return [r for r in fake.responses[hook] if r.get("response_type") == "in_channel"]


async def test_a_slash_command_killed_after_its_ack_is_answered_once_after_restart(
    state_url: str, fake_slack: FakeSlack, dns_server: DnsTestServer, tmp_path: Path
) -> None:
    env = slack_env(state_url, fake_slack.api_url, dns_server.address)
    env |= {"FEDBOT_WORK_LEASE": "2", "FEDBOT_DNS_TIMEOUT": "5"}
    log = tmp_path / "slack.log"
    replica = await Replica(env, log_path=log).start()
    dns_server.delay_ms = 1500  # the live check is in flight when the process dies
    body = command_body(fake_slack, "cmd-kill", "contoso.example")
    async with aiohttp.ClientSession() as session:
        assert await post_signed(session, replica.url, body) == 200
        replica.kill()
        assert answers(fake_slack, "cmd-kill") == []
        dns_server.delay_ms = 0
        await replica.start()
        await fake_slack.wait_for(lambda: answers(fake_slack, "cmd-kill"), 30)
        assert await post_signed(session, replica.url, body) == 200  # delivered twice: no-op
        await until_logged(log, "resumed work slack:command:")
    assert await replica.stop() == 0
    (answer,) = answers(fake_slack, "cmd-kill")
    assert "contoso.example" in str(answer)


async def test_a_button_press_killed_after_its_ack_is_answered_once_after_restart(
    state_url: str, fake_slack: FakeSlack, dns_server: DnsTestServer, tmp_path: Path
) -> None:
    env = slack_env(state_url, fake_slack.api_url, dns_server.address)
    env |= {"FEDBOT_WORK_LEASE": "2"}
    log = tmp_path / "slack.log"
    replica = await Replica(env, log_path=log).start()
    async with aiohttp.ClientSession() as session:
        hello = message("hi", "D42", "1700005000.000100")
        assert await post_event(session, replica.url, event_body(hello, "EvHello")) == 200
        await fake_slack.wait_for(lambda: fake_slack.posted("D42"), 30)
        (question,) = fake_slack.posted("D42")
        block = next(b for b in question["blocks"] if b["type"] == "actions")
        button = block["elements"][0]
        fake_slack.hold_responses = asyncio.Event()  # the card update hangs: the turn is mid-way
        press = press_body(fake_slack, question, button, block["block_id"])
        assert await post_signed(session, replica.url, press) == 200
        await fake_slack.wait_for(lambda: fake_slack.responses["#held"], 30)
        replica.kill()  # acknowledged, its reply not posted
        fake_slack.hold_responses.set()
        fake_slack.hold_responses = None
        assert len(fake_slack.posted("D42")) == 1
        await replica.start()
        await fake_slack.wait_for(lambda: len(fake_slack.posted("D42")) >= 2, 30)
        assert await post_signed(session, replica.url, press) == 200  # pressed twice: no-op
        await until_logged(log, "resumed work slack-press:")
    assert await replica.stop() == 0
    posts = fake_slack.posted("D42")
    assert len(posts) == 2  # the question, then exactly one answer to the press
    assert posts[1]["metadata"]["event_payload"]["work"].startswith("slack-press:D42:")


def press_body(fake: FakeSlack, post: dict[str, Any], button: dict[str, Any], block: str) -> str:
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "contoso"},
        "user": {"id": "U1", "name": "joe"},
        "api_app_id": "A1",
        "token": "x",
        "trigger_id": "1.2.3",
        "container": {"type": "message", "message_ts": post["_ts"], "channel_id": post["channel"]},
        "channel": {"id": post["channel"], "name": "directmessage"},
        "message": {
            "type": "message",
            "ts": post["_ts"],
            "text": post["text"],
            "blocks": post["blocks"],
        },
        "response_url": fake.response_url("press-kill"),
        "actions": [{**button, "block_id": block, "type": "button", "action_ts": "1"}],
    }
    return interaction(payload)


@pytest.mark.parametrize("where", ["channel", "dm"])
async def test_a_crash_between_posting_and_finishing_never_repeats_the_slack_reply(
    where: str, state_url: str, fake_slack: FakeSlack, dns_server: DnsTestServer, tmp_path: Path
) -> None:
    env = slack_env(state_url, fake_slack.api_url, dns_server.address)
    env |= {"FEDBOT_WORK_LEASE": "2"}
    log = tmp_path / "slack.log"
    replica = Replica({**env, "FEDBOT_TEST_CRASH_AT": "after_post"}, log_path=log)
    await replica.start()
    channel, text = ("C77", PASTED) if where == "channel" else ("D77", "hi")
    event = message(text, channel, "1700006000.000100")
    async with aiohttp.ClientSession() as session:
        assert await post_event(session, replica.url, event_body(event, "EvCrash")) == 200
        await fake_slack.wait_for(lambda: fake_slack.posted(channel), 30)
        assert replica.process is not None
        assert await asyncio.to_thread(replica.process.wait, 30) == -9  # died right after posting
        replica.process = None
        replica.env = env  # the restarted process has no crash hook
        await replica.start()
        await until_logged(log, "resumed work slack:event:EvCrash done")
        assert await post_event(session, replica.url, event_body(event, "EvCrash"), 1) == 200
    assert await replica.stop() == 0
    (reply,) = fake_slack.posted(channel)
    assert reply["metadata"]["event_payload"] == {"work": "slack:event:EvCrash", "part": 0}
    looked = "conversations.replies" if where == "channel" else "conversations.history"
    assert [c["channel"] for c in fake_slack.calls[looked]] == [channel]


def allow_connections(url: str, allowed: bool) -> None:
    """The database accepts connections, or refuses them and drops the ones it has (the
    database gone, as far as fedbot can tell)."""
    import psycopg

    server, _, name = url.rpartition("/")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}')
        if not allowed:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )


async def test_work_the_store_cannot_record_is_not_acknowledged_and_is_answered_once_later(
    pg_url: str,
    fake_slack: FakeSlack,
    connector: FakeConnector,
    dns_server: DnsTestServer,
    tmp_path: Path,
) -> None:
    env = slack_env(pg_url, fake_slack.api_url, dns_server.address)
    replica = await Replica(env, log_path=tmp_path / "r.log").start()
    event = message(PASTED, "C88", "1700007000.000100")
    body = event_body(event, "EvNoStore")
    teams = activity(connector.url, text="help", conversation="a:no-store-1")
    try:
        async with aiohttp.ClientSession() as session:
            await asyncio.to_thread(allow_connections, pg_url, False)
            assert await post_event(session, replica.url, body) == 503  # not acknowledged
            async with session.post(f"{replica.url}/api/messages", json=teams) as response:
                assert response.status == 503
            await asyncio.to_thread(allow_connections, pg_url, True)
            # the platforms deliver again: now recorded, acknowledged and answered once
            for attempt in range(30):
                status = await post_event(session, replica.url, body, retry=attempt + 1)
                if status == 200:
                    break
                await asyncio.sleep(0.5)  # the pool reconnects in the background
            assert status == 200
            async with session.post(f"{replica.url}/api/messages", json=teams) as response:
                assert response.status in (200, 201)
            await fake_slack.wait_for(lambda: fake_slack.posted("C88"), 30)
            await until(connector, lambda: bool(teams_messages(connector, "a:no-store-1")))
    finally:
        await asyncio.to_thread(allow_connections, pg_url, True)
        assert await replica.stop() == 0
    assert len(fake_slack.posted("C88")) == 1
    assert len(teams_messages(connector, "a:no-store-1")) == 1

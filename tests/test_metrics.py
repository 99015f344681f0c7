"""``GET /metrics``: Prometheus text from the real app over real HTTP, counting real requests and a
real DNS check against the loopback DNS server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from bot.config import Settings
from bot.server import build_app
from bot.service import FedBot
from tests.dnsserver import DnsTestServer
from tests.teams_harness import FakeConnector, activity


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_count_requests_turns_and_dns_checks(dns_server: DnsTestServer) -> None:
    settings = Settings(state_url="memory://", dns_servers=(dns_server.address,), dns_timeout=2)
    bot = await FedBot.create(settings)
    connector = await FakeConnector().start()
    app, _ = build_app(bot, settings)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/metrics") as r:
                before = await r.text()
                assert r.status == 200 and r.content_type == "text/plain"
            await http.get(f"{base}/healthz")
            await http.get(f"{base}/no/such/path/12345")
            body = activity(connector.url, text="fedcheck contoso.example")
            async with http.post(f"{base}/api/messages", json=body) as r:
                assert r.status < 400
            async with http.get(f"{base}/metrics") as r:
                after = await r.text()
        # new requests counted by route template, never by raw path
        for name, labels in (
            ("fedbot_http_requests_total", {"endpoint": "/healthz", "status": "200"}),
            ("fedbot_http_requests_total", {"endpoint": "unmatched", "status": "404"}),
            ("fedbot_turns_total", {"platform": "teams"}),
            ("fedbot_dns_checks_total", {"outcome": "ok"}),
            ("fedbot_dns_check_seconds_count", {}),
        ):
            assert value(after, name, **labels) == value(before, name, **labels) + 1, name
        assert "/no/such/path" not in after
        assert "fedbot_conversations_total" in after or "fedbot_conversations" in after
    finally:
        await runner.cleanup()
        await connector.stop()
        await bot.close()


async def test_a_cancelled_conversation_counts_as_abandoned() -> None:
    from bot.service import Turn

    settings = Settings(state_url="memory://", dns_servers=("127.0.0.1:9",), dns_timeout=1)
    bot = await FedBot.create(settings)
    try:
        before = abandoned("cancel")
        await bot.converse(Turn(conversation="metrics:1", user="u", text="hello"))
        await bot.converse(Turn(conversation="metrics:1", user="u", text="cancel"))
        after = abandoned("cancel")
    finally:
        await bot.close()
    assert after == before + 1


def abandoned(ended_by: str) -> float:
    """Conversations counted abandoned and ended by ``ended_by``, over every cause."""
    from bot import metrics

    return sum(
        v
        for (name, labels), v in samples(metrics.render().decode()).items()
        if name == "fedbot_conversations_total"
        and ("outcome", "abandoned") in labels
        and ("ended_by", ended_by) in labels
    )


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


async def _replicas(tmp_path: Path, clock: Clock, n: int = 2) -> list[FedBot]:
    """``n`` services on one SQLite state store, as replicas share one database."""
    settings = Settings(
        state_url=f"sqlite:///{tmp_path / 'state.db'}",
        dns_servers=("127.0.0.1:9",),
        dns_timeout=1,
        conversation_ttl=600,
    )
    return [await FedBot.create(settings, clock=clock) for _ in range(n)]


async def test_a_timed_out_conversation_is_counted_once_by_the_next_turn(tmp_path: Path) -> None:
    from bot.service import Turn

    clock = Clock()
    one, two = await _replicas(tmp_path, clock)
    try:
        await one.converse(Turn(conversation="metrics:idle", user="u", text="hello"))
        before = abandoned("timeout")
        clock.now += 601  # past the TTL, within the retention: the next turn notices
        turns = [
            bot.converse(Turn(conversation="metrics:idle", user="u", text="hello"))
            for bot in (one, two)
        ]
        await asyncio.gather(*turns)  # both replicas take a turn of it at once
        assert abandoned("timeout") == before + 1
        await two.converse(Turn(conversation="metrics:idle", user="u", text="help"))
        assert abandoned("timeout") == before + 1  # the new conversation is not counted again
    finally:
        for bot in (one, two):
            await bot.close()


async def test_a_conversation_never_resumed_is_counted_once_when_purged(tmp_path: Path) -> None:
    from bot.service import Turn

    clock = Clock()
    one, two = await _replicas(tmp_path, clock)
    try:
        await one.converse(Turn(conversation="metrics:gone", user="u", text="hello"))
        await one.converse(Turn(conversation="metrics:ended", user="u", text="hello"))
        await one.converse(Turn(conversation="metrics:ended", user="u", text="cancel"))
        before = abandoned("timeout")
        clock.now += 3 * 600  # past the retention (twice the TTL): purged, never resumed
        # both replicas purge (each on its next write); the row goes to one of them
        await asyncio.gather(
            *(bot.converse(Turn(f"metrics:{i}", "u", "help")) for i, bot in enumerate((one, two)))
        )
        await one.store.purge_expired(clock.now, 2 * 600)
        assert await one.store.get("metrics:gone") is None
        assert abandoned("timeout") == before + 1  # the cancelled one was already counted
    finally:
        for bot in (one, two):
            await bot.close()


async def test_a_teams_redelivery_is_counted_as_a_duplicate(dns_server: DnsTestServer) -> None:
    from bot import metrics
    from tests.teams_harness import run_app

    settings = Settings(state_url="memory://", dns_servers=(dns_server.address,), dns_timeout=2)
    bot = await FedBot.create(settings)
    connector = await FakeConnector().start()
    app = await run_app(bot, settings)
    try:
        before = value(
            metrics.render().decode(), "fedbot_duplicates_suppressed_total", platform="teams"
        )
        body = activity(connector.url, text="help", conversation="a:dup")
        for _ in range(2):  # Teams redelivers an activity it got no answer to in time
            status, _ = await app.post(body)
            assert status < 400
        after = value(
            metrics.render().decode(), "fedbot_duplicates_suppressed_total", platform="teams"
        )
    finally:
        await app.stop()
        await connector.stop()
        await bot.close()
    assert after == before + 1
    assert len(connector.posts("a:dup")) == 1

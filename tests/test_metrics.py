"""``GET /metrics``: Prometheus text from the real app over real HTTP, counting real requests and a
real DNS check against the loopback DNS server."""

from __future__ import annotations

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
    from bot import metrics
    from bot.service import Turn

    settings = Settings(state_url="memory://", dns_servers=("127.0.0.1:9",), dns_timeout=1)
    bot = await FedBot.create(settings)
    try:
        before = value(
            metrics.render().decode(),
            "fedbot_conversations_total",
            outcome="abandoned",
            cause="unknown",
        )
        await bot.converse(Turn(conversation="metrics:1", user="u", text="hello"))
        await bot.converse(Turn(conversation="metrics:1", user="u", text="cancel"))
        after = value(
            metrics.render().decode(),
            "fedbot_conversations_total",
            outcome="abandoned",
            cause="unknown",
        )
    finally:
        await bot.close()
    assert after == before + 1

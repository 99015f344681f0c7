"""Outbound calls carry the bot's access token; it is fetched once and reused until shortly
before it expires (no thread hop per call). Replies go over real HTTP to the loopback connector,
which records the Authorization header; the credentials stand in for Entra ID and count how often
a token was asked for."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import jwt
import pytest
from botbuilder.schema import Activity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials

from adapters.teams.connector import (
    TOKEN_REFRESH_MARGIN,
    BearerTokenPolicy,
    RetryPolicy,
    _prepare,
)
from tests.teams_harness import FakeConnector

APP_ID = "00000000-1111-2222-3333-444444444444"


@dataclass
class Clock:
    now: float

    def __call__(self) -> float:
        return self.now


class CountingCredentials(MicrosoftAppCredentials):  # type: ignore[misc]
    """Entra ID's side: each call to ``get_access_token`` is a token request."""

    def __init__(self, lifetime: float | None, clock: Clock) -> None:
        super().__init__(APP_ID, "secret")
        self.lifetime = lifetime
        self.clock = clock
        self.issued: list[str] = []

    def get_access_token(self, force_refresh: bool = False) -> str:
        if self.lifetime is None:
            token = f"opaque-{len(self.issued)}"
        else:
            claims = {"n": len(self.issued), "exp": int(self.clock.now + self.lifetime)}
            token = jwt.encode(
                claims, "signed-by-entra-id-in-real-life-not-here", algorithm="HS256"
            )
        self.issued.append(token)
        return token


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    fake = await FakeConnector().start()
    yield fake
    await fake.stop()


async def _send(
    connector: FakeConnector, credentials: CountingCredentials, steps: list[float]
) -> list[str]:
    """One reply through a prepared client at each clock time; the Authorization headers the
    connector received."""
    async with aiohttp.ClientSession() as session:
        client = _prepare(
            ConnectorClient(credentials, base_url=connector.url), RetryPolicy(), lambda: session
        )
        (policy,) = [
            p for p in client.config.pipeline._impl_policies if isinstance(p, BearerTokenPolicy)
        ]
        policy._clock = credentials.clock
        for n, at in enumerate(steps):
            credentials.clock.now = at
            await client.conversations.send_to_conversation(
                "a:conv", Activity(type="message", text=f"reply {n}")
            )
    return [s.headers.get("Authorization", "") for s in connector.sent]


async def test_a_token_is_fetched_once_and_reused_until_close_to_expiry(
    connector: FakeConnector,
) -> None:
    start = 1_800_000_000.0
    credentials = CountingCredentials(lifetime=3600, clock=Clock(start))
    renew_at = start + 3600 - TOKEN_REFRESH_MARGIN
    steps = [start, start + 60, start + 600, renew_at - 1, renew_at + 1, renew_at + 600]
    headers = await _send(connector, credentials, steps)
    assert len(credentials.issued) == 2
    first, second = (f"Bearer {t}" for t in credentials.issued)
    assert headers == [first] * 4 + [second] * 2


async def test_a_token_without_a_readable_expiry_is_fetched_for_every_call(
    connector: FakeConnector,
) -> None:
    credentials = CountingCredentials(lifetime=None, clock=Clock(1_800_000_000.0))
    headers = await _send(connector, credentials, [1_800_000_000.0] * 3)
    assert credentials.issued == ["opaque-0", "opaque-1", "opaque-2"]
    assert headers == [f"Bearer opaque-{n}" for n in range(3)]


async def test_an_almost_expired_token_is_not_reused(connector: FakeConnector) -> None:
    credentials = CountingCredentials(lifetime=TOKEN_REFRESH_MARGIN / 2, clock=Clock(0.0))
    headers = await _send(connector, credentials, [1_800_000_000.0] * 3)
    assert len(credentials.issued) == 3
    assert headers == [f"Bearer {t}" for t in credentials.issued]

"""Bot Framework tokens beyond botbuilder's defaults: no ``exp`` → 401; emulator-issued tokens only
when the emulator is deliberately allowed and then only for our app id; a hung OpenID-metadata
server neither freezes the server (``/healthz`` answers) nor holds Teams for long (503)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import aiohttp
import jwt
import pytest

from bot.config import Settings
from bot.service import FedBot
from tests.dnsserver import DnsTestServer
from tests.teams_harness import FakeConnector, RunningApp, activity, run_app
from tests.test_teams_auth import (
    APP_ID,
    ISSUER,
    KID,
    OpenIdServer,
    _chatter,
    _token,
    keys,
    openid,
)

__all__ = ["keys", "openid"]  # fixtures used from test_teams_auth
EMULATOR_ISSUER = "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/"


def _settings(dns: DnsTestServer, metadata_url: str, **extra: Any) -> Settings:
    settings = Settings(
        dns_servers=(dns.address,),
        state_url="memory://",
        app_id=APP_ID,
        app_password="not-used-no-reply-is-sent",
        bot_framework=(
            ("TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL", metadata_url),
            ("TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL", metadata_url),
            ("TO_BOT_FROM_CHANNEL_TOKEN_ISSUER", ISSUER),
            ("TO_CHANNEL_FROM_BOT_OAUTH_SCOPE", "https://api.botframework.test"),
            ("TO_CHANNEL_FROM_BOT_LOGIN_URL", "http://127.0.0.1:9/login"),
        ),
    )
    return replace(settings, **extra)


@pytest.fixture
async def make_app(
    dns_server: DnsTestServer,
) -> AsyncIterator[Any]:
    from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor

    started: list[tuple[RunningApp, FedBot]] = []

    async def make(metadata_url: str, **extra: Any) -> RunningApp:
        JwtTokenExtractor.metadataCache.clear()
        settings = _settings(dns_server, metadata_url, **extra)
        bot = await FedBot.create(settings)
        app = await run_app(bot, settings)
        started.append((app, bot))
        return app

    yield make
    for app, bot in started:
        await app.stop()
        await bot.close()


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    fake = await FakeConnector().start()
    yield fake
    await fake.stop()


async def test_a_token_without_exp_is_401(
    make_app: Any, openid: OpenIdServer, connector: FakeConnector, keys: Any
) -> None:
    app = await make_app(f"{openid.url}/.well-known/openid-configuration")
    body = _chatter(connector)
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": APP_ID, "serviceurl": body["serviceUrl"], "nbf": now - 10}
    token = jwt.encode(claims, keys[0], algorithm="RS256", headers={"kid": KID})
    status, _ = await app.post(body, headers={"Authorization": f"Bearer {token}"})
    assert status == 401
    good = _token(keys[0], body["serviceUrl"])  # the same with exp passes
    assert (await app.post(body, headers={"Authorization": f"Bearer {good}"}))[0] == 201


def _emulator_token(key: Any, app_id: str) -> str:
    now = int(time.time())
    claims = {
        "iss": EMULATOR_ISSUER,
        "aud": APP_ID,
        "appid": app_id,
        "ver": "1.0",
        "nbf": now - 10,
        "exp": now + 600,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID})


@pytest.mark.parametrize(
    ("allowed", "app_id", "expected"),
    [(False, APP_ID, 401), (True, "11111111-2222-3333-4444-555555555555", 401)],
)
async def test_emulator_tokens_only_where_allowed_and_for_our_app(
    make_app: Any,
    openid: OpenIdServer,
    connector: FakeConnector,
    keys: Any,
    allowed: bool,
    app_id: str,
    expected: int,
) -> None:
    app = await make_app(f"{openid.url}/.well-known/openid-configuration", allow_emulator=allowed)
    headers = {"Authorization": f"Bearer {_emulator_token(keys[0], app_id)}"}
    status, _ = await app.post(_chatter(connector), headers=headers)
    assert status == expected


async def test_an_emulator_token_for_our_app_is_accepted_where_the_emulator_is_allowed(
    make_app: Any, openid: OpenIdServer, connector: FakeConnector, keys: Any
) -> None:
    """FEDBOT_ALLOW_EMULATOR and a really signed emulator-issued token (keys from the loopback
    OpenID server standing in for the emulator issuer's) for our app id: accepted, and answered
    (``expectReplies``: the reply in the 200's body, as no outbound token can be had here)."""
    app = await make_app(f"{openid.url}/.well-known/openid-configuration", allow_emulator=True)
    headers = {"Authorization": f"Bearer {_emulator_token(keys[0], APP_ID)}"}
    assert (await app.post(_chatter(connector), headers=headers))[0] == 201  # accepted
    asking = activity(connector.url, text="help", conversation="a:emulator-1")
    asking["deliveryMode"] = "expectReplies"
    status, text = await app.post(asking, headers=headers)
    assert status == 200, text
    (reply,) = json.loads(text)["activities"]
    assert reply["type"] == "message" and "fedcheck" in json.dumps(reply)
    forged = {"Authorization": f"Bearer {_emulator_token(keys[1], APP_ID)}"}  # wrong key
    assert (await app.post(asking, headers=forged))[0] == 401


class HangingOpenId:
    """OpenID metadata that never answers until released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.asked = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.asked.set()
                outer.release.wait(30)
                self.send_error(503)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/.well-known/openid"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hanging() -> Iterator[HangingOpenId]:
    server = HangingOpenId()
    yield server
    server.stop()


async def test_a_hung_openid_fetch_freezes_nothing_and_ends_in_503(
    make_app: Any, hanging: HangingOpenId, connector: FakeConnector, keys: Any
) -> None:
    app = await make_app(hanging.url)
    body = _chatter(connector)
    headers = {"Authorization": f"Bearer {_token(keys[0], body['serviceUrl'])}"}
    teams = asyncio.ensure_future(app.post(body, headers=headers))
    await asyncio.to_thread(hanging.asked.wait, 10)
    async with aiohttp.ClientSession() as session:
        began = time.monotonic()
        async with session.get(f"{app.url}/healthz") as response:
            assert response.status == 200
        assert time.monotonic() - began < 2.0  # the event loop is free during the fetch
    status, text = await asyncio.wait_for(teams, 15)
    assert status == 503, text
    assert json.loads(text)["error"].startswith("authentication")

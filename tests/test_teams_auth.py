"""Bot Framework authentication with a MicrosoftAppId: tokens really signed with a local RSA key,
OpenID metadata and JWKS served on loopback (botbuilder fetches them with blocking ``requests``,
so that server runs in its own thread), botbuilder pointed at them through ``BOTFRAMEWORK_*``
settings. Valid tokens pass; missing, forged, expired and wrong-audience ones get 401."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from bot.config import Settings
from bot.service import FedBot
from tests.dnsserver import DnsTestServer
from tests.teams_harness import FakeConnector, RunningApp, activity, run_app

APP_ID = "0b6a7c1e-5d4f-4e3a-9b2c-1a0f9e8d7c6b"
ISSUER = "https://api.botframework.test"
KID = "loopback-key-1"


class OpenIdServer:
    """OpenID metadata + JWKS on 127.0.0.1 (a thread: botbuilder's fetch blocks the event loop)."""

    def __init__(self, public_jwk: dict[str, Any]) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": ISSUER, "jwks_uri": f"{outer.url}/keys"}
                elif self.path == "/keys":
                    body = {"keys": [public_jwk]}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def keys() -> tuple[Any, Any]:
    good = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return good, forged


@pytest.fixture
def openid(keys: tuple[Any, Any]) -> Iterator[OpenIdServer]:
    jwk = json.loads(RSAAlgorithm.to_jwk(keys[0].public_key()))
    jwk.update({"kid": KID, "use": "sig", "alg": "RS256", "endorsements": ["msteams"]})
    server = OpenIdServer(jwk)
    yield server
    server.stop()


@pytest.fixture
async def secured(
    openid: OpenIdServer, dns_server: DnsTestServer
) -> AsyncIterator[tuple[RunningApp, FakeConnector]]:
    from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor

    JwtTokenExtractor.metadataCache.clear()  # metadata is cached per URL, process-wide
    settings = Settings(
        dns_servers=(dns_server.address,),
        state_url="memory://",
        app_id=APP_ID,
        app_password="not-used-no-reply-is-sent",
        bot_framework=(
            (
                "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL",
                f"{openid.url}/.well-known/openid-configuration",
            ),
            (
                "TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL",
                f"{openid.url}/.well-known/openid-configuration",
            ),
            ("TO_BOT_FROM_CHANNEL_TOKEN_ISSUER", ISSUER),
            ("TO_CHANNEL_FROM_BOT_OAUTH_SCOPE", "https://api.botframework.test"),
            ("TO_CHANNEL_FROM_BOT_LOGIN_URL", f"{openid.url}/login"),
        ),
    )
    bot = await FedBot.create(settings)
    connector = await FakeConnector().start()
    app = await run_app(bot, settings)
    yield app, connector
    await app.stop()
    await connector.stop()
    await bot.close()


def _token(key: Any, service_url: str, **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": APP_ID,
        "serviceurl": service_url,
        "nbf": now - 10,
        "iat": now - 10,
        "exp": now + 3600,
        **overrides,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID})


def _chatter(connector: FakeConnector) -> dict[str, Any]:
    """An activity that gets no reply: authentication is all that is tested."""
    return activity(
        connector.url,
        text="anyone up for lunch?",
        conversation="19:c@thread.tacv2;messageid=1",
        conversation_type="channel",
    )


async def test_valid_token_passes(secured: tuple[RunningApp, FakeConnector], keys: Any) -> None:
    app, connector = secured
    body = _chatter(connector)
    status, text = await app.post(
        body, headers={"Authorization": f"Bearer {_token(keys[0], body['serviceUrl'])}"}
    )
    assert status == 201, text
    assert any(APP_ID in line and "validated" in line for line in app.lines)


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "not_bearer",
        "garbage",
        "forged",
        "expired",
        "wrong_audience",
        "wrong_issuer",
        "wrong_service_url",
        "unknown_kid",
    ],
)
async def test_bad_tokens_get_401(
    secured: tuple[RunningApp, FakeConnector], keys: Any, case: str
) -> None:
    app, connector = secured
    body = _chatter(connector)
    url = body["serviceUrl"]
    good, forged = keys
    now = int(time.time())
    header = {
        "missing": None,
        "not_bearer": f"Basic {_token(good, url)}",
        "garbage": "Bearer not.a.jwt",
        "forged": f"Bearer {_token(forged, url)}",
        "expired": f"Bearer {_token(good, url, exp=now - 3600, iat=now - 7200, nbf=now - 7200)}",
        "wrong_audience": f"Bearer {_token(good, url, aud='11111111-2222-3333-4444-555555555555')}",
        "wrong_issuer": f"Bearer {_token(good, url, iss='https://evil.test')}",
        "wrong_service_url": f"Bearer {_token(good, 'http://127.0.0.1:9/')}",
        "unknown_kid": "Bearer "
        + jwt.encode(
            {"iss": ISSUER, "aud": APP_ID, "exp": int(time.time()) + 60},
            good,
            algorithm="RS256",
            headers={"kid": "nope"},
        ),
    }[case]
    headers = {"Authorization": header} if header else {}
    status, text = await app.post(body, headers=headers)
    assert status == 401, (case, text)
    assert connector.sent == []


async def test_bad_input_is_refused_before_authentication(
    secured: tuple[RunningApp, FakeConnector],
) -> None:
    app, _connector = secured
    assert (await app.post(None, raw=b"{nope"))[0] == 400
    assert (await app.post(None, raw=b"{}", content_type="text/plain"))[0] == 415

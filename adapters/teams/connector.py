"""Outbound Bot Connector clients: built once per (app id, service URL, audience), retried politely.

botbuilder's ``CloudAdapter`` builds a new ``ConnectorClient`` and ``UserTokenClient`` for every
turn; each construction builds msrest's ``ClientRetryPolicy``, whose status list is computed with
~500,000 list scans. That is most of the ~23 ms of CPU a stock echo turn costs. We wrap the
authentication object so the clients are built once and reused (they are stateless apart from
their credentials, which cache their token). Reused clients also keep their HTTP connections.

Their pipeline sends with one shared aiohttp session (instead of ``requests`` in a thread per call)
behind :class:`RetryPolicy`: 412, 429 and 5xx answers are retried with exponential backoff
(honouring ``Retry-After``) without blocking the event loop. :class:`BearerTokenPolicy` reuses the
access token until shortly before it expires, and request bodies are built by
:mod:`adapters.teams.activity_serializer` instead of msrest's generic walk.

Earns its place (``bench/bench_teams.py --without connector_cache``, same run, 2 rounds): CPU per
fedbot turn 0.87-1.00 ms with the cache, 4.75 ms without (4.8x); turns/s 4.5x. Held by
``tests/test_teams.py::test_connector_clients_are_built_once_per_service_url_and_sped_up``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
import jwt
from azure.core.exceptions import DeserializationError
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AppCredentials,
    AuthenticateRequestResult,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)
from botframework.connector.auth.emulator_validation import EmulatorValidation
from botframework.connector.auth.jwt_token_extractor import _OpenIdMetadata
from cachetools import LRUCache
from msrest.pipeline import Request, Response
from msrest.pipeline.async_abc import AsyncHTTPPolicy, AsyncHTTPSender, AsyncPipeline
from msrest.pipeline.universal import RawDeserializer
from msrest.universal_http.aiohttp import AioHttpClientResponse

from adapters.teams.activity_serializer import install
from bot import metrics

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({412, 429, 500, 502, 503, 504})
MAX_CACHED_CLIENTS = 256
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 10.0
TOKEN_REFRESH_MARGIN = 300.0  # seconds before expiry a cached access token is renewed


class RetryPolicy(AsyncHTTPPolicy[Any, Any]):
    """Retry 412 / 429 / 5xx with exponential backoff and jitter, honouring ``Retry-After``."""

    def __init__(
        self,
        retries: int = 4,
        backoff: float = 0.5,
        max_delay: float = 10.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__()
        self.retries = retries
        self.backoff = backoff
        self.max_delay = max_delay
        self._sleep = sleep

    async def send(self, request: Any, **kwargs: Any) -> Any:
        attempt = 0
        while True:
            assert self.next is not None
            try:
                response = await self.next.send(request, **kwargs)
            except (aiohttp.ClientError, TimeoutError, DeserializationError) as error:
                # refused, dropped, timed out, or an answer with a body that is not JSON (a
                # proxy's text/HTML error page: msrest fails on it before its status is seen)
                if attempt >= self.retries:
                    raise
                status, retry_after = type(error).__name__, None
            else:
                status = response.http_response.status_code
                metrics.outbound_status("teams", status)
                # any 5xx, whatever its body (HTML and text bodies from proxies included)
                if not (status in RETRY_STATUSES or status >= 500) or attempt >= self.retries:
                    return response
                retry_after = response.http_response.headers.get("Retry-After")
            delay = self._delay(attempt, retry_after)
            attempt += 1
            log.warning(
                "connector answered %s to %s %s; retry %d in %.2fs",
                status,
                request.http_request.method,
                request.http_request.url,
                attempt,
                delay,
            )
            await self._sleep(delay)

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after:
            try:
                seconds = float(retry_after)
                return min(self.max_delay, max(0.0, seconds))
            except ValueError:
                try:
                    when = parsedate_to_datetime(retry_after).timestamp()
                    return min(self.max_delay, max(0.0, when - time.time()))
                except (TypeError, ValueError):
                    pass
        delay: float = min(self.max_delay, self.backoff * 2.0**attempt)
        return delay * random.uniform(0.8, 1.2)


class _ReadResponse(AioHttpClientResponse):
    """msrest's aiohttp response with its body already read. msrest's own ``body()`` takes an
    empty body for one never loaded and raises "Body is not available": a 202 with no content,
    as the Agents Playground answers a typing activity, then failed the send."""

    def __init__(self, request: Any, answer: aiohttp.ClientResponse, body: bytes) -> None:
        super().__init__(request, answer)
        self._read = body

    def body(self) -> bytes:
        return self._read


class AiohttpSender(AsyncHTTPSender[Any, Any]):
    """msrest transport over one shared ``aiohttp.ClientSession``: no thread hop per call and
    pooled keep-alive connections (the stock transport runs ``requests`` in the executor)."""

    def __init__(self, session: Callable[[], aiohttp.ClientSession]) -> None:
        self._session = session

    async def __aenter__(self) -> AiohttpSender:
        return self

    async def __aexit__(self, *exc_details: Any) -> None:
        return None

    def build_context(self) -> Any:
        return None

    async def send(self, request: Request[Any], **config: Any) -> Response[Any, Any]:
        http = request.http_request
        async with self._session().request(
            http.method, http.url, headers=dict(http.headers), data=http.data
        ) as answer:
            body = await answer.read()
        response = _ReadResponse(http, answer, body)
        return Response(request, response)


class BearerTokenPolicy(AsyncHTTPPolicy[Any, Any]):
    """Adds the bot's access token unless auth is off.

    The token is reused until :data:`TOKEN_REFRESH_MARGIN` before its ``exp`` claim, so a call
    needs no thread hop; only then is MSAL asked again (in a thread: it may call Entra ID). A
    token whose expiry cannot be read is fetched for every call, as before."""

    def __init__(self, credentials: AppCredentials, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self._credentials = credentials
        self._clock = clock
        self._token = ""
        self._reuse_until = 0.0

    async def send(self, request: Request[Any], **kwargs: Any) -> Response[Any, Any]:
        app_id = self._credentials.microsoft_app_id
        if app_id and app_id != AuthenticationConstants.ANONYMOUS_SKILL_APP_ID:
            request.http_request.headers["Authorization"] = f"Bearer {await self._bearer()}"
        assert self.next is not None
        return await self.next.send(request, **kwargs)

    async def _bearer(self) -> str:
        if self._token and self._clock() < self._reuse_until:
            return self._token
        token: str = await asyncio.to_thread(self._credentials.get_access_token)
        self._token, self._reuse_until = token, _expiry(token) - TOKEN_REFRESH_MARGIN
        return token


def _expiry(token: str) -> float:
    """The ``exp`` claim of a JWT access token (read, not verified: it is our own), else 0."""
    try:
        exp = jwt.decode(token, options={"verify_signature": False}).get("exp")
    except jwt.PyJWTError:
        return 0.0
    return float(exp) if isinstance(exp, int | float) and not isinstance(exp, bool) else 0.0


def _prepare(
    client: ConnectorClient, retry: RetryPolicy, session: Callable[[], aiohttp.ClientSession]
) -> ConnectorClient:
    """Give a freshly built client our transport and retry policy (once per client)."""
    config = client.config
    policies = [
        retry,
        config.user_agent_policy,
        BearerTokenPolicy(config.credentials),
        RawDeserializer(),
        config.http_logger_policy,
    ]
    pipeline = AsyncPipeline(policies, AiohttpSender(session))
    install(client._serialize)
    config.pipeline = pipeline
    client._client.config.pipeline = pipeline
    return client


def _app_id(identity: ClaimsIdentity | None) -> str:
    claims = identity.claims if identity is not None and identity.claims else {}
    return str(
        claims.get(AuthenticationConstants.AUDIENCE_CLAIM)
        or claims.get(AuthenticationConstants.APP_ID_CLAIM)
        or ""
    )


class _CachedConnectorFactory(ConnectorFactory):  # type: ignore[misc]
    def __init__(self, inner: ConnectorFactory, owner: CachingAuthentication, app_id: str) -> None:
        self._inner = inner
        self._owner = owner
        self._app_id = app_id

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        key = (self._app_id, service_url, audience)
        client: ConnectorClient | None = self._owner.connectors.get(key)
        if client is None:
            client = await self._inner.create(service_url, audience)
            client = _prepare(client, self._owner.retry, self._owner.session)
            self._owner.connectors[key] = client
        return client


OPENID_TIMEOUT = 5.0  # seconds for fetching the OpenID metadata and the signing keys
# Issuers of Bot Framework Emulator tokens (botframework's EmulatorValidation list).
EMULATOR_ISSUERS = frozenset(
    EmulatorValidation.TO_BOT_FROM_EMULATOR_TOKEN_VALIDATION_PARAMETERS.issuer
)


class AuthUnavailable(Exception):
    """Tokens cannot be checked now (signing keys unreachable): 503, the channel retries."""


def screen_token(auth_header: str, app_id: str, *, allow_emulator: bool) -> None:
    """Refuse (PermissionError) before botbuilder's validation what it would let through: a
    token without ``exp``, and an emulator-issued token unless the emulator is deliberately
    allowed (``FEDBOT_ALLOW_EMULATOR``), and then only for our app id. The signature and the
    other claims are validated by botbuilder afterwards."""
    scheme, _, token = auth_header.partition(" ")
    if scheme != "Bearer" or not token:
        return  # botbuilder refuses it
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return  # not a JWT: botbuilder refuses it
    if not isinstance(claims.get("exp"), int | float):
        raise PermissionError("token without exp")
    if claims.get("iss") in EMULATOR_ISSUERS:
        if not allow_emulator:
            raise PermissionError("emulator token, and the emulator is not allowed")
        if app_id not in (claims.get("appid"), claims.get("azp")):
            raise PermissionError("emulator token for another app")


async def _refresh_openid_metadata(self: Any) -> None:
    """botframework's ``_OpenIdMetadata._refresh`` without blocking the event loop (it used
    ``requests.get`` with no time-out): aiohttp, ``OPENID_TIMEOUT`` for both fetches."""
    timeout = aiohttp.ClientTimeout(total=OPENID_TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        async with session.get(self.url) as response:
            response.raise_for_status()
            metadata = await response.json(content_type=None)
        async with session.get(metadata["jwks_uri"]) as response:
            response.raise_for_status()
            keys = (await response.json(content_type=None))["keys"]
    self.keys = keys
    self.last_updated = datetime.now()


_OpenIdMetadata._refresh = _refresh_openid_metadata


class CachingAuthentication(BotFrameworkAuthentication):  # type: ignore[misc]
    """botbuilder's authentication, unchanged for inbound checks, with outbound clients reused."""

    def __init__(
        self,
        inner: BotFrameworkAuthentication,
        retry: RetryPolicy | None = None,
        *,
        app_id: str = "",
        allow_emulator: bool = False,
    ) -> None:
        self._inner = inner
        self.app_id = app_id
        self.allow_emulator = allow_emulator
        self.retry = retry or RetryPolicy()
        self.connectors: LRUCache[tuple[str, str, str | None], ConnectorClient] = LRUCache(
            MAX_CACHED_CLIENTS
        )
        self._token_clients: LRUCache[str, UserTokenClient] = LRUCache(MAX_CACHED_CLIENTS)
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        """The HTTP session every connector client shares (created in the running loop)."""
        if self._session is None or self._session.closed:
            timeout = aiohttp.ClientTimeout(total=READ_TIMEOUT, connect=CONNECT_TIMEOUT)
            self._session = aiohttp.ClientSession(timeout=timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def authenticate_request(
        self, activity: Any, auth_header: str
    ) -> AuthenticateRequestResult:
        if self.app_id:
            screen_token(auth_header, self.app_id, allow_emulator=self.allow_emulator)
        try:
            result: AuthenticateRequestResult = await self._inner.authenticate_request(
                activity, auth_header
            )
        except PermissionError:
            raise
        except (aiohttp.ClientError, TimeoutError) as exc:  # the OpenID metadata fetch
            raise AuthUnavailable(f"signing keys unavailable: {type(exc).__name__}") from exc
        except Exception as exc:  # botbuilder raises jwt / lookup errors for bad tokens
            raise PermissionError(f"{type(exc).__name__}: {exc}") from exc
        if result.connector_factory is not None:
            result.connector_factory = _CachedConnectorFactory(
                result.connector_factory, self, _app_id(result.claims_identity)
            )
        return result

    async def authenticate_streaming_request(
        self, auth_header: str, channel_id_header: str
    ) -> AuthenticateRequestResult:
        return await self._inner.authenticate_streaming_request(auth_header, channel_id_header)

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return _CachedConnectorFactory(
            self._inner.create_connector_factory(claims_identity), self, _app_id(claims_identity)
        )

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        key = _app_id(claims_identity)
        client: UserTokenClient | None = self._token_clients.get(key)
        if client is None:
            client = await self._inner.create_user_token_client(claims_identity)
            self._token_clients[key] = client
        return client

    def create_bot_framework_client(self) -> Any:
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return str(self._inner.get_originating_audience())

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self._inner.authenticate_channel_request(auth_header)

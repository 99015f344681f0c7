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
:mod:`adapters.teams.wire` instead of msrest's generic walk.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
import jwt
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
from msrest.pipeline import Request, Response
from msrest.pipeline.async_abc import AsyncHTTPPolicy, AsyncHTTPSender, AsyncPipeline
from msrest.pipeline.universal import RawDeserializer
from msrest.universal_http.aiohttp import AioHttpClientResponse

from adapters.teams.wire import install
from bot import metrics

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({412, 429, 500, 502, 503, 504})
MAX_CACHED_CLIENTS = 256
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
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
            response = await self.next.send(request, **kwargs)
            status = response.http_response.status_code
            metrics.outbound_status("teams", status)
            if status not in RETRY_STATUSES or attempt >= self.retries:
                return response
            delay = self._delay(attempt, response.http_response.headers.get("Retry-After"))
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
        response = AioHttpClientResponse(http, answer)
        response._body = body  # type: ignore[assignment]  # preloaded, as load_body() does
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


class _LRU(OrderedDict[Any, Any]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self._size = size

    def get_or_none(self, key: Any) -> Any:
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        while len(self) > self._size:
            self.popitem(last=False)


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
        client = self._owner.connectors.get_or_none(key)
        if client is None:
            client = await self._inner.create(service_url, audience)
            client = _prepare(client, self._owner.retry, self._owner.session)
            self._owner.connectors.put(key, client)
        return client


class CachingAuthentication(BotFrameworkAuthentication):  # type: ignore[misc]
    """botbuilder's authentication, unchanged for inbound checks, with outbound clients reused."""

    def __init__(self, inner: BotFrameworkAuthentication, retry: RetryPolicy | None = None) -> None:
        self._inner = inner
        self.retry = retry or RetryPolicy()
        self.connectors = _LRU(MAX_CACHED_CLIENTS)
        self._token_clients = _LRU(MAX_CACHED_CLIENTS)
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
        try:
            result: AuthenticateRequestResult = await self._inner.authenticate_request(
                activity, auth_header
            )
        except PermissionError:
            raise
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
        client = self._token_clients.get_or_none(key)
        if client is None:
            client = await self._inner.create_user_token_client(claims_identity)
            self._token_clients.put(key, client)
        return client

    def create_bot_framework_client(self) -> Any:
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return str(self._inner.get_originating_audience())

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self._inner.authenticate_channel_request(auth_header)

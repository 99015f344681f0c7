"""Outbound Bot Connector clients: built once per (app id, service URL, audience), retried politely.

botbuilder's ``CloudAdapter`` builds a new ``ConnectorClient`` and ``UserTokenClient`` for every
turn; each construction builds msrest's ``ClientRetryPolicy``, whose status list is computed with
~500,000 list scans. That is most of the ~23 ms of CPU a stock echo turn costs. We wrap the
authentication object so the clients are built once and reused (they are stateless apart from
their credentials, which cache their token). Reused clients also keep their HTTP connections.

Their pipeline gets :class:`RetryPolicy` in front: 412, 429 and 5xx answers are retried with
exponential backoff (honouring ``Retry-After``) without blocking the event loop; the requests
transport's own status retries are switched off so nothing is retried twice.
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

from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)
from msrest.pipeline.async_abc import AsyncHTTPPolicy, AsyncPipeline
from msrest.pipeline.async_requests import (
    AsyncPipelineRequestsHTTPSender,
    AsyncRequestsCredentialsPolicy,
)
from msrest.pipeline.universal import RawDeserializer
from msrest.universal_http.async_requests import AsyncRequestsHTTPSender

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({412, 429, 500, 502, 503, 504})
MAX_CACHED_CLIENTS = 256
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0


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


def _prepare(client: ConnectorClient, retry: RetryPolicy) -> ConnectorClient:
    """Give a freshly built client our retry policy and sane time-outs (once per client)."""
    config = client.config
    transport_retry = config.retry_policy.policy  # urllib3's Retry: connection errors only
    transport_retry.total = transport_retry.connect = 2
    transport_retry.read = 0
    transport_retry.status_forcelist = frozenset()
    config.connection.timeout = (CONNECT_TIMEOUT, READ_TIMEOUT)
    policies = [
        retry,
        config.user_agent_policy,
        AsyncRequestsCredentialsPolicy(config.credentials),  # type: ignore[no-untyped-call]
        RawDeserializer(),
        config.http_logger_policy,
    ]
    pipeline = AsyncPipeline(
        policies, AsyncPipelineRequestsHTTPSender(AsyncRequestsHTTPSender(config))
    )
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
            client = _prepare(await self._inner.create(service_url, audience), self._owner.retry)
            self._owner.connectors.put(key, client)
        return client


class CachingAuthentication(BotFrameworkAuthentication):  # type: ignore[misc]
    """botbuilder's authentication, unchanged for inbound checks, with outbound clients reused."""

    def __init__(self, inner: BotFrameworkAuthentication, retry: RetryPolicy | None = None) -> None:
        self._inner = inner
        self.retry = retry or RetryPolicy()
        self.connectors = _LRU(MAX_CACHED_CLIENTS)
        self._token_clients = _LRU(MAX_CACHED_CLIENTS)

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

"""Outbound Slack HTTP: one shared aiohttp session for the Web API and ``response_url`` posts.

slack_sdk's async clients open a new HTTP session per call unless given one; sharing a session
(keep-alive connections) roughly doubles how many replies one process can send. ``429`` answers
are retried after their ``Retry-After``; dropped connections once.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

log = logging.getLogger(__name__)

RATE_LIMIT_RETRIES = 3
SERVER_ERROR_RETRIES = 3  # 5xx answers (any body): retried after 0.5, 1, 2 s (with jitter)
CALL_TIMEOUT = 10.0  # seconds for one Web API call
JSON_UTF8 = "application/json;charset=utf-8"
PROFILE_CACHE_SIZE = 10_000


def library_logger(name: str) -> logging.Logger:
    """A logger for slack_sdk's and bolt's internals, its level set to the effective one now.

    Those libraries test ``logger.level <= DEBUG`` instead of ``isEnabledFor``: on a logger left
    at ``NOTSET`` they format a debug line (with the whole request body) on every call and then
    discard it. Configure logging before creating the adapter (``fedbot serve`` does)."""
    logger = logging.getLogger(name)
    if logger.level == logging.NOTSET:
        logger.setLevel(logger.getEffectiveLevel())
    return logger


class ServerErrorRetryHandler(AsyncRetryHandler):
    """Retry any 5xx answer, whatever its body (HTML, text, JSON), with bounded backoff."""

    def __init__(self) -> None:
        super().__init__(
            max_retry_count=SERVER_ERROR_RETRIES,
            interval_calculator=BackoffRetryIntervalCalculator(backoff_factor=0.5),
        )

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and 500 <= response.status_code < 600


def retry_handlers() -> list[AsyncRetryHandler]:
    return [
        AsyncConnectionErrorRetryHandler(),
        AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ServerErrorRetryHandler(),
    ]


REPLY_EVENT = "fedbot_reply"  # metadata event type of every reply fedbot posts


def reply_metadata(work: str, part: int) -> dict[str, Any]:
    """Message metadata naming the work (and which of its messages) a reply belongs to."""
    return {"event_type": REPLY_EVENT, "event_payload": {"work": work, "part": part}}


def describe(error: BaseException) -> str:
    """A short, safe description of a failed call (the response body may be text or bytes)."""
    if isinstance(error, SlackApiError):
        response = error.response
        data = getattr(response, "data", None)
        status = getattr(response, "status_code", "?")
        if isinstance(data, dict):
            return f"HTTP {status} {data.get('error') or data}"[:200]
        return f"HTTP {status} {str(data)[:120]!r}"
    return f"{type(error).__name__}: {error}"[:200]


class SlackWeb:
    """The Web API client and ``response_url`` poster, sharing one session opened on start."""

    def __init__(self, token: str, base_url: str = "") -> None:
        kwargs: dict[str, Any] = {"base_url": base_url} if base_url else {}
        self.client = AsyncWebClient(
            token=token,
            timeout=int(CALL_TIMEOUT),
            retry_handlers=retry_handlers(),
            logger=library_logger("slack_sdk.fedbot.web"),
            **kwargs,
        )
        self._hook_logger = library_logger("slack_sdk.fedbot.webhook")
        self._emails: OrderedDict[str, str | None] = OrderedDict()

    async def start(self) -> None:
        if self.client.session is None or self.client.session.closed:
            self.client.session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.client.timeout),
                connector=aiohttp.TCPConnector(limit=64),
            )

    async def close(self) -> None:
        if self.client.session is not None:
            await self.client.session.close()

    async def post_message(
        self,
        channel: str,
        thread_ts: str | None,
        fields_json: str,
        *,
        replace: str | None = None,
        work: tuple[str, int] | None = None,
    ) -> str | None:
        """``chat.postMessage`` with the message's fields already JSON-encoded
        (:attr:`SlackMessage.json_fields`), through the same client, retries and errors
        (``SlackApiError``) as ``chat_postMessage``, without encoding the blocks again; with
        ``replace`` (a message's ts), ``chat.update`` of that message instead. ``work`` (its key
        and the part) tags the message with metadata :func:`posted_parts` finds. The ts."""
        head: dict[str, Any] = {"channel": channel}
        if replace is not None:
            head["ts"] = replace
        elif thread_ts is not None:
            head["thread_ts"] = thread_ts
        if work is not None:
            head["metadata"] = reply_metadata(*work)
        body = f"{json.dumps(head, ensure_ascii=False)[:-1]},{fields_json}}}"
        response = await self.client.api_call(
            "chat.update" if replace is not None else "chat.postMessage",
            data=body.encode(),  # type: ignore[arg-type]  # aiohttp sends bytes as they are
            headers={"Content-Type": JSON_UTF8},
        )
        ts = response.get("ts")
        return ts if isinstance(ts, str) else None

    async def posted_parts(self, channel: str, thread_ts: str | None, work: str) -> set[int]:
        """Which parts of ``work``'s reply are already in the thread (or, without a thread, among
        the channel's latest messages): found by their metadata. Raises what the API raises."""
        if thread_ts is not None:
            response = await self.client.conversations_replies(
                channel=channel, ts=thread_ts, include_all_metadata=True, limit=200
            )
        else:
            response = await self.client.conversations_history(
                channel=channel, include_all_metadata=True, limit=100
            )
        parts: set[int] = set()
        for message in response.get("messages") or ():
            metadata = message.get("metadata") if isinstance(message, dict) else None
            if not isinstance(metadata, dict) or metadata.get("event_type") != REPLY_EVENT:
                continue
            payload = metadata.get("event_payload") or {}
            part = payload.get("part") if isinstance(payload, dict) else None
            if payload.get("work") == work and isinstance(part, int):
                parts.add(part)
        return parts

    async def post_ephemeral(
        self, channel: str, user: str, thread_ts: str | None, message: dict[str, Any]
    ) -> bool:
        """``chat.postEphemeral`` (only ``user`` sees it); whether Slack took it."""
        try:
            await self.client.chat_postEphemeral(
                channel=channel,
                user=user,
                text=message.get("text", ""),
                blocks=message.get("blocks"),
                thread_ts=thread_ts,
            )
        except (SlackApiError, aiohttp.ClientError, TimeoutError, ValueError) as error:
            log.warning("slack: ephemeral message to %s in %s failed: %s", user, channel, error)
            return False
        return True

    async def respond(self, response_url: str, message: dict[str, Any]) -> bool:
        """POST ``message`` to a ``response_url``; whether Slack took it."""
        hook = AsyncWebhookClient(
            response_url,
            session=self.client.session,
            retry_handlers=retry_handlers(),
            logger=self._hook_logger,
        )
        try:
            response = await hook.send_dict(message)
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("slack: response_url post failed: %s", error)
            return False
        if response.status_code != 200:
            log.warning("slack: response_url answered %s %s", response.status_code, response.body)
        return response.status_code == 200

    async def user_email(self, user: str) -> str | None:
        """The profile e-mail (needs ``users:read.email``), cached; failures give ``None``."""
        if user in self._emails:
            self._emails.move_to_end(user)
            return self._emails[user]
        email: str | None = None
        try:
            response = await self.client.users_info(user=user)
            profile = (response.get("user") or {}).get("profile") or {}
            found = profile.get("email")
            email = found if isinstance(found, str) and "@" in found else None
        except (SlackApiError, aiohttp.ClientError, TimeoutError, AttributeError) as error:
            log.info("slack: no profile e-mail for %s: %s", user, error)
        self._emails[user] = email
        while len(self._emails) > PROFILE_CACHE_SIZE:
            self._emails.popitem(last=False)
        return email

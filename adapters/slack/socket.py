"""Socket Mode: the same bolt app over a WebSocket the bot opens to Slack (``SLACK_APP_TOKEN``).

The connection is made in the background, so the server (health endpoints, Teams) starts even
while Slack is unreachable; slack_sdk's client then keeps reconnecting. An app token Slack
refuses is reported once in the log instead of being retried forever. Envelopes get the same
shape check as ``POST /slack/events``: a payload we cannot handle is acknowledged (so Slack does
not redeliver it) and dropped. Closing waits for the client's own tasks, so nothing is left
pending at shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from adapters.slack.inbound import shape_error

log = logging.getLogger(__name__)


class _GuardedHandler(AsyncSocketModeHandler):
    """Bolt's handler, with malformed envelopes acknowledged and dropped before bolt sees them."""

    async def handle(self, client: AsyncBaseSocketModeClient, req: SocketModeRequest) -> None:
        problem = shape_error(req.payload)
        if problem is None:
            await super().handle(client, req)  # type: ignore[arg-type]
            return
        log.warning("slack: dropped a %s envelope: %s", req.type, problem)
        await client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))


class SocketMode:
    """One Socket Mode connection for ``app``, opened by :meth:`start`, closed by :meth:`close`."""

    def __init__(self, app: AsyncApp, app_token: str) -> None:
        self.app = app
        self.app_token = app_token
        self.handler: _GuardedHandler | None = None
        self._connecting: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Begin connecting (needs the running loop: slack_sdk's client starts tasks at once)."""
        self.handler = _GuardedHandler(self.app, self.app_token)
        self._connecting = asyncio.create_task(self._connect(self.handler))

    async def _connect(self, handler: _GuardedHandler) -> None:
        client = handler.client
        try:
            client.wss_uri = await client.issue_new_wss_url()
        except SlackApiError as error:
            log.error(
                "slack: Socket Mode off: Slack refused the app token (%s); check SLACK_APP_TOKEN "
                "(an xapp- token with connections:write) and that Socket Mode is enabled",
                error.response.get("error"),
            )
            return
        except Exception as error:  # unreachable now: the client keeps trying on its own
            log.warning("slack: Socket Mode URL not obtained yet (%s); retrying", error)
        await handler.connect_async()  # type: ignore[no-untyped-call]
        log.info("slack: Socket Mode connected")

    async def close(self) -> None:
        """Stop receiving and wait until the client's tasks have ended."""
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
        if self.handler is None:
            return
        client = self.handler.client
        await self.handler.close_async()  # type: ignore[no-untyped-call]
        tasks: list[Any] = [
            t
            for t in (
                self._connecting,
                client.message_processor,
                client.current_session_monitor,
                client.message_receiver,
            )
            if t is not None
        ]
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)

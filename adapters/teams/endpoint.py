"""``POST /api/messages``: bad input refused before botbuilder sees it, then ``CloudAdapter``.

Content type other than JSON → 415; body not JSON, not an object, without ``type``,
``conversation.id`` or an http(s) ``serviceUrl`` → 400; too large → 413 (the application's
``client_max_size``). A token that is missing, forged, expired or for another bot → 401, whatever
exception botbuilder's validation happens to raise for it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from botbuilder.core import serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity

from adapters.teams.activity_serializer import read_activity
from adapters.teams.connector import AuthUnavailable
from adapters.teams.turns import TeamsTurns
from bot.work import WorkNotRecorded

log = logging.getLogger(__name__)


def _problem(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


def _activity(data: Any) -> Activity | str:
    """The activity, or why the body is not one."""
    if not isinstance(data, dict):
        return "the body is not a JSON object"
    if not isinstance(data.get("type"), str) or not data["type"]:
        return "the activity has no type"
    conversation = data.get("conversation")
    if not isinstance(conversation, dict) or not isinstance(conversation.get("id"), str):
        return "the activity has no conversation id"
    service_url = data.get("serviceUrl")
    if not isinstance(service_url, str) or not service_url.startswith(("http://", "https://")):
        return "the activity has no http(s) serviceUrl"
    try:
        activity = read_activity(data)
    except Exception:
        return "the activity is malformed"
    return activity if isinstance(activity, Activity) else "the activity is malformed"


REPLY_BOUND = 5.0  # seconds an inbound request is held at most once its turn runs


@dataclass
class MessagesEndpoint:
    adapter: CloudAdapter
    turns: TeamsTurns
    reply_bound: float = REPLY_BOUND
    inflight: set[asyncio.Future[Any]] = field(default_factory=set)

    def _background(self, task: asyncio.Future[Any], conversation: str) -> None:
        self.inflight.add(task)

        def done(finished: asyncio.Future[Any]) -> None:
            self.inflight.discard(finished)
            if not finished.cancelled() and finished.exception() is not None:
                log.error(
                    "teams turn in conversation %s failed after its acknowledgement: %r",
                    conversation,
                    finished.exception(),
                )

        task.add_done_callback(done)

    async def drain(self, timeout: float) -> None:
        """Let turns acknowledged early finish (SIGTERM), up to ``timeout`` seconds."""
        if self.inflight:
            await asyncio.wait(set(self.inflight), timeout=timeout)

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        if request.content_type != "application/json":
            return _problem(415, "expected Content-Type: application/json")
        body = await request.read()  # raises 413 beyond the application's client_max_size
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return _problem(400, "the body is not valid JSON")
        activity = _activity(data)
        if isinstance(activity, str):
            return _problem(400, activity)

        started = False  # the turn is authenticated and its work recorded: it may be acked

        def recorded() -> None:
            nonlocal started
            started = True

        async def logic(context: Any) -> None:
            await self.turns(context, data, recorded)

        auth_header = request.headers.get("Authorization", "")
        expect_replies = activity.delivery_mode == "expectReplies"
        task = asyncio.ensure_future(self.adapter.process_activity(auth_header, activity, logic))
        await asyncio.wait({task}, timeout=self.reply_bound)
        if not task.done() and started and not expect_replies:
            # The turn is authenticated and running but slow (a DNS check, a slow connector):
            # acknowledge now so Teams does not redeliver (it would after 15 s); the turn goes on
            # and replies through the connector. Its activity is already recorded as work in the
            # store (with its serviceUrl and conversation): a redelivery is a no-op, and if this
            # process dies the work is resumed here after a restart or by another replica.
            self._background(task, activity.conversation.id)
            return web.Response(status=202)
        try:
            invoke_response = await task
        except PermissionError as exc:
            log.info("rejected /api/messages: %s", exc)
            return _problem(401, "unauthorized")
        except WorkNotRecorded:
            # not recorded, so not acknowledged: the channel delivers it again
            return _problem(503, "state store unavailable: not recorded, please retry")
        except AuthUnavailable as exc:
            log.warning("/api/messages: %s; answering 503 so the channel retries", exc)
            return _problem(503, "authentication temporarily unavailable")
        except Exception:
            # The turn logic answers its own failures; this is botbuilder around it.
            log.exception("teams activity failed in conversation %s", activity.conversation.id)
            return _problem(500 if not started else 200, "internal error")
        if invoke_response:
            # expectReplies: botbuilder hands the ExpectedReplies already serialised (a dict)
            body = invoke_response.body
            if not isinstance(body, dict | list | str | int | float | type(None)):
                body = serializer_helper(body)
            return web.json_response(body, status=invoke_response.status or 200)
        return web.Response(status=201)

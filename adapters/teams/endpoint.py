"""``POST /api/messages``: bad input refused before botbuilder sees it, then ``CloudAdapter``.

Content type other than JSON → 415; body not JSON, not an object, without ``type``,
``conversation.id`` or an http(s) ``serviceUrl`` → 400; too large → 413 (the application's
``client_max_size``). A token that is missing, forged, expired or for another bot → 401, whatever
exception botbuilder's validation happens to raise for it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from botbuilder.core import serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity

from adapters.teams.activity_serializer import read_activity
from adapters.teams.turns import TeamsTurns

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


@dataclass
class MessagesEndpoint:
    adapter: CloudAdapter
    turns: TeamsTurns

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

        started = False

        async def logic(context: Any) -> None:
            nonlocal started
            started = True
            await self.turns(context)

        auth_header = request.headers.get("Authorization", "")
        try:
            invoke_response = await self.adapter.process_activity(auth_header, activity, logic)
        except PermissionError as exc:
            log.info("rejected /api/messages: %s", exc)
            return _problem(401, "unauthorized")
        except Exception:
            # The turn logic answers its own failures; this is botbuilder around it.
            log.exception("teams activity failed in conversation %s", activity.conversation.id)
            return _problem(500 if not started else 200, "internal error")
        if invoke_response:
            return web.json_response(
                serializer_helper(invoke_response.body), status=invoke_response.status
            )
        return web.Response(status=201)

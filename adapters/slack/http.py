"""``POST /slack/events``: events, the slash command and interactivity on one URL.

Before a request reaches bolt it must be UTF-8, correctly signed within Slack's five-minute window
and a payload shape we know; otherwise it gets a 4xx here (bolt would turn some of these into a
500). This is the one signature check (the app has bolt's own turned off); bolt dispatches.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from adapters.slack.inbound import NOT_RECORDED, shape_error

log = logging.getLogger(__name__)

PATH = "/slack/events"
_TIMESTAMP = re.compile(r"[0-9]{1,12}", re.ASCII)
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}", re.ASCII)


def _refuse(status: int, reason: str) -> web.Response:
    return web.json_response({"ok": False, "error": reason}, status=status)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def events_handler(app: AsyncApp, signing_secret: str) -> Handler:
    verifier = SignatureVerifier(signing_secret)

    async def handle(request: web.Request) -> web.StreamResponse:
        raw = await request.read()  # over the application's client_max_size: 413
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return _refuse(400, "body is not UTF-8")
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        # Only the shapes Slack sends reach the verifier: ASCII digits of a sane length (a
        # 5,000-digit or non-ASCII-digit timestamp would make int() fail) and v0=<hex sha256>.
        if not (_TIMESTAMP.fullmatch(timestamp) and _SIGNATURE.fullmatch(signature)):
            return _refuse(401, "invalid signature or timestamp")
        if not verifier.is_valid(text, timestamp, signature):
            return _refuse(401, "invalid signature or timestamp")
        try:
            bolt_request = AsyncBoltRequest(
                body=text, query=request.query_string, headers=dict(request.headers)
            )
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError):
            return _refuse(400, "malformed body")  # incl. JSON nested beyond the parser's depth
        problem = shape_error(bolt_request.body)
        if problem is not None:
            return _refuse(400, problem)
        bolt_response = await app.async_dispatch(bolt_request)
        if bolt_response.status == 503 and bolt_response.body == NOT_RECORDED:
            return _refuse(503, NOT_RECORDED)  # work not recorded: not acknowledged, retried
        if bolt_response.status >= 500:
            # bolt's own failures (its per-request auth.test when the token is refused or the
            # Web API unreachable, already logged by bolt): never a 500 to Slack.
            return _refuse(200, "not processed: Slack Web API unavailable")
        return await to_aiohttp_response(bolt_response)

    return handle

"""Shared helpers for the Slack tests: Block Kit validation with slack_sdk's models, request
signing, and a loopback fake of the Slack Web API (with a ``response_url`` endpoint).

Not a test module of its own (it has no tests); the Slack test modules import it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import WSMsgType, web
from slack_sdk.models.blocks import Block
from slack_sdk.signature import SignatureVerifier

MAX_MESSAGE_CHARS = 12_000


def assert_valid_message(message: dict[str, Any]) -> None:
    """A message the bot sends passes slack_sdk's block models and Slack's message limits."""
    blocks = message.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    assert isinstance(message.get("text"), str) and message["text"].strip(), message
    assert len(message["text"]) <= 3000
    assert 1 <= len(blocks) <= 50, len(blocks)
    assert len(json.dumps(blocks, ensure_ascii=False, separators=(",", ":"))) < MAX_MESSAGE_CHARS
    ids: set[str] = set()
    for raw in blocks:
        block = Block.parse(raw)
        assert block is not None, raw
        block.validate_json()  # raises SlackObjectFormationError on any limit
        if raw["type"] == "section":
            for field in raw.get("fields", []):
                assert len(field["text"]) <= 2000
        if raw["type"] == "context":
            assert 1 <= len(raw["elements"]) <= 10
            assert all(len(e["text"]) <= 3000 for e in raw["elements"])
        if raw["type"] == "actions":
            for element in raw["elements"]:
                assert element["action_id"] not in ids, "action ids must be unique"
                ids.add(element["action_id"])
                assert len(element["value"]) <= 2000


def sign(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """Headers Slack would send with ``body`` (HMAC-SHA256 v0 signature)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


def form(**fields: str) -> str:
    return urlencode(fields)


def interaction(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


class FakeSlack:
    """A loopback Slack Web API that records every call per API method (and the token it came
    with), plus ``/respond/<id>`` as ``response_url``s. ``rate_limit_once`` makes the next call of
    a method answer 429 with ``Retry-After`` first.

    Socket Mode: ``apps.connections.open`` hands out ``ws://127.0.0.1:<port>/link/?ticket=<n>``;
    a client connecting there is greeted with ``hello``; :meth:`send_envelope` pushes an envelope
    down the newest connection and every text frame the client sends back lands in ``acks``."""

    BOT_USER = "UFEDBOT"
    BOT_ID = "BFEDBOT"
    TEAM = "T0001"

    def __init__(self) -> None:
        self.calls: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.times: dict[str, list[float]] = defaultdict(list)
        self.responses: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.emails: dict[str, str] = {}
        self.rate_limited: dict[str, int] = {}
        self.fail: dict[str, str] = {}
        self.server_errors: dict[str, int] = {}  # method -> how many 500s with a text body
        self.expired_hooks: set[str] = set()  # response_url hooks answering 404 expired_url
        self.refuse_replies = ""  # when set: posts/updates tagged as replies fail with this error
        self.light = False  # keep only channel, thread and metadata of each post (long soaks)
        self.hold_responses: asyncio.Event | None = None  # response_url posts wait for it
        # what a channel shows now (ts -> message, updates applied): conversations.replies and
        # conversations.history answer from it, metadata included
        self.messages: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, list[str]] = defaultdict(list)
        self.sockets: list[web.WebSocketResponse] = []
        self.acks: list[dict[str, Any]] = []
        self._ts = 1000
        self._envelopes = 0
        self.socket_url = ""  # when set, what apps.connections.open hands out instead
        self._changed = asyncio.Condition()
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{hook}", self._respond)
        app.router.add_get("/link/", self._socket)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def close(self) -> None:
        for ws in self.open_sockets():
            await ws.close()
        if self.runner is not None:
            await self.runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, hook: str) -> str:
        return f"{self.url}/respond/{hook}"

    def rate_limit_once(self, method: str, retry_after: int = 1) -> None:
        self.rate_limited[method] = retry_after

    async def _note(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Any, timeout: float = 5.0) -> None:
        """Wait until ``predicate()`` holds (it is re-checked on every recorded call)."""

        async def until() -> None:
            async with self._changed:
                await self._changed.wait_for(predicate)

        await asyncio.wait_for(until(), timeout)

    async def _body(self, request: web.Request) -> dict[str, Any]:
        raw = await request.text()
        query = {k: v for k, v in request.query.items() if k != "team_id"}
        if request.content_type == "application/json":
            data = json.loads(raw) if raw else {}
            return {**query, **data} if isinstance(data, dict) else query
        return {**query, **dict(parse_qsl(raw))}

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body = await self._body(request)
        if "blocks" in body and isinstance(body["blocks"], str):
            body["blocks"] = json.loads(body["blocks"])
        self.times[method].append(time.monotonic())
        self.tokens[method].append(request.headers.get("Authorization", ""))
        if self.server_errors.get(method, 0) > 0:
            self.server_errors[method] -= 1
            self.calls[f"{method}#500"].append(body)
            await self._note()
            return web.Response(
                status=500, text="upstream connect error", content_type="text/plain"
            )
        if method in self.rate_limited:
            retry_after = self.rate_limited.pop(method)
            self.calls[f"{method}#429"].append(body)
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(retry_after)},
            )
        self.calls[method].append(body)
        try:
            return web.json_response(self._answer(method, body))
        finally:
            await self._note()

    def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        if method in self.fail:
            return {"ok": False, "error": self.fail[method]}
        if self.refuse_replies and "metadata" in body:
            return {"ok": False, "error": self.refuse_replies}
        if method == "auth.test":
            return {
                "ok": True,
                "user_id": self.BOT_USER,
                "bot_id": self.BOT_ID,
                "team_id": self.TEAM,
                "user": "fedbot",
                "team": "Contoso",
                "url": "https://contoso.slack.com/",
            }
        if method == "users.info":
            user = body.get("user", "")
            email = self.emails.get(user)
            if email is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": {"id": user, "profile": {"email": email}}}
        if method == "apps.connections.open":
            ticket = len(self.tokens[method])
            if self.socket_url:
                return {"ok": True, "url": self.socket_url}
            return {"ok": True, "url": f"ws{self.url.removeprefix('http')}/link/?ticket={ticket}"}
        if method == "chat.postMessage":
            self._ts += 1
            body["_ts"] = f"{self._ts}.000100"
            if self.light:
                for key in [
                    k for k in body if k not in ("channel", "thread_ts", "metadata", "_ts")
                ]:
                    del body[key]
            self.messages[body["_ts"]] = {**body, "ts": body["_ts"]}
            return {"ok": True, "channel": body.get("channel"), "ts": body["_ts"]}
        if method == "chat.update":
            shown = self.messages.get(str(body.get("ts")))
            if shown is None:
                return {"ok": False, "error": "message_not_found"}
            shown.update({k: v for k, v in body.items() if k != "ts"})
            return {"ok": True, "channel": body.get("channel"), "ts": body.get("ts")}
        if method in ("conversations.replies", "conversations.history"):
            channel, ts = body.get("channel"), body.get("ts")
            shown = [
                m
                for m in self.messages.values()
                if m.get("channel") == channel
                and (method == "conversations.history" or ts in (m["ts"], m.get("thread_ts")))
            ]
            return {"ok": True, "messages": shown, "has_more": False}
        return {"ok": True}

    async def _respond(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if self.hold_responses is not None:
            self.responses["#held"].append(body)
            await self._note()
            await self.hold_responses.wait()
        if request.match_info["hook"] in self.expired_hooks:
            self.responses[request.match_info["hook"] + "#expired"].append(body)
            await self._note()
            return web.Response(status=404, text="expired_url")
        self.responses[request.match_info["hook"]].append(body)
        await self._note()
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        hello = {
            "type": "hello",
            "num_connections": len([s for s in self.sockets if not s.closed]),
            "debug_info": {"host": "fake-slack", "approximate_connection_time": 18060},
            "connection_info": {"app_id": "A1"},
        }
        await ws.send_json(hello)
        await self._note()
        async for frame in ws:
            if frame.type == WSMsgType.TEXT:
                self.acks.append(json.loads(frame.data))
                await self._note()
        await self._note()  # closed
        return ws

    def open_sockets(self) -> list[web.WebSocketResponse]:
        return [s for s in self.sockets if not s.closed]

    async def send_envelope(self, kind: str, payload: dict[str, Any], **extra: Any) -> str:
        """Push a Socket Mode envelope (``events_api``, ``slash_commands``, ``interactive``)
        down the newest open connection; its ``envelope_id``."""
        self._envelopes += 1
        envelope_id = f"env-{self._envelopes}"
        envelope = {"envelope_id": envelope_id, "type": kind, "payload": payload, **extra}
        await self.open_sockets()[-1].send_json(envelope)
        return envelope_id

    def acked(self, envelope_id: str) -> bool:
        return any(ack.get("envelope_id") == envelope_id for ack in self.acks)

    def posted(self, channel: str | None = None) -> list[dict[str, Any]]:
        posts = self.calls.get("chat.postMessage", [])
        return [p for p in posts if channel is None or p.get("channel") == channel]

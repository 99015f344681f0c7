"""Loopback parts for the Teams tests and benchmark: a fake Bot Connector that records what the bot
sends, the real fedbot application on an ephemeral port, and activity builders.

The fake connector implements what the bot calls: ``POST /v3/conversations/{id}/activities``
(and ``.../activities/{replyTo}``), ``PUT .../activities/{id}`` for card updates and
``GET /v3/conversations/{id}/members/{user}`` for the profile e-mail. ``fail_next`` makes the next
calls answer an error status first (to exercise retries).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import aiohttp
from aiohttp import web

BOT_ID = "28:fedbot-bot"
BOT_NAME = "fedbot"


@dataclass
class Sent:
    method: str
    conversation: str
    activity_id: str | None
    body: dict[str, Any]
    headers: dict[str, str]
    id: str = ""  # the id the connector gave a posted activity (what replyToId later names)

    @property
    def card(self) -> dict[str, Any] | None:
        for attachment in self.body.get("attachments") or ():
            if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
                content: dict[str, Any] = attachment["content"]
                return content
        return None

    @property
    def text(self) -> str:
        """Every text in the card (or the activity's text), joined."""
        from adapters.teams.adaptive_cards import all_texts

        card = self.card
        return "\n".join(all_texts(card)) if card else str(self.body.get("text") or "")

    def buttons(self) -> list[tuple[str, dict[str, Any]]]:
        """(title, data) of every Action.Submit in the card."""
        out: list[tuple[str, dict[str, Any]]] = []
        stack: list[Any] = [self.card or {}]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                if node.get("type") == "Action.Submit":
                    out.append((node["title"], node["data"]))
                stack.extend(reversed(list(node.values())))
            elif isinstance(node, list):
                stack.extend(reversed(node))
        return out


@dataclass
class FakeConnector:
    """A loopback Bot Connector recording every reply and update."""

    sent: list[Sent] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)
    fail_text_next: list[int] = field(default_factory=list)  # statuses answered with text bodies
    hold: asyncio.Event | None = None  # when set, POSTs wait for it (a hung connector)
    typing_empty: bool = False  # answer typing with 202 and no body, as the Agents Playground does
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    member_calls: int = 0
    url: str = ""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> FakeConnector:
        app = web.Application()
        app.router.add_post("/v3/conversations/{conversation}/activities", self._post)
        app.router.add_post("/v3/conversations/{conversation}/activities/{id}", self._post)
        app.router.add_put("/v3/conversations/{conversation}/activities/{id}", self._put)
        app.router.add_get("/v3/conversations/{conversation}/members/{user}", self._member)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _failure(self) -> web.Response | None:
        if self.fail_text_next:
            return web.Response(status=self.fail_text_next.pop(0), text="Bad Gateway")
        if self.fail_next:
            status = self.fail_next.pop(0)
            headers = {"Retry-After": "0"} if status == 429 else {}
            return web.json_response(
                {"error": {"code": str(status)}}, status=status, headers=headers
            )
        return None

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.json()
        if self.hold is not None:
            await self.hold.wait()
        failure = self._failure()
        new_id = "" if failure is not None else f"act-{next(self._ids)}"
        self._record("POST", request, body, request.match_info.get("id"), failure, new_id)
        if failure is not None:
            return failure
        if self.typing_empty and body.get("type") == "typing":
            return web.Response(status=202)
        return web.json_response({"id": new_id})

    async def _put(self, request: web.Request) -> web.Response:
        body = await request.json()
        failure = self._failure()
        self._record("PUT", request, body, request.match_info["id"], failure)
        if failure is not None:
            return failure
        return web.json_response({"id": request.match_info["id"]})

    async def _member(self, request: web.Request) -> web.Response:
        self.member_calls += 1
        user = unquote(request.match_info["user"])
        member = self.members.get(user)
        if member is None:
            return web.json_response({"error": {"code": "MemberNotFound"}}, status=404)
        return web.json_response(member)

    def _record(
        self,
        method: str,
        request: web.Request,
        body: dict[str, Any],
        activity_id: str | None,
        failure: web.Response | None,
        new_id: str = "",
    ) -> None:
        if failure is None:
            self.sent.append(
                Sent(
                    method,
                    unquote(request.match_info["conversation"]),
                    activity_id,
                    body,
                    dict(request.headers),
                    new_id,
                )
            )
        self.changed.set()

    def posts(self, conversation: str | None = None) -> list[Sent]:
        return [
            s
            for s in self.sent
            if s.method == "POST" and (conversation is None or s.conversation == conversation)
        ]

    def updates(self) -> list[Sent]:
        return [s for s in self.sent if s.method == "PUT"]


_activity_ids = itertools.count(1000)


def activity(
    connector_url: str,
    *,
    text: str | None = None,
    value: Any = None,
    conversation: str = "a:personal-chat-1",
    conversation_type: str = "personal",
    user: str = "29:user-1",
    user_name: str = "Adele Vance",
    role: str | None = None,
    mention: bool = False,
    reply_to_id: str | None = None,
    type: str = "message",
    members_added: list[str] | None = None,
    channel_id: str = "msteams",
) -> dict[str, Any]:
    """A Bot Framework activity as Teams would POST it."""
    activity_id = f"{next(_activity_ids)}"
    body: dict[str, Any] = {
        "type": type,
        "id": activity_id,
        "timestamp": "2026-11-27T10:00:00.000Z",
        "serviceUrl": connector_url,
        "channelId": channel_id,
        "from": {"id": user, "name": user_name, "aadObjectId": f"aad-{user}"},
        "conversation": {"id": conversation, "conversationType": conversation_type},
        "recipient": {"id": BOT_ID, "name": BOT_NAME},
        "channelData": {"tenant": {"id": "tenant-1"}},
    }
    if role:
        body["from"]["role"] = role
    if conversation_type == "channel":
        body["conversation"]["isGroup"] = True
        body["channelData"].update(
            {"teamsTeamId": "19:team@thread.tacv2", "channel": {"id": "19:chan@thread.tacv2"}}
        )
    if text is not None:
        body["text"] = text
        body["textFormat"] = "plain"
    if mention:
        body["text"] = f"<at>{BOT_NAME}</at> {text or ''}"
        body["entities"] = [
            {
                "type": "mention",
                "text": f"<at>{BOT_NAME}</at>",
                "mentioned": {"id": BOT_ID, "name": BOT_NAME},
            }
        ]
    if value is not None:
        body["value"] = value
        body.setdefault("text", "")
    if reply_to_id:
        body["replyToId"] = reply_to_id
    if members_added is not None:
        body["membersAdded"] = [{"id": m} for m in members_added]
    return body


@dataclass
class RunningApp:
    url: str
    runner: web.AppRunner
    session: aiohttp.ClientSession
    lines: list[str]

    async def post(
        self,
        body: Any,
        *,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        content_type: str = "application/json",
    ) -> tuple[int, str]:
        data = raw if raw is not None else json.dumps(body).encode()
        all_headers = {"Content-Type": content_type, **(headers or {})}
        async with self.session.post(
            self.url + "/api/messages", data=data, headers=all_headers
        ) as response:
            return response.status, await response.text()

    async def stop(self) -> None:
        await self.session.close()
        await self.runner.cleanup()


async def run_app(bot: Any, settings: Any) -> RunningApp:
    """The real fedbot application (``build_app``) on 127.0.0.1 with an ephemeral port."""
    from bot.server import build_app

    app, lines = build_app(bot, settings)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    session = aiohttp.ClientSession()
    return RunningApp(f"http://127.0.0.1:{port}", runner, session, lines)

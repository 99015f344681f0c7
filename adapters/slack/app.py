"""The slack-bolt ``AsyncApp``: its listeners turn Slack payloads into FedBot calls and post the
rendered replies.

Everything slow (DNS checks, the dialog, Web API calls) runs after Slack has been acknowledged:
bolt's own middleware (SSL check, authorization, self-event filter, URL verification) runs first,
then :class:`Listeners`, one class-based middleware step, hands each payload kind to its listener
in a task of its own and acknowledges at once. Work in flight is tracked so a shutdown can let it
finish.

Why not ``app.event(...)``/``app.command(...)``: bolt evaluates each registered listener's
function matchers, function middleware and the listener itself through kwargs injection (a dict
of ~35 payload conversions and per-request helper objects, built on every call: 2 calls for a
channel message, 5 for ``/fedcheck``) and runs each listener through its runner. Payloads no
listener takes still go on to bolt (unhandled → 404)."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError

from adapters.slack.blocks import (
    ACTION_PREFIX,
    SlackMessage,
    answered_blocks,
    decode_payload,
    to_messages,
)
from adapters.slack.inbound import (
    conversation_key,
    is_dm,
    mentions,
    plain_text,
    reply_thread,
    thread_of,
)
from adapters.slack.web import SlackWeb, library_logger
from bot import metrics
from bot.config import Settings
from bot.once import Once
from bot.service import FedBot, Turn
from dialogs.replies import CheckCard, ChoicePayload, Message, Reply

log = logging.getLogger(__name__)

COMMAND = "/fedcheck"
# Bot events subscribed to, and the OAuth scope each needs (the manifest is checked against these).
EVENT_SCOPES: dict[str, str] = {
    "app_mention": "app_mentions:read",
    "message.im": "im:history",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
}
# Web API methods the adapter calls, and the scopes each needs.
WEB_API_SCOPES: dict[str, tuple[str, ...]] = {
    "auth.test": (),
    "chat.postMessage": ("chat:write",),
    "users.info": ("users:read", "users:read.email"),
}
COMMAND_SCOPES: tuple[str, ...] = ("commands",)
# Message subtypes that are a person writing something new (edits, joins, bot posts are not).
PERSON_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})
RENDER_CACHE_SIZE = 256  # distinct reply lists whose Block Kit rendering is kept

Next = Callable[[], Awaitable[BoltResponse]]


def required_scopes() -> set[str]:
    """Every scope some listener or Web API call of this adapter needs."""
    scopes = set(EVENT_SCOPES.values()) | set(COMMAND_SCOPES)
    return scopes.union(*WEB_API_SCOPES.values())


class DedupeEvents(AsyncMiddleware):
    """Each event once: Slack's retries and duplicate deliveries are acknowledged unseen, before
    any listener runs (so a retry of a first attempt still in flight does nothing either)."""

    def __init__(self, once: Once) -> None:
        self.once = once

    async def async_process(
        self, *, req: AsyncBoltRequest, resp: BoltResponse, next: Next
    ) -> BoltResponse:
        event_id = req.body.get("event_id")
        is_event = req.body.get("type") == "event_callback" and isinstance(event_id, str)
        if is_event and not self.once.claim(f"event:{event_id}"):
            metrics.duplicate("slack")
            return BoltResponse(status=200, body="")
        return await next()


Listener = Callable[[dict[str, Any], AsyncBoltContext], Awaitable[None]]


class Listeners(AsyncMiddleware):
    """The adapter's listeners by payload kind: channel/DM messages and @mentions (events),
    ``/fedcheck``, presses of our buttons. A taken payload is acknowledged at once (a button
    value we did not make is refused with 400) and its listener started in a task; any other
    payload goes on to bolt."""

    def __init__(
        self,
        *,
        events: Mapping[str, Listener],
        command: Listener,
        button: Listener,
        start: Callable[[Awaitable[None]], None],
    ) -> None:
        self.events, self.command, self.button, self.start = events, command, button, start

    async def async_process(
        self, *, req: AsyncBoltRequest, resp: BoltResponse, next: Next
    ) -> BoltResponse:
        body = req.body
        listener: Listener | None = None
        if body.get("type") == "event_callback":
            event = body.get("event")
            if isinstance(event, dict):
                listener = self.events.get(event.get("type"))  # type: ignore[arg-type]
        elif "command" in body:
            listener = self.command if body["command"] == COMMAND else None
        elif body.get("type") == "block_actions" and _our_action(body):
            if decode_payload(body["actions"][0].get("value")) is None:
                return BoltResponse(status=400, body="unknown button payload")
            listener = self.button
        if listener is None:
            return await next()
        self.start(listener(body, req.context))
        return BoltResponse(status=200, body="")


def _our_action(body: dict[str, Any]) -> bool:
    actions = body.get("actions")
    if not (isinstance(actions, list) and actions and isinstance(actions[0], dict)):
        return False
    return str(actions[0].get("action_id", "")).startswith(ACTION_PREFIX)


class SlackAdapter:
    """fedbot on Slack: one bolt app, one Web API session, exactly-once guards."""

    def __init__(self, bot: FedBot, settings: Settings) -> None:
        self.bot = bot
        self.settings = settings
        self.web = SlackWeb(settings.slack_bot_token, settings.slack_api_url)
        self.once = Once()
        knowledge_messages = getattr(getattr(bot, "knowledge", None), "messages", None)
        self.messages: Mapping[str, str] = (
            knowledge_messages if isinstance(knowledge_messages, Mapping) else {}
        )
        self._inflight: set[asyncio.Task[Any]] = set()
        self._rendered: OrderedDict[tuple[Reply, ...], list[SlackMessage]] = OrderedDict()
        # Requests reach the app already verified: over HTTP by adapters.slack.http's guard (the
        # one place signatures and timestamps are checked), in Socket Mode by the connection.
        self.app = AsyncApp(
            name="fedbot",
            client=self.web.client,
            signing_secret=settings.slack_signing_secret,
            logger=library_logger("slack_bolt.fedbot"),
            request_verification_enabled=False,
            # no assistant threads or workflow functions here: skip bolt's middleware for them
            attaching_conversation_kwargs_enabled=False,
            attaching_function_token_enabled=False,
        )
        self.app.use(DedupeEvents(self.once))
        self.app.use(
            Listeners(
                events={"message": self.on_message, "app_mention": self.on_mention},
                command=self.on_fedcheck,
                button=self.on_button,
                start=self._start,
            )
        )

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        await self.web.start()

    async def close(self, grace: float = 10.0) -> None:
        """Let work in flight finish (up to ``grace`` seconds), then close the session."""
        if self._inflight:
            await asyncio.wait(set(self._inflight), timeout=grace)
        await self.web.close()

    def _start(self, work: Awaitable[None]) -> None:
        """Run a listener in a task of its own, tracked until it ends."""
        task = asyncio.ensure_future(self._logged(work))
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    @staticmethod
    async def _logged(work: Awaitable[None]) -> None:
        try:
            await work
        except Exception:
            log.exception("slack: listener failed")

    # ------------------------------------------------------------ listeners

    async def on_fedcheck(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        args = plain_text(str(body.get("text") or ""))
        email = None if args else await self._email(body["user_id"])
        replies = await self._safely(self.bot.fedcheck(args, user_email=email))
        visibility = "in_channel" if any(isinstance(r, CheckCard) for r in replies) else None
        for message in self._render(replies):
            await self.web.respond(
                body["response_url"],
                {**message.as_kwargs(), "response_type": visibility or "ephemeral"},
            )

    async def on_mention(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        event = body["event"]
        if event.get("bot_id") or not isinstance(event.get("user"), str):
            return
        text = plain_text(str(event.get("text") or ""), strip_user=context.bot_user_id)
        channel = str(event.get("channel", ""))
        thread = thread_of(channel, str(event.get("ts", "")), event.get("thread_ts"))
        await self._converse(body["team_id"], channel, thread, event["user"], text=text)

    async def on_message(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        event = body["event"]
        user, channel = event.get("user"), event.get("channel")
        if event.get("subtype") not in PERSON_SUBTYPES or event.get("bot_id"):
            return
        if not (isinstance(user, str) and isinstance(channel, str) and "ts" in event):
            return
        if user == context.bot_user_id:
            return
        raw = str(event.get("text") or "")
        if event.get("channel_type") == "im" or is_dm(channel):
            thread = thread_of(channel, event["ts"], event.get("thread_ts"))
            text = plain_text(raw, strip_user=context.bot_user_id)
            await self._converse(body["team_id"], channel, thread, user, text=text)
        elif not mentions(raw, context.bot_user_id or ""):  # mentions: see on_mention
            await self._auto_reply(body["team_id"], channel, event, raw)

    async def on_button(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        action = body["actions"][0]
        payload = decode_payload(action.get("value"))
        channel = body["channel"]["id"]
        container, message = body["container"], body.get("message") or {}
        message_ts = str(container.get("message_ts") or message.get("ts") or "")
        block_id = str(action.get("block_id") or "")
        if payload is None or not self.once.claim(f"press:{channel}:{message_ts}:{block_id}"):
            return  # a second press of the same question before its buttons went away
        label = str((action.get("text") or {}).get("text") or payload.value)
        response_url = body.get("response_url")
        blocks = answered_blocks(message.get("blocks") or [], block_id, label, self.messages)
        if blocks is not None and isinstance(response_url, str):
            update = {
                "replace_original": True,
                "text": message.get("text", ""),
                "blocks": blocks,
            }
            await self.web.respond(response_url, update)
        thread_ts = message.get("thread_ts") or container.get("thread_ts")
        thread = thread_of(channel, message_ts, thread_ts)
        await self._converse(
            body["team"]["id"],
            channel,
            thread,
            body["user"]["id"],
            payload=payload,
            response_url=response_url if isinstance(response_url, str) else None,
        )

    # ------------------------------------------------------------ helpers

    async def _converse(
        self,
        team: str,
        channel: str,
        thread: str,
        user: str,
        *,
        text: str | None = None,
        payload: ChoicePayload | None = None,
        response_url: str | None = None,
    ) -> None:
        email = await self._email(user)
        turn = Turn(
            conversation=conversation_key(team, channel, thread),
            user=user,
            text=text,
            payload=payload,
            user_email=email,
        )
        replies = await self._safely(self.bot.converse(turn))
        await self._post(channel, reply_thread(thread), replies, response_url)

    def _render(self, replies: Sequence[Reply]) -> list[SlackMessage]:
        """Replies as Slack messages; identical replies (the same card for the same pasted error,
        the same question) are rendered once. The messages are shared: never modify them."""
        key = tuple(replies)
        try:
            cached = self._rendered.get(key)
        except TypeError:  # an unhashable reply: render it every time
            return to_messages(replies, self.messages)
        if cached is None:
            cached = self._rendered[key] = to_messages(replies, self.messages)
            if len(self._rendered) > RENDER_CACHE_SIZE:
                self._rendered.popitem(last=False)
        else:
            self._rendered.move_to_end(key)
        return cached

    async def _email(self, user: str) -> str | None:
        """The asker's profile e-mail, looked up only when no home domain is configured."""
        return None if self.bot.home_domain() is not None else await self.web.user_email(user)

    async def _safely(self, work: Awaitable[list[Reply]]) -> list[Reply]:
        """The replies of ``work``, or a short apology when it failed (logged, never shown)."""
        try:
            return await work
        except Exception:
            log.exception("slack: turn failed")
            apology = self.messages.get("error.apology", "")
            return [Message(apology)] if apology else []

    async def _auto_reply(self, team: str, channel: str, event: dict[str, Any], raw: str) -> None:
        allowed = self.settings.slack_channels
        if allowed and channel not in allowed:
            return
        card = await self.bot.auto_reply(plain_text(raw))
        if card is None:
            return
        thread = str(event.get("thread_ts") or event["ts"])
        key = f"thread:{team}:{channel}:{thread}"
        if not self.once.claim(key):
            return  # this thread already has its auto-reply
        if not await self._post(channel, thread, [card]):
            self.once.release(key)
        else:
            metrics.auto_reply("slack")

    async def _post(
        self,
        channel: str,
        thread_ts: str | None,
        replies: Sequence[Reply],
        response_url: str | None = None,
    ) -> bool:
        """Post replies (in the thread when given); when the bot may not post in that channel,
        fall back to the interaction's ``response_url``. Whether everything was delivered."""
        delivered = True
        for message in self._render(replies):
            delivered = (
                await self._post_one(channel, thread_ts, message, response_url) and delivered
            )
        return delivered

    async def _post_one(
        self,
        channel: str,
        thread_ts: str | None,
        message: SlackMessage,
        response_url: str | None,
    ) -> bool:
        try:
            await self.web.post_message(channel, thread_ts, message.json_fields)
            return True
        except SlackApiError as error:
            metrics.outbound_error("slack", str(error.response.get("error") or "api_error"))
            log.warning(
                "slack: chat.postMessage in %s failed: %s", channel, error.response.get("error")
            )
            if response_url is None:
                return False
            fallback = {**message.as_kwargs(), "replace_original": False}
            if thread_ts is not None:
                fallback["thread_ts"] = thread_ts
            return await self.web.respond(response_url, fallback)

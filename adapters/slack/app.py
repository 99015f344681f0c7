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
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import aiohttp
from cachetools import LRUCache
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
from adapters.slack.web import SlackWeb, describe, library_logger
from bot import metrics
from bot.config import Settings
from bot.service import FedBot, Turn, TurnKind
from bot.store import StateStore, Work
from dialogs.replies import CheckCard, Message, Reply
from knowledge.model import Wording

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
    "chat.update": ("chat:write",),
    "users.info": ("users:read", "users:read.email"),
}
COMMAND_SCOPES: tuple[str, ...] = ("commands",)
# Message subtypes that are a person writing something new (edits, joins, bot posts are not).
PERSON_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})
RENDER_CACHE_SIZE = 256  # distinct reply lists whose Block Kit rendering is kept
MAX_RESUMES = 3  # times unfinished acknowledged work is taken over before it is given up
EVENT_TTL = 3600.0  # Slack retries an event for minutes; remembered an hour
PRESS_TTL = 24 * 3600.0

Next = Callable[[], Awaitable[BoltResponse]]


def required_scopes() -> set[str]:
    """Every scope some listener or Web API call of this adapter needs."""
    scopes = set(EVENT_SCOPES.values()) | set(COMMAND_SCOPES)
    return scopes.union(*WEB_API_SCOPES.values())


class DedupeEvents(AsyncMiddleware):
    """Each event once: Slack's retries and duplicate deliveries are acknowledged unseen, before
    any listener runs (so a retry of a first attempt still in flight does nothing either). The
    claim carries the event itself, durably, before the 200: work acknowledged but not finished
    when the process died is resumed (see :meth:`SlackAdapter.resume_unfinished`)."""

    def __init__(self, store: StateStore, ttl: float, lease: float) -> None:
        self.store, self.ttl, self.lease = store, ttl, lease

    async def async_process(
        self, *, req: AsyncBoltRequest, resp: BoltResponse, next: Next
    ) -> BoltResponse:
        event_id = req.body.get("event_id")
        is_event = req.body.get("type") == "event_callback" and isinstance(event_id, str)
        if is_event:
            work = {"slack_event": req.body}
            if not await self.store.claim(event_key(str(event_id)), self.ttl, work, self.lease):
                metrics.duplicate("slack")
                return BoltResponse(status=200, body="")
        return await next()


def event_key(event_id: str) -> str:
    return f"slack:event:{event_id}"


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
        start: Callable[[Awaitable[None], dict[str, Any]], None],
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
        self.start(listener(body, req.context), body)
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
        wording = getattr(getattr(bot, "knowledge", None), "wording", None)
        self.messages = wording if isinstance(wording, Wording) else Wording({}, {})
        self._inflight: set[asyncio.Task[Any]] = set()
        self._rendered: LRUCache[tuple[Reply, ...], list[SlackMessage]] = LRUCache(
            RENDER_CACHE_SIZE
        )
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
        self.lease = settings.work_lease
        self.app.use(DedupeEvents(bot.store, EVENT_TTL, self.lease))
        self.listeners = Listeners(
            events={"message": self.on_message, "app_mention": self.on_mention},
            command=self.on_fedcheck,
            button=self.on_button,
            start=self._start_work,
        )
        self.app.use(self.listeners)
        self.bot_user_id: str | None = None
        self._resumer: asyncio.Task[None] | None = None

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        await self.web.start()
        await self.verify_token()
        self._resumer = asyncio.ensure_future(self._resume_loop())

    async def verify_token(self) -> bool:
        """``auth.test`` at start-up: a refused or unreachable token is logged once, clearly
        (requests are still answered: 200 for what was received, no 500s)."""
        try:
            answer = await asyncio.wait_for(self.web.client.auth_test(), 15)
        except SlackApiError as error:
            log.error("slack: SLACK_BOT_TOKEN refused by auth.test (%s)", describe(error))
            return False
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            log.error("slack: Slack Web API unreachable for auth.test: %s", describe(error))
            return False
        log.info("slack: token verified for team %s as %s", answer.get("team"), answer.get("user"))
        user_id = answer.get("user_id")
        self.bot_user_id = user_id if isinstance(user_id, str) else None
        return True

    async def close(self, grace: float = 10.0) -> None:
        """Let work in flight finish (up to ``grace`` seconds), then close the session."""
        if self._resumer is not None:
            self._resumer.cancel()
        await self.drain(grace)
        await self.web.close()

    def _start_work(self, work: Awaitable[None], body: dict[str, Any]) -> None:
        """Start a listener; an event's durable record is marked finished when it ends."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if not isinstance(event_id, str):
            self._start(work)
            return

        async def then_finish() -> None:
            try:
                await work
            finally:
                await self.bot.store.finish(event_key(event_id))

        self._start(then_finish())

    async def resume_unfinished(self) -> int:
        """Take over events acknowledged by a process that died before finishing them (their
        lease ran out) and run them; an event tried too often is logged as lost."""
        taken = await self.bot.store.take_unfinished(self.lease)
        for work in taken:
            body = work.data.get("slack_event")
            if not isinstance(body, dict) or work.attempts > MAX_RESUMES:
                log.error("slack: giving up on unfinished %s: %s", work.key, str(body)[:200])
                await self.bot.store.finish(work.key)
                continue
            log.warning("slack: resuming %s (acknowledged, unfinished)", work.key)
            self._resume(work, body)
        return len(taken)

    def _resume(self, work: Work, body: dict[str, Any]) -> None:
        event = body.get("event")
        kind = event.get("type") if isinstance(event, dict) else None
        listener = self.listeners.events.get(kind) if isinstance(kind, str) else None
        context = AsyncBoltContext({"bot_user_id": self.bot_user_id})
        if listener is None:
            self._start(self.bot.store.finish(work.key))
        else:
            self._start_work(listener(body, context), body)

    async def _resume_loop(self) -> None:
        while True:
            try:
                await self.resume_unfinished()
            except Exception:
                log.exception("slack: resuming unfinished work failed")
            await asyncio.sleep(self.lease / 2)  # a periodic background task

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait until no listener work is in flight (work started meanwhile included); whether
        it all finished within ``timeout``. Tests wait on this instead of sleeping."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self._inflight:
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                return False
            await asyncio.wait(set(self._inflight), timeout=left)
        return True

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
        # A command's identity is its response_url (unique per invocation).
        hook = body.get("response_url")
        if isinstance(hook, str) and not await self.bot.store.claim(
            f"slack:command:{hook}", EVENT_TTL
        ):
            return  # the same /fedcheck delivered twice (a retry, or to another replica)
        user = str(body["user_id"])

        async def progress(message: Message) -> None:
            (shown,) = self._render([message])
            await self.web.respond(
                body["response_url"], {**shown.as_kwargs(), "response_type": "ephemeral"}
            )

        turn = Turn(
            conversation=conversation_key(body["team_id"], body["channel_id"], "fedcheck"),
            user=user,
            text=plain_text(str(body.get("text") or "")),
            kind=TurnKind.COMMAND,
            email_lookup=self._email_lookup(user),
            progress=progress,
        )
        replies = await self._safely(self.bot.handle(turn))
        visibility = "in_channel" if any(isinstance(r, CheckCard) for r in replies) else None
        for message in self._render(replies):
            await self.web.respond(
                body["response_url"],
                {**message.as_kwargs(), "response_type": visibility or "ephemeral"},
            )

    async def on_mention(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        event = body["event"]
        if not isinstance(event.get("user"), str):
            return
        await self._event_turn(body, context, TurnKind.MENTION)

    async def on_message(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        event = body["event"]
        user, channel = event.get("user"), event.get("channel")
        if event.get("subtype") not in PERSON_SUBTYPES:
            return  # edits, joins, topic changes: not someone saying something
        if not (isinstance(user, str) and isinstance(channel, str) and "ts" in event):
            return
        if event.get("channel_type") == "im" or is_dm(channel):
            await self._event_turn(body, context, TurnKind.DIRECT)
        elif not mentions(str(event.get("text") or ""), context.bot_user_id or ""):
            await self._event_turn(body, context, TurnKind.CHANNEL)  # mentions: see on_mention

    async def _event_turn(
        self, body: dict[str, Any], context: AsyncBoltContext, kind: TurnKind
    ) -> None:
        """A message event as a turn; the service decides whether and what to answer."""
        event = body["event"]
        channel, user = str(event.get("channel", "")), str(event["user"])
        if kind is TurnKind.CHANNEL:
            allowed = self.settings.slack_channels
            if allowed and channel not in allowed:
                return  # not a channel this installation listens in
        thread = thread_of(channel, str(event.get("ts", "")), event.get("thread_ts"))
        raw = str(event.get("text") or "")
        shown = _Shown(self, channel, reply_thread(thread))
        turn = Turn(
            conversation=conversation_key(body["team_id"], channel, thread),
            user=user,
            text=plain_text(
                raw, strip_user=None if kind is TurnKind.CHANNEL else context.bot_user_id
            ),
            kind=kind,
            from_bot=bool(event.get("bot_id")) or user == context.bot_user_id,
            email_lookup=self._email_lookup(user),
            progress=shown.progress,
        )
        replies = await self._safely(self.bot.handle(turn))
        if not await self._post(channel, reply_thread(thread), replies, replace=shown.ts):
            await self.bot.undelivered(turn)

    async def on_button(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        action = body["actions"][0]
        payload = decode_payload(action.get("value"))
        channel = body["channel"]["id"]
        container, message = body["container"], body.get("message") or {}
        message_ts = str(container.get("message_ts") or message.get("ts") or "")
        block_id = str(action.get("block_id") or "")
        press = f"slack-press:{channel}:{message_ts}:{block_id}"
        if payload is None or not await self.bot.store.claim(press, PRESS_TTL):
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
        thread = thread_of(
            channel, message_ts, message.get("thread_ts") or container.get("thread_ts")
        )
        user = str(body["user"]["id"])
        shown = _Shown(self, channel, reply_thread(thread))
        turn = Turn(
            conversation=conversation_key(body["team"]["id"], channel, thread),
            user=user,
            payload=payload,
            kind=TurnKind.BUTTON,
            email_lookup=self._email_lookup(user),
            progress=shown.progress,
        )
        replies = await self._safely(self.bot.handle(turn))
        url = response_url if isinstance(response_url, str) else None
        await self._post(channel, reply_thread(thread), replies, url, replace=shown.ts)

    # ------------------------------------------------------------ helpers

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
        return cached

    def _email_lookup(self, user: str) -> Callable[[], Awaitable[str | None]]:
        """Fetches the asker's profile e-mail; the service calls it only when it needs it."""

        async def lookup() -> str | None:
            return await self.web.user_email(user)

        return lookup

    async def _safely(self, work: Awaitable[list[Reply]]) -> list[Reply]:
        """The replies of ``work``, or a short apology when it failed (logged, never shown)."""
        try:
            return await work
        except Exception:
            log.exception("slack: turn failed")
            apology = self.messages.get("error.apology", "")
            return [Message(apology)] if apology else []

    async def _post(
        self,
        channel: str,
        thread_ts: str | None,
        replies: Sequence[Reply],
        response_url: str | None = None,
        *,
        replace: str | None = None,
    ) -> bool:
        """Post replies (in the thread when given); when the bot may not post in that channel,
        fall back to the interaction's ``response_url``. The first reply replaces the message
        ``replace`` (a "checking …" shown while a check ran). Whether everything was delivered."""
        delivered = True
        for message in self._render(replies):
            delivered = (
                await self._post_one(channel, thread_ts, message, response_url, replace)
                and delivered
            )
            replace = None
        return delivered

    async def _post_one(
        self,
        channel: str,
        thread_ts: str | None,
        message: SlackMessage,
        response_url: str | None,
        replace: str | None = None,
    ) -> bool:
        try:
            await self.web.post_message(channel, thread_ts, message.json_fields, replace=replace)
            return True
        except (SlackApiError, aiohttp.ClientError, TimeoutError, ValueError) as error:
            # After the client's bounded retries (429, 5xx with any body, dropped connections):
            # logged once, with what was lost.
            metrics.outbound_error("slack", type(error).__name__)
            lost = message.json_fields[:160]
            log.error(
                "slack: reply to %s (thread %s) lost after retries: %s; message: %s",
                channel,
                thread_ts or "-",
                describe(error),
                lost,
            )
            if response_url is None:
                return False
            fallback = {**message.as_kwargs(), "replace_original": False}
            if thread_ts is not None:
                fallback["thread_ts"] = thread_ts
            return await self.web.respond(response_url, fallback)


class _Shown:
    """The "checking …" message of one turn: posted when the service reports a slow check,
    replaced in place by the turn's first reply."""

    def __init__(self, adapter: SlackAdapter, channel: str, thread_ts: str | None) -> None:
        self.adapter, self.channel, self.thread_ts = adapter, channel, thread_ts
        self.ts: str | None = None

    async def progress(self, message: Message) -> None:
        if self.ts is not None:
            return
        (shown,) = self.adapter._render([message])
        try:
            self.ts = await self.adapter.web.post_message(
                self.channel, self.thread_ts, shown.json_fields
            )
        except SlackApiError as error:
            log.info("slack: no progress message in %s: %s", self.channel, error)

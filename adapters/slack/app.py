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
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
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
    NOT_RECORDED,
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
from bot.store import StoreUnavailable
from bot.work import Job, WorkNotRecorded, crash_point
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
    "chat.postEphemeral": ("chat:write",),
    # a resumed reply looks for itself in its thread / DM before posting (never twice)
    "conversations.replies": ("channels:history", "groups:history", "im:history"),
    "conversations.history": ("channels:history", "groups:history", "im:history"),
    "users.info": ("users:read", "users:read.email"),
}
COMMAND_SCOPES: tuple[str, ...] = ("commands",)
# Message subtypes that are a person writing something new (edits, joins, bot posts are not).
PERSON_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})
RENDER_CACHE_SIZE = 256  # distinct reply lists whose Block Kit rendering is kept
WORK_KIND = "slack"  # this adapter's kind of work in the work queue (bot.work)
RESPONSE_URL_LIFETIME = 29 * 60.0  # Slack honours a response_url 30 minutes (and 5 times)
EVENT_TTL = 3600.0  # Slack retries an event for minutes; remembered an hour
PRESS_TTL = 24 * 3600.0

Next = Callable[[], Awaitable[BoltResponse]]


def required_scopes() -> set[str]:
    """Every scope some listener or Web API call of this adapter needs."""
    scopes = set(EVENT_SCOPES.values()) | set(COMMAND_SCOPES)
    return scopes.union(*WEB_API_SCOPES.values())


def work_key(body: dict[str, Any]) -> str | None:
    """The identity of one payload's work (what a redelivery repeats): an event's ``event_id``,
    a command's ``response_url`` (unique per invocation), a press of one question's buttons."""
    if body.get("type") == "event_callback":
        event_id = body.get("event_id")
        return event_key(event_id) if isinstance(event_id, str) else None
    if "command" in body:
        return f"slack:command:{body.get('response_url')}"
    if body.get("type") == "block_actions":
        action = body["actions"][0]
        container, message = body["container"], body.get("message") or {}
        message_ts = str(container.get("message_ts") or message.get("ts") or "")
        return f"slack-press:{body['channel']['id']}:{message_ts}:{action.get('block_id') or ''}"
    return None


def event_key(event_id: str) -> str:
    return f"slack:event:{event_id}"


Listener = Callable[[Job, dict[str, Any], AsyncBoltContext], Awaitable[bool]]


class Listeners(AsyncMiddleware):
    """The adapter's listeners by payload kind: channel/DM messages and @mentions (events),
    ``/fedcheck``, presses of our buttons. A taken payload is recorded as work in the store (its
    body, durably) and then acknowledged; a redelivery (Slack's retries, or the same payload at
    another replica) is acknowledged unseen. A button value we did not make is refused with 400;
    any other payload goes on to bolt."""

    def __init__(
        self,
        *,
        events: Mapping[str, Listener],
        command: Listener,
        button: Listener,
        accept: Callable[[dict[str, Any], AsyncBoltContext], Awaitable[bool]],
    ) -> None:
        self.events, self.command, self.button, self.accept = events, command, button, accept

    def listener(self, body: dict[str, Any]) -> Listener | None:
        if body.get("type") == "event_callback":
            event = body.get("event")
            return self.events.get(event.get("type")) if isinstance(event, dict) else None  # type: ignore[arg-type]
        if "command" in body:
            return self.command if body["command"] == COMMAND else None
        if body.get("type") == "block_actions" and _our_action(body):
            return self.button
        return None

    async def async_process(
        self, *, req: AsyncBoltRequest, resp: BoltResponse, next: Next
    ) -> BoltResponse:
        body = req.body
        if self.listener(body) is None:
            return await next()
        button = body.get("type") == "block_actions"
        if button and decode_payload(body["actions"][0].get("value")) is None:
            return BoltResponse(status=400, body="unknown button payload")
        try:
            if not await self.accept(body, req.context):
                metrics.duplicate("slack")
        except WorkNotRecorded:
            # not recorded, so not acknowledged: Slack delivers it again (HTTP: 503; Socket
            # Mode: no ack)
            return BoltResponse(status=503, body=NOT_RECORDED, headers={"Retry-After": "5"})
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
        self.work = bot.work
        self.listeners = Listeners(
            events={"message": self.on_message, "app_mention": self.on_mention},
            command=self.on_fedcheck,
            button=self.on_button,
            accept=self.accept,
        )
        self.app.use(self.listeners)
        self.work.handle(WORK_KIND, self.run, self.give_up)
        self.bot_user_id: str | None = None

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        await self.web.start()
        await self.verify_token()

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
        await self.drain(grace)
        await self.web.close()

    async def accept(self, body: dict[str, Any], context: AsyncBoltContext) -> bool:
        """Record a payload's work durably (before Slack is answered) and start it; False for a
        redelivery of work already recorded (here or at another replica)."""
        key = work_key(body)
        if key is None:
            return False
        ttl = PRESS_TTL if body.get("type") == "block_actions" else EVENT_TTL
        job = await self.work.begin(key, WORK_KIND, {"body": body, "at": time.time()}, ttl)
        if job is None:
            return False
        self._start(self.work.run(job, lambda j: self.run(j, context)))
        return True

    async def run(self, job: Job, context: AsyncBoltContext | None = None) -> bool:
        """Do one payload's work (first run or resumed after a crash); whether it is done."""
        body = job.data.get("body", job.data.get("slack_event"))
        if not isinstance(body, dict):
            return True  # nothing we can do: finished
        listener = self.listeners.listener(body)
        if listener is None:
            return True
        if context is None:  # resumed: no request; what the listeners need from bolt's context
            context = AsyncBoltContext({"bot_user_id": self.bot_user_id})
        return await listener(job, body, context)

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait until no listener work is in flight (work started meanwhile, resumed work
        included); whether it all finished within ``timeout``. Tests wait on this instead of
        sleeping."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                return False
            if self._inflight:
                await asyncio.wait(set(self._inflight), timeout=left)
            elif not await self.work.drain(left):
                return False
            elif not self._inflight:
                return True

    def _start(self, work: Awaitable[object]) -> None:
        """Run a listener in a task of its own, tracked until it ends."""
        task = asyncio.ensure_future(self._logged(work))
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    @staticmethod
    async def _logged(work: Awaitable[object]) -> None:
        try:
            await work
        except Exception:
            log.exception("slack: listener failed")

    # ------------------------------------------------------------ listeners

    async def on_fedcheck(self, job: Job, body: dict[str, Any], context: AsyncBoltContext) -> bool:
        """``/fedcheck``: the answers go to the command's ``response_url`` (recorded before they
        are posted, each marked once posted, so a resumed command posts only what is left)."""
        user = str(body["user_id"])
        responses = job.data.get("responses")
        if not isinstance(responses, list):

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
                work=job.key,
            )
            replies = await self._safely(self.bot.handle(turn))
            visibility = "in_channel" if any(isinstance(r, CheckCard) for r in replies) else None
            responses = [
                {**fields_of(m), "response_type": visibility or "ephemeral"}
                for m in self._render(replies)
            ]
            await job.record(responses=responses)
        return await self._respond_all(job, body["channel_id"], user, responses)

    async def _respond_all(
        self, job: Job, channel: str, user: str, responses: list[dict[str, Any]]
    ) -> bool:
        """Post each recorded answer not yet posted to the ``response_url``; when it has expired
        (30 minutes, five uses) or fails, as an ephemeral message (``in_channel`` answers: a
        channel message) where the bot may post."""
        posted = set(job.data.get("posted") or ())
        url = job.data["body"].get("response_url")
        for part, message in enumerate(responses):
            if part in posted:
                continue
            delivered = self._hook_fresh(job) and await self.web.respond(str(url), message)
            if not delivered:
                delivered = await self._instead_of_hook(job, channel, user, None, message, part)
            if not delivered:
                return False
            crash_point("after_post")
            posted.add(part)
            await job.record(posted=sorted(posted))
        return True

    @staticmethod
    def _hook_fresh(job: Job) -> bool:
        url = job.data.get("body", {}).get("response_url")
        at = job.data.get("at")
        age = time.time() - (at if isinstance(at, int | float) else 0.0)
        return isinstance(url, str) and age < RESPONSE_URL_LIFETIME

    async def _instead_of_hook(
        self,
        job: Job,
        channel: str,
        user: str,
        thread_ts: str | None,
        message: dict[str, Any],
        part: int,
    ) -> bool:
        """A ``response_url`` answer posted through the Web API instead."""
        fields = {k: v for k, v in message.items() if k in ("text", "blocks")}
        if message.get("response_type") == "in_channel":
            try:
                await self.web.post_message(
                    channel, thread_ts, json.dumps(fields)[1:-1], work=(job.key, part)
                )
                return True
            except (SlackApiError, aiohttp.ClientError, TimeoutError, ValueError) as error:
                log.warning("slack: no channel message in %s: %s", channel, describe(error))
        return await self.web.post_ephemeral(channel, user, thread_ts, fields)

    async def on_mention(self, job: Job, body: dict[str, Any], context: AsyncBoltContext) -> bool:
        event = body["event"]
        if not isinstance(event.get("user"), str):
            return True
        return await self._event_turn(job, body, context, TurnKind.MENTION)

    async def on_message(self, job: Job, body: dict[str, Any], context: AsyncBoltContext) -> bool:
        event = body["event"]
        user, channel = event.get("user"), event.get("channel")
        if event.get("subtype") not in PERSON_SUBTYPES:
            return True  # edits, joins, topic changes: not someone saying something
        if not (isinstance(user, str) and isinstance(channel, str) and "ts" in event):
            return True
        if event.get("channel_type") == "im" or is_dm(channel):
            return await self._event_turn(job, body, context, TurnKind.DIRECT)
        if not mentions(str(event.get("text") or ""), context.bot_user_id or ""):
            return await self._event_turn(job, body, context, TurnKind.CHANNEL)
        return True  # mentions: see on_mention

    async def _event_turn(
        self, job: Job, body: dict[str, Any], context: AsyncBoltContext, kind: TurnKind
    ) -> bool:
        """A message event as a turn; the service decides whether and what to answer."""
        event = body["event"]
        channel, user = str(event.get("channel", "")), str(event["user"])
        if kind is TurnKind.CHANNEL:
            allowed = self.settings.slack_channels
            if allowed and channel not in allowed:
                return True  # not a channel this installation listens in
        thread = thread_of(channel, str(event.get("ts", "")), event.get("thread_ts"))
        raw = str(event.get("text") or "")
        shown = _Shown(self, job, channel, reply_thread(thread))
        conversation = conversation_key(body["team_id"], channel, thread)
        replies: list[Reply] = []
        if not isinstance(job.data.get("messages"), list):
            turn = Turn(
                conversation=conversation,
                user=user,
                text=plain_text(
                    raw, strip_user=None if kind is TurnKind.CHANNEL else context.bot_user_id
                ),
                kind=kind,
                from_bot=bool(event.get("bot_id")) or user == context.bot_user_id,
                email_lookup=self._email_lookup(user),
                progress=shown.progress,
                work=job.key,
                starts_thread=not event.get("thread_ts") and not is_dm(channel),
            )
            replies = await self._safely(self.bot.handle(turn))
        # An auto-reply changes no conversation: a resumed one is worked out again (its thread
        # claim is its own), so its replies need not be recorded (one write less per paste).
        record = kind is not TurnKind.CHANNEL
        return await self._deliver(
            job, channel, reply_thread(thread), replies, None, shown, record=record
        )

    async def on_button(self, job: Job, body: dict[str, Any], context: AsyncBoltContext) -> bool:
        action = body["actions"][0]
        payload = decode_payload(action.get("value"))
        if payload is None:
            return True
        channel = body["channel"]["id"]
        container, message = body["container"], body.get("message") or {}
        message_ts = str(container.get("message_ts") or message.get("ts") or "")
        block_id = str(action.get("block_id") or "")
        label = str((action.get("text") or {}).get("text") or payload.value)
        response_url = body.get("response_url")
        url = response_url if isinstance(response_url, str) and self._hook_fresh(job) else None
        thread = thread_of(
            channel, message_ts, message.get("thread_ts") or container.get("thread_ts")
        )
        shown = _Shown(self, job, channel, reply_thread(thread))
        replies: list[Reply] = []
        if not isinstance(job.data.get("messages"), list):
            blocks = answered_blocks(message.get("blocks") or [], block_id, label, self.messages)
            if blocks is not None and url is not None:
                update = {
                    "replace_original": True,
                    "text": message.get("text", ""),
                    "blocks": blocks,
                }
                await self.web.respond(url, update)
            user = str(body["user"]["id"])
            turn = Turn(
                conversation=conversation_key(body["team"]["id"], channel, thread),
                user=user,
                payload=payload,
                kind=TurnKind.BUTTON,
                email_lookup=self._email_lookup(user),
                progress=shown.progress,
                work=job.key,
            )
            replies = await self._safely(self.bot.handle(turn))
        return await self._deliver(job, channel, reply_thread(thread), replies, url, shown)

    # ------------------------------------------------------------ lost work

    async def give_up(self, job: Job) -> None:
        """The work's answer could not be posted after its retries and takeovers: log once what
        was lost, tell the user where Slack allows, take a "checking …" message down, and let the
        thread get its auto-reply later."""
        body = job.data.get("body", job.data.get("slack_event"))
        if not isinstance(body, dict):
            log.error("slack: giving up on %s: %s", job.key, str(job.data)[:200])
            return
        where = _where(body)
        asked = _asked(body)
        lost = [str(m)[:160] for m in job.data.get("messages") or job.data.get("responses") or ()]
        log.error(
            "slack: giving up on %s after %d attempts: the answer to %r in %s was not posted: %s",
            job.key,
            job.attempts + 1,
            asked[:120],
            where.channel or "?",
            lost or "(no answer computed)",
        )
        text = self.bot.lost_reply(asked)
        note = {
            "text": text,
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
        }
        told = False
        progress_ts = job.data.get("progress_ts")
        if isinstance(progress_ts, str) and where.channel:
            try:  # the "checking …" message becomes the apology instead of staying
                await self.web.post_message(
                    where.channel, None, json.dumps(note)[1:-1], replace=progress_ts
                )
                told = True
            except (SlackApiError, aiohttp.ClientError, TimeoutError, ValueError) as error:
                log.warning("slack: could not replace the progress message: %s", describe(error))
        url = body.get("response_url")
        if not told and isinstance(url, str) and self._hook_fresh(job):
            told = await self.web.respond(
                url, {**note, "response_type": "ephemeral", "replace_original": False}
            )
        if not told and where.channel and where.user:
            if is_dm(where.channel):
                try:
                    await self.web.post_message(where.channel, None, json.dumps(note)[1:-1])
                    told = True
                except (SlackApiError, aiohttp.ClientError, TimeoutError, ValueError):
                    told = False
            else:
                told = await self.web.post_ephemeral(where.channel, where.user, where.thread, note)
        if not told:
            log.error("slack: could not tell %s about the lost answer either", where.user or "?")
        event = body.get("event")
        if isinstance(event, dict) and where.channel and not is_dm(where.channel):
            # a channel paste's thread claim, when this work took it: a later paste may try
            thread = thread_of(where.channel, str(event.get("ts", "")), event.get("thread_ts"))
            conversation = conversation_key(str(body.get("team_id")), where.channel, thread)
            await self.bot.undelivered(
                Turn(conversation, where.user or "", kind=TurnKind.CHANNEL, work=job.key)
            )

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
        except StoreUnavailable:
            raise  # not the turn's fault: its work is retried after the lease
        except Exception:
            log.exception("slack: turn failed")
            apology = self.messages.get("error.apology", "")
            return [Message(apology)] if apology else []

    async def _deliver(
        self,
        job: Job,
        channel: str,
        thread_ts: str | None,
        replies: Sequence[Reply],
        response_url: str | None,
        shown: _Shown,
        *,
        record: bool = True,
    ) -> bool:
        """Post a turn's replies (in the thread when given), each tagged with the work's key.
        They are recorded first; a resumed turn posts the recorded replies, skipping those Slack
        already shows (found by their metadata), so a crash between posting and finishing never
        repeats a reply. The first reply replaces the turn's "checking …" message. When the bot
        may not post there, the interaction's ``response_url`` is used. Whether all were posted."""
        messages = job.data.get("messages")
        if not isinstance(messages, list):
            messages = [m.json_fields for m in self._render(replies)]
            if not messages:
                return True  # silence
            if record:
                await job.record(messages=messages)
        posted: set[int] = set()
        if job.resumed:
            try:
                posted = await self.web.posted_parts(channel, thread_ts, job.key)
            except (SlackApiError, aiohttp.ClientError, TimeoutError, ValueError) as error:
                log.warning(
                    "slack: cannot see what %s already posted: %s", job.key, describe(error)
                )
                return False  # not knowing could repeat a reply: try again later
        replace = shown.ts
        for part, fields in enumerate(messages):
            if part in posted:
                replace = None
                continue
            if not await self._post_one(
                job, part, channel, thread_ts, str(fields), response_url, replace
            ):
                return False
            crash_point("after_post")
            replace = None
        return True

    async def _post_one(
        self,
        job: Job,
        part: int,
        channel: str,
        thread_ts: str | None,
        fields: str,
        response_url: str | None,
        replace: str | None = None,
    ) -> bool:
        try:
            await self.web.post_message(
                channel, thread_ts, fields, replace=replace, work=(job.key, part)
            )
            return True
        except (SlackApiError, aiohttp.ClientError, TimeoutError, ValueError) as error:
            # After the client's bounded retries (429, 5xx with any body, dropped connections):
            # logged, and the work is retried after its lease (given up after its takeovers).
            metrics.outbound_error("slack", type(error).__name__)
            log.error(
                "slack: reply to %s (thread %s) not posted after retries: %s; message: %s",
                channel,
                thread_ts or "-",
                describe(error),
                fields[:160],
            )
            if response_url is None:
                return False
            fallback = {**json.loads("{" + fields + "}"), "replace_original": False}
            if thread_ts is not None:
                fallback["thread_ts"] = thread_ts
            return await self.web.respond(response_url, fallback)


@dataclass(frozen=True)
class _Place:
    channel: str | None
    user: str | None
    thread: str | None


def _where(body: dict[str, Any]) -> _Place:
    """Where a payload came from: channel, user, thread (for telling its user something)."""
    if "command" in body:
        return _Place(str(body.get("channel_id")), str(body.get("user_id")), None)
    if body.get("type") == "block_actions":
        container = body.get("container") or {}
        thread = container.get("thread_ts") or container.get("message_ts")
        return _Place(
            (body.get("channel") or {}).get("id"), (body.get("user") or {}).get("id"), thread
        )
    event = body.get("event") or {}
    channel = event.get("channel")
    thread = None
    if isinstance(channel, str):
        thread = reply_thread(thread_of(channel, str(event.get("ts", "")), event.get("thread_ts")))
    return _Place(channel, event.get("user"), thread)


def _asked(body: dict[str, Any]) -> str:
    """What the user said or did, in their words (for the apology and the log)."""
    if "command" in body:
        return f"{body.get('command')} {body.get('text') or ''}".strip()
    if body.get("type") == "block_actions":
        action = (body.get("actions") or [{}])[0]
        return str((action.get("text") or {}).get("text") or action.get("value") or "")
    return plain_text(str((body.get("event") or {}).get("text") or ""))


def fields_of(message: SlackMessage) -> dict[str, Any]:
    """A rendered message as plain JSON data (to record it, or to post it to a response_url)."""
    data: dict[str, Any] = json.loads("{" + message.json_fields + "}")
    return data


class _Shown:
    """The "checking …" message of one turn: posted when the service reports a slow check (its
    ts recorded with the work, so a resumed turn replaces it rather than leaving it), replaced in
    place by the turn's first reply."""

    def __init__(
        self, adapter: SlackAdapter, job: Job, channel: str, thread_ts: str | None
    ) -> None:
        self.adapter, self.job, self.channel, self.thread_ts = adapter, job, channel, thread_ts
        ts = job.data.get("progress_ts")
        self.ts: str | None = ts if isinstance(ts, str) else None

    async def progress(self, message: Message) -> None:
        if self.ts is not None or self.job.resumed:
            return  # shown already; or a resumed turn (its answer may be up already)
        (shown,) = self.adapter._render([message])
        try:
            self.ts = await self.adapter.web.post_message(
                self.channel, self.thread_ts, shown.json_fields
            )
        except SlackApiError as error:
            log.info("slack: no progress message in %s: %s", self.channel, error)
            return
        if self.ts is not None:
            await self.job.record(progress_ts=self.ts)

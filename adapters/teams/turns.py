"""One Teams turn: activity → neutral :class:`Turn` → FedBot → Adaptive Cards back in place.

- Personal chat and @mentions drive the dialog (mention stripped); each channel thread is its own
  conversation (``teams:<conversation id>;messageid=<root>``) and replies go into that thread.
- Button presses (``Action.Submit``: a message with ``value`` and no text) feed the dialog, and the
  card that was answered is updated so its buttons are gone. Which question a press answers comes
  from the stored dialog state (``FedBot.pending_question``), so this also works after a restart
  and on another replica; a press on an older card is left to the dialog (it says "stale").
- Other channel messages (resource-specific consent delivers them all) go to the service as
  ``TurnKind.CHANNEL``; it decides (a reply only for a recognised error, at most once per thread,
  none in a thread taken by a conversation, never to bots or to ourselves).
This module only converts: activity → :class:`Turn`, replies → activities. No rules.
- Any failure: a short apology in chat and the error logged with the conversation id.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import Activity, ActivityTypes, Attachment
from cachetools import LRUCache

from adapters.teams import adaptive_cards
from adapters.teams.activity_serializer import (
    JsonObject,
    OutgoingActivity,
    install,
    read_activity,
)
from bot import metrics
from bot.service import FedBot, Turn, TurnKind
from bot.store import CLAIM_TTL, StoreUnavailable
from bot.work import Job, WorkNotRecorded, crash_point
from dialogs.replies import ChoicePayload, Message, Question, Reply
from dialogs.text import render_text

log = logging.getLogger(__name__)

THREAD_MARK = ";messageid="
MAX_REMEMBERED = 10_000
MAX_TEXT_IN = 40_000
# Formatting Teams may put around message text; anything else in angle brackets (e.g. <sip:...>)
# is part of what the user pasted and stays.
_TAGS = re.compile(
    r"</?(?:p|div|span|br|b|i|u|s|em|strong|code|pre|at|a|ul|ol|li|blockquote|h[1-6]|font|img|"
    r"table|tr|td|th|tbody|thead|hr|attachment|emoji|systemtag)(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)
_BREAKS = re.compile(r"<br\s*/?>|</p>|</div>|</li>", re.IGNORECASE)


def plain_text(text: str) -> str:
    """Teams message text without its HTML formatting, entities decoded."""
    text = _BREAKS.sub("\n", text[:MAX_TEXT_IN])
    return html.unescape(_TAGS.sub("", text)).strip()


WORK_KIND = "teams"  # this adapter's kind of work in the work queue (bot.work)
# Runs turn logic for a recorded activity through the connector of its serviceUrl
# (``CloudAdapter.process_proactive``), with no inbound request.
Proactive = Callable[[Activity, Callable[[TurnContext], Awaitable[None]]], Awaitable[None]]


@cache
def _body() -> Callable[[Any, str], Any]:
    """The connector clients' request-body serializer (msrest's, with our fast paths)."""
    from botbuilder import schema
    from msrest import Serializer

    models = {k: v for k, v in vars(schema).items() if isinstance(v, type)}
    serializer = Serializer(models)  # type: ignore[no-untyped-call]
    install(serializer)
    body: Callable[[Any, str], Any] = serializer.body
    return body


def _as_json(activity: Activity) -> dict[str, Any]:
    """An outgoing activity as the JSON the connector would receive (to record it)."""
    data: dict[str, Any] = _body()(activity, "Activity")
    return data


class Undelivered(Exception):
    """The connector refused a reply after its retries: the work is retried after its lease."""


@dataclass
class TeamsTurns:
    """The turn logic handed to ``CloudAdapter.process_activity``."""

    bot: FedBot
    labels: adaptive_cards.CardLabels
    apology: str
    proactive: Proactive | None = None

    def __post_init__(self) -> None:
        # Teams user id -> profile e-mail (or None)
        self._emails: LRUCache[str, str | None] = LRUCache(MAX_REMEMBERED)
        # sent activity id -> the replies its card shows (to update it in place when answered)
        self._sent_groups: LRUCache[str, tuple[Reply, ...]] = LRUCache(MAX_REMEMBERED)

    async def __call__(
        self,
        context: TurnContext,
        data: dict[str, Any] | None = None,
        recorded: Callable[[], None] | None = None,
    ) -> None:
        """One inbound turn. A message activity (``data``: as Teams sent it, with its serviceUrl
        and conversation) is recorded as work in the shared, durable store first, then
        ``recorded()`` is called (only then may the request be acknowledged early); a
        redelivery (Teams retries after 15 s, or sends it to another replica) is a no-op."""
        activity = context.activity
        key = self._activity_key(activity)
        job: Job | None = None
        if key is not None and data is not None and activity.delivery_mode != "expectReplies":
            job = await self.bot.work.begin(key, WORK_KIND, {"activity": data}, CLAIM_TTL)
            fresh = job is not None
        else:  # replies go back in the HTTP answer: nothing to resume, only to dedupe
            try:
                fresh = key is None or await self.bot.store.claim(key, CLAIM_TTL)
            except Exception as error:
                raise WorkNotRecorded(key or "") from error
        if recorded is not None:
            recorded()
        if not fresh:
            log.info("teams: activity %s already handled, ignoring the redelivery", activity.id)
            metrics.duplicate("teams")
            return
        if job is not None:
            await self.bot.work.run(job, lambda j: self.turn(context, j))
        elif not await self.turn(context, None) and key is not None:
            await self.bot.store.release(key)

    async def turn(self, context: TurnContext, job: Job | None) -> bool:
        """Run one turn (first or resumed); whether it is done. Replies the connector refused
        after its retries leave the work unfinished (retried after the lease); any other
        failure is answered with a short apology."""
        activity = context.activity
        try:
            await self._dispatch(context, job)
        except (Undelivered, StoreUnavailable):
            return False  # retried after the lease
        except Exception:
            conversation = activity.conversation.id if activity.conversation else "?"
            log.exception("teams turn failed in conversation %s", conversation)
            try:
                await self._send(context, [Message(self.apology)])
            except Exception:
                log.exception("could not send the apology to conversation %s", conversation)
                return False
        return True

    async def resume(self, job: Job) -> bool:
        """Run recorded work again (its process died, or the connector refused its replies),
        through the connector of the activity's serviceUrl, with no inbound request."""
        done: list[bool] = []

        async def logic(context: TurnContext) -> None:
            done.append(await self.turn(context, job))

        await self._proactive(self._recorded_activity(job), logic)
        return bool(done and done[0])

    async def give_up(self, job: Job) -> None:
        """The answer could not be sent after the retries and takeovers: logged once with what
        was lost, and the user is told in a later (proactive) message."""
        activity = self._recorded_activity(job)
        asked = plain_text(activity.text or "") or str(activity.value or "")[:80]
        log.error(
            "teams: giving up on %s after %d attempts: the answer to %r in %s was not sent: %s",
            job.key,
            job.attempts + 1,
            asked[:120],
            activity.conversation.id if activity.conversation else "?",
            str(job.data.get("out") or "(no answer computed)")[:300],
        )
        text = self.bot.lost_reply(asked)

        async def tell(context: TurnContext) -> None:
            await context.send_activity(Activity(type=ActivityTypes.message, text=text))

        try:
            await self._proactive(activity, tell)
        except Exception as error:
            log.error("teams: could not tell the user about the lost answer either: %s", error)
        auto_reply = job.data.get("auto_reply")
        if isinstance(auto_reply, str):  # the thread may get its auto-reply from a later paste
            await self.bot.undelivered(Turn(auto_reply, "", kind=TurnKind.CHANNEL, work=job.key))

    async def _proactive(
        self, activity: Activity, logic: Callable[[TurnContext], Awaitable[None]]
    ) -> None:
        if self.proactive is None:
            raise RuntimeError("no connector for proactive turns")
        await self.proactive(activity, logic)

    @staticmethod
    def _recorded_activity(job: Job) -> Activity:
        data = job.data.get("activity")
        if not isinstance(data, dict):
            raise ValueError(f"work {job.key} has no activity")
        return read_activity(data)

    @staticmethod
    def _activity_key(activity: Activity) -> str | None:
        """The idempotency (and work) key of a message or of the bot's own arrival
        (``conversationUpdate``, whose welcome is acknowledged work like any reply)."""
        durable = (ActivityTypes.message, ActivityTypes.conversation_update)
        if activity.type not in durable or not activity.id:
            return None
        conversation = activity.conversation.id if activity.conversation else ""
        return f"teams:activity:{conversation}:{activity.id}"

    # --- dispatch ------------------------------------------------------------------------------

    async def _dispatch(self, context: TurnContext, job: Job | None) -> None:
        activity = context.activity
        if activity.type == ActivityTypes.conversation_update:
            await self._conversation_update(context)
        elif activity.type == ActivityTypes.message:
            await self._message(context, job)

    async def _conversation_update(self, context: TurnContext) -> None:
        activity = context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        if any(m.id == bot_id for m in activity.members_added or ()):
            turn = Turn(self._thread(activity), self._user_id(activity), kind=TurnKind.JOINED)
            await self._send(context, await self.bot.handle(turn))

    @staticmethod
    def _from_bot(activity: Activity) -> bool:
        sender = activity.from_property
        if sender is None:
            return True
        own = activity.recipient.id if activity.recipient else None
        return sender.role == "bot" or (own is not None and sender.id == own)

    async def _message(self, context: TurnContext, job: Job | None) -> None:
        activity = context.activity
        conversation = self._thread(activity)
        starts_thread = (
            activity.conversation.conversation_type == "channel"
            and THREAD_MARK not in (activity.conversation.id or "")
        )
        # Replies follow the activity's conversation: make it the thread, so they land there.
        activity.conversation.id = conversation.removeprefix("teams:")
        if job is not None and isinstance(job.data.get("out"), list):
            await self._send_recorded(context, job)  # resumed after its replies were computed
            return
        text = plain_text(activity.text or "")
        payload: ChoicePayload | None = None
        if activity.value is not None and not text:
            kind = TurnKind.BUTTON
            payload = ChoicePayload.from_dict(activity.value)
            if payload is None:
                # Not one of our buttons (or garbled): the dialog re-asks its current question.
                payload = ChoicePayload(question="", value="")
            else:
                await self._close_card(context, conversation, payload)
        elif self._is_personal(activity):
            kind = TurnKind.DIRECT
        elif self._mentions_bot(activity):
            kind, text = TurnKind.MENTION, self._strip_mention(activity)
        else:
            kind = TurnKind.CHANNEL
        turn = Turn(
            conversation=conversation,
            user=self._user_id(activity),
            text=None if payload is not None else text,
            payload=payload,
            kind=kind,
            from_bot=self._from_bot(activity),
            email_lookup=lambda: self._email(context),
            progress=lambda _message: self._typing(context),
            work=job.key if job is not None else None,
            starts_thread=starts_thread,
        )
        replies = await self.bot.handle(turn)
        if job is None:
            try:
                await self._send(context, replies)
            except Exception:
                await self.bot.undelivered(turn)
                raise
            return
        outgoing = self._outgoing(replies)
        await job.record(
            out=[_as_json(a) for a in outgoing],
            sent=0,
            auto_reply=conversation if kind is TurnKind.CHANNEL and outgoing else None,
        )
        await self._send_recorded(context, job, replies, outgoing)

    async def _send_recorded(
        self,
        context: TurnContext,
        job: Job,
        replies: list[Reply] | None = None,
        outgoing: list[OutgoingActivity] | None = None,
    ) -> None:
        """Send the work's recorded activities not sent yet, one by one, recording each: the
        "posting" phase. The connector cannot be asked what it already shows, so an activity
        sent just before a crash (before it was recorded as sent) is sent again on resume."""
        out = job.data.get("out") or []
        sent = job.data.get("sent")
        first = sent if isinstance(sent, int) else 0
        for index in range(first, len(out)):
            activity = outgoing[index] if outgoing is not None else read_activity(out[index])
            try:
                (answer,) = await context.send_activities([activity]) or [None]
            except Exception as error:
                response = getattr(error, "response", None)
                status = getattr(response, "status_code", getattr(response, "status", None))
                if isinstance(status, int) and 400 <= status < 500 and status not in (408, 429):
                    raise  # refused for good (it would be again): the turn's apology instead
                log.error(
                    "teams: reply %d/%d of %s not sent after retries: %s",
                    index + 1,
                    len(out),
                    job.key,
                    error,
                )
                raise Undelivered(job.key) from error
            crash_point("after_post")
            if replies is not None and len(replies) > 1 and len(out) == 1:
                sent_id = getattr(answer, "id", None)
                if sent_id:
                    self._sent_groups[sent_id] = tuple(replies)
            if index + 1 < len(out):
                await job.record(sent=index + 1)

    @staticmethod
    async def _typing(context: TurnContext) -> None:
        """Teams shows "fedbot is typing…" while a slow DNS check runs."""
        await context.send_activity(Activity(type=ActivityTypes.typing))

    # --- cards ---------------------------------------------------------------------------------

    async def _close_card(
        self, context: TurnContext, conversation: str, payload: ChoicePayload
    ) -> None:
        """Re-render the answered question without buttons, so it cannot be answered twice.

        Only a press that answers the question pending in the stored state (same question and
        revision, a value it offers) closes its card: that is the press the dialog accepts."""
        card_id = context.activity.reply_to_id
        if not card_id:
            return
        question = await self.bot.pending_question(conversation)
        if question is None or payload not in {c.payload for c in question.choices}:
            return
        # the message it was sent in (its other parts stay), else the question alone
        group = self._sent_groups.get(card_id) or ()
        if question not in group:
            group = (question,)
        answered = tuple(
            question.answered(payload) if isinstance(r, Question) and r == question else r
            for r in group
        )
        update = self._activity(*answered) or self._activity(question.answered(payload))
        assert update is not None  # one reply always renders
        update.id = card_id
        try:
            await context.update_activity(update)
        except Exception:
            log.warning("could not update card %s", card_id, exc_info=True)

    def _activity(self, *replies: Reply) -> OutgoingActivity | None:
        """One message showing ``replies`` in one card; None when they do not fit one card."""
        fallbacks = [render_text(reply, self.labels.messages) for reply in replies]
        card = adaptive_cards.merge(
            [
                adaptive_cards.render(reply, self.labels, fallback)
                for reply, fallback in zip(replies, fallbacks, strict=True)
            ]
        )
        if card is None:
            return None
        return OutgoingActivity(
            type=ActivityTypes.message,
            summary=adaptive_cards._cut(fallbacks[0].partition("\n")[0], 200),
            attachments=[
                Attachment(content_type=adaptive_cards.CONTENT_TYPE, content=JsonObject(card)),
            ],
        )

    def _outgoing(self, replies: list[Reply]) -> list[OutgoingActivity]:
        """One step, one message: the turn's replies in one card (its question and buttons
        last); one message per reply only when together they are too big for a card."""
        if not replies:
            return []
        together = self._activity(*replies)
        if together is None:
            return [a for a in (self._activity(r) for r in replies) if a is not None]
        return [together]

    async def _send(self, context: TurnContext, replies: list[Reply]) -> None:
        outgoing = self._outgoing(replies)
        if not outgoing:
            return
        answers = await context.send_activities(list(outgoing)) or []
        if len(outgoing) == 1 and len(replies) > 1 and answers and getattr(answers[0], "id", None):
            self._sent_groups[answers[0].id] = tuple(replies)

    # --- identities and places -----------------------------------------------------------------

    @staticmethod
    def _is_personal(activity: Activity) -> bool:
        kind = activity.conversation.conversation_type if activity.conversation else None
        return kind not in ("channel", "groupChat")

    @staticmethod
    def _mentions_bot(activity: Activity) -> bool:
        own = activity.recipient.id if activity.recipient else None
        for mention in TurnContext.get_mentions(activity):
            mentioned = (mention.additional_properties or {}).get("mentioned") or {}
            if isinstance(mentioned, dict) and own is not None and mentioned.get("id") == own:
                return True
        return False

    @staticmethod
    def _strip_mention(activity: Activity) -> str:
        try:
            text = TurnContext.remove_recipient_mention(activity) or ""
        except Exception:
            text = activity.text or ""
        return plain_text(re.sub(r"<at>.*?</at>", "", text, flags=re.IGNORECASE | re.DOTALL))

    @staticmethod
    def _thread(activity: Activity) -> str:
        """``teams:<conversation id>``; a channel post without a thread mark starts its thread."""
        conversation = (activity.conversation.id if activity.conversation else "") or ""
        kind = activity.conversation.conversation_type if activity.conversation else None
        if kind == "channel" and THREAD_MARK not in conversation and activity.id:
            conversation = f"{conversation}{THREAD_MARK}{activity.id}"
        return "teams:" + conversation

    @staticmethod
    def _user_id(activity: Activity) -> str:
        sender = activity.from_property
        return (sender.aad_object_id or sender.id or "") if sender else ""

    async def _email(self, context: TurnContext) -> str | None:
        """The asker's profile address (UPN / e-mail), cached per user; failures give None."""
        activity = context.activity
        if activity.channel_id != "msteams" or activity.from_property is None:
            return None
        user = activity.from_property.id
        if user in self._emails:
            cached: str | None = self._emails[user]
            return cached
        email: str | None = None
        try:
            member = await TeamsInfo.get_member(context, user)
            email = getattr(member, "email", None) or getattr(member, "user_principal_name", None)
        except Exception:
            log.info("no Teams profile for %s", user)
        self._emails[user] = email
        return email

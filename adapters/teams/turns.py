"""One Teams turn: activity → neutral :class:`Turn` → FedBot → Adaptive Cards back in place.

- Personal chat and @mentions drive the dialog (mention stripped); each channel thread is its own
  conversation (``teams:<conversation id>;messageid=<root>``) and replies go into that thread.
- Button presses (``Action.Submit``: a message with ``value`` and no text) feed the dialog, and the
  card that was answered is updated so its buttons are gone. Which question a press answers comes
  from the stored dialog state (``FedBot.pending_question``), so this also works after a restart
  and on another replica; a press on an older card is left to the dialog (it says "stale").
- Other channel messages (resource-specific consent delivers them all) are triaged: a reply only for
  a recognised error, at most once per thread, never to bots or to ourselves.
- Any failure: a short apology in chat and the error logged with the conversation id.
"""

from __future__ import annotations

import html
import logging
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import Activity, ActivityTypes, Attachment

from adapters.teams import cards
from adapters.teams.wire import JsonObject, OutgoingActivity
from bot import metrics
from bot.once import Once
from bot.service import FedBot, Turn
from dialogs.replies import ChoicePayload, Message, Reply
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


class _Bounded(OrderedDict[str, Any]):
    def remember(self, key: str, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > MAX_REMEMBERED:
            self.popitem(last=False)


@dataclass
class TeamsTurns:
    """The turn logic handed to ``CloudAdapter.process_activity``."""

    bot: FedBot
    labels: cards.CardLabels
    apology: str
    once: Once

    def __post_init__(self) -> None:
        self._emails: _Bounded = _Bounded()  # Teams user id -> profile e-mail (or None)

    async def __call__(self, context: TurnContext) -> None:
        activity = context.activity
        try:
            await self._dispatch(context)
        except Exception:
            conversation = activity.conversation.id if activity.conversation else "?"
            log.exception("teams turn failed in conversation %s", conversation)
            try:
                await self._send(context, [Message(self.apology)])
            except Exception:
                log.exception("could not send the apology to conversation %s", conversation)

    # --- dispatch ------------------------------------------------------------------------------

    async def _dispatch(self, context: TurnContext) -> None:
        activity = context.activity
        if activity.type == ActivityTypes.conversation_update:
            await self._conversation_update(context)
        elif activity.type == ActivityTypes.message and not self._from_bot(activity):
            await self._message(context)

    async def _conversation_update(self, context: TurnContext) -> None:
        activity = context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        if any(m.id == bot_id for m in activity.members_added or ()):
            await self._send(context, self.bot.welcome())

    @staticmethod
    def _from_bot(activity: Activity) -> bool:
        sender = activity.from_property
        if sender is None:
            return True
        own = activity.recipient.id if activity.recipient else None
        return sender.role == "bot" or (own is not None and sender.id == own)

    async def _message(self, context: TurnContext) -> None:
        activity = context.activity
        conversation = self._thread(activity)
        # Replies follow the activity's conversation: make it the thread, so they land there.
        activity.conversation.id = conversation.removeprefix("teams:")
        text = plain_text(activity.text or "")
        if activity.value is not None and not text:
            await self._press(context, conversation)
            return
        if self._is_personal(activity):
            await self._converse(context, conversation, text)
        elif self._mentions_bot(activity):
            self.once.claim(self._thread_key(conversation))
            await self._converse(context, conversation, self._strip_mention(activity))
        elif text:
            await self._auto_reply(context, conversation, text)

    # --- the three kinds of message ------------------------------------------------------------

    async def _converse(self, context: TurnContext, conversation: str, text: str) -> None:
        turn = Turn(
            conversation=conversation,
            user=self._user_id(context.activity),
            text=text,
            user_email=await self._email(context),
        )
        await self._send(context, await self.bot.converse(turn))

    async def _press(self, context: TurnContext, conversation: str) -> None:
        activity = context.activity
        payload = ChoicePayload.from_dict(activity.value)
        if payload is None:
            # Not one of our buttons (or garbled): the dialog re-asks its current question.
            payload = ChoicePayload(question="", value="")
        else:
            await self._close_card(context, conversation, payload)
        turn = Turn(
            conversation=conversation,
            user=self._user_id(activity),
            payload=payload,
            user_email=await self._email(context),
        )
        await self._send(context, await self.bot.converse(turn))

    async def _auto_reply(self, context: TurnContext, conversation: str, text: str) -> None:
        key = self._thread_key(conversation)
        card = await self.bot.auto_reply(text)
        if card is None or not self.once.claim(key):
            return
        try:
            await self._send(context, [card])
        except Exception:
            self.once.release(key)
            raise
        metrics.auto_reply("teams")

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
        update = self._activity(question.answered(payload))
        update.id = card_id
        try:
            await context.update_activity(update)
        except Exception:
            log.warning("could not update card %s", card_id, exc_info=True)

    def _activity(self, reply: Reply) -> OutgoingActivity:
        fallback = render_text(reply, self.labels.messages)
        card = cards.render(reply, self.labels, fallback)
        return OutgoingActivity(
            type=ActivityTypes.message,
            summary=cards._cut(fallback.partition("\n")[0], 200),
            attachments=[
                Attachment(content_type=cards.CONTENT_TYPE, content=JsonObject(card)),
            ],
        )

    async def _send(self, context: TurnContext, replies: list[Reply]) -> None:
        if not replies:
            return
        await context.send_activities([self._activity(r) for r in replies])

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
    def _thread_key(conversation: str) -> str:
        return "auto:" + conversation

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
        self._emails.remember(user, email)
        return email

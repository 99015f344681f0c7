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
from dataclasses import dataclass

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import Activity, ActivityTypes, Attachment
from cachetools import LRUCache

from adapters.teams import adaptive_cards
from adapters.teams.activity_serializer import JsonObject, OutgoingActivity
from bot import metrics
from bot.service import FedBot, Turn, TurnKind
from bot.store import CLAIM_TTL
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


@dataclass
class TeamsTurns:
    """The turn logic handed to ``CloudAdapter.process_activity``."""

    bot: FedBot
    labels: adaptive_cards.CardLabels
    apology: str

    def __post_init__(self) -> None:
        # Teams user id -> profile e-mail (or None)
        self._emails: LRUCache[str, str | None] = LRUCache(MAX_REMEMBERED)
        # sent activity id -> the replies its card shows (to update it in place when answered)
        self._sent_groups: LRUCache[str, tuple[Reply, ...]] = LRUCache(MAX_REMEMBERED)

    async def __call__(self, context: TurnContext) -> None:
        activity = context.activity
        # A redelivery of the same activity (Teams retries after 15 s, or sends it to another
        # replica) is a no-op: the claim lives in the shared, durable state store.
        key = self._activity_key(activity)
        if key is not None and not await self.bot.store.claim(key, CLAIM_TTL):
            log.info("teams: activity %s already handled, ignoring the redelivery", activity.id)
            metrics.duplicate("teams")
            return
        try:
            await self._dispatch(context)
        except Exception:
            if key is not None:
                await self.bot.store.release(key)
            conversation = activity.conversation.id if activity.conversation else "?"
            log.exception("teams turn failed in conversation %s", conversation)
            try:
                await self._send(context, [Message(self.apology)])
            except Exception:
                log.exception("could not send the apology to conversation %s", conversation)

    @staticmethod
    def _activity_key(activity: Activity) -> str | None:
        if activity.type != ActivityTypes.message or not activity.id:
            return None
        conversation = activity.conversation.id if activity.conversation else ""
        return f"teams:activity:{conversation}:{activity.id}"

    # --- dispatch ------------------------------------------------------------------------------

    async def _dispatch(self, context: TurnContext) -> None:
        activity = context.activity
        if activity.type == ActivityTypes.conversation_update:
            await self._conversation_update(context)
        elif activity.type == ActivityTypes.message:
            await self._message(context)

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

    async def _message(self, context: TurnContext) -> None:
        activity = context.activity
        conversation = self._thread(activity)
        # Replies follow the activity's conversation: make it the thread, so they land there.
        activity.conversation.id = conversation.removeprefix("teams:")
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
        )
        replies = await self.bot.handle(turn)
        try:
            await self._send(context, replies)
        except Exception:
            await self.bot.undelivered(turn)
            raise

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

    async def _send(self, context: TurnContext, replies: list[Reply]) -> None:
        """One step, one message: the turn's replies in one card (its question and buttons
        last); one message per reply only when together they are too big for a card."""
        if not replies:
            return
        together = self._activity(*replies)
        if together is None:
            singles = [self._activity(r) for r in replies]
            await context.send_activities([a for a in singles if a is not None])
            return
        (sent,) = await context.send_activities([together]) or [None]
        if len(replies) > 1 and sent is not None and getattr(sent, "id", None):
            self._sent_groups[sent.id] = tuple(replies)

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

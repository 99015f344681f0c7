"""Slack payload pieces → neutral values (pure): plain text, conversation keys, payload shapes."""

from __future__ import annotations

import html
import re
from typing import Any

DM_THREAD = "dm"
# the answer to a payload whose work the state store could not record (it is not acknowledged)
NOT_RECORDED = "state store unavailable: not recorded, please retry"

_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_ANGLE = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")
_SPECIAL = {"!here": "@here", "!channel": "@channel", "!everyone": "@everyone"}


def _unlink(match: re.Match[str]) -> str:
    target, label = match.group(1), match.group(2)
    if label is not None:
        return label if not target.startswith("#") else f"#{label}"
    if target.startswith("mailto:"):
        return target[len("mailto:") :]
    return _SPECIAL.get(target, target)


def plain_text(text: str, strip_user: str | None = None) -> str:
    """Slack message markup as the text the person typed: links and ``mailto:`` shown as their
    labels, entities decoded; the mention of ``strip_user`` (the bot) removed."""
    if strip_user:
        text = re.sub(rf"<@{re.escape(strip_user)}(?:\|[^>]*)?>", " ", text)
    return html.unescape(_ANGLE.sub(_unlink, text)).strip()


def mentions(text: str, user: str) -> bool:
    return bool(user) and f"<@{user}" in text


def is_dm(channel: str) -> bool:
    """Direct-message channel ids start with ``D``."""
    return channel.startswith("D")


def thread_of(channel: str, ts: str, thread_ts: str | None) -> str:
    """The thread a message belongs to. In channels every top-level message starts its own thread;
    a direct message's top level is one conversation."""
    if thread_ts:
        return thread_ts
    return DM_THREAD if is_dm(channel) else ts


def conversation_key(team: str, channel: str, thread: str) -> str:
    return f"slack:{team}:{channel}:{thread}"


def reply_thread(thread: str) -> str | None:
    """``thread_ts`` to post replies with (none at a direct message's top level)."""
    return None if thread == DM_THREAD else thread


def _str(d: Any, *keys: str) -> bool:
    return isinstance(d, dict) and all(isinstance(d.get(k), str) for k in keys)


def shape_error(body: Any) -> str | None:
    """Why a (signed) payload cannot be handled, or ``None`` when its shape is one we know."""
    if not isinstance(body, dict):
        return "payload is not an object"
    kind = body.get("type")
    if "ssl_check" in body:
        return None
    if kind == "url_verification":
        return None if _str(body, "challenge") else "malformed url_verification"
    if "command" in body:
        ok = _str(body, "command", "team_id", "channel_id", "user_id", "response_url")
        return None if ok and isinstance(body.get("text", ""), str) else "malformed command"
    if kind == "event_callback":
        event = body.get("event")
        if not (_str(body, "event_id", "team_id") and _str(event, "type")):
            return "malformed event"
        return None
    if kind == "block_actions":
        acts = body.get("actions")
        if not (isinstance(acts, list) and acts and all(_str(a, "action_id") for a in acts)):
            return "malformed actions"
        if not (_str(body.get("user"), "id") and _str(body.get("team"), "id")):
            return "malformed actions"
        if not (_str(body.get("channel"), "id") and isinstance(body.get("container"), dict)):
            return "malformed actions"
        return None
    if isinstance(kind, str):
        return None  # other Slack payloads: bolt answers them (unhandled → 404)
    return "unknown payload"

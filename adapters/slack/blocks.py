"""Neutral replies → Slack Block Kit messages (pure: no I/O, no wording of its own).

Every reply becomes blocks within Slack's limits (≤ 50 blocks, section text ≤ 3000, header ≤ 150,
button text ≤ 75, button value ≤ 2000, a message's blocks well under the ~13,000-character
``msg_blocks_too_long`` limit); text that does not fit is cut with an ellipsis. Replies are packed
into as few messages as fit (one huge reply continues over at most three), each with a
plain-text ``text`` fallback for notifications.

Buttons carry short labels (``Choice.label``; an answer's full wording, ``Choice.detail``, is in
the message text beside them) and ``ChoicePayload.to_dict()`` as JSON in their value. An answered
question's buttons are replaced, in the message's own blocks, by the chosen label
(:func:`answered_blocks`), so a message never offers the same choice twice. The escalation summary
is a code block, one line per item, ready to paste.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from dialogs.replies import (
    CheckCard,
    Choice,
    ChoicePayload,
    EscalationCard,
    LiveCheck,
    Message,
    Question,
    Reply,
    ResolutionCard,
    TriageCard,
)
from dialogs.text import render_text
from federation.model import CheckReport, CheckResult, Finding, Record
from knowledge.model import Link, Wording

Block = dict[str, Any]

ACTION_PREFIX = "fedbot-"
MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_LABEL = 30  # what a button shows whole on desktop and mobile; longer ones are numbered
MAX_BUTTON_VALUE = 2000
MAX_CONTEXT = 2000
MAX_BUTTONS = 25
MAX_FALLBACK = 3000
MESSAGE_BUDGET = 11_000  # characters of blocks JSON per message, below Slack's ~13,000
MAX_PARTS = 3  # messages one reply may fill before its texts are cut
ELLIPSIS = "…"

STATUS_ICON = {"ok": ":white_check_mark:", "problem": ":x:", "dns_error": ":warning:"}
SEVERITY_ICON = {
    "ok": ":white_check_mark:",
    "info": ":information_source:",
    "warning": ":warning:",
    "error": ":x:",
}
ANSWERED_ICON = ":ballot_box_with_check:"


@dataclass(frozen=True)
class SlackMessage:
    """One message to post: notification fallback ``text`` and its ``blocks``."""

    text: str
    blocks: list[Block]

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}

    @cached_property
    def json_fields(self) -> str:
        """``"text":…,"blocks":[…]``: the message's fields as JSON object members, encoded once
        per message (a message rendered once is posted many times)."""
        return json.dumps(self.as_kwargs(), ensure_ascii=False, separators=(",", ":"))[1:-1]


# ---------------------------------------------------------------- text


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)


def mrkdwn(text: str) -> str:
    """Neutral simple markdown (``**bold**``, `` `code` ``) as Slack mrkdwn, control characters
    ``& < >`` escaped as Slack requires."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BOLD.sub(r"*\1*", escaped)


def link(item: Link) -> str:
    title = mrkdwn(item.title).replace("|", "/")
    url = item.url.replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")
    return f"<{url}|{title}>"


def chunks(text: str, limit: int = MAX_SECTION) -> list[str]:
    """Split ``text`` into pieces ≤ ``limit``, at line breaks where possible."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current or not pieces:
        pieces.append(current)
    return [p for p in pieces if p.strip()]


# ---------------------------------------------------------------- blocks


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, MAX_HEADER)}}


def sections(text: str) -> list[Block]:
    """Already-mrkdwn ``text`` as one or more sections."""
    return [{"type": "section", "text": {"type": "mrkdwn", "text": part}} for part in chunks(text)]


def context(*texts: str) -> Block:
    elements = [{"type": "mrkdwn", "text": clip(t, MAX_CONTEXT)} for t in texts if t.strip()]
    return {"type": "context", "elements": elements[:10]}


def divider() -> Block:
    return {"type": "divider"}


def button(choice: Choice) -> Block:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": clip(choice.label, MAX_BUTTON_TEXT), "emoji": True},
        "value": encode_payload(choice.payload),
    }


def actions(choices: Sequence[Choice]) -> list[Block]:
    """Buttons, 25 per actions block (ids are assigned per message by :func:`_number`)."""
    return [
        {"type": "actions", "elements": [button(c) for c in choices[i : i + MAX_BUTTONS]]}
        for i in range(0, len(choices), MAX_BUTTONS)
    ]


def short_label(label: str, limit: int = MAX_BUTTON_LABEL) -> str:
    """``label`` cut at a word boundary to ``limit`` characters, with an ellipsis."""
    if len(label) <= limit:
        return label
    cut = label[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:-")
    return (cut or label[: limit - 1]) + ELLIPSIS


def question_blocks(question: Question) -> list[Block]:
    """The question, the answers' full wording where the buttons say less, and the buttons."""
    text = f"*{mrkdwn(question.text)}*"
    choices = question.choices
    if all(len(c.label) <= MAX_BUTTON_LABEL for c in choices):
        details = [
            f"• *{mrkdwn(c.label)}*: {mrkdwn(c.detail)}"
            for c in choices
            if c.detail and c.detail != c.label
        ]
        return sections("\n".join([text, *details])) + actions(choices)
    # Long labels: the full wording numbered in the text, the buttons short with the number.
    lines = [f"{n}. {mrkdwn(c.detail or c.label)}" for n, c in enumerate(choices, 1)]
    buttons = [
        Choice(f"{n}. {short_label(c.label, MAX_BUTTON_LABEL - 4)}", c.payload)
        for n, c in enumerate(choices, 1)
    ]
    return sections("\n".join([text, *lines])) + actions(buttons)


def code_blocks(text: str, limit: int = MAX_SECTION - 300) -> list[str]:
    """``text`` as code blocks of at most ``limit`` characters, split between lines, pasted as
    is: only ``& < >`` escaped (Slack requires it), no mrkdwn conversion, one line per line."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return [f"```\n{part}\n```" for part in chunks(escaped.replace("```", "'''"), limit)]


def answer_block(label: str, m: Mapping[str, str]) -> Block:
    """What replaces a question's buttons once it is answered."""
    said = m.get("render.answer", "")
    prefix = f"{mrkdwn(said)}: " if said else ""
    return context(f"{ANSWERED_ICON} {prefix}*{mrkdwn(label)}*")


def encode_payload(payload: ChoicePayload) -> str:
    value = json.dumps(payload.to_dict(), separators=(",", ":"), ensure_ascii=False)
    if len(value) > MAX_BUTTON_VALUE:  # cannot happen with ChoicePayload's field limits
        raise ValueError("button payload too long")
    return value


def decode_payload(value: object) -> ChoicePayload | None:
    """A button's value back into a payload; anything else (not ours, malformed) gives ``None``."""
    if not isinstance(value, str) or len(value) > MAX_BUTTON_VALUE:
        return None
    try:
        return ChoicePayload.from_dict(json.loads(value))
    except ValueError:
        return None


# ---------------------------------------------------------------- replies

Messages = Wording


def _heading(m: Messages, key: str, body: str) -> str:
    """``body`` under the bold heading from message ``key`` (no heading when it is missing)."""
    title = m.get(key, "")
    return f"*{mrkdwn(title)}*\n{body}" if title and body else body


def _bullets(lines: Iterable[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)


def _numbered(lines: Iterable[str]) -> str:
    return "\n".join(f"{i}. {line}" for i, line in enumerate(lines, 1))


def _finding(finding: Finding) -> str:
    return f"{SEVERITY_ICON.get(finding.severity, '')} {mrkdwn(finding.message)}".strip()


def _records(records: Sequence[Record]) -> str:
    body = "\n".join(f"{r.name} {r.rtype} {r.value}" for r in records).replace("```", "'''")
    return f"```{clip(mrkdwn(body), MAX_SECTION - 200)}```" if records else ""


def _status(m: Messages, status: str) -> str:
    return f"{STATUS_ICON.get(status, '')} {mrkdwn(m.get(f'render.status.{status}', status))}"


def _result(result: CheckResult, m: Messages) -> list[Block]:
    cloud = mrkdwn(m.cloud(result.cloud))
    cloud_line = f"{mrkdwn(m['render.cloud'])}: {cloud}" if m.get("render.cloud") else cloud
    title = (
        f"*{mrkdwn(result.domain or result.input)}*: {_status(m, result.status)}"
        f"  ·  :cloud: {cloud_line}"
    )
    blocks = sections(title)
    findings = "\n".join(_finding(f) for f in result.findings)
    if findings:
        blocks += sections(findings)
    if result.records:
        blocks += sections(_heading(m, "render.records", _records(result.records)))
    return blocks


def report_blocks(report: CheckReport, m: Messages) -> list[Block]:
    """Per domain the verdict, cloud, findings (each says what to do) and records; then the pair."""
    blocks: list[Block] = []
    for result in report.results:
        blocks += _result(result, m)
    if report.pair is not None:
        pair = report.pair
        together = m.get("render.pair", "")
        line = (
            f"*{mrkdwn(together)}*: {_status(m, pair.status)}"
            if together
            else _status(m, pair.status)
        )
        found = "\n".join(_finding(f) for f in pair.findings)
        blocks += sections(f"{line}\n{found}" if found else line)
    return blocks


def _live_check(check: LiveCheck, m: Messages) -> list[Block]:
    blocks = [divider(), *sections(f"*{mrkdwn(check.title)}*\n{mrkdwn(check.meaning)}")]
    if check.facts:
        fields = [
            {"type": "mrkdwn", "text": clip(f"*{mrkdwn(k)}*\n{mrkdwn(v)}", MAX_CONTEXT)}
            for k, v in check.facts[:10]
        ]
        blocks.append({"type": "section", "fields": fields})
    if check.report is not None:
        blocks += report_blocks(check.report, m)
    return blocks


def _links(links: Sequence[Link], m: Messages) -> list[Block]:
    if not links:
        return []
    heading = [f"*{mrkdwn(m['render.links'])}*"] if m.get("render.links") else []
    texts = [*heading, *(link(item) for item in links)]
    return [context(*texts[i : i + 10]) for i in range(0, len(texts), 10)]


def reply_blocks(reply: Reply, m: Messages) -> list[Block]:
    """One neutral reply as blocks (before message-level limits are applied); headings come
    from the knowledge messages ``m`` (``render.*``)."""
    if isinstance(reply, Message):
        return sections(mrkdwn(reply.text))
    if isinstance(reply, Question):
        if reply.answer is not None:
            return [*sections(f"*{mrkdwn(reply.text)}*"), answer_block(reply.answer, m)]
        return question_blocks(reply)
    if isinstance(reply, ResolutionCard):
        cause = f"*{mrkdwn(reply.cause_title)}*. {mrkdwn(reply.summary)}"
        if m.get("render.cause"):
            cause = f"{mrkdwn(m['render.cause'])}: {cause}"
        blocks = [header(reply.title), *sections(cause)]
        if reply.intro:
            blocks += sections(mrkdwn(reply.intro))
        if reply.steps:
            steps = _numbered(mrkdwn(s) for s in reply.steps)
            blocks += sections(_heading(m, "render.steps", steps))
        if reply.teams_today:
            today = _bullets(mrkdwn(s) for s in reply.teams_today)
            blocks += sections(_heading(m, "render.teams_today", today))
        if reply.notes:
            notes = _bullets(f"_{mrkdwn(n)}_" for n in reply.notes)
            blocks += sections(_heading(m, "render.notes", notes))
        blocks += _links(reply.links, m)
        return blocks + (_live_check(reply.check, m) if reply.check is not None else [])
    if isinstance(reply, CheckCard):
        blocks = [header(reply.title), *sections(mrkdwn(reply.summary))]
        blocks += report_blocks(reply.report, m)
        return blocks + (actions([reply.start]) if reply.start else [])
    if isinstance(reply, TriageCard):
        blocks = [header(reply.title), *sections(mrkdwn(reply.meaning))]
        if reply.likely_causes:
            causes = _bullets(mrkdwn(title) for _, title in reply.likely_causes)
            blocks += sections(_heading(m, "render.likely_causes", causes))
        if reply.check is not None:
            blocks += _live_check(reply.check, m)
        return blocks + (actions([reply.start]) if reply.start else [])
    if isinstance(reply, EscalationCard):
        blocks = [header(reply.title), *sections(mrkdwn(reply.text))]
        # one line per item, ready to paste; a long summary continues in further code blocks
        for i, code in enumerate(code_blocks(reply.summary)):
            blocks += sections(_heading(m, "render.summary", code) if i == 0 else code)
        extra = []
        if reply.contact:
            extra.append(_heading(m, "render.contact", mrkdwn(reply.contact)).replace("\n", " "))
        if reply.ticket_url:
            ticket = f"<{reply.ticket_url}|{mrkdwn(m.get('render.ticket') or reply.ticket_url)}>"
            extra.append(ticket)
        if extra:
            blocks.append(context(*extra))
        return blocks + _links(reply.links, m)
    raise TypeError(f"not a reply: {type(reply).__name__}")


# ---------------------------------------------------------------- messages


def _size(blocks: Sequence[Block]) -> int:
    return len(json.dumps(blocks, ensure_ascii=False, separators=(",", ":")))


def _shrink(blocks: list[Block]) -> list[Block]:
    """Bound one reply to :data:`MAX_PARTS` messages: cut the longest texts first, then drop
    surplus text blocks (never buttons: they carry the conversation on)."""
    budget = MAX_PARTS * MESSAGE_BUDGET
    blocks = json.loads(json.dumps(blocks))
    while _size(blocks) > budget:
        texts = [b["text"] for b in blocks if b["type"] == "section" and "text" in b]
        longest = max(texts, key=lambda t: len(t["text"]), default=None)
        if longest is None or len(longest["text"]) < 200:
            break
        longest["text"] = clip(longest["text"], len(longest["text"]) // 2)
    if len(blocks) > MAX_PARTS * (MAX_BLOCKS - 1) or _size(blocks) > budget:
        kept = [b for b in blocks if b["type"] == "actions"]
        room = MAX_PARTS * (MAX_BLOCKS - 1) - len(kept) - 1
        rest = [b for b in blocks if b["type"] != "actions"]
        while rest and (len(rest) > room or _size([*rest, *kept]) > budget):
            rest.pop()
        blocks = [*rest, context(ELLIPSIS), *kept]
    return blocks


def _number(blocks: list[Block]) -> list[Block]:
    """Give each actions block and button an id unique within its message."""
    for i, block in enumerate(blocks):
        if block["type"] == "actions":
            block["block_id"] = f"{ACTION_PREFIX}{i}"
            for j, element in enumerate(block["elements"]):
                element["action_id"] = f"{ACTION_PREFIX}{i}-{j}"
    return blocks


def fallback_text(replies: Sequence[Reply], m: Messages) -> str:
    """Plain text for notifications and clients without Block Kit."""
    return clip("\n\n".join(render_text(r, m) for r in replies), MAX_FALLBACK)


def _block_text(blocks: Sequence[Block]) -> str:
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict) and text.get("text"):
            return clip(str(text["text"]), MAX_FALLBACK)
    return ELLIPSIS


def to_messages(replies: Sequence[Reply], m: Messages) -> list[SlackMessage]:
    """Replies packed into as few messages as Slack's limits allow, in order (a reply too big
    for one message continues in the next)."""
    groups: list[tuple[list[Reply], list[Block], int]] = []  # replies, blocks, JSON size

    def add(reply: Reply | None, blocks: list[Block], size: int) -> None:
        """Append ``blocks`` (JSON size ``size`` as a list) to the last message or a new one."""
        if groups:
            rs, bs, total = groups[-1]
            if len(bs) + len(blocks) <= MAX_BLOCKS and total + size - 1 <= MESSAGE_BUDGET:
                bs.extend(blocks)
                groups[-1] = ([*rs, reply] if reply else rs, bs, total + size - 1)
                return
        groups.append(([reply] if reply else [], list(blocks), size))

    for reply in replies:
        blocks = reply_blocks(reply, m)
        size = _size(blocks)
        if len(blocks) <= MAX_BLOCKS and size <= MESSAGE_BUDGET:
            add(reply, blocks, size)  # the usual case: the reply as a whole
            continue
        for i, block in enumerate(_shrink(blocks)):  # too big: cut, then block by block
            add(reply if i == 0 else None, [block], _size([block]))
    return [
        SlackMessage(fallback_text(rs, m) if rs else _block_text(bs), _number(bs))
        for rs, bs, _ in groups
    ]


def answered_blocks(
    blocks: Sequence[Block], block_id: str, label: str, m: Messages
) -> list[Block] | None:
    """The message's ``blocks`` with actions block ``block_id`` replaced by the chosen ``label``;
    ``None`` when that block is not (or no longer) in the message."""
    out = [dict(b) for b in blocks]
    for i, block in enumerate(out):
        if block.get("type") == "actions" and block.get("block_id") == block_id:
            out[i] = answer_block(label, m)
            return out
    return None

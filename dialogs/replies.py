"""Neutral replies the dialog produces and every adapter renders (Adaptive Card, Block Kit, text).

Adapters never invent wording: everything a user reads is in these objects. Buttons carry a
:class:`ChoicePayload`, which adapters put into the platform's button value and give back unchanged
when it is pressed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from federation.model import CheckReport, InvalidDomain
from knowledge.model import Link

PAYLOAD_MARKER = "fedbot"
MAX_PAYLOAD_FIELD = 500


@dataclass(frozen=True)
class ChoicePayload:
    """What a button means: the answer ``value`` to question ``question`` asked at ``revision``.

    ``question == "start"`` starts a conversation (``value`` a signature id or "", ``arg`` an
    address or domain from the pasted error)."""

    question: str
    value: str
    revision: int = 0
    arg: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            PAYLOAD_MARKER: 1,
            "q": self.question,
            "v": self.value,
            "r": self.revision,
            "a": self.arg,
        }

    @classmethod
    def from_dict(cls, data: object) -> ChoicePayload | None:
        """Parse a button value back; anything not ours or malformed gives ``None``."""
        if not isinstance(data, dict) or data.get(PAYLOAD_MARKER) != 1:
            return None
        q, v, r, a = data.get("q"), data.get("v"), data.get("r", 0), data.get("a", "")
        if not (isinstance(q, str) and isinstance(v, str) and isinstance(a, str)):
            return None
        if not isinstance(r, int) or isinstance(r, bool) or r < 0:
            return None
        if max(len(q), len(v), len(a)) > MAX_PAYLOAD_FIELD:
            return None
        return cls(q, v, r, a)


@dataclass(frozen=True)
class Choice:
    """A button: ``label`` short enough for every client, ``detail`` the full wording of the
    answer for the card's body ("" when the label says it all)."""

    label: str
    payload: ChoicePayload
    detail: str = ""


@dataclass(frozen=True)
class Message:
    """Plain text (may contain simple markdown: **bold**, `code`, line breaks)."""

    text: str


@dataclass(frozen=True)
class Question:
    """A question with buttons. ``answer`` is set when re-rendering a card that was answered,
    so its buttons disappear and the chosen label shows instead. ``lead``: short notes of the same
    step shown above the question (see :func:`one_per_step`)."""

    question: str
    text: str
    choices: tuple[Choice, ...]
    revision: int
    answer: str | None = None
    lead: tuple[str, ...] = ()

    def answered(self, payload: ChoicePayload) -> Question:
        label = next((c.label for c in self.choices if c.payload == payload), payload.value)
        return replace(self, answer=label)


@dataclass(frozen=True)
class LiveCheck:
    """What a live check found and what that means here. ``report`` is set when DNS was queried;
    ``facts`` hold other findings as (label, value), e.g. the special contact format."""

    title: str
    meaning: str
    report: CheckReport | None = None
    facts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ResolutionCard:
    """A cause and its resolution, as the article gives it and as done in Teams today.

    ``summary`` leads with the conclusion (what the live check means here), then the cause and
    what the user said. ``lead``: short notes of the same step shown first ("Checked, fine: …");
    ``question``: the question the card ends with ("Did this fix it?") and its buttons, when the
    step is folded into one message (see :func:`one_per_step`)."""

    title: str
    cause_id: str
    cause_title: str
    summary: str
    intro: str
    steps: tuple[str, ...]
    teams_today: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    check: LiveCheck | None = None
    lead: tuple[str, ...] = ()
    question: Question | None = None


@dataclass(frozen=True)
class CheckCard:
    """The answer to ``fedcheck``: the report, plus a button to start the full conversation."""

    title: str
    report: CheckReport
    summary: str
    start: Choice | None = None


@dataclass(frozen=True)
class TriageCard:
    """The compact auto-reply to a recognised pasted error."""

    signature_id: str
    title: str
    meaning: str
    likely_causes: tuple[tuple[str, str], ...]
    check: LiveCheck | None = None
    start: Choice | None = None


@dataclass(frozen=True)
class EscalationCard:
    """'Still need help': a summary ready to paste into a ticket, and where to send it.

    ``facts`` are the summary's items as (label, value), one line each, for renderers that lay
    them out (a fact set, a code block); ``summary`` is the same as plain lines. ``text`` leads with
    the organisation's own ``contact`` / ``ticket_url`` when it has them."""

    title: str
    text: str
    summary: str
    contact: str = ""
    ticket_url: str = ""
    links: tuple[Link, ...] = ()
    facts: tuple[tuple[str, str], ...] = ()
    lead: tuple[str, ...] = ()


Reply = Message | Question | ResolutionCard | CheckCard | TriageCard | EscalationCard


def one_per_step(replies: Sequence[Reply]) -> tuple[Reply, ...]:
    """One step's replies as one message: notes (:class:`Message`) go into the ``lead`` of the
    question or card they precede, and the question after a resolution card is carried in that
    card. Renderers show the result as a single message per user step; a step that is only notes
    becomes one :class:`Message`."""
    out: list[Reply] = []
    notes: list[str] = []
    for reply in replies:
        if isinstance(reply, Message):
            notes.append(reply.text)
            continue
        last = out[-1] if out else None
        if (
            isinstance(reply, Question)
            and isinstance(last, ResolutionCard)
            and last.question is None
            and not notes
        ):
            out[-1] = replace(last, question=reply)
            continue
        if notes and isinstance(reply, Question | ResolutionCard | EscalationCard):
            reply = replace(reply, lead=(*reply.lead, *notes))
        elif notes:
            out.append(Message("\n\n".join(notes)))
        notes = []
        out.append(reply)
    if notes:
        out.append(Message("\n\n".join(notes)))
    return tuple(out)


__all__ = [
    "CheckCard",
    "CheckReport",
    "Choice",
    "ChoicePayload",
    "EscalationCard",
    "InvalidDomain",
    "LiveCheck",
    "Message",
    "Question",
    "Reply",
    "ResolutionCard",
    "TriageCard",
    "one_per_step",
]

"""Neutral replies as Adaptive Cards 1.5 (pure functions: no botbuilder, no I/O).

Choices become ``Action.Submit`` buttons whose ``data`` is ``ChoicePayload.to_dict()``; resolution
and check results become readable sections (a FactSet for records, findings coloured by severity);
links are a list of markdown links in the body (their titles are too long for buttons, and
text wraps where a button is cut). Buttons carry short labels only: an answer's full wording
(``Choice.detail``) is written in the card next to them. No ``msteams.width: Full``: the
Agents Playground warns it does not support it, and labels are sized for the default width.
Every card carries a text fallback and stays under :data:`MAX_CARD_BYTES`: long lists are cut
with a note and very long texts are shortened.
Section headings come from the knowledge messages (:class:`CardLabels`), never from Python.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dialogs.replies import (
    CheckCard,
    Choice,
    EscalationCard,
    LiveCheck,
    Message,
    Question,
    Reply,
    ResolutionCard,
    TriageCard,
)
from federation.model import CheckReport, CheckResult, Finding
from knowledge.model import Link, Wording

CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
MAX_CARD_BYTES = 28 * 1024
MAX_BUTTON_CHARS = 24  # longer button titles are cut mid-word by Teams clients
MAX_ACTIONS = 5  # Teams shows at most six actions per set; keep one spare for safety
MAX_TEXT = 4000
MAX_FALLBACK = 2000

Json = dict[str, Any]

SEVERITY_COLOR = {"ok": "Good", "info": "Default", "warning": "Warning", "error": "Attention"}
SEVERITY_MARK = {"ok": "✅", "info": "ℹ️", "warning": "⚠️", "error": "❌"}
STATUS_MARK = {"ok": "✅", "problem": "❌", "dns_error": "⚠️"}


@dataclass(frozen=True)
class CardLabels:
    """Headings and status words: the ``render.*`` knowledge messages the text renderer uses too
    (``render.more`` has a ``{count}`` placeholder), and the cloud names of the federation texts."""

    messages: Wording
    cloud_names: Mapping[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> str:
        return self.messages.get(f"render.{name}", "")

    def cloud(self, cloud: str) -> str:
        return self.cloud_names.get(cloud, cloud)

    def more(self, count: int) -> str:
        template = self["more"] or "+{count}"
        return template.format(count=count)


def attachment(card: Json) -> Json:
    """The Bot Framework attachment carrying ``card``."""
    return {"contentType": CONTENT_TYPE, "content": card}


def card_bytes(card: Json) -> int:
    return len(json.dumps(card, ensure_ascii=False).encode())


def render(reply: Reply, labels: CardLabels, fallback: str = "") -> Json:
    """The Adaptive Card for one neutral reply, under :data:`MAX_CARD_BYTES`."""
    builder = _BUILDERS[type(reply)]
    for limit in (None, 25, 12, 6, 3, 1):
        body, actions = builder(reply, labels, _Limits(limit))
        card = _card(body, actions, fallback)
        if card_bytes(card) <= MAX_CARD_BYTES:
            return card
    return _card(
        [_text(_cut((fallback or "")[: MAX_CARD_BYTES // 4], MAX_CARD_BYTES // 4))], [], fallback
    )


def merge(cards: Sequence[Json]) -> Json | None:
    """One card showing ``cards`` one after another (one bot message for one user step), or
    ``None`` when together they exceed :data:`MAX_CARD_BYTES`."""
    if len(cards) == 1:
        return cards[0]
    body = [item for card in cards for item in card["body"]]
    actions = [action for card in cards for action in card.get("actions", ())]
    fallback = "\n\n".join(str(card["fallbackText"]) for card in cards if card.get("fallbackText"))
    merged = _card(body, actions, fallback)
    return merged if card_bytes(merged) <= MAX_CARD_BYTES else None


# --- building blocks -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Limits:
    items: int | None

    def take(self, items: Sequence[Any]) -> tuple[Sequence[Any], int]:
        if self.items is None or len(items) <= self.items:
            return items, 0
        return items[: self.items], len(items) - self.items

    @property
    def text(self) -> int:
        return MAX_TEXT if self.items is None else max(300, self.items * 150)


def _card(body: list[Json], actions: list[Json], fallback: str) -> Json:
    card: Json = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "body": body,
    }
    if actions:
        card["actions"] = actions
    if fallback:
        card["fallbackText"] = _cut(fallback, MAX_FALLBACK)
    return card


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _text(text: str, limit: int = MAX_TEXT, **style: Any) -> Json:
    return {"type": "TextBlock", "text": _cut(text, limit), "wrap": True, **style}


def _title(text: str) -> Json:
    return _text(text, 300, size="Large", weight="Bolder", style="heading")


def _heading(text: str) -> list[Json]:
    return [_text(text, 200, weight="Bolder", spacing="Medium")] if text else []


def _more(labels: CardLabels, count: int) -> list[Json]:
    return [_text(labels.more(count), isSubtle=True, spacing="Small")] if count else []


def _numbered(items: Sequence[str], limits: _Limits, labels: CardLabels) -> list[Json]:
    shown, hidden = limits.take(items)
    blocks = [
        _text(f"{i}. {item}", limits.text, spacing="Small") for i, item in enumerate(shown, 1)
    ]
    return blocks + _more(labels, hidden)


def _bullets(items: Sequence[str], limits: _Limits, labels: CardLabels) -> list[Json]:
    shown, hidden = limits.take(items)
    return [_text(f"• {item}", limits.text, spacing="Small") for item in shown] + _more(
        labels, hidden
    )


def _facts(pairs: Iterable[tuple[str, str]]) -> Json:
    facts = [{"title": _cut(title, 200), "value": _cut(value, 500)} for title, value in pairs]
    return {"type": "FactSet", "facts": facts}


def _labelled(label: str, value: str) -> str:
    return f"{label}: **{value}**" if label else value


def _section(heading: str, blocks: list[Json]) -> list[Json]:
    return [*_heading(heading), *blocks] if blocks else []


def _submit(choice: Choice) -> Json:
    return {
        "type": "Action.Submit",
        "title": _cut(choice.label, 80),
        "data": choice.payload.to_dict(),
    }


def _open_url(link: Link) -> Json:
    return {"type": "Action.OpenUrl", "title": short_label(link.title), "url": link.url}


_URL_UNSAFE = str.maketrans({"(": "%28", ")": "%29", " ": "%20", "<": "%3C", ">": "%3E"})


def _link_text(link: Link) -> str:
    """``[title](url)``, with brackets in the title and parentheses in the URL made harmless."""
    title = link.title.replace("[", "(").replace("]", ")")
    return f"[{title}]({link.url.translate(_URL_UNSAFE)})"


def _links(links: Sequence[Link], limits: _Limits, labels: CardLabels) -> list[Json]:
    """Links as a wrapped list in the body: no title is cut, however long."""
    shown, hidden = limits.take(links)
    items = [_text(f"• {_link_text(link)}", 600, spacing="Small") for link in shown]
    return _section(labels["links"], items + _more(labels, hidden))


def _action_sets(actions: list[Json]) -> list[Json]:
    """Actions in the body, in sets Teams can show without hiding any behind a menu."""
    return [
        {"type": "ActionSet", "actions": actions[i : i + MAX_ACTIONS]}
        for i in range(0, len(actions), MAX_ACTIONS)
    ]


def _finding(finding: Finding, limits: _Limits) -> Json:
    mark = SEVERITY_MARK.get(finding.severity, "")
    return _text(
        f"{mark} {finding.message}".strip(),
        limits.text,
        color=SEVERITY_COLOR.get(finding.severity, "Default"),
        spacing="Small",
    )


def _findings(findings: Sequence[Finding], limits: _Limits, labels: CardLabels) -> list[Json]:
    shown, hidden = limits.take(findings)
    return [_finding(f, limits) for f in shown] + _more(labels, hidden)


def _result(result: CheckResult, limits: _Limits, labels: CardLabels) -> list[Json]:
    mark = STATUS_MARK.get(result.status, "")
    verdict = f"{mark} **{result.domain or result.input}**: {labels['status.' + result.status]}"
    blocks = [
        _text(verdict, 300),
        _facts([(labels["cloud"], labels.cloud(result.cloud))]),
    ]
    blocks += _findings(result.findings, limits, labels)
    shown, hidden = limits.take(result.records)
    if shown:
        facts = _facts([(f"{r.name} {r.rtype}", r.value) for r in shown])
        blocks += [*_heading(labels["records"]), facts]
        blocks += _more(labels, hidden)
    return [{"type": "Container", "items": blocks, "spacing": "Medium", "separator": True}]


def _report(report: CheckReport, limits: _Limits, labels: CardLabels) -> list[Json]:
    blocks: list[Json] = []
    for result in report.results:
        blocks += _result(result, limits, labels)
    if report.pair is not None:
        mark = STATUS_MARK.get(report.pair.status, "")
        head = f"{mark} **{labels['pair']}**: {labels['status.' + report.pair.status]}"
        items = [_text(head, 300), *_findings(report.pair.findings, limits, labels)]
        blocks += [{"type": "Container", "items": items, "separator": True}]
    return blocks


def _live_check(check: LiveCheck | None, limits: _Limits, labels: CardLabels) -> list[Json]:
    if check is None:
        return []
    items: list[Json] = [
        _text(check.title, 300, weight="Bolder"),
        _text(check.meaning, limits.text),
    ]
    if check.facts:
        items.append(_facts(check.facts))
    if check.report is not None:
        items += _report(check.report, limits, labels)
    return [{"type": "Container", "style": "emphasis", "items": items, "spacing": "Medium"}]


# --- one builder per reply type --------------------------------------------------------------

Built = tuple[list[Json], list[Json]]


def _message(reply: Message, labels: CardLabels, limits: _Limits) -> Built:
    return [_text(reply.text, MAX_TEXT)], []


def short_label(label: str, limit: int = MAX_BUTTON_CHARS) -> str:
    """A button title Teams shows whole: ``label`` cut at a word boundary, with an ellipsis."""
    if len(label) <= limit:
        return label
    cut = label[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:-")
    return (cut or label[: limit - 1]) + "…"


def _question(reply: Question, labels: CardLabels, limits: _Limits) -> Built:
    body = [_text(reply.text, limits.text, weight="Bolder")]
    if reply.answer is not None:
        answer = f"{labels['answer']}: **{reply.answer}**" if labels["answer"] else reply.answer
        body.append(_text(f"✔ {answer}", 300, color="Good", spacing="Small"))
        return body, []
    choices = reply.choices
    if all(len(c.label) <= MAX_BUTTON_CHARS for c in choices):
        # Short buttons; the answers' full wording (when it says more) in the card beside them.
        body += [
            _text(f"• **{c.label}**: {c.detail}", limits.text, spacing="Small")
            for c in choices
            if c.detail and c.detail != c.label
        ]
        return body + _action_sets([_submit(c) for c in choices]), []
    # Long labels: the full wording in the card, numbered; the buttons short, with the number.
    body += [
        _text(f"{n}. {c.detail or c.label}", limits.text, spacing="Small")
        for n, c in enumerate(choices, 1)
    ]
    buttons = [
        _submit(Choice(f"{n}. {short_label(c.label, MAX_BUTTON_CHARS - 3)}", c.payload))
        for n, c in enumerate(choices, 1)
    ]
    return body + _action_sets(buttons), []


def _resolution(reply: ResolutionCard, labels: CardLabels, limits: _Limits) -> Built:
    body = [
        _title(reply.title),
        _text(_labelled(labels["cause"], reply.cause_title), 300, isSubtle=True, spacing="None"),
        _text(reply.summary, limits.text),
    ]
    body += _live_check(reply.check, limits, labels)
    if reply.intro:
        body.append(_text(reply.intro, limits.text, spacing="Medium"))
    body += _section(labels["steps"], _numbered(reply.steps, limits, labels))
    body += _section(labels["teams_today"], _bullets(reply.teams_today, limits, labels))
    body += _section(labels["notes"], _bullets(reply.notes, limits, labels))
    return body + _links(reply.links, limits, labels), []


def _check(reply: CheckCard, labels: CardLabels, limits: _Limits) -> Built:
    mark = STATUS_MARK.get(reply.report.status, "")
    body = [_title(reply.title), _text(f"{mark} {reply.summary}".strip(), limits.text)]
    body += _report(reply.report, limits, labels)
    return body, [_submit(reply.start)] if reply.start else []


def _triage(reply: TriageCard, labels: CardLabels, limits: _Limits) -> Built:
    body = [_title(reply.title), _text(reply.meaning, limits.text)]
    causes, hidden = limits.take(reply.likely_causes)
    body += _section(
        labels["likely_causes"],
        [_text(f"• {title}", limits.text, spacing="Small") for _cause, title in causes]
        + _more(labels, hidden),
    )
    body += _live_check(reply.check, limits, labels)
    return body, [_submit(reply.start)] if reply.start else []


def _escalation(reply: EscalationCard, labels: CardLabels, limits: _Limits) -> Built:
    body = [_title(reply.title), _text(reply.text, limits.text)]
    if reply.contact:
        body += _section(labels["contact"], [_text(reply.contact, 500)])
    body += _section(
        labels["summary"],
        [{"type": "Container", "style": "emphasis", "items": _summary_lines(reply.summary)}],
    )
    links, actions = list(reply.links), []
    if reply.ticket_url:
        ticket = Link(title=labels["ticket"] or reply.ticket_url, url=reply.ticket_url)
        if len(ticket.title) <= MAX_BUTTON_CHARS:
            actions.append(_open_url(ticket))  # the one link worth a button
        else:
            links.insert(0, ticket)
    return body + _links(links, limits, labels), actions


_FIELD = re.compile(r"^\s*([^:\n]{1,40}):\s+(.+)$")


def _summary_lines(summary: str) -> list[Json]:
    """The ticket summary one line per item, as pasted: ``Key: value`` lines as a FactSet, other
    lines each in their own block (a TextBlock would run single lines together)."""
    items: list[Json] = []
    facts: list[tuple[str, str]] = []
    for line in summary.splitlines()[:200]:
        field = _FIELD.match(line)
        if field:
            facts.append((field.group(1).strip(), field.group(2).strip()))
            continue
        if facts:
            items.append(_facts(facts))
            facts = []
        if line.strip():
            items.append(_text(line, 2000, fontType="Monospace", spacing="None"))
    if facts:
        items.append(_facts(facts))
    return items or [_text(summary, 6000, fontType="Monospace")]


_BUILDERS: dict[type, Callable[[Any, CardLabels, _Limits], Built]] = {
    Message: _message,
    Question: _question,
    ResolutionCard: _resolution,
    CheckCard: _check,
    TriageCard: _triage,
    EscalationCard: _escalation,
}


def all_texts(card: Json) -> Iterable[str]:
    """Every ``text`` and ``title`` in a card (for tests and summaries)."""
    stack: list[Any] = [card]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("text", "title", "value") and isinstance(value, str):
                    yield value
                else:
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(reversed(node))

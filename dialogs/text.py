"""Every neutral reply as readable plain text with light markdown.

The CLI prints it; the adapters use it as the notification / fallback text. Headings (the
``render.*`` messages) and cloud names come from the caller's :class:`Wording` (a knowledge's,
override included): no wording here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from dialogs.replies import (
    CheckCard,
    EscalationCard,
    LiveCheck,
    Message,
    Question,
    Reply,
    ResolutionCard,
    TriageCard,
)
from federation.model import CheckReport, Finding
from knowledge.model import Link, Wording


def render_text(reply: Reply, m: Wording) -> str:
    """``reply`` as text in the wording ``m`` (``Knowledge.wording``)."""
    if isinstance(reply, Message):
        return reply.text
    if isinstance(reply, Question | ResolutionCard | EscalationCard) and reply.lead:
        # notes of the same step (see dialogs.replies.one_per_step)
        return _join([*reply.lead, render_text(replace(reply, lead=()), m)])
    if isinstance(reply, Question):
        return _question(reply, m)
    if isinstance(reply, ResolutionCard):
        return _resolution(reply, m)
    if isinstance(reply, CheckCard):
        parts = [f"**{reply.title}**", reply.summary, render_report(reply.report, m)]
        if reply.start is not None:
            parts.append(f"[{reply.start.label}]")
        return _join(parts)
    if isinstance(reply, TriageCard):
        return _triage(reply, m)
    return _escalation(reply, m)


def _join(parts: list[str]) -> str:
    return "\n\n".join(p for p in parts if p)


def _bullets(items: tuple[str, ...] | list[str], numbered: bool = False) -> str:
    return "\n".join(f"{i}. {x}" if numbered else f"- {x}" for i, x in enumerate(items, start=1))


def _section(heading: str, body: str) -> str:
    return f"**{heading}**\n{body}" if body else ""


def _links(links: tuple[Link, ...]) -> str:
    return _bullets([f"{link.title}: {link.url}" for link in links])


def _question(q: Question, m: Mapping[str, str]) -> str:
    if q.answer is not None:
        return f"{q.text}\n{m['render.answer']}: **{q.answer}**"
    choices = _bullets([c.detail or c.label for c in q.choices], numbered=True)
    hint = m["render.choose"] if q.choices else ""
    return "\n".join(p for p in (f"**{q.text}**", choices, hint) if p)


def _resolution(card: ResolutionCard, m: Wording) -> str:
    return _join(
        [
            f"**{card.title}**",
            f"{m['render.cause']}: **{card.cause_title}**. {card.summary}",
            card.intro,
            _section(m["render.steps"], _bullets(card.steps, numbered=True)),
            _section(m["render.teams_today"], _bullets(card.teams_today)),
            _section(m["render.notes"], _bullets(card.notes)),
            _section(m["render.links"], _links(card.links)),
            render_live_check(card.check, m) if card.check else "",
            _question(card.question, m) if card.question else "",
        ]
    )


def render_live_check(check: LiveCheck, m: Wording) -> str:
    facts = "\n".join(f"{label}: **{value}**" for label, value in check.facts)
    report = render_report(check.report, m) if check.report else ""
    return _join([f"**{check.title}**\n{check.meaning}", facts, report])


def _findings(findings: tuple[Finding, ...]) -> str:
    return _bullets([f"[{f.severity}] {f.message}" for f in findings])


def render_report(report: CheckReport, m: Wording) -> str:
    """A check report: per domain the verdict, cloud, findings and records; then the pair."""
    blocks = []
    for r in report.results:
        lines = [
            f"**{r.domain}**: {m[f'render.status.{r.status}']} "
            f"({m['render.cloud']}: {m.cloud(r.cloud)})",
            _findings(r.findings),
        ]
        if r.records:
            records = _bullets([f"`{x.name} {x.rtype} {x.value}`" for x in r.records])
            lines.append(f"{m['render.records']}:\n{records}")
        blocks.append("\n".join(line for line in lines if line))
    if report.pair is not None:
        pair = report.pair
        head = f"**{m['render.pair']}**: {m[f'render.status.{pair.status}']}"
        blocks.append("\n".join(x for x in (head, _findings(pair.findings)) if x))
    return _join(blocks)


def _triage(card: TriageCard, m: Wording) -> str:
    causes = _bullets([title for _, title in card.likely_causes])
    return _join(
        [
            f"**{card.title}**\n{card.meaning}",
            _section(m["render.likely_causes"], causes),
            render_live_check(card.check, m) if card.check else "",
            f"[{card.start.label}]" if card.start else "",
        ]
    )


def _escalation(card: EscalationCard, m: Mapping[str, str]) -> str:
    return _join(
        [
            f"**{card.title}**\n{card.text}",
            _section(m["render.summary"], f"```\n{card.summary}\n```"),
            f"{m['render.contact']}: {card.contact}" if card.contact else "",
            f"{m['render.ticket']}: {card.ticket_url}" if card.ticket_url else "",
            _section(m["render.links"], _links(card.links)),
        ]
    )

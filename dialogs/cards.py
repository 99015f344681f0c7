"""Building the neutral replies from knowledge: questions, resolution cards, live checks,
escalation summaries, and the fedcheck / auto-reply cards. Pure: no I/O, wording from knowledge."""

from __future__ import annotations

from collections.abc import Sequence

from dialogs.contact_format import ContactFormat
from dialogs.replies import (
    CheckCard,
    Choice,
    ChoicePayload,
    EscalationCard,
    LiveCheck,
    Question,
    ResolutionCard,
    TriageCard,
)
from dialogs.state import DialogState, QuestionId
from federation.model import CheckReport
from knowledge.model import Cause, Knowledge, Option, Signature

START = "start"
DOMAIN_QUESTIONS: dict[str, str] = {
    "home_domain": "own_domain",
    "external_domain": "external_domain",
    "contact_address": "contact_format",
}


def options(kb: Knowledge, question: QuestionId) -> tuple[tuple[str, str], ...]:
    """``(value, label)`` of each answer ``question`` offers as a button."""
    table: dict[str, tuple[Option, ...]] = {
        "symptom": kb.symptoms,
        "contact_type": kb.contact_types,
        "scope": kb.scopes,
    }
    if question in table:
        return tuple((o.id, o.label) for o in table[question])
    if question == "fixed":
        return (("yes", kb.message("choice.yes")), ("no", kb.message("choice.no")))
    return (("skip", kb.message("choice.skip")),)


def _short(kb: Knowledge, question: QuestionId, value: str) -> str:
    table: dict[str, tuple[Option, ...]] = {
        "symptom": kb.symptoms,
        "contact_type": kb.contact_types,
        "scope": kb.scopes,
    }
    return next((o.short for o in table.get(question, ()) if o.id == value), "")


def question(kb: Knowledge, state: DialogState, qid: QuestionId) -> Question:
    """The question ``qid`` at the state's current revision; buttons carry the short label and
    the full wording as their detail."""
    choices = []
    for value, label in options(kb, qid):
        short = _short(kb, qid, value)
        payload = ChoicePayload(qid, value, state.revision)
        choices.append(Choice(short, payload, label) if short else Choice(label, payload))
    return Question(
        question=qid,
        text=kb.message(f"question.{qid}"),
        choices=tuple(choices),
        revision=state.revision,
    )


def start_choice(kb: Knowledge, signature_id: str = "", arg: str = "") -> Choice:
    """The button that opens the full conversation, pre-filled from a signature / address."""
    return Choice(kb.message("choice.start"), ChoicePayload(START, signature_id, 0, arg[:200]))


def dns_live_check(kb: Knowledge, kind: str, cause: Cause | None, report: CheckReport) -> LiveCheck:
    domains = ", ".join(r.domain for r in report.results)
    status = report.status
    meaning = (cause.check_meaning.get(status) if cause else None) or kb.message(
        f"check.meaning.{status}"
    )
    return LiveCheck(
        title=kb.message(f"check.title.{kind}", domain=domains), meaning=meaning, report=report
    )


def format_live_check(kb: Knowledge, cause: Cause | None, found: ContactFormat) -> LiveCheck:
    meaning = (cause.check_meaning.get(found.status) if cause else None) or kb.message(
        f"check.meaning.contact_format.{found.status}"
    )
    facts = [(kb.message("check.fact.address"), found.address)]
    if found.special is not None:
        facts.append((kb.message("check.fact.special_format"), found.special))
    return LiveCheck(
        title=kb.message("check.title.contact_format", address=found.address),
        meaning=meaning,
        facts=tuple(facts),
    )


SIP_DOMAIN_PLACEHOLDER = "YOUR-SIP-DOMAIN"


def scope_said(kb: Knowledge, state: DialogState) -> str:
    """What the user told us, in their answers' words ("" when nothing yet)."""
    said = [
        _label(kb.symptoms, state.symptom),
        _label(kb.contact_types, state.contact_type),
        _label(kb.scopes, state.scope),
        ", ".join(state.addresses) or state.external_domain,
    ]
    value = "; ".join(s for s in said if s)
    return kb.message("card.scope", value=value) if value else ""


def _fill(texts: tuple[str, ...], domain: str | None) -> tuple[str, ...]:
    """Knowledge placeholders filled with what fedbot knows (no ``<…>`` that renderers swallow)."""
    if not domain:
        return texts
    return tuple(t.replace(SIP_DOMAIN_PLACEHOLDER, domain) for t in texts)


def resolution_card(
    kb: Knowledge, cause: Cause, check: LiveCheck | None, state: DialogState | None = None
) -> ResolutionCard:
    """The card for ``cause``: the conclusion first (what the live check says it means here),
    then the cause, what the user said, and the article's steps."""
    resolution = kb.resolutions[cause.resolution]
    conclusion = check.meaning if check is not None else ""
    said = scope_said(kb, state) if state is not None else ""
    summary = " ".join(p for p in (conclusion, cause.summary, said) if p)
    home = state.home_domain if state is not None else None
    return ResolutionCard(
        title=resolution.title,
        cause_id=cause.id,
        cause_title=cause.title,
        summary=summary,
        intro=resolution.intro,
        steps=_fill(resolution.steps, home),
        teams_today=_fill(resolution.teams_today, home),
        notes=_fill(resolution.notes, home),
        links=resolution.links,
        check=check,
    )


def _label(opts: Sequence[Option], value: str | None) -> str | None:
    return next((o.label for o in opts if o.id == value), value)


def escalation_card(kb: Knowledge, state: DialogState) -> EscalationCard:
    """'Still need help': every answer, cause tried and check run, ready to paste into a ticket."""
    lines = [kb.message("escalation.summary.header")]
    facts: list[tuple[str, str]] = []

    def add(key: str, value: str | None) -> None:
        if value:
            lines.append(kb.message(f"escalation.summary.{key}", value=value))
            facts.append((kb.message(f"escalation.label.{key}"), value))

    add("symptom", _label(kb.symptoms, state.symptom))
    add("contact_type", _label(kb.contact_types, state.contact_type))
    add("scope", _label(kb.scopes, state.scope))
    signature = kb.signature(state.signature)
    add("error", f"{signature.title} ({signature.id})" if signature else None)
    add("addresses", ", ".join(state.addresses))
    domains = [d for d in (state.home_domain, state.external_domain) if d]
    add("domains", ", ".join(dict.fromkeys(domains)))
    add("tried", "; ".join(f"{kb.causes[c].title} ({c})" for c in state.tried if c in kb.causes))
    if state.config is not None:
        add("config", ", ".join(f.code for f in state.config) or "-")
    for run in state.checks:
        for result in run.report.results:
            codes = ", ".join(f.code for f in result.findings) or "-"
            domain, status, cloud = result.domain, result.status, result.cloud
            lines.append(
                kb.message(
                    "escalation.summary.check",
                    domain=domain,
                    status=status,
                    cloud=cloud,
                    codes=codes,
                )
            )
            facts.append(
                (
                    kb.message("escalation.label.check", domain=domain),
                    kb.message("escalation.value.check", status=status, cloud=cloud, codes=codes),
                )
            )
    escalation = kb.escalation
    return EscalationCard(
        title=kb.message("escalation.title"),
        text=_escalation_text(kb),
        summary="\n".join(lines),
        contact=escalation.contact,
        ticket_url=escalation.ticket_url,
        links=escalation.links,
        facts=tuple(facts),
    )


def _escalation_text(kb: Knowledge) -> str:
    """The organisation's own contact and ticket link first, then the article's generic advice."""
    escalation = kb.escalation
    parts = []
    if escalation.contact:
        parts.append(kb.message("escalation.org.contact", contact=escalation.contact))
    if escalation.ticket_url:
        parts.append(kb.message("escalation.org.ticket", ticket_url=escalation.ticket_url))
    if not parts:
        return escalation.text
    lead = " / ".join(parts)
    return f"{kb.message('escalation.org.lead', lead=lead)} {escalation.text}"


def check_card(kb: Knowledge, report: CheckReport) -> CheckCard:
    """The fedcheck answer: the report, its verdict in words, and a button to troubleshoot on."""
    domains = ", ".join(r.domain for r in report.results)
    first = report.results[0].domain if report.results else ""
    # For a pair the summary names the side that needs fixing (or whose DNS did not answer).
    side = ", ".join(report.pair.at_fault) if report.pair and report.pair.at_fault else domains
    return CheckCard(
        title=kb.message("fedcheck.title", domain=domains),
        report=report,
        summary=kb.message(f"fedcheck.summary.{report.status}", domain=side),
        start=start_choice(kb, "", first),
    )


def triage_card(
    kb: Knowledge, signature: Signature, report: CheckReport | None, arg: str
) -> TriageCard:
    """The compact auto-reply to a recognised pasted error."""
    causes = tuple((c, kb.causes[c].title) for c in signature.likely_causes if c in kb.causes)
    check = None
    if report is not None:
        backing = next(
            (kb.causes[c] for c, _ in causes if kb.causes[c].check == "external_domain"), None
        )
        check = dns_live_check(kb, "external_domain", backing, report)
    return TriageCard(
        signature_id=signature.id,
        title=signature.title,
        meaning=signature.meaning,
        likely_causes=causes,
        check=check,
        start=start_choice(kb, signature.id, arg),
    )

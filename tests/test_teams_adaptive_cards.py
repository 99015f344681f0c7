"""Adaptive Card rendering: every reply type (and every resolution of the shipped knowledge) becomes
a 1.5 card that the official ``adaptivecards`` library parses, validates and renders without an
error; buttons carry the choice payload; cards stay under 28 KB however long the content."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from adapters.teams import adaptive_cards as cards
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
from federation.model import CheckReport, CheckResult, Finding, PairVerdict, Record
from knowledge.model import Link, Wording

NODE_DIR = Path(__file__).parent / "node"
MESSAGES = {
    "render.steps": "What to do",
    "render.teams_today": "In Teams today",
    "render.notes": "Notes",
    "render.records": "Records",
    "render.cloud": "Cloud",
    "render.status.ok": "OK",
    "render.status.problem": "Problem",
    "render.status.dns_error": "DNS error",
    "render.pair": "Together",
    "render.likely_causes": "Likely causes",
    "render.answer": "Answer",
    "render.summary": "Summary for your ticket",
    "render.contact": "Contact",
    "render.ticket": "Open a ticket",
    "render.cause": "Likely cause",
}
LABELS = cards.CardLabels(Wording(MESSAGES, {}), {"commercial": "Microsoft 365 (worldwide)"})


def _report(n_records: int = 3, pair: bool = False) -> CheckReport:
    records = tuple(
        Record(
            f"_sipfederationtls._tcp.contoso{i}.com",
            "SRV",
            f"100 1 5061 sipfed{i}.online.lync.com.",
            3600,
        )
        for i in range(n_records)
    )
    findings = (
        Finding("federation_srv_ok", "ok", "The federation SRV record points at Microsoft 365."),
        Finding("legacy_records_absent", "info", "No legacy sip CNAME (fine for Teams only)."),
        Finding("federation_srv_wrong_port", "error", "The SRV record uses port 443, not 5061."),
    )
    result = CheckResult("contoso.com", "contoso.com", "problem", "commercial", findings, records)
    other = CheckResult("fabrikam.com", "fabrikam.com", "ok", "gcc_high", findings[:1], records[:1])
    verdict = PairVerdict(
        "cross_cloud", "problem", (Finding("cross_cloud", "warning", "Different clouds."),)
    )
    return CheckReport((result, other), verdict) if pair else CheckReport((result,))


def _question(answer: str | None = None, n: int = 3) -> Question:
    choices = tuple(
        Choice(f"Option {i}", ChoicePayload("symptom", f"value_{i}", 2)) for i in range(n)
    )
    return Question("symptom", "What happens?", choices, 2, answer)


def every_reply() -> dict[str, Reply]:
    live = LiveCheck("Live check of contoso.com", "The records look right.", _report(pair=True))
    fmt = LiveCheck(
        "Address format",
        "Use the special format.",
        None,
        (("Add the contact as", "joe(x.com)@msn.com"),),
    )
    start = Choice("Troubleshoot this", ChoicePayload("start", "sip_403", 0, "joe@fabrikam.com"))
    return {
        "message": Message("Hi, I'm **fedbot**.\nType **help**."),
        "question": _question(),
        "question_many": _question(n=12),
        "question_answered": _question(answer="Option 1"),
        "resolution": ResolutionCard(
            "Resolution",
            "federation_srv",
            "The federation SRV record is missing",
            "Your domain has no federation SRV record.",
            "To resolve this:",
            ("Open DNS.", "Add `_sipfederationtls._tcp`.", "Wait for the TTL."),
            ("Teams admin center → Users → External access",),
            ("This can take up to 24 hours.",),
            (Link("Microsoft article", "https://learn.microsoft.com/x"),),
            live,
        ),
        "resolution_format": ResolutionCard(
            "Resolution", "contact_format", "Wrong contact format", "s", "", ("a",), check=fmt
        ),
        "check": CheckCard(
            "Federation check: contoso.com", _report(), "A problem was found.", start
        ),
        "check_pair": CheckCard("Federation check", _report(pair=True), "Both checked.", None),
        "triage": TriageCard(
            "sip_403",
            "SIP 403 Forbidden",
            "The other side refused the federation request.",
            (("domain_permissions", "Domain not allowed"), ("federation_srv", "Missing SRV")),
            live,
            start,
        ),
        "triage_bare": TriageCard("presence", "Presence Unknown", "Presence is unknown.", ()),
        "escalation": EscalationCard(
            "Still need help",
            "Send this to your admin.",
            "Symptom: IM not delivered\nScope: all",
            "helpdesk@contoso.com",
            "https://contoso.service-now.com/new",
            (Link("Support", "https://support.microsoft.com"),),
        ),
    }


def _validate(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: cannot run the adaptivecards validator")
    if not (NODE_DIR / "node_modules" / "adaptivecards").is_dir():
        pytest.skip("tests/node dependencies missing: run npm install --prefix tests/node")
    done = subprocess.run(
        [node, str(NODE_DIR / "validate_cards.js")],
        input=json.dumps(items),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


def test_every_reply_type_is_a_valid_adaptive_card_1_5() -> None:
    replies = every_reply()
    rendered = {name: cards.render(r, LABELS, f"fallback {name}") for name, r in replies.items()}
    for card in rendered.values():
        assert card["version"] == "1.5" and card["type"] == "AdaptiveCard"
        assert card["fallbackText"].startswith("fallback")
    results = _validate(list(rendered.values()))
    errors = {name: r["errors"] for name, r in zip(rendered, results, strict=True) if r["errors"]}
    assert errors == {}


def test_every_resolution_and_triage_card_of_the_shipped_knowledge_is_valid() -> None:
    from dialogs.cards import resolution_card
    from knowledge.loader import load_knowledge

    kb = load_knowledge()
    labels = cards.CardLabels(kb.wording, kb.wording.clouds)
    live = LiveCheck("Live check", "Meaning.", _report(pair=True))
    rendered = [
        cards.render(resolution_card(kb, cause, check), labels, "fallback")
        for cause in kb.causes.values()
        for check in (None, live)
    ]
    assert len(rendered) == 2 * len(kb.causes) >= 2 * 9
    for card in rendered:
        assert cards.card_bytes(card) <= cards.MAX_CARD_BYTES
    results = _validate(rendered)
    assert [r["errors"] for r in results if r["errors"]] == []


def test_the_validator_really_reports_errors() -> None:
    good = cards.render(Message("x"), LABELS)
    bad = json.loads(json.dumps(good))
    bad["body"].append({"type": "Bogus"})
    bad["body"][0]["color"] = "Purple"
    bad["actions"] = [{"type": "Action.OpenUrl", "title": "no url"}]
    ok, broken = _validate([good, bad])
    assert ok["errors"] == []
    assert len(broken["errors"]) >= 3


def test_buttons_carry_the_choice_payload_and_links_open_urls() -> None:
    card = cards.render(_question(n=7), LABELS)
    submits = [a for s in card["body"] if s["type"] == "ActionSet" for a in s["actions"]]
    assert [a["title"] for a in submits] == [f"Option {i}" for i in range(7)]
    for action in submits:
        assert ChoicePayload.from_dict(action["data"]) is not None
    assert all(
        len(s["actions"]) <= cards.MAX_ACTIONS for s in card["body"] if s["type"] == "ActionSet"
    )
    resolution = cards.render(every_reply()["resolution"], LABELS)
    assert "• [Microsoft article](https://learn.microsoft.com/x)" in cards.all_texts(resolution)


def test_links_are_whole_in_the_body_never_cut_on_a_button() -> None:
    title = "Control access to your presence information in Lync 2013 [archived]"
    links = (Link(title, "https://learn.microsoft.com/a (b)"),)
    reply = ResolutionCard("t", "c", "c", "s", "", ("step",), (), links=links)
    card = cards.render(reply, cards.CardLabels(Wording({"render.links": "Links"}, {})))
    texts = list(cards.all_texts(card))
    assert "Links" in texts
    link = "• [Control access to your presence information in Lync 2013 (archived)]"
    assert link + "(https://learn.microsoft.com/a%20%28b%29)" in texts
    assert "Action.OpenUrl" not in json.dumps(card)
    escalation = EscalationCard("t", "x", "Domain: a.com", links=links, ticket_url="https://t/")
    card = cards.render(escalation, LABELS)
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Open a ticket", "url": "https://t/"}
    ]
    assert any(t.startswith(link) for t in cards.all_texts(card))


def test_short_buttons_with_the_full_wording_beside_them() -> None:
    full = "Messages to people in another organisation are not delivered"
    choices = (
        Choice("Not delivered", ChoicePayload("symptom", "im", 1), full),
        Choice("Other", ChoicePayload("symptom", "other", 1)),
    )
    card = cards.render(Question("symptom", "What happens?", choices, 1), LABELS)
    titles = [a["title"] for s in card["body"] if s["type"] == "ActionSet" for a in s["actions"]]
    assert titles == ["Not delivered", "Other"]
    assert f"• **Not delivered**: {full}" in list(cards.all_texts(card))
    assert "msteams" not in card  # no full width: the Playground warns on every such card


def test_answered_question_shows_the_answer_and_no_buttons() -> None:
    question = _question()
    answered = question.answered(question.choices[1].payload)
    card = cards.render(answered, LABELS)
    assert "ActionSet" not in json.dumps(card) and "Action.Submit" not in json.dumps(card)
    assert any("Option 1" in t for t in cards.all_texts(card))


def test_check_results_are_readable_sections() -> None:
    card = cards.render(every_reply()["check_pair"], LABELS)
    texts = list(cards.all_texts(card))
    assert any("contoso.com" in t and "Problem" in t for t in texts)
    assert "Microsoft 365 (worldwide)" in texts
    assert any("port 443" in t for t in texts)
    assert any(t.startswith("✅ **Together**") or "Together" in t for t in texts)
    colors = {b.get("color") for b in _walk(card) if b.get("type") == "TextBlock"}
    assert {"Good", "Attention"} <= colors
    facts = [f for b in _walk(card) if b.get("type") == "FactSet" for f in b["facts"]]
    assert any(f["value"].startswith("100 1 5061 sipfed0") for f in facts)


def _walk(node: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if isinstance(node, dict):
        out.append(node)
        for value in node.values():
            out += _walk(value)
    elif isinstance(node, list):
        for value in node:
            out += _walk(value)
    return out


@pytest.mark.parametrize("size", [50, 400, 5000])
def test_cards_stay_under_28_kb(size: int) -> None:
    huge_report = _report(n_records=size, pair=True)
    long = "x" * 30_000
    replies: list[Reply] = [
        CheckCard("t", huge_report, long, None),
        ResolutionCard("t", "c", "c", long, long, tuple([long] * size), tuple([long] * 10)),
        EscalationCard("t", long, long * 3),
        Message(long * 2),
        TriageCard("s", "t", long, tuple((f"c{i}", long) for i in range(size))),
    ]
    rendered = [cards.render(r, LABELS, long) for r in replies]
    for card in rendered:
        assert cards.card_bytes(card) <= cards.MAX_CARD_BYTES
    notes = [t for t in cards.all_texts(rendered[0]) if t.startswith("+")]  # no render.more here
    assert bool(notes) == (size >= 400), "a note says when items were left out"
    if size == 400:
        assert all(r["errors"] == [] for r in _validate(rendered))


def test_long_answers_get_short_numbered_buttons_and_full_wording_in_the_card() -> None:
    long = "Someone in another organisation (Teams, Skype for Business or Lync)"
    question = Question(
        question="contact_type",
        text="Who is the external contact?",
        choices=(
            Choice(long, ChoicePayload("contact_type", "external_org", 1)),
            Choice("Other", ChoicePayload("contact_type", "public_im", 1)),
        ),
        revision=1,
    )
    card = cards.render(question, LABELS)
    titles = [a["title"] for s in card["body"] if s["type"] == "ActionSet" for a in s["actions"]]
    assert titles == ["1. Someone in another…", "2. Other"]
    assert all(len(t) <= cards.MAX_BUTTON_CHARS for t in titles)
    assert f"1. {long}" in list(cards.all_texts(card))  # nothing of the wording is lost
    assert cards.short_label("contoso", 24) == "contoso"


def test_escalation_summary_keeps_one_line_per_item() -> None:
    summary = "\n".join(
        ["Federation troubleshooting summary (from fedbot)", "Symptom: IM", "Domains: a, b"]
    )
    reply = EscalationCard(title="Still need help", text="Paste this", summary=summary)
    card = cards.render(reply, LABELS)
    texts = list(cards.all_texts(card))
    assert "Federation troubleshooting summary (from fedbot)" in texts
    facts = [f for s in json.loads(json.dumps(card))["body"] for f in _all_facts(s)]
    assert ("Symptom", "IM") in facts and ("Domains", "a, b") in facts


def _all_facts(node: Any) -> list[tuple[str, str]]:
    if isinstance(node, dict):
        own = [(f["title"], f["value"]) for f in node.get("facts", ())]
        return own + [f for v in node.values() for f in _all_facts(v)]
    if isinstance(node, list):
        return [f for v in node for f in _all_facts(v)]
    return []

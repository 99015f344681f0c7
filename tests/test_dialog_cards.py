"""The cards the dialog builds from facts: conclusion first, what the user said, placeholders
filled, escalation items one per line with the organisation's own contact first."""

from __future__ import annotations

import dataclasses

from dialogs.answers import find_in_words, smalltalk
from dialogs.cards import escalation_card, resolution_card
from dialogs.replies import LiveCheck
from dialogs.state import CheckRun, DialogState
from dialogs.text import render_text
from federation.model import CheckReport, CheckResult, Finding
from knowledge.loader import load_knowledge
from knowledge.model import Escalation

KB = load_knowledge("")
REPORT = CheckReport(
    (
        CheckResult(
            "contoso.example",
            "contoso.example",
            "ok",
            "commercial",
            (Finding("federation_srv_ok", "info", "fine"),),
        ),
    )
)
STATE = DialogState(
    symptom="im_not_delivered",
    contact_type="external_org",
    scope="all",
    addresses=("joe@fabrikam.example",),
    external_domain="fabrikam.example",
    home_domain="contoso.example",
    tried=("external_access_disabled",),
    checks=(CheckRun(("contoso.example",), REPORT),),
)


def test_escalation_facts_are_one_item_per_line_and_match_the_summary() -> None:
    card = escalation_card(KB, STATE)
    labels = [label for label, _ in card.facts]
    assert labels[:3] == ["Symptom", "External contact", "Contacts affected"]
    assert ("DNS check contoso.example", "ok (cloud: commercial; findings: federation_srv_ok)") in (
        card.facts
    )
    lines = card.summary.splitlines()
    assert len(lines) == 1 + len(card.facts)  # header + one line per item
    for (label, value), line in zip(card.facts, lines[1:], strict=True):
        assert line == f"{label}: {value}"


def test_the_organisations_own_contact_and_ticket_come_before_the_generic_forum() -> None:
    org = Escalation(
        text=KB.escalation.text,
        contact="servicedesk@contoso.example",
        ticket_url="https://tickets.contoso.example/new",
        links=KB.escalation.links,
    )
    card = escalation_card(dataclasses.replace(KB, escalation=org), STATE)
    text = card.text
    assert text.index("servicedesk@contoso.example") < text.index("Microsoft Community")
    assert text.index("https://tickets.contoso.example/new") < text.index("Microsoft Community")
    rendered = render_text(card, KB.wording)
    assert rendered.index("servicedesk@contoso.example") < rendered.index("answers.microsoft.com")


def test_without_an_organisation_contact_the_article_text_is_unchanged() -> None:
    assert escalation_card(KB, STATE).text == KB.escalation.text


def test_resolution_card_leads_with_the_conclusion_and_states_what_the_user_said() -> None:
    cause = KB.causes["federation_srv"]
    check = LiveCheck("Live check", cause.check_meaning["problem"], REPORT)
    card = resolution_card(KB, cause, check, STATE)
    assert card.summary.startswith(cause.check_meaning["problem"])
    assert "You said:" in card.summary and "joe@fabrikam.example" in card.summary
    # the SIP domain placeholder is filled with the domain fedbot knows, never a <…> tag
    joined = " ".join(card.steps)
    assert "_sipfederationtls._tcp.contoso.example" in joined
    assert "<" not in render_text(card, KB.wording)


def test_no_knowledge_text_contains_a_tag_like_placeholder() -> None:
    texts = [
        t
        for r in KB.resolutions.values()
        for t in (r.title, r.intro, *r.steps, *r.notes, *r.teams_today)
    ]
    texts += [c.summary for c in KB.causes.values()]
    texts += list(KB.messages.values())
    assert not [t for t in texts if "<" in t and ">" in t.split("<", 1)[1]]


def test_natural_answers_and_small_talk() -> None:
    values = ["yes", "no"]
    assert find_in_words(KB, "phrases.fixed", "no, that didn't fix it", values) == "no"
    assert find_in_words(KB, "phrases.fixed", "it's not fixed", values) == "no"
    assert find_in_words(KB, "phrases.fixed", "yes that worked", values) == "yes"
    assert find_in_words(KB, "phrases.fixed", "hmm", values) is None
    scopes = ["one", "multiple", "all"]
    assert find_in_words(KB, "phrases.scope", "just one person", scopes) == "one"
    kinds = ["external_org", "public_im"]
    # "skype" inside "skype for business" doesn't count for the consumer answer
    assert find_in_words(KB, "phrases.contact_type", "they use skype for business", kinds) == (
        "external_org"
    )
    assert smalltalk(KB, "Thanks!") == "thanks" and smalltalk(KB, "hi") == "greeting"
    assert smalltalk(KB, "hi, presence is unknown for joe") is None


def test_one_per_step_carries_notes_and_the_next_question_in_the_card() -> None:
    from dialogs.cards import question
    from dialogs.replies import Message, ResolutionCard, one_per_step

    state = dataclasses.replace(STATE, pending="fixed", revision=3)
    card = resolution_card(KB, KB.causes["hybrid_split"], None, state)
    fixed = question(KB, state, "fixed")
    folded = one_per_step((Message("Next."), Message("Checked, fine."), card, fixed))
    assert len(folded) == 1
    only = folded[0]
    assert isinstance(only, ResolutionCard)
    assert only.lead == ("Next.", "Checked, fine.") and only.question == fixed
    text = render_text(only, KB.wording)
    assert text.index("Next.") < text.index(card.title) < text.index("Did this fix it?")
    assert one_per_step((Message("a"), Message("b"))) == (Message("a\n\nb"),)
    asked = one_per_step((Message("Sorry."), fixed))
    assert len(asked) == 1 and render_text(asked[0], KB.wording).startswith("Sorry.")


def test_button_labels_are_short_and_the_full_wording_stays_in_the_card() -> None:
    from dialogs.cards import question
    from dialogs.state import QUESTION_IDS

    state = DialogState(revision=1)
    for qid in sorted(QUESTION_IDS):
        q = question(KB, state, qid)  # type: ignore[arg-type]
        for choice in q.choices:
            assert len(choice.label) <= 24, choice.label
    symptom = question(KB, state, "symptom")
    full = {o.label for o in KB.symptoms}
    assert {c.detail for c in symptom.choices} == full
    assert all(label in render_text(symptom, KB.wording) for label in full)

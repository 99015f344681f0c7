"""Block Kit rendering of every neutral reply type: slack_sdk's block models accept it, Slack's
limits hold even for absurd input, buttons round-trip their payload, answered questions lose
their buttons."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from test_slack_helpers import assert_valid_message

from adapters.slack.blocks import (
    MAX_BUTTON_LABEL,
    MAX_BUTTON_TEXT,
    answered_blocks,
    decode_payload,
    encode_payload,
    mrkdwn,
    to_messages,
)
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

MESSAGES = Wording(
    yaml.safe_load(
        (Path(__file__).parents[1] / "knowledge" / "data" / "messages.yaml").read_text("utf-8")
    ),
    {"commercial": "Microsoft 365 worldwide (commercial)"},
)

RESULT = CheckResult(
    input="joe@contoso.com",
    domain="contoso.com",
    status="problem",
    cloud="commercial",
    findings=(
        Finding("federation_srv_wrong_port", "error", "The SRV points at port 443; use 5061."),
        Finding("legacy_records_absent", "info", "No sip / lyncdiscover records <fine>."),
    ),
    records=(
        Record(
            "_sipfederationtls._tcp.contoso.com", "SRV", "100 1 443 sipfed.online.lync.com.", 3600
        ),
    ),
)
OTHER = CheckResult("fabrikam.com", "fabrikam.com", "ok", "gcc_high")
PAIR = CheckReport(
    (RESULT, OTHER),
    PairVerdict(
        "cross_cloud", "problem", (Finding("cross_cloud", "warning", "Different clouds."),)
    ),
)
START = Choice(
    "Start troubleshooting", ChoicePayload("start", "sig_not_delivered", 0, "contoso.com")
)
LIVE = LiveCheck(
    "Live check of contoso.com",
    "The record is wrong, which explains it.",
    PAIR,
    (("Write the address as", "joe(contoso.com)@msn.com"),),
)


def question(n: int = 3, answer: str | None = None) -> Question:
    choices = tuple(Choice(f"Option {i}", ChoicePayload("symptom", f"v{i}", 2)) for i in range(n))
    return Question("symptom", "What happens?", choices, 2, answer)


def every_reply() -> list[Reply]:
    return [
        Message("Hi, I'm **fedbot** & I check `<domains>`."),
        question(),
        question(answer="Option 1"),
        ResolutionCard(
            title="Check the federation SRV record",
            cause_id="federation_srv",
            cause_title="The DNS SRV record is missing",
            summary="Other organisations can't find your edge.",
            intro="Make sure the record exists.",
            steps=("Open your DNS host.", "Add `_sipfederationtls._tcp`."),
            teams_today=("Teams admin center → Users → External access",),
            notes=("Changes take up to 24 hours.",),
            links=(Link("DNS requirements", "https://learn.microsoft.com/x?a=1&b=2"),),
            check=LIVE,
        ),
        CheckCard("Federation check: contoso.com", PAIR, "Problems found.", START),
        TriageCard(
            "sig_not_delivered",
            "Message not delivered",
            "The other side isn't federated with you.",
            (("domain_permissions", "Domain not allowed"), ("federation_srv", "SRV missing")),
            LiveCheck("Live check", "Found a problem.", CheckReport((RESULT,))),
            START,
        ),
        EscalationCard(
            "Still need help?",
            "Send this to your admins.",
            "Symptom: im_not_delivered\nChecks: contoso.com problem",
            contact="it@contoso.com",
            ticket_url="https://tickets.contoso.com/new",
            links=(Link("Article", "https://learn.microsoft.com/y"),),
        ),
    ]


@pytest.mark.parametrize("reply", every_reply(), ids=lambda r: type(r).__name__)
def test_every_reply_type_is_valid_block_kit(reply: Reply) -> None:
    messages = to_messages([reply], MESSAGES)
    assert len(messages) == 1
    for message in messages:
        assert_valid_message(message.as_kwargs())
        # the prebuilt JSON the Web API post sends is exactly these fields
        assert json.loads("{" + message.json_fields + "}") == message.as_kwargs()


def test_replies_of_one_turn_share_a_message() -> None:
    messages = to_messages(every_reply(), MESSAGES)
    assert 1 <= len(messages) < len(every_reply())
    for message in messages:
        assert_valid_message(message.as_kwargs())


def test_check_card_shows_verdict_cloud_records_findings_and_start_button() -> None:
    (message,) = to_messages(
        [CheckCard("Check: contoso.com", PAIR, "Problems found.", START)], MESSAGES
    )
    text = json.dumps(message.blocks, ensure_ascii=False)
    assert "contoso.com" in text and "fabrikam.com" in text
    assert MESSAGES["render.status.problem"] in text and MESSAGES["render.records"] in text
    assert "100 1 443 sipfed.online.lync.com." in text
    assert "use 5061" in text and "Different clouds." in text
    assert "GCC High" in text or "gcc_high" in text
    buttons = [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]]
    assert [decode_payload(b["value"]) for b in buttons] == [START.payload]
    assert "&lt;fine&gt;" in text  # Slack control characters escaped


def test_absurd_sizes_are_cut_to_slacks_limits() -> None:
    huge = "word " * 20_000
    many = tuple(f"Step {i}: {'x' * 400}" for i in range(200))
    card = ResolutionCard(
        title="T" * 500,
        cause_id="c",
        cause_title="C" * 4000,
        summary=huge,
        intro=huge,
        steps=many,
        teams_today=many,
        notes=many,
        links=tuple(Link(f"L{i}", f"https://x.test/{i}") for i in range(40)),
        check=LIVE,
    )
    long_choices = tuple(
        Choice("label " * 40, ChoicePayload("q", str(i) * 10, 1)) for i in range(60)
    )
    replies: list[Reply] = [
        Message(huge),
        card,
        Question("q", huge, long_choices, 1),
        EscalationCard("E" * 300, huge, huge),
    ]
    messages = to_messages(replies, MESSAGES)
    for message in messages:
        assert_valid_message(message.as_kwargs())
    buttons = [
        e for m in messages for b in m.blocks if b["type"] == "actions" for e in b["elements"]
    ]
    assert len(buttons) == 60  # every choice is still offered, none dropped by cutting
    assert all(len(b["text"]["text"]) <= MAX_BUTTON_TEXT for b in buttons)


def test_button_value_round_trips_and_foreign_values_are_refused() -> None:
    payload = ChoicePayload("contact_type", "external_org", 7, "joe@contoso.com")
    assert decode_payload(encode_payload(payload)) == payload
    for foreign in (
        "",
        "{",
        "[]",
        '{"q": "x"}',
        json.dumps({"fedbot": 1, "q": 1, "v": "x"}),
        None,
        5,
    ):
        assert decode_payload(foreign) is None


def test_answered_question_replaces_its_buttons_with_the_choice() -> None:
    (message,) = to_messages([Message("Hello"), question()], MESSAGES)
    actions = [b for b in message.blocks if b["type"] == "actions"]
    assert len(actions) == 1
    updated = answered_blocks(message.blocks, actions[0]["block_id"], "Option 2", MESSAGES)
    assert updated is not None
    assert not [b for b in updated if b["type"] == "actions"]
    assert "Option 2" in json.dumps(updated)
    assert_valid_message({"text": "x", "blocks": updated})
    # the same rendering as re-rendering the Question answered
    (again,) = to_messages([Message("Hello"), question(answer="Option 2")], MESSAGES)
    assert updated == again.blocks
    assert answered_blocks(updated, actions[0]["block_id"], "Option 2", MESSAGES) is None


def test_mrkdwn_converts_bold_and_escapes_control_characters() -> None:
    assert mrkdwn("**a** & <b>") == "*a* &amp; &lt;b&gt;"


def test_long_labels_are_numbered_short_buttons_with_the_full_wording_in_the_text() -> None:
    long = "Someone in another organisation (Teams, Skype for Business or Lync)"
    question = Question(
        "contact_type",
        "Who is it?",
        (
            Choice(long, ChoicePayload("contact_type", "external_org", 1)),
            Choice("Other", ChoicePayload("contact_type", "public_im", 1)),
        ),
        1,
    )
    (message,) = to_messages([question], MESSAGES)
    labels = [
        e["text"]["text"] for b in message.blocks if b["type"] == "actions" for e in b["elements"]
    ]
    assert labels == ["1. Someone in another…", "2. Other"]
    assert all(len(label) <= MAX_BUTTON_LABEL for label in labels)
    assert f"1. {long}" in message.blocks[0]["text"]["text"]
    assert_valid_message(message.as_kwargs())


def test_the_summary_is_a_code_block_pasted_as_written() -> None:
    summary = "Federation summary\nSymptom: **not** <delivered> & lost\nDomains: a.com, b.com"
    (message,) = to_messages([EscalationCard("Still need help", "Paste this", summary)], MESSAGES)
    codes = [
        b["text"]["text"] for b in message.blocks if "```" in b.get("text", {}).get("text", "")
    ]
    assert len(codes) == 1
    body = codes[0].split("```\n", 1)[1].rsplit("\n```", 1)[0]
    assert body.splitlines() == [
        "Federation summary",
        "Symptom: **not** &lt;delivered&gt; &amp; lost",  # escaped as Slack requires, no mrkdwn
        "Domains: a.com, b.com",
    ]

"""render_text: every neutral reply as readable text; and the small pure helpers behind answers
and the contact-format check."""

from __future__ import annotations

import pytest

from dialogs.answers import is_command, match_option
from dialogs.cards import check_card, escalation_card, options, question, triage_card
from dialogs.contact_format import contact_format, parse_address
from dialogs.replies import (
    Choice,
    ChoicePayload,
    EscalationCard,
    LiveCheck,
    Message,
    Question,
    ResolutionCard,
)
from dialogs.state import CheckRun, DialogState
from dialogs.text import render_text
from federation.model import (
    CheckReport,
    CheckResult,
    Finding,
    InvalidDomain,
    PairVerdict,
    Record,
)
from knowledge.loader import load_knowledge
from knowledge.model import Link

KB = load_knowledge("")
M = KB.wording

REPORT = CheckReport(
    (
        CheckResult(
            "Joe@Contoso.example",
            "contoso.example",
            "ok",
            "commercial",
            (Finding("federation_srv_ok", "ok", "The SRV record is right."),),
            (
                Record(
                    "_sipfederationtls._tcp.contoso.example",
                    "SRV",
                    "100 1 5061 sipfed.online.lync.com.",
                    3600,
                ),
            ),
        ),
        CheckResult(
            "gcchigh.example",
            "gcchigh.example",
            "ok",
            "gcc_high",
            (Finding("federation_srv_ok", "ok", "Also right."),),
        ),
    ),
    PairVerdict(
        "cross_cloud", "ok", (Finding("cross_cloud", "info", "Text-only chat across clouds."),)
    ),
)


def test_message_is_its_text() -> None:
    assert render_text(Message("Hello **there**"), M) == "Hello **there**"


def test_question_numbers_its_choices_and_shows_the_answer_once_answered() -> None:
    q = question(KB, DialogState(revision=4), "scope")
    text = render_text(q, M)
    assert text.startswith(f"**{M['question.scope']}**")
    for number, (_, label) in enumerate(options(KB, "scope"), start=1):
        assert f"{number}. {label}" in text
    answered = q.answered(q.choices[2].payload)
    text = render_text(answered, M)
    assert q.choices[2].label in text and "1." not in text


def test_resolution_card_shows_every_section_and_its_live_check() -> None:
    cause = KB.causes["federation_srv"]
    resolution = KB.resolutions[cause.resolution]
    card = ResolutionCard(
        resolution.title,
        cause.id,
        cause.title,
        cause.summary,
        resolution.intro,
        resolution.steps,
        resolution.teams_today,
        resolution.notes,
        resolution.links,
        LiveCheck("Live check of contoso.example", "Means this.", REPORT, (("Address", "a@b.c"),)),
    )
    text = render_text(card, M)
    for fragment in (
        resolution.title,
        cause.title,
        f"1. {resolution.steps[0]}",
        M["render.teams_today"],
        resolution.links[0].url,
        "Means this.",
        "Address: **a@b.c**",
        "`_sipfederationtls._tcp.contoso.example SRV 100 1 5061 sipfed.online.lync.com.`",
        "[ok] The SRV record is right.",
    ):
        assert fragment in text


def test_check_card_shows_both_domains_their_clouds_and_the_pair() -> None:
    text = render_text(check_card(KB, REPORT), M)
    assert "contoso.example" in text and "gcchigh.example" in text
    assert "Text-only chat across clouds." in text and M["render.pair"] in text
    assert M["choice.start"] in text
    assert "gcc_high" not in text  # the cloud's name, not its code


def test_triage_card_lists_causes_and_the_check() -> None:
    signature = next(s for s in KB.signatures if s.likely_causes)
    text = render_text(triage_card(KB, signature, REPORT, "joe@contoso.example"), M)
    assert signature.title in text and signature.meaning in text
    for cause_id in signature.likely_causes:
        assert KB.causes[cause_id].title in text
    assert "contoso.example" in text


def test_escalation_card_holds_the_summary_contact_and_links() -> None:
    state = DialogState(
        symptom="im_not_delivered",
        contact_type="external_org",
        scope="all",
        tried=("external_access_disabled", "federation_srv"),
        checks=(CheckRun(("contoso.example",), REPORT),),
        home_domain="contoso.example",
    )
    card = escalation_card(KB, state)
    card = EscalationCard(
        card.title,
        card.text,
        card.summary,
        "desk@example.com",
        "https://t.example/new",
        (Link("Wiki", "https://wiki.example/"),),
    )
    text = render_text(card, M)
    for fragment in (
        "```",
        "federation_srv_ok",
        "desk@example.com",
        "https://t.example/new",
        "https://wiki.example/",
        "federation_srv",
    ):
        assert fragment in text


def test_question_without_choices_has_no_hint() -> None:
    q = Question("x", "Type it.", (), 1)
    assert render_text(q, M) == "**Type it.**"


# --- answers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3", "all"),
        ("all", "all"),
        ("Everyone!", "all"),
        ("several", "multiple"),
        ("x", None),
        ("", None),
        ("4", None),
        ("external", None),
    ],
)
def test_match_scope(text: str, expected: str | None) -> None:
    assert match_option(KB, "scope", text, options(KB, "scope")) == expected


def test_commands() -> None:
    assert is_command(KB, "/Restart", "restart") and is_command(KB, "start over", "restart")
    assert is_command(KB, "cancel.", "cancel") and not is_command(
        KB, "restart now please", "restart"
    )
    assert is_command(KB, "help", "help") and not is_command(KB, "x" * 1000, "help")


# --- contact format ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("domain", "consumer"),
    [
        ("outlook.com", True),
        ("hotmail.co.uk", True),
        ("live.com.au", True),
        ("hotmail.fr", True),
        ("msn.com", True),
        ("live-contoso.com", False),
        ("outlook.contoso.com", False),
        ("contoso.com", False),
    ],
)
def test_consumer_domains_and_country_variants(domain: str, consumer: bool) -> None:
    assert KB.is_consumer_domain(domain) is consumer


def test_special_format_is_filled_in() -> None:
    found = contact_format("joe", "live-contoso.com", KB)
    assert found.status == "problem" and found.special == "joe(live-contoso.com)@msn.com"
    assert contact_format("joe", "outlook.com", KB).special is None


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("Joe@Contoso.com", ("joe", "contoso.com")),
        ("sip:joe@contoso.com", ("joe", "contoso.com")),
        ("<mailto:joe@contoso.com>", ("joe", "contoso.com")),
        ("joe(live-contoso.com)@msn.com", ("joe(live-contoso.com)", "msn.com")),
    ],
)
def test_parse_address(text: str, parsed: tuple[str, str]) -> None:
    assert parse_address(text, KB) == parsed


@pytest.mark.parametrize("text", ["contoso.com", "joe", "", "joe@", "joe@10.0.0.1", "x" * 5000])
def test_parse_address_refuses_with_a_reason(text: str) -> None:
    refused = parse_address(text, KB)
    assert isinstance(refused, InvalidDomain) and refused.reason


def test_choice_payload_round_trip_is_what_buttons_carry() -> None:
    q = question(KB, DialogState(revision=2), "fixed")
    choice: Choice = q.choices[0]
    assert ChoicePayload.from_dict(choice.payload.to_dict()) == choice.payload

"""Pure tests of the dialog state machine: every branch, with a small knowledge built here.

No I/O: effects are answered by hand with CheckCompleted / HomeDomainFound events.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from dialogs.events import (
    CheckCompleted,
    Event,
    HomeDomainFound,
    LookupHomeDomain,
    Restart,
    RunCheck,
    Transition,
    UserChoice,
    UserText,
)
from dialogs.machine import step
from dialogs.replies import (
    ChoicePayload,
    EscalationCard,
    Message,
    Question,
    Reply,
    ResolutionCard,
)
from dialogs.state import DialogState
from federation.model import CheckReport, CheckResult, Finding, InvalidDomain, Record
from knowledge.model import (
    Cause,
    Cell,
    Escalation,
    Knowledge,
    Link,
    Option,
    Resolution,
    Signature,
)

MESSAGES = yaml.safe_load(
    (Path(__file__).parents[1] / "knowledge/data/messages.yaml").read_text(encoding="utf-8")
)
TTL = 3600.0


def _cause(cid: str, check: str = "none") -> Cause:
    meaning = {s: f"{cid} meaning {s}" for s in ("ok", "problem", "dns_error")}
    return Cause(
        cid,
        f"{cid} title",
        f"{cid} summary",
        cid,
        check,
        meaning if check != "none" else {},  # type: ignore[arg-type]
    )


CAUSES = {
    c.id: c
    for c in (
        _cause("contacts_permissions"),
        _cause("domain_permissions", "external_domain"),
        _cause("external_access_disabled", "own_domain"),
        _cause("public_im_disabled", "own_domain"),
        _cause("federation_srv", "own_domain"),
        _cause("contact_format", "contact_format"),
        _cause("not_supported"),
        _cause("edge_connectivity", "external_domain"),
    )
}

KB = Knowledge(
    symptoms=(
        Option("im_not_delivered", "Messages aren't delivered"),
        Option("presence_unknown", "Presence Unknown"),
        Option("meeting_join_denied", "Can't join meetings"),
    ),
    contact_types=(Option("external_org", "Another organisation"), Option("public_im", "Consumer")),
    scopes=(Option("one", "One contact"), Option("multiple", "Several"), Option("all", "All")),
    table=(
        Cell("external_org", "one", ("contacts_permissions",)),
        Cell("external_org", "multiple", ("domain_permissions",)),
        Cell("external_org", "all", ("external_access_disabled", "federation_srv")),
        Cell("public_im", "one", ("contacts_permissions",)),
        Cell("public_im", "multiple", ("contact_format",)),
        Cell("public_im", "all", ("public_im_disabled", "federation_srv")),
    ),
    causes=CAUSES,
    resolutions={
        cid: Resolution(cid, f"{cid} section", f"{cid} intro", (f"{cid} step 1", f"{cid} step 2"))
        for cid in CAUSES
    },
    signatures=(
        Signature(
            id="not_delivered",
            title="Message not delivered",
            meaning="The other side is not federated.",
            patterns=(re.compile(r"was not delivered to", re.IGNORECASE),),
            symptom="im_not_delivered",
            likely_causes=("domain_permissions", "edge_connectivity"),
            contact_type="external_org",
        ),
    ),
    escalation=Escalation(
        "Ask the service desk.",
        "desk@example.com",
        "https://tickets.example/new",
        (Link("Community", "https://answers.microsoft.com/"),),
    ),
    more_information=(),
    messages=MESSAGES,
    follow_up_causes=("edge_connectivity", "not_supported"),
    consumer_domains=("live.com", "outlook.com", "msn.com", "hotmail.com"),
)

PASTE = (
    "This message was not delivered to joe@fabrikam.com because the address is outside your "
    "organization and is not federated with your company"
)


def report(domain: str, status: str, *codes: str) -> CheckReport:
    findings = tuple(
        Finding(c, "error" if status == "problem" else "ok", f"{c} text") for c in codes
    )
    record = Record(f"_sipfederationtls._tcp.{domain}", "SRV", "100 1 5061 sipfed.online.lync.com.")
    return CheckReport(
        (CheckResult(domain, domain, status, "commercial", findings, (record,)),)  # type: ignore[arg-type]
    )


class Chat:
    """Drives ``step`` like the service does, remembering the state and the last question."""

    def __init__(self, state: DialogState | None = None, now: float = 1000.0) -> None:
        self.state = state or DialogState()
        self.now = now
        self.last: Transition | None = None

    def send(self, event: Event) -> Transition:
        self.last = step(KB, self.state, event, ttl=TTL)
        self.state = self.last.state
        return self.last

    def say(self, text: str) -> Transition:
        self.now += 1
        return self.send(UserText(text, self.now))

    def press(
        self, value: str, *, question: str | None = None, revision: int | None = None
    ) -> Transition:
        q = self.question()
        payload = ChoicePayload(
            question or q.question, value, q.revision if revision is None else revision
        )
        self.now += 1
        return self.send(UserChoice(payload, self.now))

    def question(self) -> Question:
        assert self.last is not None
        return next(r for r in reversed(self.last.replies) if isinstance(r, Question))

    def answer(self, event_kind: type, value: object) -> Transition:
        return self.send(event_kind(value, self.now))


def kinds(t: Transition) -> list[str]:
    return [type(r).__name__ for r in t.replies]


def card(t: Transition) -> ResolutionCard:
    return next(r for r in t.replies if isinstance(r, ResolutionCard))


def texts(replies: tuple[Reply, ...]) -> str:
    return " ".join(r.text for r in replies if isinstance(r, Message | Question))


def scoped(contact_type: str, scope: str) -> Chat:
    chat = Chat()
    chat.say("hello")
    chat.press("im_not_delivered")
    chat.press(contact_type)
    chat.press(scope)
    return chat


# --- asking the three questions ---


def test_first_message_introduces_and_asks_the_symptom() -> None:
    t = Chat().say("hi there")
    assert kinds(t) == ["Message", "Question"]
    q = t.replies[1]
    assert isinstance(q, Question) and q.question == "symptom" and q.revision == 1
    assert [c.payload.value for c in q.choices] == [
        "im_not_delivered",
        "presence_unknown",
        "meeting_join_denied",
    ]
    assert all(c.payload.revision == 1 for c in q.choices)
    assert t.effects == ()


@pytest.mark.parametrize(
    "answer", ["2", "2.", " Presence Unknown ", "presence_unknown", "PRESENCE"]
)
def test_typed_answers_by_number_label_id_or_synonym(answer: str) -> None:
    chat = Chat()
    chat.say("hi")
    t = chat.say(answer)
    assert chat.state.symptom == "presence_unknown"
    assert chat.question().question == "contact_type" and chat.question().revision == 2
    assert kinds(t) == ["Question"]


def test_everyone_means_all_contacts() -> None:
    chat = Chat()
    chat.say("hi")
    chat.say("1")
    chat.say("another organisation")
    chat.say("everyone")
    assert chat.state.scope == "all"


def test_an_opening_that_names_the_symptom_skips_that_question() -> None:
    t = Chat().say("presence unknown")
    assert [r.question for r in t.replies if isinstance(r, Question)] == ["contact_type"]


def test_invalid_answer_reasks_the_same_question_at_the_same_revision() -> None:
    chat = Chat()
    chat.say("hi")
    before = chat.question()
    t = chat.say("purple elephants")
    assert kinds(t) == ["Message", "Question"]
    assert t.replies[0] == Message(MESSAGES["invalid.choice"])
    assert t.replies[1] == before
    assert chat.state.symptom is None


def test_pasted_error_settles_symptom_and_contact_type_and_keeps_the_address() -> None:
    t = Chat().say(PASTE)
    assert isinstance(t.replies[0], Message) and "Message not delivered" in t.replies[0].text
    assert isinstance(t.replies[-1], Question) and t.replies[-1].question == "scope"
    state = step(KB, DialogState(), UserText(PASTE, 1.0)).state
    assert state.signature == "not_delivered"
    assert state.addresses == ("joe@fabrikam.com",)
    assert state.external_domain == "fabrikam.com"


def test_pasted_error_in_answer_to_a_question_is_taken_as_the_answer() -> None:
    chat = Chat()
    chat.say("hi")
    t = chat.say(PASTE)
    assert chat.state.symptom == "im_not_delivered" and chat.state.contact_type == "external_org"
    assert chat.question().question == "scope"
    assert "Message not delivered" in texts(t.replies)


# --- buttons ---


def test_button_from_an_older_revision_is_stale_and_the_current_question_is_reasked() -> None:
    chat = Chat()
    chat.say("hi")
    chat.press("im_not_delivered")
    current = chat.question()
    t = chat.press("presence_unknown", question="symptom", revision=1)
    assert t.replies == (Message(MESSAGES["stale"]), current)
    assert chat.state.symptom == "im_not_delivered"


def test_button_for_another_question_is_stale() -> None:
    chat = Chat()
    chat.say("hi")
    t = chat.press("all", question="scope")
    assert t.replies[0] == Message(MESSAGES["stale"]) and chat.state.scope is None


def test_unknown_button_value_reasks() -> None:
    chat = Chat()
    chat.say("hi")
    t = chat.press("made_up")
    assert t.replies[0] == Message(MESSAGES["invalid.choice"])
    assert chat.question().question == "symptom"


def test_button_after_the_conversation_ended_starts_a_new_one() -> None:
    chat = scoped("external_org", "one")
    chat.press("yes")
    assert chat.state.phase == "done"
    t = chat.send(UserChoice(ChoicePayload("fixed", "no", 3), chat.now + 1))
    assert t.replies[0] == Message(MESSAGES["stale"])
    assert chat.question().question == "symptom"
    assert chat.question().revision == 5  # revisions never restart: every old button stays stale


def test_start_button_prefills_from_signature_and_address() -> None:
    payload = ChoicePayload("start", "not_delivered", 0, "joe@fabrikam.com")
    t = step(KB, DialogState(), UserChoice(payload, 5.0))
    assert t.state.symptom == "im_not_delivered" and t.state.contact_type == "external_org"
    assert t.state.external_domain == "fabrikam.com"
    assert isinstance(t.replies[-1], Question) and t.replies[-1].question == "scope"


def test_start_button_with_unknown_signature_and_bare_domain() -> None:
    t = step(KB, DialogState(), UserChoice(ChoicePayload("start", "", 0, "Fabrikam.COM"), 5.0))
    assert t.state.external_domain == "fabrikam.com" and t.state.signature is None
    assert t.replies[0] == Message(MESSAGES["intro"])


# --- the table's cells, checks and resolution cards ---


def test_one_contact_shows_the_permissions_card_without_a_check() -> None:
    chat = scoped("external_org", "one")
    t = chat.last
    assert t is not None and t.effects == ()
    c = card(t)
    assert c.cause_id == "contacts_permissions" and c.check is None
    assert c.steps == ("contacts_permissions step 1", "contacts_permissions step 2")
    assert c.title == "contacts_permissions section"
    assert chat.question().question == "fixed"


def test_multiple_contacts_checks_the_external_domain_from_the_paste() -> None:
    chat = Chat()
    t = chat.say(PASTE)
    t = chat.press("multiple")
    assert t.effects == (RunCheck(("fabrikam.com",)),) and chat.state.awaiting == "check"
    assert not any(isinstance(r, ResolutionCard) for r in t.replies)
    t = chat.answer(CheckCompleted, report("fabrikam.com", "problem", "federation_srv_missing"))
    c = card(t)
    assert c.cause_id == "domain_permissions"
    assert c.check is not None and c.check.meaning == "domain_permissions meaning problem"
    assert c.check.report is not None and c.check.report.results[0].domain == "fabrikam.com"
    assert "fabrikam.com" in c.check.title


def test_multiple_contacts_without_an_address_asks_for_the_domain() -> None:
    chat = scoped("external_org", "multiple")
    assert chat.question().question == "external_domain"
    t = chat.say("not a domain!!")
    assert kinds(t) == ["Message", "Question"] and chat.question().question == "external_domain"
    assert isinstance(t.replies[0], Message) and "doesn't look like a domain" in t.replies[0].text
    t = chat.say("Joe@Fabrikam.com")
    assert t.effects == (RunCheck(("fabrikam.com",)),)
    assert chat.state.addresses == ("joe@fabrikam.com",)


def test_all_contacts_looks_up_the_home_domain_then_checks_it() -> None:
    chat = scoped("external_org", "all")
    assert chat.last is not None and chat.last.effects == (LookupHomeDomain(),)
    t = chat.answer(HomeDomainFound, "contoso.com")
    assert t.effects == (RunCheck(("contoso.com",)),)
    t = chat.answer(CheckCompleted, report("contoso.com", "ok", "federation_srv_ok"))
    c = card(t)
    assert c.cause_id == "external_access_disabled"
    assert c.check is not None and c.check.meaning == "external_access_disabled meaning ok"


def test_all_contacts_with_a_broken_srv_puts_the_srv_cause_first() -> None:
    chat = scoped("external_org", "all")
    chat.answer(HomeDomainFound, "contoso.com")
    t = chat.answer(CheckCompleted, report("contoso.com", "problem", "federation_srv_missing"))
    c = card(t)
    assert c.cause_id == "federation_srv"
    assert c.check is not None and c.check.meaning == "federation_srv meaning problem"
    # the other cause comes next, reusing the same check without a new query
    t = chat.press("no")
    assert t.effects == ()
    c2 = card(t)
    assert c2.cause_id == "external_access_disabled"
    assert c2.check is not None and c2.check.report == c.check.report
    assert t.replies[0] == Message(MESSAGES["next_cause"])


def test_unknown_home_domain_is_asked_and_validated() -> None:
    chat = scoped("public_im", "all")
    t = chat.answer(HomeDomainFound, None)
    assert chat.question().question == "home_domain"
    t = chat.say("192.168.1.1")
    assert chat.question().question == "home_domain" and kinds(t) == ["Message", "Question"]
    t = chat.say("contoso.com")
    assert t.effects == (RunCheck(("contoso.com",)),)


def test_skipping_the_check_shows_the_card_without_it() -> None:
    chat = scoped("public_im", "all")
    chat.answer(HomeDomainFound, None)
    t = chat.say("skip")
    c = card(t)
    assert c.cause_id == "public_im_disabled" and c.check is None


def test_invalid_domain_from_the_checker_asks_again() -> None:
    chat = scoped("external_org", "all")
    chat.answer(HomeDomainFound, "contoso.com")
    t = chat.answer(CheckCompleted, (InvalidDomain("contoso.com", "Refused for a reason."),))
    assert "Refused for a reason." in texts(t.replies)
    assert chat.question().question == "home_domain"


def test_consumer_address_needs_no_special_format() -> None:
    chat = scoped("public_im", "multiple")
    assert chat.question().question == "contact_address"
    t = chat.say("joe@outlook.co.uk")
    c = card(t)
    assert c.cause_id == "contact_format" and c.check is not None
    assert c.check.meaning == "contact_format meaning ok" and len(c.check.facts) == 1


def test_custom_domain_address_gets_the_special_format_filled_in() -> None:
    chat = scoped("public_im", "multiple")
    t = chat.say("sip:joe@live-contoso.com")
    c = card(t)
    assert c.check is not None and c.check.meaning == "contact_format meaning problem"
    assert ("Add the contact as", "joe(live-contoso.com)@msn.com") in c.check.facts
    assert t.effects == ()


def test_address_already_in_the_special_format_is_fine() -> None:
    chat = scoped("public_im", "multiple")
    c = card(chat.say("joe(live-contoso.com)@msn.com"))
    assert c.check is not None and c.check.meaning == "contact_format meaning ok"


def test_bare_domain_is_not_a_contact_address() -> None:
    chat = scoped("public_im", "multiple")
    t = chat.say("live-contoso.com")
    assert MESSAGES["invalid.address"] in texts(t.replies)
    assert chat.question().question == "contact_address"


# --- did it fix it? ---


def test_yes_closes_and_the_next_message_starts_over() -> None:
    chat = scoped("external_org", "one")
    t = chat.say("yes")
    assert t.replies == (Message(MESSAGES["closing.fixed"]),) and chat.state.phase == "done"
    t = chat.say("hello again")
    assert chat.question().question == "symptom" and chat.state.scope is None


def test_no_walks_the_remaining_causes_then_escalates_with_a_summary() -> None:
    chat = Chat()
    chat.say(PASTE)
    chat.press("multiple")
    chat.answer(CheckCompleted, report("fabrikam.com", "problem", "federation_srv_missing"))
    seen = ["domain_permissions"]
    for _ in range(5):
        t = chat.press("no")
        if any(isinstance(r, EscalationCard) for r in t.replies):
            break
        assert t.effects == ()  # edge_connectivity reuses the fabrikam.com check
        seen.append(card(t).cause_id)
    assert seen == ["domain_permissions", "edge_connectivity", "not_supported"]
    esc = next(r for r in t.replies if isinstance(r, EscalationCard))
    assert chat.state.phase == "done"
    assert esc.contact == "desk@example.com" and esc.ticket_url == "https://tickets.example/new"
    for fragment in (
        "Messages aren't delivered",
        "Another organisation",
        "Several",
        "Message not delivered (not_delivered)",
        "joe@fabrikam.com",
        "domain_permissions",
        "edge_connectivity",
        "not_supported",
        "fabrikam.com: problem",
        "federation_srv_missing",
    ):
        assert fragment in esc.summary


# --- restart, cancel, expiry, stray events ---


@pytest.mark.parametrize("word", ["restart", "/restart", "Start over", "RESET"])
def test_restart_at_any_point(word: str) -> None:
    chat = scoped("external_org", "all")
    revision = chat.state.revision
    t = chat.say(word)
    assert t.replies[0] == Message(MESSAGES["restarted"])
    assert chat.question().question == "symptom" and chat.question().revision == revision + 1
    assert chat.state.scope is None and chat.state.awaiting is None


def test_restart_event() -> None:
    chat = scoped("external_org", "one")
    t = chat.send(Restart(chat.now + 1))
    assert t.replies[0] == Message(MESSAGES["restarted"]) and chat.state.contact_type is None


def test_cancel_ends_the_conversation() -> None:
    chat = scoped("external_org", "one")
    t = chat.say("cancel")
    assert t.replies == (Message(MESSAGES["cancelled"]),) and chat.state.phase == "done"


def test_idle_conversation_expires_and_says_so() -> None:
    chat = scoped("external_org", "one")
    chat.now += TTL + 1
    t = chat.say("no")
    assert t.replies[0] == Message(MESSAGES["expired"])
    assert chat.question().question == "symptom"


def test_conversation_within_ttl_continues() -> None:
    chat = scoped("external_org", "one")
    chat.now += TTL - 10
    t = chat.say("no")
    assert MESSAGES["expired"] not in texts(t.replies)
    assert t.replies[0] == Message(MESSAGES["next_cause"])
    assert chat.question().question == "external_domain"  # edge_connectivity needs their domain


def test_effect_results_nobody_waits_for_are_ignored() -> None:
    chat = scoped("external_org", "one")
    before = chat.state
    assert chat.answer(CheckCompleted, report("x.com", "ok")).replies == ()
    assert chat.answer(HomeDomainFound, "contoso.com").replies == ()
    assert chat.state == before


def test_huge_text_as_an_answer_is_refused_not_crashed() -> None:
    chat = Chat()
    chat.say("hi")
    t = chat.say("x" * 40_000)
    assert t.replies[0] == Message(MESSAGES["invalid.choice"])


# --- state serialisation ---


def test_state_round_trips_through_json_with_checks() -> None:
    chat = Chat()
    chat.say(PASTE)
    chat.press("multiple")
    chat.answer(CheckCompleted, report("fabrikam.com", "problem", "federation_srv_missing"))
    import json

    data = json.loads(json.dumps(chat.state.to_dict()))
    assert DialogState.from_dict(data) == chat.state


@pytest.mark.parametrize(
    "garbage",
    [None, 42, "text", [], {}, {"schema": 999}, {"schema": 1, "phase": "weird"}],
)
def test_garbled_state_gives_a_fresh_state(garbage: object) -> None:
    assert DialogState.from_dict(garbage) == DialogState()


def test_state_with_a_broken_check_report_gives_a_fresh_state() -> None:
    data = replace(DialogState(), phase="active").to_dict()
    data["checks"] = [{"domains": ["x.com"], "report": {"results": [{"status": "great"}]}}]
    assert DialogState.from_dict(data) == DialogState()

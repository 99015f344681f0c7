"""Transcript tests: conversations written as data (tests/transcripts/*.yaml) played through the
real FedBot — shipped knowledge, real federation checker, a real DNS server on loopback serving the
fixture zones, a real state store.

A transcript file holds ``conversations``; each has ``name``, optional ``requires`` (a module the
conversation needs; skipped without it), optional ``settings``
(``home_domains``, ``dns_timeout``, ``state``: ``memory`` | ``sqlite``, ``user_email``) and
``steps``. A step is one of

- ``say: TEXT`` — the user types (or pastes) TEXT (``repeat: N`` times over);
- ``choose: LABEL`` — press the button of the latest question whose label contains LABEL
  (``choose: {label: LABEL, from: QUESTION_ID}`` presses a button of an *older* card);
- ``press: {question, value, revision, arg}`` — send a raw button payload;
- ``reopen: true`` — close FedBot (and its store) and create a new one on the same state;
- ``wait: SECONDS`` — let the clock run (expiry);
- ``only_if_asked: QUESTION`` with ``say``/``choose`` — answer only if the last reply asked
  QUESTION; otherwise the step's ``expect`` applies to the previous step's replies (for a question
  that depends on an optional part, e.g. the tenant configuration);

with ``expect`` (every key optional): ``kinds`` (reply type names, in order), ``question`` (id of
the last question asked, or null), ``cause`` (cause id of the resolution card), ``check`` (status
of its live DNS check, ``none`` for a card without one), ``codes`` (finding codes that must be in
that check), ``escalation`` (an escalation card is shown), ``contains`` / ``absent`` (fragments of
the replies rendered as text, case-insensitive).
"""

from __future__ import annotations

import dataclasses
import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import Settings
from bot.service import FedBot, Turn
from dialogs.replies import (
    ChoicePayload,
    EscalationCard,
    Question,
    Reply,
    ResolutionCard,
    one_per_step,
)
from dialogs.text import render_text
from knowledge.loader import load_knowledge
from tests.dnsserver import DnsTestServer, start_dns_server

TRANSCRIPTS = Path(__file__).parent / "transcripts"
STEP_KEYS = {"say", "repeat", "choose", "press", "reopen", "wait", "expect", "only_if_asked"}
EXPECT_KEYS = {"kinds", "question", "cause", "check", "codes", "escalation", "contains", "absent"}


def _conversations() -> Iterator[Any]:
    for path in sorted(TRANSCRIPTS.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for conv in doc["conversations"]:
            needs = conv.get("requires")
            missing = needs is not None and importlib.util.find_spec(needs) is None
            marks = pytest.mark.skip(reason=f"{needs} not present") if missing else ()
            yield pytest.param(conv, id=f"{path.stem}:{conv['name']}", marks=marks)


@pytest.fixture(scope="module")
def dns() -> Iterator[DnsTestServer]:
    server = start_dns_server()
    yield server
    server.stop()


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


class Player:
    """Plays one transcript against FedBot, remembering every question shown."""

    def __init__(self, conv: dict[str, Any], dns: DnsTestServer, tmp_path: Path) -> None:
        options = conv.get("settings", {})
        state = options.get("state", "memory")
        self.settings = dataclasses.replace(
            Settings(),
            home_domains=tuple(options.get("home_domains", ())),
            dns_servers=(dns.address,),
            dns_timeout=float(options.get("dns_timeout", 2.0)),
            state_url="memory://" if state == "memory" else f"sqlite:///{tmp_path}/state.db",
            conversation_ttl=3600.0,
        )
        self.user_email = options.get("user_email")
        self.clock = Clock()
        self.questions: list[Question] = []
        self.bot: FedBot | None = None

    async def open(self) -> FedBot:
        self.bot = await FedBot.create(self.settings, clock=self.clock)
        return self.bot

    async def turn(self, step: dict[str, Any]) -> list[Reply]:
        assert self.bot is not None
        self.clock.now += 1
        turn = Turn("test:transcript", "user-1", user_email=self.user_email)
        if "say" in step:
            turn = dataclasses.replace(turn, text=str(step["say"]) * int(step.get("repeat", 1)))
        elif "choose" in step:
            turn = dataclasses.replace(turn, payload=self._choose(step["choose"]))
        else:
            press = step["press"]
            payload = ChoicePayload(
                press["question"], press["value"], press.get("revision", 0), press.get("arg", "")
            )
            turn = dataclasses.replace(turn, payload=payload)
        replies = await self.bot.converse(turn)
        self.questions.extend(r for r in replies if isinstance(r, Question))
        return replies

    def _choose(self, spec: str | dict[str, str]) -> ChoicePayload:
        label = spec if isinstance(spec, str) else spec["label"]
        wanted = None if isinstance(spec, str) else spec["from"]
        question = next(
            q for q in reversed(self.questions) if wanted is None or q.question == wanted
        )
        names = [(c, f"{c.label}\n{c.detail}".lower()) for c in question.choices]
        exact = [c for c, n in names if label.lower() in n.split("\n")]
        matches = exact or [c for c, n in names if label.lower() in n]
        labels = [c.label for c in question.choices]
        assert len(matches) == 1, f"choose {label!r}: not exactly one of {labels}"
        return matches[0].payload


def _check(replies: list[Reply], expect: dict[str, Any], where: str) -> None:
    unknown = set(expect) - EXPECT_KEYS
    assert not unknown, f"{where}: unknown expect keys {unknown}"
    wording = load_knowledge("").wording
    text = "\n\n".join(render_text(r, wording) for r in replies)
    context = f"{where}\n--- replies ---\n{text}"
    # One message per step: folded, every step is at most one reply, and it says the same.
    folded = one_per_step(replies)
    assert len(folded) <= 1, context
    assert "\n\n".join(render_text(r, wording) for r in folded).split() == text.split(), context
    if "kinds" in expect:
        assert [type(r).__name__ for r in replies] == expect["kinds"], context
    if "question" in expect:
        asked = [r.question for r in replies if isinstance(r, Question)]
        assert (asked[-1] if asked else None) == expect["question"], context
    cards = [r for r in replies if isinstance(r, ResolutionCard)]
    if "cause" in expect:
        assert [c.cause_id for c in cards] == [expect["cause"]], context
    if "check" in expect or "codes" in expect:
        assert len(cards) == 1, context
        check = cards[0].check
        report = check.report if check else None
        status = report.status if report else "none"
        if "check" in expect:
            assert status == expect["check"], context
        codes = {f.code for r in (report.results if report else ()) for f in r.findings}
        assert set(expect.get("codes", ())) <= codes, f"{context}\ncodes: {codes}"
    if "escalation" in expect:
        assert any(isinstance(r, EscalationCard) for r in replies) == expect["escalation"], context
    for fragment in expect.get("contains", ()):
        assert fragment.lower() in text.lower(), f"missing {fragment!r} in {context}"
    for fragment in expect.get("absent", ()):
        assert fragment.lower() not in text.lower(), f"unexpected {fragment!r} in {context}"


@pytest.mark.parametrize("conv", list(_conversations()))
async def test_transcript(conv: dict[str, Any], dns: DnsTestServer, tmp_path: Path) -> None:
    player = Player(conv, dns, tmp_path)
    bot = await player.open()
    replies: list[Reply] = []
    try:
        for number, step in enumerate(conv["steps"], start=1):
            unknown = set(step) - STEP_KEYS
            assert not unknown, f"step {number}: unknown keys {unknown}"
            if step.get("reopen"):
                await bot.close()
                bot = await player.open()
                continue
            if "wait" in step:
                player.clock.now += float(step["wait"])
                continue
            asked = [r.question for r in replies if isinstance(r, Question)] if number > 1 else []
            if "only_if_asked" in step and (asked[-1:] != [step["only_if_asked"]]):
                _check(replies, step.get("expect", {}), f"{conv['name']}, step {number}: {step}")
                continue
            replies = await player.turn(step)
            _check(replies, step.get("expect", {}), f"{conv['name']}, step {number}: {step}")
    finally:
        await bot.close()


def test_every_cell_of_the_table_is_walked() -> None:
    """The transcripts reach every contact type × scope cell's first cause."""

    kb = load_knowledge("")
    reached = set()
    for param in _conversations():
        conv = param.values[0]
        labels: list[str] = []
        for step in conv["steps"]:
            if isinstance(step.get("choose"), str):
                labels.append(step["choose"].lower())
        for cell in kb.table:
            ct = next(o for o in kb.contact_types if o.id == cell.contact_type)
            sc = next(o for o in kb.scopes if o.id == cell.scope)
            causes = {s.get("expect", {}).get("cause") for s in conv["steps"] if "expect" in s}
            if (
                any(label in ct.label.lower() for label in labels)
                and any(label in sc.label.lower() for label in labels)
                and set(cell.causes) & causes
            ):
                reached.add((cell.contact_type, cell.scope))
    assert reached == {(c.contact_type, c.scope) for c in kb.table}

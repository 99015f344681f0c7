"""FedBot as the adapters drive it: real knowledge, real checker against a loopback DNS server,
real state stores. Concurrency, conflicts, commands, auto-replies and hostile input."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.service import FedBot, Turn, TurnKind, command_of
from bot.store import StateStoreError
from dialogs.replies import (
    CheckCard,
    ChoicePayload,
    Message,
    Question,
    ResolutionCard,
    TriageCard,
)
from tests.dnsserver import DnsTestServer, start_dns_server

ARTICLE_ERROR = (
    "This message was not delivered to joe@nosrv.example because the address is outside your "
    "organization and is not federated with your company, or the address is incorrect. Please "
    "contact your support team with this information."
)


@pytest.fixture(scope="module")
def dns() -> Iterator[DnsTestServer]:
    server = start_dns_server()
    yield server
    server.stop()


def settings_for(dns: DnsTestServer, **changes: object) -> Settings:
    base = Settings(dns_servers=(dns.address,), dns_timeout=2.0, state_url="memory://")
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
async def bot(dns: DnsTestServer) -> AsyncIterator[FedBot]:
    fedbot = await FedBot.create(settings_for(dns, home_domains=("contoso.example",)))
    yield fedbot
    await fedbot.close()


def turn(text: str | None = None, payload: ChoicePayload | None = None, conv: str = "t:1") -> Turn:
    return Turn(conv, "u1", text=text, payload=payload)


def last_question(replies: list[object]) -> Question:
    return next(r for r in reversed(replies) if isinstance(r, Question))


async def test_ready_and_welcome(bot: FedBot) -> None:
    assert await bot.ready() is True
    assert isinstance(bot.welcome()[0], Message) and "fedcheck" in bot.help()[0].text  # type: ignore[union-attr]


async def test_turns_of_one_conversation_are_serialised(bot: FedBot) -> None:
    first, second, third = await asyncio.gather(
        bot.converse(turn("hi")),
        bot.converse(turn("1")),
        bot.converse(turn("another organisation")),
    )
    assert last_question(first).question == "symptom"
    assert last_question(second).question == "contact_type"
    assert last_question(third).question == "scope"


async def test_conversations_are_independent(bot: FedBot) -> None:
    await bot.converse(turn("hi", conv="a"))
    await bot.converse(turn("1", conv="a"))
    replies = await bot.converse(turn("1", conv="b"))
    assert last_question(replies).question == "symptom"  # "b" starts fresh
    assert last_question(await bot.converse(turn("1", conv="a"))).question == "scope"


async def test_a_concurrent_write_from_another_process_is_reapplied_not_lost(
    tmp_path: Path,
) -> None:
    slow = start_dns_server(delay_ms=300)
    url = f"sqlite:///{tmp_path}/shared.db"
    try:
        a = await FedBot.create(
            settings_for(slow, state_url=url, home_domains=("contoso.example",))
        )
        b = await FedBot.create(settings_for(slow, state_url=url))
        for text in ("hi", "1", "another organisation"):
            await a.converse(turn(text))
        # A's "all" runs a slow DNS check; meanwhile B (another process) restarts the conversation.
        pending = asyncio.create_task(a.converse(turn("all")))
        await asyncio.sleep(0.1)
        restarted = await b.converse(turn("restart"))
        assert last_question(restarted).question == "symptom"
        replies = await pending
        # A re-applied its turn on top of B's write: "all" is no answer to the symptom question.
        assert last_question(replies).question == "symptom"
        assert not any(isinstance(r, ResolutionCard) for r in replies)
        with sqlite3.connect(f"{tmp_path}/shared.db") as db:
            (version,) = db.execute("SELECT version FROM conversation_state").fetchone()
        assert version == 5
        await a.close()
        await b.close()
    finally:
        slow.stop()


async def test_garbled_payloads_and_empty_text_get_clear_answers(bot: FedBot) -> None:
    await bot.converse(turn("hi"))
    replies = await bot.converse(turn(payload=ChoicePayload("zzz", "x" * 400, 77, "arg")))
    assert isinstance(replies[0], Message) and "earlier question" in replies[0].text
    assert last_question(replies).question == "symptom"
    assert isinstance((await bot.converse(turn("   ")))[0], Message)


async def test_a_40kb_paste_is_triaged_quickly(bot: FedBot) -> None:
    paste = ARTICLE_ERROR + "\n" + ("2026-01-01 INFO sip stack heartbeat ok\n" * 1100)
    assert len(paste) > 40_000
    started = time.perf_counter()
    replies = await bot.converse(turn(paste))
    assert time.perf_counter() - started < 1.0
    assert "recognise" in replies[0].text  # type: ignore[union-attr]
    assert last_question(replies).question == "contact_type"  # the symptom question is skipped


async def test_an_oversized_paste_is_cut_not_refused(bot: FedBot) -> None:
    replies = await bot.converse(turn(ARTICLE_ERROR + "x" * 500_000))
    assert last_question(replies).question == "contact_type"


async def test_garbage_state_row_starts_a_fresh_conversation(
    dns: DnsTestServer, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path}/g.db"
    fedbot = await FedBot.create(settings_for(dns, state_url=url))
    await fedbot.converse(turn("hi"))
    with sqlite3.connect(f"{tmp_path}/g.db") as db:
        db.execute("UPDATE conversation_state SET data = '[1, 2'")
    replies = await fedbot.converse(turn("1"))
    assert replies[0] == Message(fedbot.knowledge.message("intro"))  # a fresh opening
    assert last_question(replies).question == "symptom"
    await fedbot.close()


async def test_unknown_state_url_fails_at_start(dns: DnsTestServer) -> None:
    with pytest.raises(StateStoreError):
        await FedBot.create(settings_for(dns, state_url="redis://127.0.0.1"))


# --- fedcheck ------------------------------------------------------------------------------------


async def test_fedcheck_one_domain(bot: FedBot) -> None:
    (card,) = await bot.fedcheck("nosrv.example")
    assert isinstance(card, CheckCard)
    assert card.report.status == "problem" and card.report.results[0].domain == "nosrv.example"
    assert card.start is not None and card.start.payload.question == "start"
    assert card.start.payload.arg == "nosrv.example"


async def test_fedcheck_pair(bot: FedBot) -> None:
    (card,) = await bot.fedcheck("joe@contoso.example, gcchigh.example")
    assert isinstance(card, CheckCard) and card.report.pair is not None
    assert [r.domain for r in card.report.results] == ["contoso.example", "gcchigh.example"]


async def test_fedcheck_without_arguments_checks_the_home_domain(dns: DnsTestServer) -> None:
    fedbot = await FedBot.create(settings_for(dns))
    (usage,) = await fedbot.fedcheck("")
    assert isinstance(usage, Message) and "Usage" in usage.text
    (card,) = await fedbot.fedcheck("", user_email="ann@Contoso.Example")
    assert isinstance(card, CheckCard) and card.report.results[0].domain == "contoso.example"
    await fedbot.close()


@pytest.mark.parametrize("args", ["help", "HELP"])
async def test_fedcheck_help(bot: FedBot, args: str) -> None:
    (usage,) = await bot.fedcheck(args)
    assert isinstance(usage, Message) and "Usage" in usage.text


@pytest.mark.parametrize("args", ["192.168.0.1", "localhost", "a" * 300 + ".com", "x..y"])
async def test_fedcheck_invalid_input_says_why(bot: FedBot, args: str) -> None:
    replies = await bot.fedcheck(args)
    assert len(replies) == 1 and isinstance(replies[0], Message)
    assert "can't check" in replies[0].text


async def test_fedcheck_too_many(bot: FedBot) -> None:
    replies = await bot.fedcheck("a.com b.com c.com")
    assert "not 3" in replies[0].text  # type: ignore[union-attr]


async def test_typed_fedcheck_in_a_conversation(bot: FedBot) -> None:
    (card,) = await bot.converse(turn("/fedcheck contoso.example"))
    assert isinstance(card, CheckCard) and card.report.status == "ok"


# --- auto-replies ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "chatter",
    [
        "Does anyone know if Teams federation needs DNS changes?",
        "Skype for Business Online will be retired on July 31, 2021",
        "",
        "x" * 50_000,
    ],
)
async def test_auto_reply_stays_silent_on_chatter(bot: FedBot, chatter: str) -> None:
    assert await bot.auto_reply(chatter) is None


async def test_auto_reply_to_a_pasted_error_with_live_check(bot: FedBot) -> None:
    card = await bot.auto_reply("> " + ARTICLE_ERROR)
    assert card is not None and card.likely_causes
    assert all(title for _, title in card.likely_causes)
    assert card.check is not None and card.check.report is not None
    assert card.check.report.results[0].domain == "nosrv.example"
    assert card.check.report.status == "problem"
    assert card.start is not None
    assert card.start.payload == ChoicePayload("start", card.signature_id, 0, "joe@nosrv.example")
    # pressing it starts a conversation pre-filled from the error
    replies = await bot.converse(turn(payload=card.start.payload, conv="thread"))
    assert last_question(replies).question == "contact_type"
    replies = await bot.converse(turn("another organisation", conv="thread"))
    assert last_question(replies).question == "scope"
    replies = await bot.converse(turn("several", conv="thread"))
    (resolution,) = [r for r in replies if isinstance(r, ResolutionCard)]
    assert resolution.cause_id == "domain_permissions"
    assert resolution.check is not None and resolution.check.report is not None
    assert resolution.check.report.results[0].domain == "nosrv.example"


# --- the rules of handle(): the same for every platform -----------------------------------------


def channel(text: str, conv: str, kind: TurnKind = TurnKind.CHANNEL, **extra: object) -> Turn:
    return Turn(conv, "u1", text=text, kind=kind, **extra)  # type: ignore[arg-type]


async def test_auto_reply_once_per_thread_and_released_when_undelivered(bot: FedBot) -> None:
    first = await bot.handle(channel(ARTICLE_ERROR, "slack:T:C:1"))
    assert len(first) == 1 and isinstance(first[0], TriageCard)
    assert await bot.handle(channel(ARTICLE_ERROR, "slack:T:C:1")) == []
    await bot.undelivered(channel(ARTICLE_ERROR, "slack:T:C:1"))
    assert len(await bot.handle(channel(ARTICLE_ERROR, "slack:T:C:1"))) == 1


async def test_a_thread_taken_by_a_conversation_gets_no_auto_reply(bot: FedBot) -> None:
    started = await bot.handle(channel("hi", "teams:c;messageid=9", TurnKind.MENTION))
    assert isinstance(started[-1], Question)
    assert await bot.handle(channel(ARTICLE_ERROR, "teams:c;messageid=9")) == []


async def test_a_thread_with_a_stored_conversation_is_taken_after_a_restart(
    dns: DnsTestServer,
) -> None:
    settings = settings_for(dns, home_domains=("contoso.example",))
    first = await FedBot.create(settings)
    await first.handle(channel("hi", "slack:T:C:7", TurnKind.MENTION))
    # a new process: its claims are empty, the conversation is in the (shared) state store
    second = await FedBot.create(settings, store=first.store)
    assert await second.handle(channel(ARTICLE_ERROR, "slack:T:C:7")) == []
    await first.close()


async def test_chatter_and_bots_get_silence(bot: FedBot) -> None:
    assert await bot.handle(channel("lunch anyone?", "slack:T:C:2")) == []
    assert await bot.handle(channel(ARTICLE_ERROR, "slack:T:C:3", from_bot=True)) == []
    assert await bot.handle(channel("hi", "d:1", TurnKind.DIRECT, from_bot=True)) == []
    # chatter claims nothing: a later paste in the same thread is still answered
    assert len(await bot.handle(channel(ARTICLE_ERROR, "slack:T:C:2"))) == 1


async def test_commands_are_recognised_in_one_place(bot: FedBot) -> None:
    assert [command_of(bot.knowledge, t) for t in ("help", "/fedcheck a.example", "restart")] == [
        "help",
        "fedcheck",
        "restart",
    ]
    assert command_of(bot.knowledge, "cancel") == "cancel"
    assert command_of(bot.knowledge, "our users cannot chat") is None
    (usage,) = await bot.handle(channel("help", "s:1", TurnKind.COMMAND))
    assert "fedcheck" in usage.text  # type: ignore[union-attr]
    (card,) = await bot.handle(channel("", "s:1", TurnKind.COMMAND))  # home domain configured
    assert isinstance(card, CheckCard) and "contoso.example" in str(card)


async def test_profile_email_is_fetched_only_when_no_home_domain(dns: DnsTestServer) -> None:
    calls: list[str] = []

    async def lookup() -> str | None:
        calls.append("asked")
        return "adele@contoso.example"

    plain = await FedBot.create(settings_for(dns))
    configured = await FedBot.create(settings_for(dns, home_domains=("fabrikam.example",)))
    try:
        (card,) = await plain.handle(channel("", "s:2", TurnKind.COMMAND, email_lookup=lookup))
        assert isinstance(card, CheckCard) and "contoso.example" in str(card)
        assert calls == ["asked"]
        await configured.handle(channel("", "s:3", TurnKind.COMMAND, email_lookup=lookup))
        assert calls == ["asked"]
    finally:
        await plain.close()
        await configured.close()


async def test_progress_is_shown_only_while_a_check_is_slow(dns: DnsTestServer) -> None:
    shown: list[str] = []

    async def progress(message: Message) -> None:
        shown.append(message.text)

    fedbot = await FedBot.create(settings_for(dns, dns_timeout=3.0))
    try:
        dns.delay_ms = 700
        turn = Turn("s:p", "u1", text="slow.example", kind=TurnKind.COMMAND, progress=progress)
        (card,) = await fedbot.handle(turn)
        assert isinstance(card, CheckCard)
        assert len(shown) == 1 and "slow.example" in shown[0]
        dns.delay_ms = 0
        await fedbot.handle(turn)  # answered from the cache at once: nothing extra shown
        assert len(shown) == 1
    finally:
        dns.delay_ms = 0
        await fedbot.close()

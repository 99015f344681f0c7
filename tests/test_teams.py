"""The Teams adapter over real HTTP: activities POSTed to the real application's /api/messages,
replies and card updates recorded by a loopback Bot Connector, live checks against the loopback
DNS server."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.teams import AUTH_KEY
from adapters.teams.activity_serializer import FastBody
from bot.config import Settings
from bot.service import FedBot
from knowledge.model import Knowledge
from tests.dnsserver import DnsTestServer
from tests.teams_harness import BOT_ID, FakeConnector, RunningApp, Sent, activity, run_app

SIP_403 = (
    'ms-diagnostics: 1003;reason="User does not exist"\n'
    "SIP/2.0 403 Forbidden: The domain fabrikam.example is not in the allowed list of partners"
)
PASTED = (
    "We can't set up the conversation because your organizations are not set up to talk to each "
    "other. (joe@contoso.example)"
)


class Env:
    def __init__(self, app: RunningApp, connector: FakeConnector, bot: FedBot) -> None:
        self.app = app
        self.connector = connector
        self.bot = bot

    @property
    def kb(self) -> Knowledge:
        return self.bot.knowledge

    async def send(self, **kwargs: Any) -> list[Sent]:
        """POST one activity; the replies (and updates) it produced."""
        before = len(self.connector.sent)
        status, body = await self.app.post(activity(self.connector.url, **kwargs))
        assert status in (200, 201), body
        return self.connector.sent[before:]


@pytest.fixture
async def env(dns_server: DnsTestServer) -> AsyncIterator[Env]:
    settings = Settings(dns_servers=(dns_server.address,), state_url="memory://", dns_timeout=2.0)
    bot = await FedBot.create(settings)
    connector = await FakeConnector().start()
    app = await run_app(bot, settings)
    yield Env(app, connector, bot)
    await app.stop()
    await connector.stop()
    await bot.close()


def _last_question_buttons(sent: list[Sent]) -> list[tuple[str, dict[str, Any]]]:
    for s in reversed(sent):
        if s.method == "POST" and s.buttons():
            return s.buttons()
    return []


async def _press(env: Env, sent: list[Sent], value: str, **kwargs: Any) -> list[Sent]:
    """Press the button whose payload value is ``value`` on the last card that has buttons."""
    for s in reversed(sent):
        for _title, data in s.buttons() if s.method == "POST" else ():
            if data["v"] == value:
                return await env.send(value=data, reply_to_id=s.id, **kwargs)
    raise AssertionError(f"no button {value!r} in {[b for x in sent for b in x.buttons()]}")


async def test_every_table_cell_through_button_presses(env: Env) -> None:
    kb = env.kb
    for contact_type in kb.contact_types:
        for scope in kb.scopes:
            conversation = f"a:cell-{contact_type.id}-{scope.id}"
            sent = await env.send(text="hi", conversation=conversation)
            sent = await _press(env, sent, "im_not_delivered", conversation=conversation)
            sent = await _press(env, sent, contact_type.id, conversation=conversation)
            sent = await _press(env, sent, scope.id, conversation=conversation)
            for _ in range(3):  # domain questions on the way: skip them
                if not [b for b in _last_question_buttons(sent) if b[1]["v"] == "skip"]:
                    break
                sent = await _press(env, sent, "skip", conversation=conversation)
            cause = kb.causes[kb.cell(contact_type.id, scope.id).causes[0]]
            texts = "\n".join(s.text for s in sent)
            assert cause.title in texts, (contact_type.id, scope.id, texts[:500])
            # Every press updated the card it came from: its buttons are gone.
            updates = [s for s in env.connector.updates() if s.conversation == conversation]
            assert len(updates) >= 3
            assert all(not u.buttons() for u in updates)


async def test_old_buttons_cannot_fork_the_conversation(env: Env) -> None:
    conversation = "a:fork"
    first = await env.send(text="hi", conversation=conversation)
    await _press(env, first, "im_not_delivered", conversation=conversation)
    # Press another button of the same (already answered) card.
    replay = await _press(env, first, "presence_unknown", conversation=conversation)
    assert not [s for s in replay if s.method == "PUT"], "an answered card is not updated again"
    texts = "\n".join(s.text for s in replay)
    assert env.kb.message("stale").split(".")[0] in texts


async def test_welcome_when_the_bot_is_added(env: Env) -> None:
    sent = await env.send(type="conversationUpdate", members_added=[BOT_ID])
    assert len(sent) >= 1
    assert "fedbot" in sent[0].text
    assert not await env.send(type="conversationUpdate", members_added=["29:someone-else"])


async def test_a_redelivered_welcome_is_sent_once(env: Env) -> None:
    """The bot's arrival is recorded like a message: Teams' redelivery of the same
    conversationUpdate (same id) does not welcome twice."""
    body = activity(
        env.connector.url,
        type="conversationUpdate",
        members_added=[BOT_ID],
        conversation="a:welcome-twice",
    )
    for _ in range(2):
        status, text = await env.app.post(body)
        assert status in (200, 201), text
    welcomes = [s for s in env.connector.sent if s.conversation == "a:welcome-twice"]
    assert len(welcomes) == 1
    assert "fedbot" in welcomes[0].text


async def test_fedcheck_and_help_commands_also_after_a_mention(env: Env) -> None:
    sent = await env.send(text="fedcheck contoso.example")
    assert "contoso.example" in sent[0].text
    assert "sipfed.online.lync.com" in sent[0].text
    channel = "19:general@thread.tacv2;messageid=555"
    sent = await env.send(
        text="fedcheck contoso.example",
        mention=True,
        conversation=channel,
        conversation_type="channel",
    )
    assert sent and sent[0].conversation == channel
    assert "sipfed.online.lync.com" in sent[0].text
    sent = await env.send(
        text="help", mention=True, conversation=channel, conversation_type="channel"
    )
    assert "fedcheck" in sent[0].text


async def test_pasted_error_in_a_channel_is_answered_once_in_its_thread(env: Env) -> None:
    root = "19:support@thread.tacv2;messageid=1001"
    sent = await env.send(text=PASTED, conversation=root, conversation_type="channel")
    assert len(sent) == 1 and sent[0].conversation == root
    card_text = sent[0].text
    assert "contoso.example" in card_text
    assert [b for b in sent[0].buttons() if b[1]["q"] == "start"], "a button starts the dialog"
    # Same thread again (another paste, or a retry): no second auto-reply.
    assert await env.send(text=PASTED, conversation=root, conversation_type="channel") == []
    assert await env.send(text=SIP_403, conversation=root, conversation_type="channel") == []
    # Another thread gets its own answer, concurrently pasted twice still once.
    other = "19:support@thread.tacv2;messageid=2002"
    results = await asyncio.gather(
        *(
            env.app.post(
                activity(
                    env.connector.url, text=PASTED, conversation=other, conversation_type="channel"
                )
            )
            for _ in range(3)
        )
    )
    assert all(status == 201 for status, _ in results)
    assert len(env.connector.posts(other)) == 1


async def test_pasted_error_with_a_mention_drives_the_dialog_in_the_thread(env: Env) -> None:
    root = "19:support@thread.tacv2;messageid=3003"
    sent = await env.send(text=PASTED, mention=True, conversation=root, conversation_type="channel")
    assert sent and all(s.conversation == root for s in sent)
    # The dialog answered: no separate auto-reply for a later paste in the same thread.
    assert await env.send(text=PASTED, conversation=root, conversation_type="channel") == []
    # The start button of an auto-reply leads into the conversation in that thread.
    root2 = "19:support@thread.tacv2;messageid=4004"
    (auto,) = await env.send(text=PASTED, conversation=root2, conversation_type="channel")
    start = next(data for _t, data in auto.buttons() if data["q"] == "start")
    sent = await env.send(value=start, conversation=root2, conversation_type="channel")
    assert sent and all(s.conversation == root2 for s in sent)


async def test_channel_post_without_thread_mark_is_answered_in_its_own_thread(env: Env) -> None:
    body = activity(
        env.connector.url,
        text=PASTED,
        conversation="19:x@thread.tacv2",
        conversation_type="channel",
    )
    status, _ = await env.app.post(body)
    assert status == 201
    assert [s.conversation for s in env.connector.sent] == [
        f"19:x@thread.tacv2;messageid={body['id']}"
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Does anyone know when the Teams federation migration is scheduled?",
        "lunch at 12? DNS team is buying",
        "Skype for Business is retired, right?",
        "",
    ],
)
async def test_channel_chatter_gets_no_reply(env: Env, text: str) -> None:
    root = "19:support@thread.tacv2;messageid=777"
    assert await env.send(text=text, conversation=root, conversation_type="channel") == []


async def test_never_replies_to_bots_or_itself(env: Env) -> None:
    root = "19:support@thread.tacv2;messageid=888"
    assert (
        await env.send(text=PASTED, conversation=root, conversation_type="channel", role="bot")
        == []
    )
    assert (
        await env.send(text=PASTED, conversation=root, conversation_type="channel", user=BOT_ID)
        == []
    )
    assert await env.send(text="hi", role="bot") == []


async def test_home_domain_from_the_teams_profile_cached_per_user(env: Env) -> None:
    env.connector.members["29:user-1"] = {
        "id": "29:user-1",
        "name": "Adele",
        "email": "adele@contoso.example",
        "userPrincipalName": "adele@contoso.example",
    }
    await env.send(text="hi", conversation="a:p1")
    assert env.connector.member_calls == 0  # asked only when the home domain is needed
    first = await env.send(text="fedcheck", conversation="a:p1")
    second = await env.send(text="fedcheck", conversation="a:p1")
    assert env.connector.member_calls == 1
    assert all("contoso.example" in json.dumps(s.body) for s in (*first, *second))
    # A user without a profile: the lookup fails, the turn still works.
    sent = await env.send(text="hi", user="29:ghost", conversation="a:p2")
    assert sent


@pytest.mark.parametrize(
    "value",
    [
        {"fedbot": 1, "q": "symptom", "v": "no_such_symptom", "r": 99},
        {"fedbot": 1, "q": 5},
        {"something": "else"},
        "just a string",
        [1, 2, 3],
    ],
)
async def test_unknown_card_payloads_get_a_clear_answer(env: Env, value: Any) -> None:
    await env.send(text="hi", conversation="a:garbled")
    sent = await env.send(value=value, conversation="a:garbled")
    assert sent, "the user is not left without an answer"
    assert all("Traceback" not in s.text for s in sent)


@pytest.mark.parametrize(
    ("raw", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b'{"text": "no type"}', "application/json", 400),
        (b'{"type": "message"}', "application/json", 400),
        (
            b'{"type": "message", "conversation": {"id": "x"}, "serviceUrl": "ftp://x"}',
            "application/json",
            400,
        ),
        (b"\xff\xfe", "application/json", 400),
        (b"type=message", "application/x-www-form-urlencoded", 415),
        (b"{}", "text/plain", 415),
        (b"{}", "", 415),
        (b"{" + b" " * (300 * 1024) + b"}", "application/json", 413),
    ],
)
async def test_bad_requests_get_4xx(env: Env, raw: bytes, content_type: str, status: int) -> None:
    got, body = await env.app.post(None, raw=raw, content_type=content_type)
    assert got == status, body
    assert "Traceback" not in body
    assert env.connector.sent == []


async def test_a_40kb_paste_is_answered_without_error(env: Env) -> None:
    text = ("log line without anything interesting\n" * 1100)[:40_000] + PASTED
    root = "19:support@thread.tacv2;messageid=40000"
    sent = await env.send(text=text, conversation=root, conversation_type="channel")
    assert len(sent) <= 1
    for s in sent:
        assert len(json.dumps(s.body)) < 40 * 1024


async def test_connector_429_and_5xx_are_retried(env: Env) -> None:
    env.connector.fail_next = [429, 502, 503]
    sent = await env.send(text="fedcheck contoso.example")
    assert len(sent) == 1 and "contoso.example" in sent[0].text


async def test_a_failing_turn_gets_an_apology_and_a_logged_error(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    env.connector.fail_next = [400]  # the connector refuses the reply: the turn fails
    with caplog.at_level(logging.ERROR):
        sent = await env.send(text="fedcheck contoso.example", conversation="a:broken")
    assert len(sent) == 1
    assert sent[0].text == env.kb.message("error.apology")
    assert "Traceback" not in json.dumps(sent[0].body)
    assert any("a:broken" in r.getMessage() for r in caplog.records)


async def test_connector_clients_are_built_once_per_service_url_and_sped_up(env: Env) -> None:
    """The connector-client cache and the serializer fast path of adapters.teams.connector are
    in use: several turns from one service URL share one prepared client (without the cache,
    every turn built a new one and this dict stayed empty)."""
    auth = env.app.runner.app[AUTH_KEY]
    for n, conversation in enumerate(("a:c1", "a:c2", "a:c1")):
        assert await env.send(text=f"hi {n}", conversation=conversation)
    assert len(auth.connectors) == 1
    ((key, client),) = auth.connectors.items()
    assert key[1].rstrip("/") == env.connector.url.rstrip("/")
    assert isinstance(client._serialize.body, FastBody)
    assert await env.send(text="hi again", conversation="a:c3")
    assert next(iter(auth.connectors.values())) is client


async def test_a_slow_check_shows_typing_before_the_answer(
    env: Env, dns_server: DnsTestServer
) -> None:
    dns_server.delay_ms = 800
    try:
        sent = await env.send(text="fedcheck slowcheck.example", conversation="a:typing")
    finally:
        dns_server.delay_ms = 0
    kinds = [s.body.get("type") for s in sent if s.method == "POST"]
    assert kinds == ["typing", "message"], kinds
    fast = await env.send(text="fedcheck slowcheck.example", conversation="a:typing")
    assert [s.body.get("type") for s in fast] == ["message"]  # cached: no typing needed


async def test_typing_answered_with_an_empty_202_is_sent_without_a_warning(
    env: Env, dns_server: DnsTestServer, caplog: pytest.LogCaptureFixture
) -> None:
    """The Agents Playground answers a typing activity 202 with no body and no content type;
    msrest's aiohttp response took that empty body for "Body is not available"."""
    env.connector.typing_empty = True
    dns_server.delay_ms = 800
    try:
        with caplog.at_level(logging.WARNING):
            sent = await env.send(text="fedcheck emptytyping.example", conversation="a:typing2")
    finally:
        dns_server.delay_ms = 0
    assert [s.body.get("type") for s in sent] == ["typing", "message"]
    assert "emptytyping.example" in sent[1].text
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_one_message_per_step_and_answered_cards_keep_their_text(env: Env) -> None:
    (first,) = await env.send(text="hi", conversation="a:one-message")
    intro = "quick questions"  # the first message of the conversation, before its question
    assert intro in first.text and first.buttons()  # the step's text, question and buttons
    sent = await _press(env, [first], first.buttons()[0][1]["v"], conversation="a:one-message")
    updates = [s for s in sent if s.method == "PUT"]
    posts = [s for s in sent if s.method == "POST"]
    assert len(updates) == 1 and len(posts) == 1  # the answered card, then one next step
    assert intro in updates[0].text and not updates[0].buttons()

"""Slack end to end: the real application (bot.server.build_app with the real FedBot) over real
HTTP, really signed requests, a loopback fake Slack Web API (SLACK_API_URL) that records every
call and serves ``response_url``s, and a loopback DNS server serving the fixture zones."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from test_slack_helpers import FakeSlack, assert_valid_message, form, interaction, sign

from adapters.slack import ADAPTER_KEY
from adapters.slack.app import WEB_API_SCOPES, SlackAdapter
from adapters.slack.blocks import MAX_BUTTON_LABEL, decode_payload, mrkdwn
from bot.config import Settings
from bot.server import build_app
from bot.service import FedBot
from dialogs.replies import ChoicePayload
from tests.dnsserver import DnsTestServer, start_dns_server

SECRET = "test-signing-secret"
TEAM = FakeSlack.TEAM
BOT = FakeSlack.BOT_USER
PASTED = (
    "This message was not delivered to joe@contoso.example because the address is outside your "
    "organization and is not federated with your company, or the address is incorrect. Please "
    "contact your support team with this information."
)
NO_OR_SKIP = {
    ("fixed", "no"),
    ("home_domain", "skip"),
    ("external_domain", "skip"),
    ("contact_address", "skip"),
}
DOMAIN_QUESTIONS = {"home_domain": "contoso.example", "external_domain": "joe@contoso.example"}


@dataclass
class Slack:
    """The running application and its surroundings."""

    url: str
    fake: FakeSlack
    dns: DnsTestServer
    bot: FedBot
    http: aiohttp.ClientSession
    adapter: SlackAdapter
    counter: int = 0

    async def drain(self) -> None:
        """Wait until the adapter has finished every piece of work it acknowledged."""
        assert await self.adapter.drain(timeout=30), "adapter work still in flight after 30 s"

    def next_id(self) -> str:
        self.counter += 1
        return str(self.counter)

    async def post(
        self,
        body: str,
        content_type: str = "application/x-www-form-urlencoded",
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str, float]:
        signed = sign(SECRET, body) if headers is None else headers
        hdrs = {"Content-Type": content_type, **signed}
        started = time.monotonic()
        async with self.http.post(f"{self.url}/slack/events", data=body, headers=hdrs) as resp:
            text = await resp.text()
            return resp.status, text, time.monotonic() - started

    async def command(self, text: str, user: str = "U1", channel: str = "C1") -> tuple[str, float]:
        hook = f"cmd{self.next_id()}"
        body = form(
            token="x",
            team_id=TEAM,
            team_domain="contoso",
            channel_id=channel,
            channel_name="support",
            user_id=user,
            user_name="joe",
            command="/fedcheck",
            text=text,
            api_app_id="A1",
            response_url=self.fake.response_url(hook),
            trigger_id="1.2.3",
        )
        status, _, elapsed = await self.post(body)
        assert status == 200
        return hook, elapsed

    def event_body(self, event: dict[str, Any], event_id: str | None = None) -> str:
        return json.dumps(
            {
                "token": "x",
                "team_id": TEAM,
                "api_app_id": "A1",
                "type": "event_callback",
                "event_id": event_id or f"Ev{self.next_id()}",
                "event_time": int(time.time()),
                "event": event,
                "authorizations": [{"team_id": TEAM, "user_id": BOT, "is_bot": True}],
            }
        )

    async def event(
        self, event: dict[str, Any], event_id: str | None = None, retry: int | None = None
    ) -> int:
        body = self.event_body(event, event_id)
        headers = sign(SECRET, body)
        if retry is not None:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        status, _, _ = await self.post(body, "application/json", headers)
        return status

    def message(
        self, text: str, channel: str = "C1", user: str = "U1", **extra: Any
    ) -> dict[str, Any]:
        ts = f"{1700000000 + int(self.next_id())}.000100"
        kind = "im" if channel.startswith("D") else "channel"
        return {
            "type": "message",
            "channel": channel,
            "user": user,
            "text": text,
            "ts": ts,
            "channel_type": kind,
            **extra,
        }

    async def press(
        self, post: dict[str, Any], button: dict[str, Any], block_id: str, user: str = "U1"
    ) -> int:
        hook = f"press{self.next_id()}"
        message = {
            "type": "message",
            "ts": post["_ts"],
            "text": post.get("text", ""),
            "blocks": post["blocks"],
        }
        container: dict[str, Any] = {
            "type": "message",
            "message_ts": post["_ts"],
            "channel_id": post["channel"],
            "is_ephemeral": False,
        }
        if post.get("thread_ts"):
            message["thread_ts"] = post["thread_ts"]
            container["thread_ts"] = post["thread_ts"]
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM, "domain": "contoso"},
            "user": {"id": user, "name": "joe"},
            "api_app_id": "A1",
            "token": "x",
            "trigger_id": "1.2.3",
            "container": container,
            "channel": {"id": post["channel"], "name": "support"},
            "message": message,
            "response_url": self.fake.response_url(hook),
            "actions": [{**button, "block_id": block_id, "type": "button", "action_ts": "1"}],
        }
        status, _, _ = await self.post(interaction(payload))
        return status

    def all_sent(self) -> Iterator[dict[str, Any]]:
        """Every message the bot sent: Web API posts and response_url bodies."""
        yield from self.fake.posted()
        for bodies in self.fake.responses.values():
            yield from bodies


def buttons(post: dict[str, Any]) -> list[tuple[str, dict[str, Any], ChoicePayload]]:
    found = []
    for block in post.get("blocks") or []:
        if block["type"] == "actions":
            for element in block["elements"]:
                payload = decode_payload(element["value"])
                assert payload is not None
                found.append((block["block_id"], element, payload))
    return found


@pytest.fixture
def dns() -> Iterator[DnsTestServer]:
    server = start_dns_server()
    yield server
    server.stop()


async def _start(dns: DnsTestServer, **overrides: Any) -> AsyncIterator[Slack]:
    fake = await FakeSlack().start()
    settings = Settings(
        dns_servers=(dns.address,),
        dns_timeout=1.0,
        state_url="memory://",
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_api_url=fake.api_url,
    )
    settings = replace(settings, **overrides)
    bot = await FedBot.create(settings)
    app, lines = build_app(bot, settings)
    assert any(line.startswith("slack: on") for line in lines), lines
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    async with aiohttp.ClientSession() as http:
        yield Slack(f"http://127.0.0.1:{port}", fake, dns, bot, http, app[ADAPTER_KEY])
    await runner.cleanup()
    await bot.close()
    await fake.close()


@pytest.fixture
async def slack(dns: DnsTestServer) -> AsyncIterator[Slack]:
    async for running in _start(dns):
        yield running


@pytest.fixture
async def slack_home(dns: DnsTestServer) -> AsyncIterator[Slack]:
    async for running in _start(dns, home_domains=("contoso.example",)):
        yield running


def _assert_all_valid(slack: Slack) -> None:
    for sent in slack.all_sent():
        if "blocks" in sent:
            assert_valid_message(sent)
    for method in slack.fake.calls:
        assert method.split("#")[0] in WEB_API_SCOPES, f"{method} is not in the scope table"


# ------------------------------------------------------------------ mounting


def test_mount_says_why_slack_is_off() -> None:
    from adapters import slack as slack_adapter

    app = web.Application()
    line = slack_adapter.mount(app, None, Settings(slack_bot_token="xoxb-1"))  # type: ignore[arg-type]
    assert "off" in line and "SLACK_SIGNING_SECRET" in line
    line = slack_adapter.mount(app, None, Settings(slack_signing_secret="s"))  # type: ignore[arg-type]
    assert "off" in line and "SLACK_BOT_TOKEN" in line
    line = slack_adapter.mount(app, None, Settings(slack_bot_token="x", slack_app_token="xoxb"))  # type: ignore[arg-type]
    assert "off" in line and "SLACK_APP_TOKEN" in line
    assert not [r for r in app.router.routes() if r.resource and "/slack" in r.resource.canonical]


# ------------------------------------------------------------------ /fedcheck


async def test_fedcheck_posts_the_report_through_response_url(slack: Slack) -> None:
    hook, elapsed = await slack.command("contoso.example")
    assert elapsed < 1.0
    await slack.fake.wait_for(lambda: slack.fake.responses.get(hook))
    (answer,) = slack.fake.responses[hook]
    assert answer["response_type"] == "in_channel"
    text = json.dumps(answer["blocks"])
    assert "contoso.example" in text and "sipfed.online.lync.com" in text
    assert [p.question for _, _, p in buttons(answer)] == ["start"]
    _assert_all_valid(slack)


async def test_fedcheck_pair_address_help_and_invalid(slack: Slack) -> None:
    pair, _ = await slack.command("joe@contoso.example gcchigh.example")
    help_hook, _ = await slack.command("help")
    bad, _ = await slack.command("not a domain at all ..")
    single, _ = await slack.command("192.0.2.1")
    for hook in (pair, help_hook, bad, single):
        await slack.fake.wait_for(lambda h=hook: slack.fake.responses.get(h))
    assert "gcchigh.example" in json.dumps(slack.fake.responses[pair][0]["blocks"])
    for hook in (help_hook, bad, single):
        assert all(r["response_type"] == "ephemeral" for r in slack.fake.responses[hook])
    assert "/fedcheck" in json.dumps(slack.fake.responses[help_hook]) or "fedcheck" in json.dumps(
        slack.fake.responses[help_hook]
    )
    _assert_all_valid(slack)


async def test_fedcheck_alone_uses_the_profile_email_domain(slack: Slack) -> None:
    slack.fake.emails["U7"] = "ann@contoso.example"
    hook, _ = await slack.command("", user="U7")
    await slack.fake.wait_for(lambda: slack.fake.responses.get(hook))
    assert "contoso.example" in json.dumps(slack.fake.responses[hook][0]["blocks"])
    assert [c["user"] for c in slack.fake.calls["users.info"]] == ["U7"]
    # no e-mail in the profile: usage help, ephemeral
    hook, _ = await slack.command("", user="U8")
    await slack.fake.wait_for(lambda: slack.fake.responses.get(hook))
    assert slack.fake.responses[hook][0]["response_type"] == "ephemeral"


async def test_fedcheck_ack_is_immediate_while_dns_never_answers(slack: Slack) -> None:
    hooks = []
    for _ in range(3):
        hook, elapsed = await slack.command("timeout.example")
        assert elapsed < 1.0, elapsed  # Slack needs the ack within 3 s
        hooks.append(hook)
    await slack.drain()
    for hook in hooks:
        # at once an ephemeral "checking timeout.example…", then the report for the channel
        checking, result = slack.fake.responses[hook]
        assert checking["response_type"] == "ephemeral" and "timeout.example" in checking["text"]
        assert "timeout.example" in json.dumps(result)
        assert result["response_type"] == "in_channel"
    report = slack.fake.responses[hooks[0]][1]["text"]
    assert slack.bot.knowledge.message("render.status.dns_error") in report


# ------------------------------------------------------------------ auto-replies


async def test_pasted_error_gets_one_threaded_reply_even_under_retries(slack: Slack) -> None:
    event = slack.message(PASTED)
    assert await slack.event(event, event_id="EvPaste") == 200
    for retry in (1, 2, 3):
        assert await slack.event(event, event_id="EvPaste", retry=retry) == 200
    await slack.fake.wait_for(lambda: slack.fake.posted("C1"))
    await slack.drain()
    (reply,) = slack.fake.posted("C1")
    assert reply["thread_ts"] == event["ts"]
    text = json.dumps(reply["blocks"])
    assert "contoso.example" in text
    assert [p.question for _, _, p in buttons(reply)] == ["start"]
    # a second recognised error in the same thread: no second auto-reply
    again = slack.message(PASTED, thread_ts=event["ts"])
    assert await slack.event(again) == 200
    await slack.drain()
    assert len(slack.fake.posted("C1")) == 1
    _assert_all_valid(slack)


async def test_pasted_error_in_a_thread_taken_by_a_conversation_gets_no_auto_reply(
    slack: Slack,
) -> None:
    """The bug of issue 7: a thread where the bot was @mentioned has a conversation running;
    a pasted error there is part of it, not a fresh channel message to auto-reply to."""
    root = "1700000500.000100"
    mention = {"type": "app_mention", "channel": "C7", "user": "U1", "text": f"<@{BOT}> hi"}
    assert await slack.event({**mention, "ts": root}) == 200
    await slack.drain()
    assert len(slack.fake.posted("C7")) == 1  # the conversation's first question
    assert await slack.event(slack.message(PASTED, channel="C7", thread_ts=root)) == 200
    await slack.drain()
    assert len(slack.fake.posted("C7")) == 1  # no automatic triage card in a taken thread
    # another thread of the same channel still gets its auto-reply
    assert await slack.event(slack.message(PASTED, channel="C7")) == 200
    await slack.drain()
    assert len(slack.fake.posted("C7")) == 2


async def test_concurrent_duplicates_in_flight_give_one_reply(slack: Slack) -> None:
    event = slack.message(PASTED, channel="C2")
    statuses = await asyncio.gather(
        *(slack.event(event, event_id="EvDup", retry=i or None) for i in range(4))
    )
    assert statuses == [200] * 4
    await slack.fake.wait_for(lambda: slack.fake.posted("C2"))
    await slack.drain()
    assert len(slack.fake.posted("C2")) == 1


async def test_chatter_bots_edits_and_own_messages_get_no_reply(slack: Slack) -> None:
    quiet = [
        slack.message("Skype for Business Online will be retired on July 31, 2021."),
        slack.message("Does anyone know if we need DNS records for Teams federation?"),
        slack.message(PASTED, bot_id="B999", subtype="bot_message"),
        slack.message(PASTED, user=BOT),
        {**slack.message(PASTED), "subtype": "message_changed"},
        slack.message(PASTED, subtype="channel_join"),
    ]
    for event in quiet:
        assert await slack.event(event) == 200
    await slack.drain()
    assert slack.fake.posted() == []


async def test_channel_restriction_limits_auto_replies(dns: DnsTestServer) -> None:
    async for slack in _start(dns, slack_channels=("CSUPPORT",)):
        assert await slack.event(slack.message(PASTED, channel="COTHER")) == 200
        assert await slack.event(slack.message(PASTED, channel="CSUPPORT")) == 200
        await slack.fake.wait_for(lambda s=slack: s.fake.posted("CSUPPORT"))
        await slack.drain()
        assert slack.fake.posted("COTHER") == []


async def test_outbound_429_is_retried_after_retry_after(slack: Slack) -> None:
    slack.fake.rate_limit_once("chat.postMessage", retry_after=1)
    assert await slack.event(slack.message(PASTED, channel="C3")) == 200
    await slack.fake.wait_for(lambda: slack.fake.posted("C3"), timeout=10)
    limited, delivered = slack.fake.times["chat.postMessage"][:2]
    assert delivered - limited >= 1.0
    assert len(slack.fake.calls["chat.postMessage#429"]) == 1
    assert len(slack.fake.posted("C3")) == 1


# ------------------------------------------------------------------ conversations


async def test_mention_starts_a_thread_conversation_and_buttons_drive_it(slack: Slack) -> None:
    mention = {
        "type": "app_mention",
        "channel": "C4",
        "user": "U1",
        "text": f"<@{BOT}> hello",
        "ts": "1700000100.000100",
    }
    # Slack sends both app_mention and message.channels for one mention: one answer only
    assert await slack.event(mention) == 200
    assert await slack.event({**mention, "type": "message", "channel_type": "channel"}) == 200
    await slack.fake.wait_for(lambda: slack.fake.posted("C4"))
    await slack.drain()
    posts = slack.fake.posted("C4")
    assert len(posts) == 1 and posts[0]["thread_ts"] == mention["ts"]
    block_id, button, payload = buttons(posts[0])[0]
    assert payload.question == "symptom"
    assert await slack.press(posts[0], button, block_id) == 200
    await slack.fake.wait_for(lambda: len(slack.fake.posted("C4")) == 2)
    # the pressed message was updated: its buttons replaced by the chosen label
    (update,) = [
        r for hook, rs in slack.fake.responses.items() for r in rs if hook.startswith("press")
    ]
    assert update["replace_original"] is True
    assert not [b for b in update["blocks"] if b["type"] == "actions"]
    assert button["text"]["text"] in json.dumps(update["blocks"])
    second = slack.fake.posted("C4")[1]
    assert second["thread_ts"] == mention["ts"]
    assert buttons(second)[0][2].question == "contact_type"
    # pressing the old button again: nothing new (the same question was already answered)
    assert await slack.press(posts[0], button, block_id) == 200
    await slack.drain()
    assert len(slack.fake.posted("C4")) == 2
    _assert_all_valid(slack)


async def _walk(slack: Slack, channel: str, contact_type: str, scope: str) -> list[dict[str, Any]]:
    """Drive a DM conversation by button presses (typing only where a domain is asked) until
    the first resolution card; return the bot's posts in that DM."""
    assert await slack.event(slack.message("hello", channel=channel)) == 200
    targets = {"contact_type": contact_type, "scope": scope}
    for _ in range(12):
        await slack.fake.wait_for(lambda: slack.fake.posted(channel))
        await slack.drain()
        last = slack.fake.posted(channel)[-1]
        found = buttons(last)
        if found and found[-1][2].question == "fixed":
            return slack.fake.posted(channel)
        question = found[-1][2].question
        count = len(slack.fake.posted(channel))
        if question in DOMAIN_QUESTIONS:
            await slack.event(slack.message(DOMAIN_QUESTIONS[question], channel=channel))
        else:
            want = targets.get(question)
            block_id, button, _ = next(
                (b, e, p) for b, e, p in found if want is None or p.value == want
            )
            assert await slack.press(last, button, block_id) == 200
        await slack.fake.wait_for(lambda c=count: len(slack.fake.posted(channel)) > c)
    raise AssertionError("no resolution card reached")


async def test_every_table_cell_is_reached_through_button_presses(slack_home: Slack) -> None:
    kb = slack_home.bot.knowledge
    for i, cell in enumerate(kb.table):
        posts = await _walk(slack_home, f"D{i}", cell.contact_type, cell.scope)
        shown = json.dumps(posts[-1]["blocks"], ensure_ascii=False)
        resolution = kb.resolutions[kb.causes[cell.causes[0]].resolution]
        assert resolution.title[:100] in shown, (cell, shown[:300])
        assert all(p.get("thread_ts") is None for p in posts)  # a DM's top level
    _assert_all_valid(slack_home)


async def _escalate(slack: Slack, channel: str) -> list[dict[str, Any]]:
    """Walk to the first resolution, then answer "No, still broken" / skip until the end."""
    cell = slack.bot.knowledge.table[0]
    posts = await _walk(slack, channel, cell.contact_type, cell.scope)
    for _ in range(12):
        last = posts[-1]
        found = [b for b in buttons(last) if (b[2].question, b[2].value) in NO_OR_SKIP]
        if not found:
            break
        block_id, button, _ = found[0]
        count = len(posts)
        assert await slack.press(last, button, block_id) == 200
        await slack.fake.wait_for(lambda c=count: len(slack.fake.posted(channel)) > c)
        await slack.drain()
        posts = slack.fake.posted(channel)
    return posts


async def test_no_still_broken_leads_to_escalation(slack_home: Slack) -> None:
    posts = await _escalate(slack_home, "DESC")
    title = (
        slack_home.bot.knowledge.message("escalation.title")
        if "escalation.title" in (slack_home.bot.knowledge.messages)
        else ""
    )
    assert not buttons(posts[-1])
    if title:
        assert title in json.dumps(posts[-1]["blocks"], ensure_ascii=False)
    _assert_all_valid(slack_home)


async def test_short_buttons_full_wording_beside_them_and_a_paste_ready_summary(
    slack_home: Slack,
) -> None:
    kb = slack_home.bot.knowledge
    posts = await _escalate(slack_home, "DLABELS")
    options = {o.id: o for o in (*kb.symptoms, *kb.contact_types, *kb.scopes)}
    shown_details = 0
    for post in posts:
        text = "\n".join(
            b["text"]["text"] for b in post["blocks"] if b["type"] == "section" and "text" in b
        )
        for _block, element, payload in buttons(post):
            label = element["text"]["text"]
            assert len(label) <= MAX_BUTTON_LABEL, label
            option = options.get(payload.value)
            if option is not None and option.short not in ("", option.label):
                assert label == option.short
                assert mrkdwn(option.label) in text, text
                shown_details += 1
    assert shown_details >= 6  # symptom, contact type and scope answers, each in full
    # the summary: one code block, one line per item, exactly the bot's text
    sections = [b["text"]["text"] for b in posts[-1]["blocks"] if b["type"] == "section"]
    (code,) = [t for t in sections if "```" in t]
    body = code.split("```\n", 1)[1].rsplit("\n```", 1)[0]
    lines = body.splitlines()
    assert len(lines) >= 5 and lines[0].startswith("Federation troubleshooting summary"), lines
    assert any(line.startswith("Domains: ") for line in lines), lines
    _assert_all_valid(slack_home)


async def test_start_button_under_auto_reply_opens_the_conversation_in_that_thread(
    slack: Slack,
) -> None:
    event = slack.message(PASTED, channel="C5")
    assert await slack.event(event) == 200
    await slack.fake.wait_for(lambda: slack.fake.posted("C5"))
    reply = slack.fake.posted("C5")[0]
    block_id, button, payload = buttons(reply)[0]
    assert payload.question == "start"
    assert await slack.press(reply, button, block_id) == 200
    await slack.fake.wait_for(lambda: len(slack.fake.posted("C5")) == 2)
    follow = slack.fake.posted("C5")[1]
    assert follow["thread_ts"] == event["ts"]
    assert buttons(follow)  # the next question, as buttons
    _assert_all_valid(slack)


async def test_each_thread_keeps_its_own_state(slack: Slack) -> None:
    for ts in ("1700000200.000100", "1700000300.000100"):
        mention = {
            "type": "app_mention",
            "channel": "C6",
            "user": "U1",
            "text": f"<@{BOT}> hi",
            "ts": ts,
        }
        assert await slack.event(mention) == 200
    await slack.fake.wait_for(lambda: len(slack.fake.posted("C6")) == 2)
    first, second = sorted(slack.fake.posted("C6"), key=lambda p: p["thread_ts"])
    block_id, button, _ = buttons(first)[0]
    assert await slack.press(first, button, block_id) == 200
    await slack.fake.wait_for(lambda: len(slack.fake.posted("C6")) == 3)
    # the second thread still waits for its symptom: its buttons still work
    block_id, button, _ = buttons(second)[1]
    assert await slack.press(second, button, block_id) == 200
    await slack.fake.wait_for(lambda: len(slack.fake.posted("C6")) == 4)
    latest = slack.fake.posted("C6")[3]
    assert latest["thread_ts"] == second["thread_ts"]
    assert buttons(latest)[0][2].question == "contact_type"


# ------------------------------------------------------------------ bad input


async def test_bad_signatures_stale_timestamps_and_malformed_bodies_get_4xx(slack: Slack) -> None:
    good = slack.event_body(slack.message(PASTED, channel="C9"))
    json_type = "application/json"
    cases: list[tuple[str, str, dict[str, str], int]] = [
        (good, json_type, {**sign(SECRET, good), "X-Slack-Signature": "v0=" + "0" * 64}, 401),
        (good, json_type, sign("another-secret", good), 401),
        (good, json_type, sign(SECRET, good, int(time.time()) - 600), 401),
        (good, json_type, {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=1"}, 401),
        (good, json_type, {}, 401),
        ("{not json", json_type, sign(SECRET, "{not json"), 400),
        ("[1, 2]", json_type, sign(SECRET, "[1, 2]"), 400),
        ('{"type": "event_callback"}', json_type, sign(SECRET, '{"type": "event_callback"}'), 400),
        (
            "payload=%7Bbroken",
            "application/x-www-form-urlencoded",
            sign(SECRET, "payload=%7Bbroken"),
            400,
        ),
        (
            "command=%2Ffedcheck",
            "application/x-www-form-urlencoded",
            sign(SECRET, "command=%2Ffedcheck"),
            400,
        ),
    ]
    for body, content_type, headers, expected in cases:
        status, _, _ = await slack.post(body, content_type, headers)
        assert status == expected, (body[:40], headers, status)
    raw = b"\xff\xfe{}"
    async with slack.http.post(
        f"{slack.url}/slack/events", data=raw, headers={"Content-Type": json_type}
    ) as resp:
        assert resp.status == 400
    huge = "x" * (300 * 1024)
    status, _, _ = await slack.post(huge, json_type, sign(SECRET, huge))
    assert status == 413
    await slack.drain()
    assert slack.fake.posted("C9") == []
    async with slack.http.get(f"{slack.url}/healthz") as resp:
        assert resp.status == 200


async def test_unknown_button_payloads_are_refused_and_stale_ones_reasked(slack: Slack) -> None:
    mention = {
        "type": "app_mention",
        "channel": "C7",
        "user": "U1",
        "text": f"<@{BOT}> hello",
        "ts": "1700000400.000100",
    }
    assert await slack.event(mention) == 200
    await slack.fake.wait_for(lambda: slack.fake.posted("C7"))
    post = slack.fake.posted("C7")[0]
    block_id, button, payload = buttons(post)[0]
    forged = {**button, "value": '{"not": "ours"}'}
    assert await slack.press(post, forged, block_id) == 400
    stale = {**button, "value": json.dumps(replace(payload, revision=99).to_dict())}
    assert await slack.press(post, stale, block_id) == 200
    await slack.fake.wait_for(lambda: len(slack.fake.posted("C7")) == 2)
    reask = slack.fake.posted("C7")[1]
    assert slack.bot.knowledge.message("stale") in json.dumps(reask, ensure_ascii=False)
    assert buttons(reask)[0][2].question == "symptom"


async def test_a_slow_check_shows_checking_at_once_then_the_answer_in_its_place(
    slack: Slack,
) -> None:
    slack.dns.delay_ms = 1200  # a check the user would otherwise wait on in silence
    try:
        event = slack.message(PASTED.replace("contoso.example", "fabrikam.example"), channel="C8")
        assert await slack.event(event) == 200
        await slack.fake.wait_for(lambda: slack.fake.posted("C8"))
        (checking,) = slack.fake.posted("C8")
        assert "fabrikam.example" in checking["text"] and checking["thread_ts"] == event["ts"]
        await slack.drain()
    finally:
        slack.dns.delay_ms = 0
    assert len(slack.fake.posted("C8")) == 1  # one message for the step: updated in place
    (update,) = slack.fake.calls["chat.update"]
    assert update["ts"] == checking["_ts"] and "blocks" in update
    assert "fabrikam.example" in json.dumps(update["blocks"])

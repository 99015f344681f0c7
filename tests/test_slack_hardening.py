"""``/slack/events`` under hostile header bytes and bodies: never a 500.

Requests are written byte for byte on a raw socket (no client library normalises the headers):
every request without a valid signature is 401 whatever its header bytes, a correctly signed
body nested absurdly deep is 400, and the app answers normally afterwards."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import pytest

from tests.dnsserver import start_dns_server
from tests.test_slack_app import SECRET, Slack, _start
from tests.test_slack_helpers import sign


@pytest.fixture
async def slack() -> AsyncIterator[Slack]:
    dns = start_dns_server()
    async for running in _start(dns):
        yield running
    dns.stop()


async def raw_post(url: str, body: bytes, headers: list[tuple[bytes, bytes]]) -> int:
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    head += b"Content-Type: application/json\r\n"
    head += b"Content-Length: " + str(len(body)).encode() + b"\r\n"
    for name, value in headers:
        head += name + b": " + value + b"\r\n"
    writer.write(head + b"\r\n" + body)
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    return int(status_line.split()[1])


BODY = json.dumps({"type": "event_callback", "event_id": "Ev1", "team_id": "T1", "event": {}})
NOW = str(int(time.time()))
GOOD_SIG = sign(SECRET, BODY, int(NOW))["X-Slack-Signature"]

HOSTILE: list[tuple[str, list[tuple[bytes, bytes]]]] = [
    ("no headers", []),
    (
        "5,000-digit timestamp",
        [(b"X-Slack-Request-Timestamp", b"1" * 5000), (b"X-Slack-Signature", GOOD_SIG.encode())],
    ),
    (
        "arabic-indic digits",
        [
            (b"X-Slack-Request-Timestamp", "١٧٠٠٠٠٠٠٠٠".encode()),
            (b"X-Slack-Signature", GOOD_SIG.encode()),
        ],
    ),
    (
        "superscript digits",
        [
            (b"X-Slack-Request-Timestamp", "¹²³".encode()),
            (b"X-Slack-Signature", b"v0=" + b"0" * 64),
        ],
    ),
    (
        "latin-1 signature",
        [(b"X-Slack-Request-Timestamp", NOW.encode()), (b"X-Slack-Signature", b"v0=\xe9\xff\xfe")],
    ),
    (
        "utf-8 signature",
        [
            (b"X-Slack-Request-Timestamp", NOW.encode()),
            (b"X-Slack-Signature", "v0=ünïcode".encode()),
        ],
    ),
    (
        "negative timestamp",
        [(b"X-Slack-Request-Timestamp", b"-1"), (b"X-Slack-Signature", GOOD_SIG.encode())],
    ),
    (
        "wrong signature",
        [(b"X-Slack-Request-Timestamp", NOW.encode()), (b"X-Slack-Signature", b"v0=" + b"a" * 64)],
    ),
    (
        "stale timestamp",
        [(b"X-Slack-Request-Timestamp", b"1000000000"), (b"X-Slack-Signature", GOOD_SIG.encode())],
    ),
]


@pytest.mark.parametrize("headers", [h for _, h in HOSTILE], ids=[n for n, _ in HOSTILE])
async def test_unsigned_requests_are_401_whatever_their_header_bytes(
    slack: Slack, headers: list[tuple[bytes, bytes]]
) -> None:
    assert await raw_post(slack.url, BODY.encode(), headers) == 401
    # and the server still answers a correctly signed request
    ok = [(k.encode(), v.encode()) for k, v in sign(SECRET, BODY).items()]
    assert await raw_post(slack.url, BODY.encode(), ok) in (200, 400, 404)


@pytest.mark.parametrize("depth", [2_000, 100_000])
async def test_a_signed_body_nested_absurdly_deep_is_400(slack: Slack, depth: int) -> None:
    body = '{"type": "event_callback", "event": ' + "[" * depth + "]" * depth + "}"
    headers = [(k.encode(), v.encode()) for k, v in sign(SECRET, body).items()]
    assert await raw_post(slack.url, body.encode(), headers) == 400


async def test_a_slack_500_with_a_text_body_is_retried_then_delivered(slack: Slack) -> None:
    from tests.test_slack_app import PASTED

    slack.fake.server_errors["chat.postMessage"] = 2
    event = slack.message(PASTED, channel="C500")
    assert await slack.event(event) == 200
    await slack.fake.wait_for(lambda: slack.fake.posted("C500"), 15)
    assert len(slack.fake.calls["chat.postMessage#500"]) == 2
    assert len(slack.fake.posted("C500")) == 1


@pytest.fixture
async def slack_short_lease() -> AsyncIterator[Slack]:
    """Unfinished work is taken over after 1 s (instead of FEDBOT_WORK_LEASE's 60 s)."""
    dns = start_dns_server()
    async for running in _start(dns, work_lease=1.0):
        yield running
    dns.stop()


async def test_a_reply_slack_refused_beyond_its_retries_is_posted_later_once(
    slack_short_lease: Slack,
) -> None:
    """Slack down beyond the client's retries: nothing crashes, the reply stays recorded and is
    posted when its lease runs out; a paste in the same thread meanwhile gets no second card."""
    from tests.test_slack_app import PASTED

    slack = slack_short_lease
    slack.fake.server_errors["chat.postMessage"] = 4  # first try + 3 retries
    event = slack.message(PASTED, channel="C501")
    assert await slack.event(event) == 200
    await slack.fake.wait_for(lambda: len(slack.fake.calls["chat.postMessage#500"]) == 4, 20)
    again = slack.message(PASTED, channel="C501", thread_ts=event["ts"])
    assert await slack.event(again) == 200
    await slack.fake.wait_for(lambda: slack.fake.posted("C501"), 15)
    await slack.drain()
    (reply,) = slack.fake.posted("C501")
    assert reply["thread_ts"] == event["ts"]
    assert reply["metadata"]["event_type"] == "fedbot_reply"


@pytest.mark.parametrize("fault", ["invalid_auth", "unreachable"])
async def test_a_refused_or_unreachable_token_is_logged_once_and_no_request_is_a_500(
    fault: str, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.pgserver import free_port
    from tests.test_slack_app import PASTED
    from tests.test_slack_helpers import FakeSlack

    dns = start_dns_server()
    refusing = await FakeSlack().start()
    refusing.fail["auth.test"] = "invalid_auth"
    api = refusing.api_url if fault == "invalid_auth" else f"http://127.0.0.1:{free_port()}/api/"
    with caplog.at_level("INFO", logger="adapters.slack.app"):
        async for slack in _start(dns, slack_api_url=api):
            statuses = [await slack.event(slack.message(PASTED)) for _ in range(3)]
            assert all(status < 500 for status in statuses), statuses
    await refusing.close()
    dns.stop()
    ours = [r.getMessage() for r in caplog.records if r.name == "adapters.slack.app"]
    startup = [line for line in ours if "auth.test" in line]
    assert len(startup) == 1, ours
    assert ("SLACK_BOT_TOKEN refused" if fault == "invalid_auth" else "unreachable") in startup[0]


async def test_the_same_slash_command_delivered_twice_is_answered_once(slack: Slack) -> None:
    from tests.test_slack_helpers import form

    body = form(
        token="x",
        team_id="T0001",
        channel_id="C1",
        user_id="U1",
        command="/fedcheck",
        text="contoso.example",
        api_app_id="A1",
        response_url=slack.fake.response_url("twice"),
        trigger_id="9.9.9",
    )
    for _ in range(2):
        assert (await slack.post(body))[0] == 200
    await slack.fake.wait_for(lambda: slack.fake.responses["twice"], 15)
    again = form(
        token="x",
        team_id="T0001",
        channel_id="C1",
        user_id="U1",
        command="/fedcheck",
        text="contoso.example",
        api_app_id="A1",
        response_url=slack.fake.response_url("after"),
        trigger_id="9.9.10",
    )
    assert (await slack.post(again))[0] == 200  # a later, identical check
    await slack.fake.wait_for(lambda: slack.fake.responses["after"], 15)
    assert len(slack.fake.responses["twice"]) == 1


async def test_an_answer_slack_never_takes_is_given_up_and_the_checking_message_says_so(
    slack_short_lease: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    """Replies refused on every attempt: after its takeovers the work is given up, logged once
    with what was lost; the "checking …" message becomes the apology (it does not stay), and the
    thread is not marked answered (a later paste there gets its card)."""
    from tests.test_slack_app import PASTED

    slack = slack_short_lease
    slack.fake.refuse_replies = "channel_not_found"
    slack.dns.delay_ms = 600  # slow enough for a "checking …" message
    event = slack.message(PASTED, channel="C600")
    with caplog.at_level("INFO", logger="adapters.slack.app"):
        assert await slack.event(event) == 200
        await slack.fake.wait_for(
            lambda: any("couldn't send" in m["text"] for m in slack.fake.messages.values()), 30
        )
        await slack.drain()
    (shown,) = [m for m in slack.fake.messages.values() if m["channel"] == "C600"]
    assert shown["text"].startswith("Sorry — I couldn't send my answer to")
    assert "not delivered" in shown["text"]  # says what was asked
    assert "metadata" not in shown  # it is not a reply: a later resume would not skip one
    given_up = [r for r in caplog.records if "giving up" in r.getMessage()]
    assert len(given_up) == 1 and "C600" in given_up[0].getMessage()
    assert slack.fake.calls["chat.postEphemeral"] == []  # told once, in place

    slack.fake.refuse_replies = ""
    slack.dns.delay_ms = 0
    again = slack.message(PASTED, channel="C600", thread_ts=event["ts"])
    assert await slack.event(again) == 200
    await slack.drain()
    replies = [m for m in slack.fake.messages.values() if "metadata" in m]
    assert [m["thread_ts"] for m in replies] == [event["ts"]]


async def test_an_expired_response_url_falls_back_to_the_web_api(slack: Slack) -> None:
    """/fedcheck answered after its response_url expired: a check card (in_channel) is posted
    in the channel, an ephemeral answer as an ephemeral message to the asker."""
    from tests.test_slack_helpers import form

    for hook, text in (("expired-check", "contoso.example"), ("expired-help", "help")):
        slack.fake.expired_hooks.add(hook)
        body = form(
            token="x",
            team_id="T0001",
            channel_id="C700",
            user_id="U7",
            command="/fedcheck",
            text=text,
            api_app_id="A1",
            response_url=slack.fake.response_url(hook),
            trigger_id="9.9.9",
        )
        assert (await slack.post(body))[0] == 200
    await slack.drain()
    assert slack.fake.responses["expired-check#expired"]  # tried first
    (card,) = slack.fake.posted("C700")
    assert "contoso.example" in card["text"]
    (note,) = slack.fake.calls["chat.postEphemeral"]
    assert (note["channel"], note["user"]) == ("C700", "U7")
    assert slack.fake.responses["expired-check"] == slack.fake.responses["expired-help"] == []

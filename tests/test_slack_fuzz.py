"""Any signed payload Slack might send — events, button presses, slash commands with wrong types,
missing parts or odd values — gets a 2xx or a 4xx from /slack/events, never a 500, and the app
keeps answering afterwards."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_slack_app import PASTED, TEAM, Slack, _start
from test_slack_helpers import form, interaction

from tests.dnsserver import start_dns_server
from tests.mutations import JUNK, mutated, paths


def _bodies(slack: Slack) -> list[tuple[str, Any, str]]:
    """(kind, JSON-able payload, content type) templates to mutate."""
    event = json.loads(slack.event_body(slack.message(PASTED)))
    mention = json.loads(slack.event_body(slack.message(f"<@{slack.fake.BOT_USER}> help")))
    press = {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "contoso"},
        "user": {"id": "U1", "name": "joe"},
        "api_app_id": "A1",
        "token": "x",
        "container": {"type": "message", "message_ts": "1.2", "channel_id": "C1"},
        "channel": {"id": "C1", "name": "support"},
        "message": {"type": "message", "ts": "1.2", "text": "", "blocks": []},
        "response_url": slack.fake.response_url("fuzz"),
        "actions": [
            {
                "action_id": "fedbot:0",
                "block_id": "b",
                "type": "button",
                "value": json.dumps({"fedbot": 1, "q": "symptom", "v": "x", "r": 1, "a": ""}),
            }
        ],
    }
    command = {
        "team_id": TEAM,
        "channel_id": "C1",
        "user_id": "U1",
        "command": "/fedcheck",
        "text": "contoso.example",
        "response_url": slack.fake.response_url("fuzzcmd"),
    }
    return [
        ("event", event, "application/json"),
        ("event", mention, "application/json"),
        ("interaction", press, "application/x-www-form-urlencoded"),
        ("command", command, "application/x-www-form-urlencoded"),
    ]


def _encode(kind: str, payload: Any) -> str:
    if kind == "event":
        return json.dumps(payload)
    if kind == "interaction":
        return interaction(payload)
    fields = payload if isinstance(payload, dict) else {}
    return form(
        **{str(k): json.dumps(v) if not isinstance(v, str) else v for k, v in fields.items()}
    )


def test_mutated_payloads_never_get_a_500() -> None:
    asyncio.run(_fuzz())


async def _fuzz() -> None:
    dns = start_dns_server()
    running = _start(dns)
    slack = await anext(running)
    templates = _bodies(slack)
    loop = asyncio.get_running_loop()
    failures: list[str] = []
    statuses: set[int] = set()

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        which=st.integers(min_value=0, max_value=len(templates) - 1),
        pick=st.integers(min_value=0, max_value=10_000),
        junk=JUNK,
        drop=st.booleans(),
    )
    def case(which: int, pick: int, junk: Any, drop: bool) -> None:
        kind, base, content_type = templates[which]
        options = list(paths(base))
        path = options[pick % len(options)]
        body = _encode(kind, mutated(base, path, junk, drop))
        status, text, _ = asyncio.run_coroutine_threadsafe(
            slack.post(body, content_type), loop
        ).result(timeout=30)
        statuses.add(status)
        if status >= 500 or "Traceback" in text:
            where = ".".join(map(str, path))
            failures.append(f"{status} for {kind} {where}={junk!r} (drop={drop}): {text}")

    try:
        await asyncio.to_thread(case)
        _, elapsed = await slack.command("help")
        assert elapsed < 3, "the app still acknowledges promptly after the junk"
    finally:
        await anext(running, None)  # resume the generator: its cleanup runs
        dns.stop()
    assert not failures, "\n".join(failures[:10])
    assert any(400 <= s < 500 for s in statuses) and 200 in statuses, statuses

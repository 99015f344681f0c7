"""One transcript suite, three front ends: every conversation in tests/transcripts/platform/*.yaml
runs through Teams (the real app over real HTTP, loopback Bot Connector), Slack (the real app,
requests really signed, loopback Web API) and the terminal (``fedbot chat`` on a pseudo-terminal),
expecting the same behaviour. Channel-thread conversations need a channel: Teams and Slack only.

Each front end is a driver with the same four moves (say, paste, press, command) returning what
the bot sent for that move as :class:`Sent` messages; the checks are shared."""

from __future__ import annotations

import asyncio
import itertools
import os
import pty
import re
import select
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pytest
import yaml

from bot.config import Settings
from bot.service import FedBot
from tests.dnsserver import DnsTestServer
from tests.teams_harness import FakeConnector, activity, run_app
from tests.test_slack_app import BOT, Slack, _start, buttons

ROOT = Path(__file__).resolve().parents[1]
TRANSCRIPTS = sorted((ROOT / "tests/transcripts/platform").glob("*.yaml"))
HOME = "contoso.example"


@dataclass
class Sent:
    """One bot message as the user sees it: its texts and its buttons' labels."""

    text: str
    buttons: list[str] = field(default_factory=list)


def _texts(node: Any) -> list[str]:
    """Every string shown to the user in a card / Block Kit tree."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [t for item in node for t in _texts(item)]
    if isinstance(node, dict):
        if node.get("type") == "button":  # Block Kit: the label, not the payload in "value"
            return _texts(node.get("text"))
        keep = ("text", "title", "value", "fields", "elements", "body", "items", "facts", "actions")
        keep += ("columns", "blocks", "accessory", "rows", "content", "card")
        return [t for key in keep if key in node for t in _texts(node[key])]
    return []


class FrontEnd(Protocol):
    async def say(self, text: str) -> list[Sent]: ...
    async def paste(self, text: str) -> list[Sent]: ...
    async def press(self, label: str) -> list[Sent]: ...
    async def command(self, args: str) -> list[Sent]: ...


def _pick(options: list[str], label: str) -> int:
    found = [i for i, option in enumerate(options) if label.lower() in option.lower()]
    assert found, f"no button like {label!r} in {options}"
    return found[-1]


# ------------------------------------------------------------------ Teams


class Teams:
    channel = "19:support@thread.tacv2"

    def __init__(self, app: Any, connector: FakeConnector, where: str, n: int) -> None:
        self.app, self.connector, self.where = app, connector, where
        self.conversation = f"a:transcript-{n}" if where == "direct" else self.channel
        self.root: str | None = None

    async def _post(self, **kwargs: Any) -> list[Sent]:
        before = len(self.connector.sent)
        if self.where == "thread":
            kwargs["conversation_type"] = "channel"
            kwargs["conversation"] = (
                self.channel if self.root is None else f"{self.channel};messageid={self.root}"
            )
        body = activity(self.connector.url, **kwargs)
        if self.where == "thread" and self.root is None:
            self.root = body["id"]
        status, text = await self.app.post(body)
        assert status in (200, 201), text
        posted = [s for s in self.connector.sent[before:] if s.method == "POST"]
        return [Sent("\n".join(_texts(s.card)) or s.text, self._labels(s)) for s in posted]

    @staticmethod
    def _labels(sent: Any) -> list[str]:
        """Button titles; a short numbered title ("2. Someone in…") stands for the full wording
        the card lists under that number."""
        texts = _texts(sent.card)
        labels = []
        for title, _data in sent.buttons():
            number = re.match(r"^(\d+)\. ", title)
            full = [t for t in texts if number and t.startswith(number.group(0))]
            labels.append(full[0] if full else title)
        return labels

    async def say(self, text: str) -> list[Sent]:
        return await self._post(text=text, mention=self.where == "thread")

    async def paste(self, text: str) -> list[Sent]:
        return await self._post(text=text)

    async def press(self, label: str) -> list[Sent]:
        last = next(s for s in reversed(self.connector.sent) if s.method == "POST" and s.buttons())
        data = last.buttons()[_pick(self._labels(last), label)][1]
        return await self._post(value=data, reply_to_id=last.id)

    async def command(self, args: str) -> list[Sent]:
        return await self.say(f"fedcheck {args}")


# ------------------------------------------------------------------ Slack


class SlackFront:
    def __init__(self, slack: Slack, where: str, n: int) -> None:
        self.slack, self.where = slack, where
        self.channel = f"D{n:04d}" if where == "direct" else f"C{n:04d}"
        self.root: str | None = None

    async def _after(self, move: Any) -> list[Sent]:
        fake = self.slack.fake
        before = len(fake.posted())
        responses = {hook: len(bodies) for hook, bodies in fake.responses.items()}
        await move
        await self.slack.drain()
        out = [self._sent(p) for p in fake.posted()[before:]]
        for hook, bodies in list(fake.responses.items()):
            new = [b for b in bodies[responses.get(hook, 0) :] if not b.get("replace_original")]
            out += [self._sent(b) for b in new]
        return out

    @staticmethod
    def _sent(message: dict[str, Any]) -> Sent:
        blocks = message.get("blocks") or []
        labels = [b[1]["text"]["text"] for b in buttons(message)] if blocks else []
        return Sent("\n".join([message.get("text") or "", *_texts(blocks)]), labels)

    def _message(self, text: str) -> dict[str, Any]:
        extra = {} if self.root is None else {"thread_ts": self.root}
        event = self.slack.message(text, channel=self.channel, **extra)
        if self.where == "thread" and self.root is None:
            self.root = event["ts"]
        return event

    async def _event(self, event: dict[str, Any]) -> None:
        assert await self.slack.event(event) == 200

    async def say(self, text: str) -> list[Sent]:
        if self.where == "direct":
            return await self._after(self._event(self._message(text)))
        event = {**self._message(f"<@{BOT}> {text}"), "type": "app_mention"}
        event.pop("channel_type")
        return await self._after(self._event(event))

    async def paste(self, text: str) -> list[Sent]:
        return await self._after(self._event(self._message(text)))

    async def press(self, label: str) -> list[Sent]:
        last = next(p for p in reversed(self.slack.fake.posted(self.channel)) if buttons(p))
        found = buttons(last)
        block_id, button, _ = found[_pick([b[1]["text"]["text"] for b in found], label)]

        async def press() -> None:
            assert await self.slack.press(last, button, block_id) == 200

        return await self._after(press())

    async def command(self, args: str) -> list[Sent]:
        async def command() -> None:
            await self.slack.command(args, channel=self.channel)

        return await self._after(command())


# ------------------------------------------------------------------ terminal


class Terminal:
    """``fedbot chat`` on a pseudo-terminal, as a person at a terminal runs it: each move is a
    line typed; its answer is everything printed up to the next prompt."""

    PROMPT = "\n> "

    def __init__(self, dns: DnsTestServer) -> None:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("FEDBOT_")}
        environment |= {"FEDBOT_HOME_DOMAINS": HOME, "COLUMNS": "100", "TERM": "dumb"}
        self.master, replica = pty.openpty()
        command = [sys.executable, "-m", "bot", "chat", "--dns-server", dns.address]
        self.proc = subprocess.Popen(
            [*command, "--timeout", "2"],
            stdin=replica,
            stdout=replica,
            stderr=replica,  # input() writes its prompt to stderr
            cwd=ROOT,
            env=environment,
        )
        os.close(replica)
        self.last = ""

    def _read(self, timeout: float = 60.0) -> str:
        out = b""
        while not out.replace(b"\r\n", b"\n").endswith(self.PROMPT.encode()):
            ready, _, _ = select.select([self.master], [], [], timeout)
            assert ready, f"no prompt from fedbot chat; got {out!r}"
            out += os.read(self.master, 65536)
        return out.decode().replace("\r\n", "\n")[: -len(self.PROMPT)]

    async def start(self) -> list[Sent]:
        return [Sent(await asyncio.to_thread(self._read))]

    async def _type(self, line: str) -> list[Sent]:
        os.write(self.master, (line + "\n").encode())
        out = await asyncio.to_thread(self._read)
        out = out.split("\n", 1)[1] if "\n" in out else ""  # the terminal's echo of the line
        self.last = out
        return [Sent(out, re.findall(r"^\d+\. (.+)$", out, re.MULTILINE))]

    async def say(self, text: str) -> list[Sent]:
        return await self._type(" ".join(text.split()))

    async def paste(self, text: str) -> list[Sent]:
        raise AssertionError("the terminal has no channel")

    async def press(self, label: str) -> list[Sent]:
        options = re.findall(r"^(\d+)\. (.+)$", self.last, re.MULTILINE)
        number = options[_pick([o[1] for o in options], label)][0]
        return await self._type(number)

    async def command(self, args: str) -> list[Sent]:
        return await self._type(f"fedcheck {args}")

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        os.close(self.master)


# ------------------------------------------------------------------ the suite


def _cases() -> list[Any]:
    cases = []
    for path in TRANSCRIPTS:
        for conversation in yaml.safe_load(path.read_text())["conversations"]:
            for front in ("teams", "slack", "terminal"):
                skip = front == "terminal" and conversation["where"] != "direct"
                marks = [pytest.mark.skip(reason="no channels in a terminal")] if skip else []
                cases.append(
                    pytest.param(
                        conversation, front, id=f"{front}-{conversation['name']}", marks=marks
                    )
                )
    return cases


def _check(expect: dict[str, Any], sent: list[Sent], front: str) -> None:
    if expect.get("silent"):
        assert sent == [] or (front == "terminal" and not sent[0].text.strip()), sent
        return
    assert sent, "the bot said nothing"
    if "messages" in expect and front != "terminal":  # the terminal prints, it has no messages
        assert len(sent) == expect["messages"], [s.text[:80] for s in sent]
    text = " ".join(" ".join(s.text for s in sent).split())  # the terminal wraps lines
    text = text.replace("&amp;", "&").replace("\u2019", "'")
    for part in expect.get("contains", ()):
        assert part.lower() in text.lower(), f"{part!r} not in {text[:2000]!r}"
    labels = [label for s in sent for label in s.buttons]
    for part in expect.get("buttons", ()):
        _pick(labels, part)


_numbers = itertools.count(1)


@pytest.mark.parametrize(("conversation", "front"), _cases())
async def test_transcript(
    conversation: dict[str, Any], front: str, dns_server: DnsTestServer
) -> None:
    where, n = conversation["where"], next(_numbers)
    settings = Settings(
        dns_servers=(dns_server.address,),
        dns_timeout=2.0,
        state_url="memory://",
        home_domains=(HOME,),
    )
    cleanup: list[Any] = []
    driver: FrontEnd
    if front == "teams":
        bot = await FedBot.create(settings)
        connector = await FakeConnector().start()
        app = await run_app(bot, settings)
        cleanup += [app.stop, connector.stop, bot.close]
        driver = Teams(app, connector, where, n)
    elif front == "slack":
        slack_run = _start(dns_server, home_domains=(HOME,))
        slack = await anext(slack_run)
        cleanup.append(lambda: anext(slack_run, None))
        driver = SlackFront(slack, where, n)
    else:
        terminal = Terminal(dns_server)
        cleanup.append(lambda: asyncio.to_thread(terminal.close))
        await terminal.start()
        driver = terminal
    try:
        for number, step in enumerate(conversation["steps"], 1):
            (move,) = (k for k in ("say", "paste", "press", "command") if k in step)
            sent = await getattr(driver, move)(step[move])
            try:
                _check(step.get("expect") or {}, sent, front)
            except AssertionError as error:
                raise AssertionError(f"step {number} ({move}: {step[move]!r}): {error}") from None
    finally:
        for close in cleanup:
            await close()


async def test_terminal_takes_a_multi_line_paste_as_one_message(dns_server: DnsTestServer) -> None:
    terminal = Terminal(dns_server)
    try:
        (welcome,) = await terminal.start()
        assert "help, restart, cancel" in " ".join(welcome.text.split())  # says what to type
        assert "**" not in welcome.text  # markdown shown as plain text
        assert all(len(line) <= 100 for line in welcome.text.splitlines())  # wrapped (COLUMNS)
        pasted = (
            "This message was not delivered to joe@nosrv.example because the address is\n"
            "outside your organization and is not federated with your company, or the\n"
            "address is incorrect. Please contact your support team with this information."
        )
        (answer,) = await terminal._type(pasted)
        assert "I recognise this error" in " ".join(answer.text.split())
        assert answer.text.count("I recognise this error") == 1  # one message, one answer
    finally:
        await asyncio.to_thread(terminal.close)

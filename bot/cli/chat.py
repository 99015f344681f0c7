"""``fedbot chat``: the troubleshooting conversation in the terminal, on the same FedBot.

Choices are answered by number (or label); cards print as text; live checks run for real.
State is in memory unless ``FEDBOT_STATE`` names a store (then the conversation resumes).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import getpass
import os
import re
import select
import shutil
import sys
import textwrap
from collections.abc import Iterable

from bot.config import Settings
from bot.service import FedBot, Turn
from bot.store import StateStoreError
from dialogs.replies import Message, Reply
from dialogs.text import render_text
from knowledge.loader import KnowledgeError

PROMPT = "> "


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "chat",
        help="troubleshoot in the terminal (the same conversation as in Teams and Slack)",
        description="Walk the troubleshooting conversation in the terminal: type the number of "
        "an answer, paste an error message, or type help, restart, cancel, fedcheck DOMAIN. "
        "End with Ctrl-D or Ctrl-C.",
    )
    parser.add_argument(
        "--dns-server",
        action="append",
        default=[],
        metavar="HOST[:PORT]",
        help="DNS server for the live checks (repeatable; default FEDBOT_DNS_SERVERS, else the "
        "system's)",
    )
    parser.add_argument(
        "--timeout", type=float, default=None, metavar="S", help="DNS deadline per check, seconds"
    )
    parser.set_defaults(run=run)


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    changes: dict[str, object] = {"state_url": os.environ.get("FEDBOT_STATE") or "memory://"}
    if args.dns_server:
        changes["dns_servers"] = tuple(args.dns_server)
    if args.timeout is not None:
        changes["dns_timeout"] = args.timeout
    return dataclasses.replace(settings, **changes)  # type: ignore[arg-type]


_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__", re.DOTALL)
_ITALIC = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")
_CODE = re.compile(r"`([^`]+)`")
_LINK = re.compile(r"\[([^\]]+)\]\((\S+?)\)")
_ITEM = re.compile(r"^(\s*(?:[-*•]|\d+\.)\s+)")
PASTE_GAP = 0.05  # seconds: lines arriving closer together than this are one paste


def plain(text: str) -> str:
    """Simple markdown as the plain text a terminal shows: no ``**``, backticks or link syntax
    (a link's address kept after its label)."""
    text = _BOLD.sub(lambda m: m.group(1) or m.group(2), text)
    text = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", text)
    return _CODE.sub(r"\1", _ITALIC.sub(r"\1", text))


def wrap(text: str, width: int) -> str:
    """Each line word-wrapped to ``width``; list items continue under their text."""
    out: list[str] = []
    for line in text.splitlines():
        item = _ITEM.match(line)
        indent = " " * len(item.group(1)) if item else ""
        out.append(
            textwrap.fill(line, width, subsequent_indent=indent, break_on_hyphens=False)
            if line.strip()
            else ""
        )
    return "\n".join(out)


def _width() -> int:
    return max(20, shutil.get_terminal_size((100, 24)).columns - 1)


def _show(bot: FedBot, replies: Iterable[Reply]) -> None:
    for reply in replies:
        print(wrap(plain(render_text(reply, bot.knowledge.wording)), _width()))
        print()
    sys.stdout.flush()


async def _progress(message: Message) -> None:
    """A line while a slow DNS check runs."""
    print(wrap(plain(message.text), _width()), flush=True)


def _more_waiting() -> bool:
    """Whether more typed (pasted) input is already waiting on the terminal."""
    try:
        ready, _, _ = select.select([sys.stdin], [], [], PASTE_GAP)
    except (OSError, ValueError):
        return False
    return bool(ready)


def _read(interactive: bool) -> str | None:
    """One message from the user, ``None`` at end of input. At a terminal, a multi-line paste
    (lines that arrive together) is one message."""
    if interactive:
        try:
            lines = [input(PROMPT)]
            while _more_waiting():
                lines.append(input(""))
        except EOFError:
            return None
        return "\n".join(lines)
    line = sys.stdin.readline()
    return line if line else None


def run(args: argparse.Namespace) -> int:
    interactive = sys.stdin.isatty()
    conversation = f"cli:{getpass.getuser()}"
    with asyncio.Runner() as runner:
        try:
            bot = runner.run(FedBot.create(_settings(args)))
        except (KnowledgeError, StateStoreError) as exc:
            print(f"fedbot: {exc}", file=sys.stderr)
            return 2
        try:
            _show(bot, bot.welcome())
            if interactive:
                print(wrap(plain(bot.knowledge.message("chat.hint")), _width()) + "\n")
            while (line := _read(interactive)) is not None:
                text = line.strip()
                if text:
                    turn = Turn(
                        conversation=conversation, user=conversation, text=text, progress=_progress
                    )
                    _show(bot, runner.run(bot.handle(turn)))
        except KeyboardInterrupt:
            print()
        finally:
            runner.run(bot.close())
    return 0

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
import sys
from collections.abc import Iterable

from bot.config import Settings
from bot.service import FedBot, Turn
from bot.state import StateStoreError
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


def _show(bot: FedBot, replies: Iterable[Reply]) -> None:
    for reply in replies:
        print(render_text(reply, bot.knowledge.messages))
        print()
    sys.stdout.flush()


async def _progress(message: Message) -> None:
    """A line while a slow DNS check runs."""
    print(message.text, flush=True)


def _read(interactive: bool) -> str | None:
    """One line from the user, ``None`` at end of input."""
    if interactive:
        try:
            return input(PROMPT)
        except EOFError:
            return None
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

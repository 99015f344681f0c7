"""``fedbot serve``: the Teams (and Slack) bot server."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import replace

from bot import logs
from bot.config import Settings, SettingsError
from bot.demo import DemoDnsServer
from bot.server import serve
from bot.service import FedBot
from bot.store import StateStoreError
from knowledge.loader import KnowledgeError


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--port {text[:20]!r}: not a number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"--port {port}: must be 0-65535")
    return port


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the bot server (Teams: POST /api/messages, Slack: POST /slack/events)",
        description="Run the bot server. Configuration comes from the environment "
        "(MicrosoftAppId, MicrosoftAppPassword, MicrosoftAppType, MicrosoftAppTenantId, "
        "SLACK_*, FEDBOT_*). Without MicrosoftAppId Bot Framework authentication is off, so the "
        "server listens on 127.0.0.1 only (or, with Slack over HTTP configured, serves Slack only "
        "on the requested host).",
    )
    parser.add_argument(
        "--host", default="0.0.0.0", help="interface to listen on (default 0.0.0.0)"
    )
    parser.add_argument("--port", type=_port, default=3978, help="port (default 3978)")
    parser.add_argument(
        "--shutdown-timeout",
        type=float,
        default=30.0,
        help="seconds in-flight requests get to finish on SIGTERM (default 30)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="answer DNS from built-in sample zones on a loopback port (contoso.example, "
        "fabrikam.example, ...) so fedcheck shows real findings offline; never for production",
    )
    parser.set_defaults(run=run)


async def _main(args: argparse.Namespace) -> None:
    settings = Settings.from_env()
    demo = await DemoDnsServer.start() if args.demo else None
    if demo is not None:
        settings = replace(settings, dns_servers=(demo.address,), state_url="memory://")
    bot = await FedBot.create(settings)
    try:
        await serve(bot, settings, args.host, args.port, shutdown_timeout=args.shutdown_timeout)
    except OSError as error:
        await bot.close()
        reason = error.strerror or str(error)
        raise StartupError(
            f"--host {args.host} --port {args.port}: cannot listen: {reason}"
        ) from None
    finally:
        if demo is not None:
            demo.stop()


class StartupError(Exception):
    """A start-up mistake: one line naming the setting."""


def run(args: argparse.Namespace) -> int:
    try:
        logs.configure()
        asyncio.run(_main(args))
    except KnowledgeError as error:
        where = os.environ.get("FEDBOT_KNOWLEDGE")
        setting = f"FEDBOT_KNOWLEDGE={where}" if where else "shipped knowledge"
        print(f"fedbot serve: {setting}: {error}", file=sys.stderr)
        return 2
    except (StartupError, SettingsError, StateStoreError) as error:
        print(f"fedbot serve: {error}", file=sys.stderr)
        return 2
    return 0

"""``fedbot serve``: the Teams (and Slack) bot server."""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import replace

from bot import logs
from bot.config import Settings
from bot.demo import DemoDnsServer
from bot.server import serve
from bot.service import FedBot


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
    parser.add_argument("--port", type=int, default=3978, help="port (default 3978)")
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
    finally:
        if demo is not None:
            demo.stop()


def run(args: argparse.Namespace) -> int:
    logs.configure()
    asyncio.run(_main(args))
    return 0

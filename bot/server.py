"""The one aiohttp application: health endpoints plus whatever the platform adapters mount.

Each adapter package exposes ``mount(app, bot, settings) -> str``: it adds its routes (or none,
when its credentials are missing) and returns a line for the startup log saying what it enabled
and, when off, why.
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.config import Settings
from bot.service import FedBot

log = logging.getLogger(__name__)

BOT_KEY: web.AppKey[FedBot] = web.AppKey("fedbot", FedBot)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    ready = await request.app[BOT_KEY].ready()
    return web.json_response({"ready": ready}, status=200 if ready else 503)


def build_app(bot: FedBot, settings: Settings) -> tuple[web.Application, list[str]]:
    """The application and the startup log lines naming what each adapter enabled."""
    from adapters import slack, teams

    app = web.Application(client_max_size=256 * 1024)
    app[BOT_KEY] = bot
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    lines = [teams.mount(app, bot, settings), slack.mount(app, bot, settings)]
    return app, lines

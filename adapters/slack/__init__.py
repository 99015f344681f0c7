"""Slack through slack-bolt (slack_bolt is imported in this package only).

``SLACK_BOT_TOKEN`` + ``SLACK_SIGNING_SECRET`` add ``POST /slack/events`` to the shared server;
``SLACK_BOT_TOKEN`` + ``SLACK_APP_TOKEN`` (``xapp-``) run the same app over Socket Mode instead;
``SLACK_API_URL`` points the Web API client elsewhere (tests).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.config import Settings
from bot.service import FedBot

ADAPTER_KEY: web.AppKey[Any] = web.AppKey("fedbot.slack")


def _missing(settings: Settings) -> list[str]:
    missing = [] if settings.slack_bot_token else ["SLACK_BOT_TOKEN"]
    if settings.slack_app_token:
        if not settings.slack_app_token.startswith("xapp-"):
            missing.append("SLACK_APP_TOKEN (an xapp- app-level token)")
    elif not settings.slack_signing_secret:
        missing.append("SLACK_SIGNING_SECRET")
    return missing


def mount(app: web.Application, bot: FedBot, settings: Settings) -> str:
    """Add Slack to ``app`` (route or Socket Mode); return the startup log line."""
    missing = _missing(settings)
    if missing:
        return f"slack: off ({', '.join(missing)} not set)"

    from adapters.slack.app import SlackAdapter
    from adapters.slack.http import PATH, events_handler

    adapter = SlackAdapter(bot, settings)
    app[ADAPTER_KEY] = adapter
    api = f", Web API {settings.slack_api_url}" if settings.slack_api_url else ""

    if settings.slack_app_token:
        from adapters.slack.socket import SocketMode

        socket = SocketMode(adapter.app, settings.slack_app_token)

        async def connect(_: web.Application) -> None:
            await adapter.start()
            await socket.start()

        async def disconnect(_: web.Application) -> None:
            await socket.close()  # no new envelopes, then let work in flight finish
            await adapter.close(settings.shutdown_timeout)

        app.on_startup.append(connect)
        app.on_cleanup.append(disconnect)
        return f"slack: on, Socket Mode (/fedcheck, events, buttons over the app token){api}"

    async def start(_: web.Application) -> None:
        await adapter.start()

    async def stop(_: web.Application) -> None:
        await adapter.close(settings.shutdown_timeout)

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    app.router.add_post(PATH, events_handler(adapter.app, settings.slack_signing_secret))
    return f"slack: on, POST {PATH} (events, /fedcheck, buttons; requests signature-checked){api}"

"""Microsoft Teams through the Bot Framework (botbuilder is imported in this package only)."""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any, get_args

from aiohttp import web

from bot.config import Settings
from bot.service import FedBot
from federation.model import Cloud
from federation.texts import load_texts

MESSAGES_PATH = "/api/messages"
# the outbound-client cache (adapters.teams.connector.CachingAuthentication) of a mounted app
AUTH_KEY: web.AppKey[Any] = web.AppKey("fedbot.teams.auth")


def _messages(bot: FedBot) -> Mapping[str, str]:
    knowledge = getattr(bot, "knowledge", None)
    messages = getattr(knowledge, "messages", None)
    return messages if isinstance(messages, Mapping) else {}


def bot_framework_config(settings: Settings) -> SimpleNamespace:
    """The configuration object botbuilder's ``ConfigurationBotFrameworkAuthentication`` reads."""
    return SimpleNamespace(
        APP_ID=settings.app_id,
        APP_PASSWORD=settings.app_password,
        APP_TYPE=settings.app_type or "MultiTenant",
        APP_TENANTID=settings.app_tenant_id,
        **dict(settings.bot_framework),
    )


def mount(app: web.Application, bot: FedBot, settings: Settings) -> str:
    """Add ``POST /api/messages``; return the startup log line."""
    from botbuilder.integration.aiohttp import (
        CloudAdapter,
        ConfigurationBotFrameworkAuthentication,
    )

    from adapters.teams.adaptive_cards import CardLabels
    from adapters.teams.connector import CachingAuthentication
    from adapters.teams.endpoint import MessagesEndpoint
    from adapters.teams.turns import TeamsTurns

    auth = CachingAuthentication(
        ConfigurationBotFrameworkAuthentication(bot_framework_config(settings))
    )
    app[AUTH_KEY] = auth
    messages = _messages(bot)
    texts = load_texts()
    turns = TeamsTurns(
        bot=bot,
        labels=CardLabels(messages, {c: texts.cloud_label(c) for c in get_args(Cloud)}),
        apology=messages.get("error.apology", ""),
    )
    app.router.add_post(MESSAGES_PATH, MessagesEndpoint(CloudAdapter(auth), turns))

    async def close_connections(_app: web.Application) -> None:
        await auth.close()

    app.on_cleanup.append(close_connections)
    if settings.app_id:
        return (
            f"teams: POST {MESSAGES_PATH} (Bot Framework, app {settings.app_id}, "
            f"{settings.app_type or 'MultiTenant'}; every request's token is validated)"
        )
    return (
        f"teams: POST {MESSAGES_PATH} (Bot Framework) with authentication OFF: no MicrosoftAppId "
        "(for the Bot Framework Emulator / Agents Playground)"
    )

"""Microsoft Teams through the Bot Framework (botbuilder is imported in this package only)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from aiohttp import web

from bot.config import Settings
from bot.service import FedBot
from knowledge.model import Wording

MESSAGES_PATH = "/api/messages"
# the outbound-client cache (adapters.teams.connector.CachingAuthentication) of a mounted app
AUTH_KEY: web.AppKey[Any] = web.AppKey("fedbot.teams.auth")


def _wording(bot: FedBot) -> Wording:
    wording = getattr(getattr(bot, "knowledge", None), "wording", None)
    return wording if isinstance(wording, Wording) else Wording({}, {})


def bot_framework_config(settings: Settings) -> SimpleNamespace:
    """The configuration object botbuilder's ``ConfigurationBotFrameworkAuthentication`` reads."""
    return SimpleNamespace(
        APP_ID=settings.app_id,
        APP_PASSWORD=settings.app_password,
        APP_TYPE=settings.app_type or "MultiTenant",
        APP_TENANTID=settings.app_tenant_id,
        **dict(settings.bot_framework),
    )


def proactive_runner(adapter: Any, auth: Any, app_id: str) -> Any:
    """Turn logic run for a recorded activity with no inbound request (resumed work): botbuilder's
    ``process_proactive`` with our own identity, through the activity's serviceUrl."""
    from botframework.connector.auth import AuthenticationConstants, ClaimsIdentity

    async def run(activity: Any, logic: Any) -> None:
        identity = ClaimsIdentity(
            {
                AuthenticationConstants.AUDIENCE_CLAIM: app_id,
                AuthenticationConstants.APP_ID_CLAIM: app_id,
            },
            True,
        )
        await adapter.process_proactive(identity, activity, auth.get_originating_audience(), logic)

    return run


def mount(app: web.Application, bot: FedBot, settings: Settings) -> str:
    """Add ``POST /api/messages``; return the startup log line."""
    from botbuilder.integration.aiohttp import (
        CloudAdapter,
        ConfigurationBotFrameworkAuthentication,
    )

    from adapters.teams.adaptive_cards import CardLabels
    from adapters.teams.connector import CachingAuthentication
    from adapters.teams.endpoint import MessagesEndpoint
    from adapters.teams.turns import WORK_KIND, TeamsTurns

    auth = CachingAuthentication(
        ConfigurationBotFrameworkAuthentication(bot_framework_config(settings)),
        app_id=settings.app_id,
        allow_emulator=settings.allow_emulator,
    )
    app[AUTH_KEY] = auth
    messages = _wording(bot)
    turns = TeamsTurns(
        bot=bot,
        labels=CardLabels(messages, messages.clouds),
        apology=messages.get("error.apology", ""),
    )
    adapter = CloudAdapter(auth)
    endpoint = MessagesEndpoint(adapter, turns)
    turns.proactive = proactive_runner(adapter, auth, settings.app_id)
    bot.work.handle(WORK_KIND, turns.resume, turns.give_up)
    app.router.add_post(MESSAGES_PATH, endpoint)

    async def close_connections(_app: web.Application) -> None:
        await endpoint.drain(settings.shutdown_timeout)  # turns acknowledged early finish first
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

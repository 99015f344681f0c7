"""Microsoft Teams through the Bot Framework (botbuilder is imported in this package only)."""

from __future__ import annotations

from aiohttp import web

from bot.config import Settings
from bot.service import FedBot


def mount(app: web.Application, bot: FedBot, settings: Settings) -> str:
    """Add ``POST /api/messages``; return the startup log line. (Implemented by the Teams work.)"""
    return "teams: not implemented yet"

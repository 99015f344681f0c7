"""Slack through slack-bolt (slack_bolt is imported in this package only)."""

from __future__ import annotations

from aiohttp import web

from bot.config import Settings
from bot.service import FedBot


def mount(app: web.Application, bot: FedBot, settings: Settings) -> str:
    """Add ``POST /slack/events``; return the startup log line. (Implemented by the Slack work.)"""
    return "slack: not implemented yet"
